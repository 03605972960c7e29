"""After a person lets go: the bot's greeting for each outcome, the rating, and a new Rasa
session that stays paused while a person has the conversation."""

from __future__ import annotations

import time
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from redis import asyncio as aioredis

from actions.after_handoff import (
    ActionRecordHandoffRating,
    ActionSessionStart,
    ActionWelcomeBack,
)
from router import keys
from tests.factories import domain, responses, tracker


@pytest.mark.parametrize("outcome, response, has_buttons", [
    ("handed_back", "utter_welcome_back_handed_back", False),
    ("resolved", "utter_welcome_back_resolved", True),
    ("expired", "utter_welcome_back_expired", False),
])
async def test_the_bot_greets_the_customer_again_for_each_outcome(
    outcome: str, response: str, has_buttons: bool,
) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker("", slots={"handoff_outcome": outcome, "handoff_agent": "Sam"})
    events = await ActionWelcomeBack().run(dispatcher, t, domain())
    # The bot listens right after, in the same step: a quick reply meets a listening bot.
    assert events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"
    [message] = dispatcher.messages
    assert message["response"] == response
    assert message["handoff"]["state"] == "with_bot"  # the web chat hides its status line
    assert bool(message["buttons"]) is has_buttons
    assert response in domain()["responses"]


async def test_a_customer_who_waited_too_long_hears_their_ticket_reference() -> None:
    dispatcher = CollectingDispatcher()
    t = tracker("", slots={"handoff_outcome": "expired", "handoff_ticket": "PC-7K3Q9"})
    await ActionWelcomeBack().run(dispatcher, t, domain())
    [message] = dispatcher.messages
    assert message["response"] == "utter_welcome_back_expired_with_reference"
    assert message["ticket_id"] == "PC-7K3Q9"
    assert "{ticket_id}" in domain()["responses"][message["response"]][0]["text"]


async def test_a_rating_answers_the_question_after_a_resolution_once(
    action_redis: aioredis.Redis,
) -> None:
    dispatcher = CollectingDispatcher()

    def rated(value: str) -> Any:
        return tracker(f'/rate_handoff{{"handoff_rating": "{value}"}}', intent="rate_handoff",
                       entities=[{"entity": "handoff_rating", "value": value}],
                       slots={"handoff_agent": "Sam"})

    async def case(number: str, outcome: str, ended_ago: float) -> None:
        await action_redis.zadd(keys.history_of_conversation("test-customer"),
                                {number: time.time() - ended_ago})
        await action_redis.hset(keys.history_case(number), mapping={
            "case_id": number, "outcome": outcome, "ended_at": time.time() - ended_ago})

    # No handoff to rate: thanked, nothing stored.
    await ActionRecordHandoffRating().run(dispatcher, rated("3"), domain())
    assert await action_redis.xlen(keys.HANDOFF_RATINGS) == 0
    # Resolved a minute ago: stored with the agent's name, beside the story; once.
    await case("7", "resolved", 60)
    await ActionRecordHandoffRating().run(dispatcher, rated("3"), domain())
    [(_, rating)] = await action_redis.xrange(keys.HANDOFF_RATINGS)
    assert (rating["rating"], rating["agent"]) == ("3", "Sam")
    assert await action_redis.hget(keys.history_case("7"), "rating") == "3"
    await ActionRecordHandoffRating().run(dispatcher, rated("1"), domain())
    assert await action_redis.hget(keys.history_case("7"), "rating") == "3"
    # A made-up rating, a handoff handed back (nobody asked), or one resolved days ago: none.
    await ActionRecordHandoffRating().run(dispatcher, tracker(
        "x", intent="rate_handoff", entities=[{"entity": "handoff_rating", "value": "99"}]),
        domain())
    await case("8", "handed_back", 60)
    await ActionRecordHandoffRating().run(dispatcher, rated("5"), domain())
    await case("9", "resolved", 3 * 86400)
    await ActionRecordHandoffRating().run(dispatcher, rated("5"), domain())
    assert await action_redis.xlen(keys.HANDOFF_RATINGS) == 1
    assert responses(dispatcher) == ["utter_handoff_rating_thanks"] * 6


@pytest.mark.parametrize("owner, paused", [(None, False), ("queue", True), ("agent:sam", True)])
async def test_a_new_session_is_paused_again_while_a_person_has_the_conversation(
    action_redis: aioredis.Redis, owner: str, paused: bool,
) -> None:
    if owner:
        await action_redis.set(keys.conversation_owner("test-customer"), owner)
    t = tracker("hello", slots={"order_id": "482913"})
    events = await ActionSessionStart().run(CollectingDispatcher(), t, domain())
    kinds = [event["event"] for event in events]
    assert kinds[0] == "session_started" and "action" in kinds
    assert ("pause" in kinds) is paused
    assert {"event": "slot", "name": "order_id", "value": "482913", "timestamp": None} in \
        events  # the customer's facts are carried over


async def test_a_new_session_keeps_the_customers_facts_but_not_the_proof_of_owning_an_order(
    action_redis: aioredis.Redis,
) -> None:
    t = tracker("hello", slots={"order_id": "730155", "verified_order_ids": ["730155"]})
    events = await ActionSessionStart().run(CollectingDispatcher(), t, domain())
    carried = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert carried["order_id"] == "730155"
    assert "verified_order_ids" not in carried
