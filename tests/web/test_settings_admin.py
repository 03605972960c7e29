"""The admins' settings API on a real Redis: the form's description of every setting, a change
read back as a version, history, restore and export; every wrong field named and nothing
stored; agents who are not admins refused everything."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest
from aiohttp.test_utils import TestClient
from redis import asyncio as aioredis

from router import keys, service_settings, settings_catalog
from router.plain_words import SIGNALS
from tests.web.conftest import make_agent, sign_in

SETTINGS = "/api/admin/settings"
VERSIONS = "/api/admin/settings/versions"
WRONG_TYPE = {"share": "high", "number": "1", "whole": 2.5, "flag": "yes", "choice": 3,
              "names": "request_human"}
OPERATIONS = [("GET", SETTINGS), ("PUT", SETTINGS), ("GET", VERSIONS),
              ("GET", f"{VERSIONS}/0"), ("POST", f"{VERSIONS}/0/restore"),
              ("GET", "/api/admin/settings/export")]


@pytest.fixture
async def admin(api: TestClient, redis: aioredis.Redis) -> Dict[str, str]:
    await make_agent(redis, "ada", role="admin")
    return await sign_in(api, "ada")


async def _nothing_stored(redis: aioredis.Redis) -> None:
    assert await redis.get(keys.ROUTER_SETTINGS) is None
    assert await redis.llen(keys.ROUTER_SETTINGS_VERSIONS) == 0


async def _put(api: TestClient, headers: Dict[str, str], body: Any) -> Any:
    return await api.put(SETTINGS, json=body, headers=headers)


@pytest.mark.parametrize("method, path", OPERATIONS)
async def test_an_agent_who_is_not_an_admin_is_refused(
        api: TestClient, redis: aioredis.Redis, method: str, path: str) -> None:
    await make_agent(redis, "sam")
    reply = await api.request(method, path, json={"overrides": {}},
                              headers=await sign_in(api, "sam"))
    assert reply.status == 403
    assert "Only an admin" in (await reply.json())["error"]
    api.session.cookie_jar.clear()   # signing in set the session cookie too
    assert (await api.request(method, path, json={})).status == 401
    await _nothing_stored(redis)


async def test_the_form_gets_every_setting_with_its_default_range_and_words(
        api: TestClient, admin: Dict[str, str]) -> None:
    reply = await api.get(SETTINGS, headers=admin)
    assert reply.status == 200
    body = await reply.json()
    assert body["version"] == 0 and body["overrides"] == {}
    fields = {f["name"]: f for f in body["fields"]}
    assert set(fields) == set(settings_catalog.FIELDS)
    threshold = fields["handoff_threshold"]
    assert (threshold["value"], threshold["default"], threshold["changed"]) == (0.6, 0.6, False)
    assert (threshold["minimum"], threshold["maximum"], threshold["kind"]) == (0, 1, "share")
    assert threshold["label"] and threshold["description"]
    weights = {w["signal"]: w for w in body["weights"]}
    assert set(weights) == set(SIGNALS)
    assert weights["insult"]["label"] == SIGNALS["insult"] == "insults"
    assert body["limits"]["comment_max_chars"] == 500


async def test_a_change_is_read_back_as_a_version(api: TestClient, admin: Dict[str, str],
                                                  redis: aioredis.Redis) -> None:
    overrides = {"handoff_threshold": 0.7, "weights": {"insult": 0.9}}
    reply = await _put(api, admin, {"overrides": overrides, "comment": "busy season",
                                    "base_version": 0})
    assert reply.status == 200, await reply.text()
    version = (await reply.json())["version"]
    assert (version["number"], version["who"], version["comment"]) == (1, "ada", "busy season")
    assert json.loads(await redis.get(keys.ROUTER_SETTINGS)) == overrides

    body = await (await api.get(SETTINGS, headers=admin)).json()
    assert body["version"] == 1 and body["overrides"] == overrides
    threshold = next(f for f in body["fields"] if f["name"] == "handoff_threshold")
    assert (threshold["value"], threshold["changed"]) == (0.7, True)
    insult = next(w for w in body["weights"] if w["signal"] == "insult")
    assert (insult["value"], insult["default"]) == (0.9, 0.45)

    history = await (await api.get(VERSIONS, headers=admin)).json()
    assert history["total"] == 2
    assert [v["number"] for v in history["versions"]] == [1, 0]
    one = await (await api.get(f"{VERSIONS}/1", headers=admin)).json()
    assert one["version"]["changes"] == [
        {"field": "handoff_threshold", "before": 0.6, "after": 0.7},
        {"field": "weights.insult", "signal": "insult", "before": 0.45, "after": 0.9}]


@pytest.mark.parametrize("name", sorted(settings_catalog.FIELDS))
async def test_each_field_of_the_wrong_type_is_refused_and_named(
        api: TestClient, admin: Dict[str, str], redis: aioredis.Redis, name: str) -> None:
    value = WRONG_TYPE[settings_catalog.FIELDS[name].kind]
    reply = await _put(api, admin, {"overrides": {name: value}})
    assert reply.status == 400
    body = await reply.json()
    assert list(body["fields"]) == [name]
    assert body["error"].startswith("Nothing was saved: ")
    await _nothing_stored(redis)


@pytest.mark.parametrize("overrides, field, words", [
    ({"handoff_threshold": 1.7}, "handoff_threshold", "between 0 and 1, got 1.7"),
    ({"evidence_cap": 0.5}, "evidence_cap", "between 1 and 10"),
    ({"restate_window": 11}, "restate_window", "between 1 and 10, got 11"),
    ({"weights": {"insult": -0.2}}, "weights.insult", "between 0 and 1"),
    ({"weights": {"moon": 0.2}}, "weights.moon", "unknown signal"),
    ({"weights": "strong"}, "weights", "object of signal names"),
    ({"colour": "red"}, "colour", "unknown setting"),
    ({"immediate_handoff_intents": ["<b>x</b>"]}, "immediate_handoff_intents", "names like"),
    ({"concern_threshold": 0.7}, "concern_threshold", "not be above handoff_threshold"),
])
async def test_out_of_range_and_unknown_values_are_refused_and_named(
        api: TestClient, admin: Dict[str, str], redis: aioredis.Redis,
        overrides: Dict[str, Any], field: str, words: str) -> None:
    reply = await _put(api, admin, {"overrides": overrides, "comment": "try"})
    assert reply.status == 400
    assert words in (await reply.json())["fields"][field]
    await _nothing_stored(redis)


@pytest.mark.parametrize("body, status, words", [
    ({}, 400, "'overrides' is missing"),
    ({"overrides": [0.7]}, 400, "must be an object"),
    ({"overrides": None}, 400, "must be an object"),
    ({"overrides": {}, "comment": 5}, 400, "'comment' must be a string"),
    ({"overrides": {}, "comment": "x" * 501}, 400, "the limit is 500"),
    ({"overrides": {}, "base_version": "1"}, 400, "'base_version' must be a whole number"),
    ({"overrides": {}, "base_version": -1}, 400, "0 or more"),
    ({"overrides": {}, "base_version": 3}, 409, "changed meanwhile"),
])
async def test_a_bad_body_is_refused_with_a_reason(
        api: TestClient, admin: Dict[str, str], redis: aioredis.Redis,
        body: Dict[str, Any], status: int, words: str) -> None:
    reply = await _put(api, admin, body)
    assert reply.status == status
    assert words in (await reply.json())["error"]
    await _nothing_stored(redis)


async def test_malformed_json_and_other_content_types_are_refused(
        api: TestClient, admin: Dict[str, str], redis: aioredis.Redis) -> None:
    reply = await api.put(SETTINGS, data=b'{"overrides": {', headers={
        **admin, "Content-Type": "application/json"})
    assert reply.status == 400 and "not valid JSON" in (await reply.json())["error"]
    reply = await api.put(SETTINGS, data=b"overrides=1", headers={
        **admin, "Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 415
    reply = await api.post(f"{VERSIONS}/0/restore", data=b"", headers={
        **admin, "Content-Type": "text/plain"})
    assert reply.status == 415
    await _nothing_stored(redis)


async def test_restore_makes_a_new_version(api: TestClient, admin: Dict[str, str],
                                           redis: aioredis.Redis) -> None:
    await _put(api, admin, {"overrides": {"handoff_threshold": 0.7}})
    await _put(api, admin, {"overrides": {"handoff_threshold": 0.8}})
    reply = await api.post(f"{VERSIONS}/1/restore", json={}, headers=admin)
    assert reply.status == 200
    version = (await reply.json())["version"]
    assert (version["number"], version["comment"]) == (3, "restored version 1")
    assert version["changes"] == [{"field": "handoff_threshold", "before": 0.8, "after": 0.7}]
    assert json.loads(await redis.get(keys.ROUTER_SETTINGS)) == {"handoff_threshold": 0.7}
    reply = await api.post(f"{VERSIONS}/0/restore", json={}, headers=admin)
    assert (await reply.json())["version"]["overrides"] == {}


@pytest.mark.parametrize("path, method", [
    (f"{VERSIONS}/7", "GET"), (f"{VERSIONS}/7/restore", "POST"),
    (f"{VERSIONS}/seven", "GET"), (f"{VERSIONS}/-1/restore", "POST"),
    (f"{VERSIONS}/{'9' * 40}", "GET"),
])
async def test_unknown_versions_are_404(api: TestClient, admin: Dict[str, str],
                                        redis: aioredis.Redis, path: str, method: str) -> None:
    reply = await api.request(method, path, json={}, headers=admin)
    assert reply.status == 404
    assert "version" in (await reply.json())["error"]
    await _nothing_stored(redis)


async def test_history_is_paged_newest_first(api: TestClient, admin: Dict[str, str]) -> None:
    for threshold in (0.61, 0.62, 0.63):
        await _put(api, admin, {"overrides": {"handoff_threshold": threshold}})
    page = await (await api.get(f"{VERSIONS}?offset=1&limit=2", headers=admin)).json()
    assert page["total"] == 4
    assert [v["number"] for v in page["versions"]] == [2, 1]
    for query in ("limit=0", "limit=101", "offset=-1", "limit=x", "offset=%C2%B2"):
        reply = await api.get(f"{VERSIONS}?{query}", headers=admin)
        assert reply.status == 400, query
        assert "whole number" in (await reply.json())["error"]


async def test_export_is_every_version_as_a_file(api: TestClient,
                                                 admin: Dict[str, str]) -> None:
    await _put(api, admin, {"overrides": {"shadow_mode": True}, "comment": "watch first"})
    reply = await api.get("/api/admin/settings/export", headers=admin)
    assert reply.status == 200
    assert reply.headers["Content-Disposition"].startswith("attachment; filename=")
    exported = await reply.json()
    assert [(v["number"], v["comment"]) for v in exported["versions"]] == [
        (0, "defaults"), (1, "watch first")]


async def test_a_service_change_stores_every_service_field_so_all_processes_agree(
    api: TestClient, admin: Dict[str, str], redis: aioredis.Redis,
) -> None:
    reply = await _put(api, admin, {"overrides": {"service": {"queue_limit": 30}},
                                    "base_version": 0})
    assert reply.status == 200, await reply.text()
    version = (await reply.json())["version"]
    assert [c["field"] for c in version["changes"]] == ["service.queue_limit"]
    stored = json.loads(await redis.get(keys.ROUTER_SETTINGS))["service"]
    assert set(stored) == set(service_settings.FIELDS)
    assert stored == {**service_settings.ServiceSettings.from_env().written(),
                      "queue_limit": 30}
