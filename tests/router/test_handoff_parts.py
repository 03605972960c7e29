"""The handoff packet, availability rules and the Redis queue."""

import json
from datetime import datetime, time

import pytest
from redis import asyncio as aioredis

from router import keys
from router.handoff.availability import DEFAULT_HOURS, check
from router.handoff.packet import build_packet, transcript
from router.handoff.queue import HandoffQueue
from router.service_settings import ServiceSettings
from router.tickets import TicketStore

EVENTS = [
    {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "where is order 482913", "timestamp": 1.0,
     "parse_data": {"intent": {"name": "order_status", "confidence": 0.8},
                    "sentiment": {"score": 0.0, "label": "neutral"}}},
    {"event": "slot", "name": "frustration", "value": {"score": 0.0, "handoff": False}},
    {"event": "bot", "text": "Order 482913 shipped", "timestamp": 2.0,
     "metadata": {"utter_action": "utter_order_status_shipped"}},
    {"event": "user", "text": "useless!! get me a human", "timestamp": 3.0,
     "parse_data": {"intent": {"name": "request_human", "confidence": 0.9},
                    "sentiment": {"score": -0.6}}},
    {"event": "slot", "name": "frustration", "value": {"score": 0.7, "handoff": True}},
]
SLOTS = {"order_id": "482913", "frustration": {"score": 0.7}, "requested_slot": None,
         "product": None}


def test_the_transcript_pairs_each_customer_line_with_its_assessment() -> None:
    lines = transcript(EVENTS)
    assert [line["from"] for line in lines] == ["customer", "bot", "customer"]
    assert lines[0]["assessment"] == {"score": 0.0, "handoff": False}
    assert lines[2]["assessment"]["handoff"] is True
    assert lines[2]["sentiment"] == -0.6
    assert lines[1]["response"] == "utter_order_status_shipped"


def test_a_persons_lines_from_an_earlier_handoff_stay_theirs() -> None:
    events = EVENTS + [{"event": "bot", "text": "Hi, Sam here", "timestamp": 4.0,
                        "metadata": {"agent_name": "Sam", "agent_id": "sam"}}]
    last = transcript(events)[-1]
    assert (last["from"], last["agent_name"]) == ("agent", "Sam")


def test_the_packet_has_the_case_the_story_and_a_summary() -> None:
    packet = build_packet("c-1", EVENTS, SLOTS, "socketio", "customer asked for a person",
                          {"score": 0.7}, now=100.0)
    assert packet["conversation_id"] == "c-1" and packet["channel"] == "socketio"
    assert packet["slots"] == {"order_id": "482913", "product": None}  # bookkeeping left out
    assert packet["summary"]["customer_wants"] == "order_status"
    assert packet["summary"]["bot_tried"] == ["utter_order_status_shipped"]
    assert packet["summary"]["known_facts"] == {"order_id": "482913"}
    assert packet["summary"]["first_message"] == "where is order 482913"


def test_hours() -> None:
    hours = ServiceSettings(hours=dict(DEFAULT_HOURS))
    monday_noon = datetime(2026, 11, 23, 12, 0)
    sunday_noon = datetime(2026, 11, 22, 12, 0)
    saturday_evening = datetime(2026, 11, 28, 15, 0)
    assert hours.open_at(monday_noon)
    assert not hours.open_at(sunday_noon)
    assert not hours.open_at(saturday_evening)
    assert ServiceSettings(hours=None).open_at(sunday_noon)  # around the clock
    assert ServiceSettings(hours={0: (time(8), time(9))}).open_at(datetime(2026, 11, 23, 8, 0))
    # A holiday is closed whatever the hours say.
    assert not ServiceSettings(hours=None, holidays=(monday_noon.date(),)).open_at(monday_noon)


@pytest.mark.parametrize("agents, queued, expected", [
    (2, 0, None), (0, 0, "utter_handoff_nobody_online"), (2, 20, "utter_handoff_queue_full"),
])
def test_availability(agents: int, queued: int, expected: str) -> None:
    result = check(True, agents, queued, 20)
    assert result.available is (expected is None)
    assert result.reason == expected


def test_closed_comes_first() -> None:
    assert check(False, 5, 0, 20).reason == "utter_handoff_closed"


async def test_only_recent_heartbeats_count_as_online(redis: aioredis.Redis) -> None:
    await redis.zadd(keys.AGENTS_ONLINE, {"ana": 1000.0, "ben": 800.0})
    assert await HandoffQueue(redis).agents_online(now=1030.0) == 1


async def test_tickets_keep_the_packet(redis: aioredis.Redis) -> None:
    packet = build_packet("c-9", EVENTS, SLOTS, "rest", "left a message", None, now=5.0)
    ticket = await TicketStore(redis, 2000).create(packet, "please call me")
    stored = await TicketStore(redis, 2000).get(ticket.reference)
    assert stored.message == "please call me" and stored.conversation_id == "c-9"
    assert stored.packet["transcript"] == json.loads(json.dumps(packet["transcript"]))


async def test_a_ticket_whatever_its_text_holds_is_kept(redis: aioredis.Redis) -> None:
    """A channel we did not write may pass a lone surrogate through: it cannot stop a ticket."""
    events = [{"event": "user", "text": "broken \ud800 text", "parse_data": {}}]
    packet = build_packet("c-10", events, SLOTS, "telegram", "left a message", None, now=5.0)
    ticket = await TicketStore(redis, 2000).create(packet, "call me \udfff please")
    fields = await redis.hgetall(keys.ticket(ticket.reference))
    assert fields["message"] == "call me \ufffd please"
    assert json.loads(fields["packet"])["transcript"][0]["text"] == "broken \ufffd text"


async def test_unknown_conversations_have_no_packet(redis: aioredis.Redis) -> None:
    queue = HandoffQueue(redis)
    assert await queue.packet("nobody") is None
    assert await queue.owner("nobody") is None


def test_routing_by_what_the_customer_wanted_then_by_the_strongest_signal() -> None:
    from router.handoff.routing import Routes, team_for

    table = Routes(by_intent={"refund_status": "billing"}, by_signal={"insult": "senior"})
    refund = {"summary": {"customer_wants": "refund_status"},
              "assessment": {"contributions": {"insult": 0.45}}}
    rude = {"summary": {"customer_wants": "order_status"},
            "assessment": {"contributions": {"insult": 0.45, "sentiment": 0.2}}}
    calm = {"summary": {"customer_wants": None}, "assessment": {"contributions": {}}}
    assert team_for(refund, table) == "billing"
    assert team_for(rude, table) == "senior"
    assert team_for(calm, table) is None
    assert team_for(calm) is None  # the shipped file loads
