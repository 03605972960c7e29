"""Per-channel settings through the admins' API on a real Redis: the form learns the channels
by name, a channel's override is saved as a version and read back, every wrong part of it is
named and nothing stored, agents who are not admins are refused, and a what-if replays each
stored conversation with the settings of its channel."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest
from aiohttp.test_utils import TestClient
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from redis import asyncio as aioredis

from router import keys
from router.channel_settings import MAX_CHANNEL_NAME_CHARS, MAX_CHANNELS
from router.live_settings import by_channel
from tests.router.whatif_talks import Talk, grumble
from tests.web.conftest import make_agent, sign_in
from tests.web.test_whatif import domain, rasa_store, save  # noqa: F401 (fixtures)

SETTINGS = "/api/admin/settings"
WHAT_IF = "/api/admin/what-if"
WEB_CHAT = {"socketio": {"handoff_threshold": 0.45, "weights": {"complaint": 0.4}}}


@pytest.fixture
async def admin(api: TestClient, redis: aioredis.Redis) -> Dict[str, str]:
    await make_agent(redis, "ada", role="admin")
    return await sign_in(api, "ada")


async def _nothing_stored(redis: aioredis.Redis) -> None:
    assert await redis.get(keys.ROUTER_SETTINGS) is None
    assert await redis.llen(keys.ROUTER_SETTINGS_VERSIONS) == 0


async def test_the_form_gets_the_known_channels_as_people_say_them(
        api: TestClient, admin: Dict[str, str]) -> None:
    body = await (await api.get(SETTINGS, headers=admin)).json()
    known = {c["name"]: c["label"] for c in body["channels"]["known"]}
    assert known["socketio"] == "web chat" and known["telegram"] == "Telegram"
    assert body["channels"]["limits"] == {"channels_max": MAX_CHANNELS,
                                          "name_max_chars": MAX_CHANNEL_NAME_CHARS}


async def test_a_channels_override_is_saved_as_a_version_and_read_back(
        api: TestClient, admin: Dict[str, str], redis: aioredis.Redis) -> None:
    overrides = {"handoff_threshold": 0.7, "channels": WEB_CHAT}
    reply = await api.put(SETTINGS, json={"overrides": overrides, "comment": "shop visitors"},
                          headers=admin)
    assert reply.status == 200, await reply.text()
    assert (await reply.json())["version"]["changes"] == [
        {"field": "channels.socketio.handoff_threshold", "before": 0.6, "after": 0.45},
        {"field": "channels.socketio.weights.complaint", "signal": "complaint",
         "before": 0.3, "after": 0.4},
        {"field": "handoff_threshold", "before": 0.6, "after": 0.7}]
    stored = json.loads(await redis.get(keys.ROUTER_SETTINGS))
    assert stored == overrides
    # What every process builds from it: the web chat apart, every other channel general.
    assert by_channel(stored).for_channel("socketio").handoff_threshold == 0.45
    assert by_channel(stored).for_channel("telegram").handoff_threshold == 0.7
    body = await (await api.get(SETTINGS, headers=admin)).json()
    assert body["overrides"]["channels"] == WEB_CHAT
    # The general form stays the general settings.
    threshold = next(f for f in body["fields"] if f["name"] == "handoff_threshold")
    assert threshold["value"] == 0.7


@pytest.mark.parametrize("channels, field, words", [
    ({"socketio": {"handoff_threshold": 1.5}}, "channels.socketio.handoff_threshold",
     "between 0 and 1, got 1.5"),
    ({"socketio": {"handoff_threshold": "low"}}, "channels.socketio.handoff_threshold",
     "must be a number"),
    ({"socketio": {"weights": {"insult": 2}}}, "channels.socketio.weights.insult",
     "between 0 and 1"),
    ({"socketio": {"colour": "red"}}, "channels.socketio.colour", "unknown setting"),
    ({"socketio": {"concern_threshold": 0.7}}, "channels.socketio.concern_threshold",
     "not be above handoff_threshold"),
    ({"web chat": {"handoff_threshold": 0.5}}, "channels.web chat", "named like socketio"),
    ({"x" * 41: {}}, f"channels.{'x' * 40}", "at most 40 characters"),
    ({"socketio": 0.5}, "channels.socketio", "must be an object"),
    ("socketio", "channels", "must be an object of channel names"),
    ({f"c{n}": {} for n in range(MAX_CHANNELS + 1)}, "channels", f"at most {MAX_CHANNELS}"),
])
async def test_each_wrong_part_of_a_channels_override_is_named_and_nothing_stored(
        api: TestClient, admin: Dict[str, str], redis: aioredis.Redis, channels: Any,
        field: str, words: str) -> None:
    reply = await api.put(SETTINGS, json={"overrides": {"channels": channels}}, headers=admin)
    assert reply.status == 400
    body = await reply.json()
    assert list(body["fields"]) == [field]
    assert words in body["fields"][field]
    assert body["error"].startswith("Nothing was saved: ")
    await _nothing_stored(redis)


async def test_an_agent_who_is_not_an_admin_cannot_set_a_channels_override(
        api: TestClient, redis: aioredis.Redis) -> None:
    await make_agent(redis, "sam")
    reply = await api.put(SETTINGS, json={"overrides": {"channels": WEB_CHAT}},
                          headers=await sign_in(api, "sam"))
    assert reply.status == 403
    await _nothing_stored(redis)


def _on(channel: str, talk: Talk) -> Talk:
    talk.conversation_id = f"{talk.conversation_id}-{channel}"
    talk.events = [{**e, "input_channel": channel} if e["event"] == "user" else e
                   for e in talk.events]
    return talk


async def test_a_what_if_replays_each_conversation_with_its_channels_settings(
        api: TestClient, admin: Dict[str, str], redis: aioredis.Redis,
        rasa_store: RedisTrackerStore, domain: Domain) -> None:  # noqa: F811
    talks: List[Talk] = [_on("socketio", grumble()), _on("telegram", grumble())]
    await save(rasa_store, domain, talks)
    lower = {"channels": {"socketio": {"handoff_threshold": 0.35}}}
    reply = await api.post(WHAT_IF, json={"overrides": lower, "last": 10}, headers=admin)
    assert reply.status == 200, await reply.text()
    answer = await reply.json()
    assert answer["conversations"] == 2
    assert (answer["handoffs_now"], answer["handoffs_after"]) == (0, 1)
    assert [c["conversation_id"] for c in answer["changed"]] == ["grumble-socketio"]
    assert answer["settings_changed"] == ["channels.socketio.handoff_threshold"]

    refused = await api.post(WHAT_IF, json={"overrides": {"channels": {"socketio": {
        "handoff_threshold": 3}}}, "last": 10}, headers=admin)
    assert refused.status == 400
    assert list((await refused.json())["fields"]) == ["channels.socketio.handoff_threshold"]
