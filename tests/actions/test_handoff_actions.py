"""Handing off from the action server: queued with a packet and paused, or honestly refused
with an offer to leave a message that becomes a ticket."""

import json
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher
from redis import asyncio as aioredis

from actions.handoff import (
    TICKET_EMAIL_SLOT,
    TICKET_WITHOUT_EMAIL_SLOT,
    ActionCreateTicket,
    ActionHandoff,
)
from router import keys
from router.settings_versions import SettingsVersions
from router.tickets import OPEN, TicketStore, is_reference
from tests.factories import domain, responses, slot_events, tracker


async def test_with_an_agent_online_the_conversation_is_queued_and_paused(
    action_redis: aioredis.Redis,
) -> None:
    await action_redis.zadd(keys.AGENTS_ONLINE, {"ana": time.time()})
    dispatcher = CollectingDispatcher()
    t = tracker("get me a person", intent="request_human", slots={"order_id": "482913"},
                active_loop="return_form")
    events = await ActionHandoff().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_handoff_started"]
    assert dispatcher.messages[0]["position"] == 1
    kinds = [e["event"] for e in events]
    assert "pause" in kinds and "active_loop" in kinds  # the form stops, the bot goes quiet
    packet = json.loads(await action_redis.get(keys.handoff_packet("test-customer")))
    assert packet["reason"] == "customer asked for a person"
    assert packet["slots"]["order_id"] == "482913"


async def test_with_nobody_online_the_bot_says_so_and_keeps_the_conversation(
    action_redis: aioredis.Redis,
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, tracker("human!", intent="request_human"),
                                       domain())
    assert responses(dispatcher) == ["utter_handoff_nobody_online"]
    assert {"event": "slot", "timestamp": None, "name": "handoff_unavailable",
            "value": True} in events
    assert all(e["event"] != "pause" for e in events)
    assert await action_redis.zcard(keys.HANDOFF_QUEUE) == 0


async def test_on_a_holiday_an_admin_set_the_bot_says_the_team_is_away_and_when_it_answers(
    action_redis: aioredis.Redis,
) -> None:
    await action_redis.zadd(keys.AGENTS_ONLINE, {"ana": time.time()})
    today = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()
    await SettingsVersions(action_redis).save({"service": {
        "timezone": "Europe/Berlin", "holidays": [today],
        "hours": {"monday": "09:00-17:00", "tuesday": "09:00-17:00"}}}, "admin", "Closed today")
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker("a person please", intent="request_human"),
                              domain())
    assert responses(dispatcher)[-1] == "utter_handoff_closed"
    assert dispatcher.messages[-1]["hours"] == "Mon-Tue 9:00-17:00 (Berlin time)"
    assert "{hours}" in domain()["responses"]["utter_handoff_closed"][0]["text"]
    assert await action_redis.zcard(keys.HANDOFF_QUEUE) == 0
    # The queue's limit is the admin's too: with room for nobody, the bot says the line is full.
    await SettingsVersions(action_redis).save({"service": {"queue_limit": 1}}, "admin")
    await action_redis.zadd(keys.HANDOFF_QUEUE, {"someone-else": 1.0})
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker("a person please", intent="request_human"),
                              domain())
    assert responses(dispatcher)[-1] == "utter_handoff_queue_full"


@pytest.mark.parametrize("intent", ["item_damaged", "item_missing", "wrong_item",
                                    "parcel_not_received", "billing_problem", "subscription"])
async def test_a_problem_only_a_person_can_solve_gets_a_word_on_why_first(
    action_redis: aioredis.Redis, intent: str,
) -> None:
    await action_redis.zadd(keys.AGENTS_ONLINE, {"ana": time.time()})
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker("my parcel never came", intent=intent),
                              domain())
    assert responses(dispatcher) == [f"utter_handoff_intro_{intent}", "utter_handoff_started"]


async def test_the_word_on_why_comes_before_an_honest_no_too(
    action_redis: aioredis.Redis,
) -> None:
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker("charged twice", intent="billing_problem"),
                              domain())
    assert responses(dispatcher) == ["utter_handoff_intro_billing_problem",
                                     "utter_handoff_nobody_online"]


