"""The action server answers only callers with the shared secret, and listens on loopback.

The real server (`python -m actions.server`) on a free port, called over HTTP as Rasa calls it.
"""

from __future__ import annotations

import json
import subprocess
import zlib
from typing import Any, Dict, Iterator

import pytest
import requests

from actions.server import MIN_SECRET_LENGTH, SECRET_ENV
from stack.processes import Service, base_env, python_module
from stack.redis_server import free_port
from stack.run import SMALL_START_TIMEOUT
from stack.settings import PROJECT_ROOT
from tests.listening import LOOPBACK, listening_addresses

SECRET = "s" * MIN_SECRET_LENGTH + "-test-secret"
# A pure action: it only forgets form answers, so it needs no shop and no Redis.
RESET_FORMS = {
    "next_action": "action_reset_order_forms",
    "sender_id": "test",
    "tracker": {"sender_id": "test", "slots": {}, "latest_message": {}, "events": [],
                "paused": False, "followup_action": None, "active_loop": {},
                "latest_action_name": None},
    "domain": {},
}


class ActionServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def post(self, body: Any, secret: str | None = SECRET, **kwargs: Any) -> requests.Response:
        headers: Dict[str, str] = kwargs.pop("headers", {})
        if secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        if isinstance(body, (bytes, str)):
            return requests.post(f"{self.url}/webhook", data=body, headers=headers, timeout=10)
        return requests.post(f"{self.url}/webhook", json=body, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    port = free_port()
    service = Service(
        "action server", python_module("actions.server", "--port", str(port)),
        f"http://127.0.0.1:{port}/health",
        tmp_path_factory.mktemp("actions") / "actions.log", base_env({SECRET_ENV: SECRET}),
    )
    service.start().wait_until_healthy(SMALL_START_TIMEOUT)
    yield ActionServer(port)
    service.stop()


def test_the_right_secret_runs_the_action(server: ActionServer) -> None:
    reply = server.post(RESET_FORMS)
    assert reply.status_code == 200, reply.text
    slots = {event["name"] for event in reply.json()["events"] if event["event"] == "slot"}
    assert "remembered_order_id" in slots


def test_no_secret_is_refused(server: ActionServer) -> None:
    reply = server.post(RESET_FORMS, secret=None)
    assert reply.status_code == 401
    assert "Authorization: Bearer" in reply.json()["error"]
    assert "events" not in reply.json()


@pytest.mark.parametrize("wrong", ["guess", SECRET[:-1], SECRET + "x", SECRET.upper(), ""])
def test_a_wrong_secret_is_refused(server: ActionServer, wrong: str) -> None:
    reply = server.post(RESET_FORMS, secret=wrong)
    assert reply.status_code == 401
    assert "Wrong secret" in reply.json()["error"]


def test_the_secret_must_come_as_a_bearer_token(server: ActionServer) -> None:
    reply = server.post(RESET_FORMS, secret=None, headers={"Authorization": SECRET})
    assert reply.status_code == 401


def test_a_query_token_is_not_a_secret(server: ActionServer) -> None:
    reply = requests.post(f"{server.url}/webhook", params={"token": SECRET}, json=RESET_FORMS,
                          timeout=10)
    assert reply.status_code == 401


def test_listing_actions_needs_the_secret_too(server: ActionServer) -> None:
    assert requests.get(f"{server.url}/actions", timeout=10).status_code == 401
    listed = requests.get(f"{server.url}/actions", timeout=10,
                          headers={"Authorization": f"Bearer {SECRET}"})
    assert {"name": "action_cancel_order"} in listed.json()


def test_health_needs_no_secret(server: ActionServer) -> None:
    assert requests.get(f"{server.url}/health", timeout=10).json() == {"status": "ok"}


def test_an_unknown_action_gets_rasa_sdks_404_after_the_secret(server: ActionServer) -> None:
    reply = server.post({**RESET_FORMS, "next_action": "action_not_there"})
    assert reply.status_code == 404
    assert reply.json()["action_name"] == "action_not_there"


@pytest.mark.parametrize("body, complaint", [
    ('{"next_action": ', "not JSON"),
    (b"\xff\xfe", "not JSON"),
    ("", "not JSON"),
    ("[]", "JSON object with 'next_action'"),
    ('"action_cancel_order"', "JSON object with 'next_action'"),
    ('{"tracker": {}}', "JSON object with 'next_action'"),
    ('{"next_action": 7, "tracker": {}}', "JSON object with 'next_action'"),
    ('{"next_action": "action_cancel_order"}', "no 'tracker' object"),
    ('{"next_action": "action_cancel_order", "tracker": []}', "no 'tracker' object"),
])
def test_a_malformed_call_with_the_secret_is_a_clear_400(server: ActionServer, body: str,
                                                         complaint: str) -> None:
    reply = server.post(body)
    assert reply.status_code == 400
    assert complaint in reply.json()["error"]


def test_a_broken_compressed_call_is_a_400(server: ActionServer) -> None:
    headers = {"Content-Encoding": "deflate"}
    assert server.post(b"not deflate", headers=headers).status_code == 400
    good = zlib.compress(json.dumps(RESET_FORMS).encode())
    assert server.post(good, headers=dict(headers)).status_code == 200


def test_an_unknown_path_is_a_404_not_a_server_error(server: ActionServer) -> None:
    reply = requests.get(f"{server.url}/admin", headers={"Authorization": f"Bearer {SECRET}"},
                         timeout=10)
    assert reply.status_code == 404
    assert "/webhook" in reply.json()["error"]


def test_it_listens_on_loopback_only(server: ActionServer) -> None:
    assert listening_addresses(server.port) == {LOOPBACK}


@pytest.mark.parametrize("secret, complaint", [
    (None, f"{SECRET_ENV} is not set"),
    ("", f"{SECRET_ENV} is not set"),
    ("short", f"{SECRET_ENV} is 5 characters long"),
])
def test_it_refuses_to_start_without_a_usable_secret(secret: str | None, complaint: str) -> None:
    env = base_env({})
    env.pop(SECRET_ENV, None)
    if secret is not None:
        env[SECRET_ENV] = secret
    started = subprocess.run(python_module("actions.server", "--port", str(free_port())),
                             cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                             timeout=SMALL_START_TIMEOUT)
    assert started.returncode != 0
    assert complaint in started.stderr
