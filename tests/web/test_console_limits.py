"""The console's colours and counters follow the live settings, not copies in its script."""

from __future__ import annotations

import json
import time

import pytest
from aiohttp.test_utils import TestClient
from redis import asyncio as aioredis

from router import keys, typing_signals
from router.settings_versions import SettingsVersions
from tests.web.conftest import make_agent, sign_in, waiting_customer


async def test_the_snapshot_carries_the_live_thresholds_and_the_line_limit(
    api: TestClient, redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch,
) -> None:
    await make_agent(redis, "ana")
    headers = await sign_in(api, "ana")
    defaults = (await (await api.get("/api/queue", headers=headers)).json())["limits"]
    assert defaults == {"concern_threshold": 0.3, "handoff_threshold": 0.6,
                        "max_message_chars": 2000, "typing": typing_signals.timing()}
    # An admin's live change (make settings ...) and another line limit.
    await redis.set(keys.ROUTER_SETTINGS, json.dumps({"handoff_threshold": 0.75}))
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "1500")
    changed = (await (await api.get("/api/queue", headers=headers)).json())["limits"]
    assert changed == {"concern_threshold": 0.3, "handoff_threshold": 0.75,
                       "max_message_chars": 1500, "typing": typing_signals.timing()}


async def test_broken_stored_settings_fall_back_to_the_defaults_as_the_router_does(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    await redis.set(keys.ROUTER_SETTINGS, "{not json")
    reply = await api.get("/api/queue", headers=await sign_in(api, "ana"))
    assert reply.status == 200
    assert (await reply.json())["limits"]["handoff_threshold"] == 0.6


async def test_an_agents_reply_follows_the_one_line_limit(
    api: TestClient, redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch,
) -> None:
    await make_agent(redis, "ana")
    await waiting_customer(redis, "c1")
    headers = await sign_in(api, "ana")
    assert (await api.post("/api/queue/claim", json={"conversation_id": "c1"},
                           headers=headers)).status == 200
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "10")
    too_long = await api.post("/api/conversations/c1/messages", json={"text": "x" * 11},
                              headers=headers)
    assert too_long.status == 400
    assert "the limit is 10" in (await too_long.json())["error"]
    fits = await api.post("/api/conversations/c1/messages", json={"text": "x" * 10},
                          headers=headers)
    assert fits.status == 202


async def test_the_waiting_target_admins_are_alerted_past_is_the_live_one(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "boss", role="admin")
    await waiting_customer(redis, "c1", created_at=time.time() - 4 * 60)
    boss = await sign_in(api, "boss")
    alert = (await (await api.get("/api/queue", headers=boss)).json())["service_level"]
    assert alert["wait_target_seconds"] == 300 and alert["past_target"] == []
    await SettingsVersions(redis).save({"service": {"sla_wait_minutes": 3}}, "boss")
    alert = (await (await api.get("/api/queue", headers=boss)).json())["service_level"]
    assert alert["wait_target_seconds"] == 180
    assert [late["conversation_id"] for late in alert["past_target"]] == ["c1"]