async def test_a_conversation_goes_to_the_team_an_admin_routed_it_to(
    action_redis: aioredis.Redis,
) -> None:
    await action_redis.zadd(keys.AGENTS_ONLINE, {"ana": time.time()})
    await SettingsVersions(action_redis).save({"service": {"routing": {
        "by_intent": {"invoice": "front desk"}}}}, "admin", "Invoices to the front desk")
    await ActionHandoff().run(CollectingDispatcher(), tracker(
        "I need an invoice for my order", intent="invoice"), domain())
    state = await action_redis.hgetall(keys.handoff_state("test-customer"))
    assert state["team"] == "front desk"


async def test_a_left_message_becomes_a_ticket_with_the_context(
    action_redis: aioredis.Redis,
) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker("my parcel never came", slots={"ticket_message": "my parcel never came",
                                               "order_id": "482913"})
    await ActionCreateTicket().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_ticket_created", "utter_ticket_reply_in_chat"]
    [ticket] = await TicketStore(action_redis, 2000).with_status(OPEN, 10)
    # The customer hears the short reference, which finds the ticket.
    assert dispatcher.messages[0]["ticket_id"] == ticket.reference
    assert is_reference(ticket.reference)
    assert ticket.message == "my parcel never came" and ticket.email is None
    assert ticket.packet["slots"]["order_id"] == "482913"


async def test_an_email_the_customer_gave_goes_with_the_ticket(
    action_redis: aioredis.Redis,
) -> None:
    t = tracker("call me", slots={"ticket_message": "call me"})
    t.slots[TICKET_EMAIL_SLOT] = " jo@example.org "
    dispatcher = CollectingDispatcher()
    events = await ActionCreateTicket().run(dispatcher, t, domain())
    [ticket] = await TicketStore(action_redis, 2000).with_status(OPEN, 10)
    assert ticket.email == "jo@example.org"
    # The customer hears where the answer goes, with the address to catch a typo.
    assert responses(dispatcher) == ["utter_ticket_created", "utter_ticket_reply_by_email"]
    assert dispatcher.messages[1]["email"] == "jo@example.org"
    # The next message starts with a clean question.
    assert slot_events(events)[TICKET_EMAIL_SLOT] is None


async def test_without_an_email_the_bot_says_the_answer_comes_only_in_the_chat(
    action_redis: aioredis.Redis,
) -> None:
    t = tracker("no", intent="deny", slots={"ticket_message": "my parcel never came",
                                            TICKET_WITHOUT_EMAIL_SLOT: True})
    dispatcher = CollectingDispatcher()
    events = await ActionCreateTicket().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_ticket_created", "utter_ticket_reply_in_chat"]
    [ticket] = await TicketStore(action_redis, 2000).with_status(OPEN, 10)
    assert ticket.email is None
    assert slot_events(events)[TICKET_WITHOUT_EMAIL_SLOT] is None


async def test_the_email_the_channel_knows_goes_with_the_ticket_unasked(
    action_redis: aioredis.Redis,
) -> None:
    t = tracker("call me", slots={"ticket_message": "call me", "session_started_metadata": {
        "customer_email": "Jo@Example.org"}})
    dispatcher = CollectingDispatcher()
    await ActionCreateTicket().run(dispatcher, t, domain())
    [ticket] = await TicketStore(action_redis, 2000).with_status(OPEN, 10)
    assert ticket.email == "Jo@Example.org"
    assert responses(dispatcher) == ["utter_ticket_created", "utter_ticket_reply_by_email"]


@pytest.mark.parametrize("metadata", [{"customer_email": "jo at example"},
                                      {"customer_email": 42}, {"customer_email": ""},
                                      "jo@example.org", None])
async def test_session_metadata_without_a_usable_email_is_ignored(
    action_redis: aioredis.Redis, metadata: object,
) -> None:
    t = tracker("call me", slots={"ticket_message": "call me",
                                  "session_started_metadata": metadata})
    dispatcher = CollectingDispatcher()
    await ActionCreateTicket().run(dispatcher, t, domain())
    [ticket] = await TicketStore(action_redis, 2000).with_status(OPEN, 10)
    assert ticket.email is None
    assert responses(dispatcher) == ["utter_ticket_created", "utter_ticket_reply_in_chat"]


