"""Where things run: REDIS_URL parsing and port settings fail with messages that say what to fix;
every server listens on the bind host and gets its secrets through the environment only."""

import re
import stat
from pathlib import Path
from typing import Any

import pytest

from actions.server import MIN_SECRET_LENGTH
from stack.run import Stack
from stack.settings import BadSetting, RedisAddress, StackSettings
from webapp.settings import WebSettings


def test_a_full_redis_url_is_split_for_rasa() -> None:
    address = RedisAddress.from_url("redis://:s3cret@cache.internal:6380/2")
    assert address.rasa_env() == {"REDIS_HOST": "cache.internal", "REDIS_PORT": "6380",
                                  "REDIS_DB": "2", "REDIS_PASSWORD": "s3cret"}
    assert address.url == "redis://:s3cret@cache.internal:6380/2"


def test_defaults_fill_a_short_redis_url() -> None:
    address = RedisAddress.from_url("redis://localhost")
    assert (address.port, address.db, address.password) == (6379, 0, "")


@pytest.mark.parametrize("url, complaint", [
    ("localhost:6379", "must look like redis://"),
    ("http://localhost:6379", "must look like redis://"),
    ("redis://localhost:6379/zero", "database must be a number"),
])
def test_bad_redis_urls_are_refused_clearly(url: str, complaint: str) -> None:
    with pytest.raises(BadSetting, match=complaint):
        RedisAddress.from_url(url)


def test_ports_come_from_the_environment() -> None:
    settings = StackSettings.from_env({"RASA_PORT": "6005", "WEB_PORT": "9090"})
    assert (settings.rasa_port, settings.web_port, settings.actions_port) == (6005, 9090, 5055)
    assert settings.redis_url is None


@pytest.mark.parametrize("value", ["abc", "0", "70000", ""])
def test_a_bad_port_names_the_variable(value: str) -> None:
    with pytest.raises(BadSetting, match=f"WEB_PORT must be a port number.*{value!r}"):
        StackSettings.from_env({"WEB_PORT": value})


def test_servers_listen_on_this_machine_only_by_default() -> None:
    assert StackSettings.from_env({}).bind_host == "127.0.0.1"
    assert WebSettings.from_env({}).host == "127.0.0.1"


def test_every_interface_is_a_choice_and_our_servers_are_reached_on_loopback() -> None:
    settings = StackSettings.from_env({"BIND_HOST": "0.0.0.0"})
    assert (settings.bind_host, settings.local_host) == ("0.0.0.0", "127.0.0.1")
    assert StackSettings.from_env({"BIND_HOST": "10.1.2.3"}).local_host == "10.1.2.3"


@pytest.mark.parametrize("value", ["localhost", "", "::1", "1.2.3", "127.0.0.1:80", "0.0.0.0 "])
def test_a_bad_bind_host_names_the_variable(value: str) -> None:
    complaint = f"BIND_HOST must be the IPv4 address.*{re.escape(repr(value))}"
    with pytest.raises(BadSetting, match=complaint):
        StackSettings.from_env({"BIND_HOST": value})


def test_rasa_answers_browsers_from_our_pages_and_the_public_chat_page() -> None:
    ours = StackSettings.from_env({"WEB_PORT": "9090"})
    assert ours.cors_origins == ["http://localhost:9090", "http://127.0.0.1:9090"]
    public = StackSettings.from_env({"WEB_PORT": "9090",
                                     "PUBLIC_CHAT_ORIGIN": "https://chat.example.com:8443/"})
    assert public.cors_origins[-1] == "https://chat.example.com:8443"
    assert "*" not in public.cors_origins


@pytest.mark.parametrize("value", ["chat.example.com", "ftp://chat.example.com", "*",
                                   "https://chat.example.com/chat", "https://x.com/?a=1",
                                   "https://"])
def test_a_bad_public_chat_origin_names_the_variable(value: str) -> None:
    complaint = f"PUBLIC_CHAT_ORIGIN must be a web origin.*{re.escape(repr(value))}"
    with pytest.raises(BadSetting, match=complaint):
        StackSettings.from_env({"PUBLIC_CHAT_ORIGIN": value})


def stack_in(tmp_path: Path, **settings: Any) -> Stack:
    return Stack(StackSettings(data_dir=tmp_path, **settings),
                 RedisAddress.from_url(f"redis://:{REDIS_PASSWORD}@127.0.0.1:6390/0"), RASA_TOKEN)


REDIS_PASSWORD = "redis-password-for-the-test"
RASA_TOKEN = "rasa-token-for-the-test"


def test_no_secret_is_on_any_command_line(tmp_path: Path) -> None:
    stack = stack_in(tmp_path)
    secrets = [RASA_TOKEN, REDIS_PASSWORD, stack.action_server_secret]
    for service in stack.services():
        command = " ".join(service.command)
        assert not [secret for secret in secrets if secret in command], service.name
        assert "--auth-token" not in service.command


def test_every_server_gets_the_secrets_it_needs_in_its_environment(tmp_path: Path) -> None:
    stack = stack_in(tmp_path)
    for service in stack.services():
        assert service.env["ACTION_SERVER_SECRET"] == stack.action_server_secret
        assert service.env["RASA_TOKEN"] == RASA_TOKEN
        assert service.env["REDIS_PASSWORD"] == REDIS_PASSWORD


def test_the_action_server_secret_is_made_once_and_private(tmp_path: Path) -> None:
    first = stack_in(tmp_path).action_server_secret
    assert stack_in(tmp_path).action_server_secret == first
    assert len(first) >= MIN_SECRET_LENGTH
    assert stat.S_IMODE((tmp_path / "action_server_secret").stat().st_mode) == 0o600


def test_every_server_listens_on_the_bind_host(tmp_path: Path) -> None:
    services = {s.name: s for s in stack_in(tmp_path, bind_host="0.0.0.0").services()}
    actions, rasa, web = (services[name] for name in
                          ("action server", "Rasa server", "web service"))
    assert actions.command[2:5] == ["actions.server", "--host", "0.0.0.0"]
    assert rasa.command[rasa.command.index("--interface") + 1] == "0.0.0.0"
    assert web.env["WEB_HOST"] == "0.0.0.0"
    assert all(s.health_url.startswith("http://127.0.0.1:") for s in services.values())


def test_rasa_is_started_through_the_launcher_without_open_cors(tmp_path: Path) -> None:
    rasa = next(s for s in stack_in(tmp_path, web_port=9090).services() if s.name == "Rasa server")
    assert rasa.command[2] == "stack.rasa_server"
    cors = rasa.command[rasa.command.index("--cors") + 1:rasa.command.index("--port")]
    assert cors == ["http://localhost:9090", "http://127.0.0.1:9090"]
    assert rasa.command[rasa.command.index("--interface") + 1] == "127.0.0.1"
