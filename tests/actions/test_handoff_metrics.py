"""The action server counts each handoff where it really happens (queued, or why nobody could
take over) and each message left for the team, without the turn waiting for the count."""

from __future__ import annotations

import time

import pytest
from rasa_sdk.executor import CollectingDispatcher
from redis import asyncio as aioredis

from actions.handoff import ActionCreateTicket, ActionHandoff
from router import keys, metrics
from tests.factories import domain, responses, tracker


async def _counted(redis: aioredis.Redis, metric: metrics.Metric) -> dict:
    await metrics.counts_written()
    values = metrics.read_counters(await redis.hgetall(keys.METRIC_COUNTERS))
    return values.get(metric.name, {})


async def test_a_queued_handoff_is_counted_with_its_reason(action_redis: aioredis.Redis
                                                           ) -> None:
    await action_redis.zadd(keys.AGENTS_ONLINE, {"ana": time.time()})
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker("a person please", intent="request_human"),
                              domain())
    assert responses(dispatcher) == ["utter_handoff_started"]
    assert await _counted(action_redis, metrics.HANDOFFS) == {
        ("asked_for_a_person", "queued"): 1}


async def test_a_handoff_nobody_could_take_is_counted_with_why(action_redis: aioredis.Redis
                                                               ) -> None:
    frustrated = tracker("useless!", intent="complain", slots={"frustration": {
        "handoff": True, "handoff_reason": "frustration 0.81 reached 0.60: complained"}})
    await ActionHandoff().run(CollectingDispatcher(), frustrated, domain())
    assert await _counted(action_redis, metrics.HANDOFFS) == {
        ("frustration", "nobody_online"): 1}


async def test_a_client_over_its_hourly_handoffs_is_counted_apart_from_a_full_queue(
    action_redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HANDOFFS_PER_HOUR", "1")
    await action_redis.zadd(keys.AGENTS_ONLINE, {"ana": time.time()})
    for number in range(2):
        t = tracker("a person please", intent="request_human",
                    slots={"session_started_metadata": {"client": "same-address"}})
        t.sender_id = f"customer-{number}"
        await ActionHandoff().run(CollectingDispatcher(), t, domain())
    assert await _counted(action_redis, metrics.HANDOFFS) == {
        ("asked_for_a_person", "queued"): 1, ("asked_for_a_person", "client_limit"): 1}


async def test_a_handoff_to_a_conversation_a_person_has_is_counted_as_such(
    action_redis: aioredis.Redis,
) -> None:
    await action_redis.zadd(keys.AGENTS_ONLINE, {"ana": time.time()})
    await action_redis.set(keys.conversation_owner("test-customer"), "agent:ana")
    await ActionHandoff().run(CollectingDispatcher(), tracker("hello?", intent="request_human"),
                              domain())
    assert await _counted(action_redis, metrics.HANDOFFS) == {
        ("asked_for_a_person", "already_with_person"): 1}


async def test_a_message_left_for_the_team_is_counted(action_redis: aioredis.Redis) -> None:
    t = tracker("please call me back", slots={"ticket_message": "call me"})
    await ActionCreateTicket().run(CollectingDispatcher(), t, domain())
    assert await _counted(action_redis, metrics.TICKETS_OPENED) == {
        (metrics.LEFT_A_MESSAGE,): 1}