async def test_an_email_that_is_not_one_leaves_the_ticket_without_mail(
    action_redis: aioredis.Redis,
) -> None:
    """The message still reaches the team; only the mail cannot be sent."""
    t = tracker("call me", slots={"ticket_message": "call me"})
    t.slots[TICKET_EMAIL_SLOT] = "jo at example"
    dispatcher = CollectingDispatcher()
    await ActionCreateTicket().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_ticket_created", "utter_ticket_reply_in_chat"]
    [ticket] = await TicketStore(action_redis, 2000).with_status(OPEN, 10)
    assert ticket.email is None


@pytest.mark.parametrize("metadata, expected", [
    ({"customer_priority": 2}, 2), ({"customer_priority": 7}, 0),
    ({"customer_priority": "vip"}, 0), ({}, 0), (None, 0),
])
async def test_a_channel_may_mark_a_customer_as_priority(
    action_redis: aioredis.Redis, metadata: object, expected: int,
) -> None:
    await action_redis.zadd(keys.AGENTS_ONLINE, {"ana": time.time()})
    t = tracker("a person please", intent="request_human",
                slots={"session_started_metadata": metadata})
    await ActionHandoff().run(CollectingDispatcher(), t, domain())
    packet = json.loads(await action_redis.get(keys.handoff_packet("test-customer")))
    assert packet["customer_priority"] == expected


async def test_a_conversation_a_person_already_has_is_not_queued_again(
    action_redis: aioredis.Redis,
) -> None:
    await action_redis.zadd(keys.AGENTS_ONLINE, {"ana": time.time()})
    await action_redis.set(keys.conversation_owner("test-customer"), "agent:ana")
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, tracker("hello?", intent="request_human"),
                                       domain())
    assert dispatcher.messages == []  # the person answers, not the bot
    assert [e["event"] for e in events] == ["pause"]
    assert await action_redis.zcard(keys.HANDOFF_QUEUE) == 0
    assert await action_redis.get(keys.conversation_owner("test-customer")) == "agent:ana"


async def test_one_client_is_queued_only_so_often_then_offered_a_message(
    action_redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HANDOFFS_PER_HOUR", "2")
    await action_redis.zadd(keys.AGENTS_ONLINE, {"ana": time.time()})
    said = []
    for number in range(3):
        t = tracker("a person please", intent="request_human",
                    slots={"session_started_metadata": {"client": "same-address"}})
        t.sender_id = f"customer-{number}"
        dispatcher = CollectingDispatcher()
        await ActionHandoff().run(dispatcher, t, domain())
        said.append(responses(dispatcher))
    assert said[:2] == [["utter_handoff_started"]] * 2
    assert said[2] == ["utter_handoff_queue_full"]
    assert await action_redis.zcard(keys.HANDOFF_QUEUE) == 2
    assert 0 < await action_redis.ttl(keys.handoffs_by_client("same-address")) <= 3600
    other = tracker("a person please", intent="request_human",
                    slots={"session_started_metadata": {"client": "another-address"}})
    other.sender_id = "elsewhere"
    await ActionHandoff().run(CollectingDispatcher(), other, domain())
    assert await action_redis.zcard(keys.HANDOFF_QUEUE) == 3


async def test_one_client_leaves_only_so_many_messages_an_hour(
    action_redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TICKETS_PER_HOUR", "2")
    said = []
    for number in range(3):
        t = tracker("please call me back", slots={
            "ticket_message": f"message {number}",
            "session_started_metadata": {"client": "same-address"}})
        dispatcher = CollectingDispatcher()
        await ActionCreateTicket().run(dispatcher, t, domain())
        said.append(responses(dispatcher))
    assert said == [["utter_ticket_created", "utter_ticket_reply_in_chat"]] * 2 + [
        ["utter_ticket_too_many"]]
    assert await TicketStore(action_redis, 2000).count(OPEN) == 2
    assert 0 < await action_redis.ttl(keys.tickets_by_client("same-address")) <= 3600
