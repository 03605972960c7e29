"""The analytics' figures on hand-made conversations, cases and tickets whose answers are
worked out here by hand; filters; empty ranges; and the loader on records written to Redis."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

import pytest
import yaml
from redis import asyncio as aioredis

from router import keys
from router.agents.directory import AgentDirectory
from router.analytics import (
    Case,
    Conversation,
    Filters,
    Ticket,
    case_from_fields,
    conversation_rows,
    handoff_kind,
    load,
    percentile,
    report,
    sessions_from_tracker,
)
from router.handoff.packet import build_packet
from router.history_settings import RASA_KEEP_DAYS, RASA_KEEP_SECONDS
from router.scoring.scorer import ACCEPTED_OFFER, ASKED_FOR_A_PERSON, ONLY_A_PERSON, STILL_ON_IT
from router.service_levels import ServiceLevels

UTC = timezone.utc
DAY1 = datetime(2024, 3, 4, tzinfo=UTC).timestamp()
DAY2 = DAY1 + 86_400
DAY3 = DAY2 + 86_400
LEVELS = ServiceLevels(wait_target_seconds=300)
ALL = Filters(since=DAY1, until=DAY3 - 1)

CONVERSATIONS = [
    Conversation("c1", "socketio", (DAY1 + 100,), DAY1 + 900),
    Conversation("c2", "socketio", (DAY1 + 200,), DAY1 + 2000),
    Conversation("c3", "telegram", (DAY1 + 300,), DAY1 + 400),
    Conversation("c4", "socketio", (DAY2 + 100,), DAY2 + 5000),
    Conversation("c5", "telegram", (DAY2 + 200,), DAY2 + 300),
    Conversation("c6", "socketio", (DAY2 + 300,), DAY2 + 400),
    Conversation("c7", "rest", (DAY2 + 400,), DAY2 + 500),
    Conversation("c8", "socketio", (DAY2 + 500,), DAY2 + 600),
]
CASES = [
    # Claimed after 60 s, handled 600 s by ana, rated Great; 40 s with the bot first.
    Case("c1", "socketio", ASKED_FOR_A_PERSON, enqueued_at=DAY1 + 140, claimed_at=DAY1 + 200,
         ended_at=DAY1 + 800, outcome="resolved", team="billing", agent_id="ana", rating="5",
         talking_since=DAY1 + 100, agent_name="Ana Lima"),
    # Claimed after 400 s (past the target), handled 1000 s by bo, rated Okay.
    Case("c2", "socketio", f"{ONLY_A_PERSON} (item_damaged)", enqueued_at=DAY1 + 300,
         claimed_at=DAY1 + 700, ended_at=DAY1 + 1700, outcome="handed_back", team="billing",
         agent_id="bo", rating="3", talking_since=DAY1 + 200),
    # Nobody claimed it: became a ticket after 7200 s (abandoned past the target: missed).
    Case("c4", "socketio", "frustration 0.81 reached 0.60: said they are fed up",
         enqueued_at=DAY2 + 1000, ended_at=DAY2 + 8200, outcome="expired",
         talking_since=DAY2 + 100),
    # Let go after 100 s while waiting (abandoned before the target: in neither count).
    Case("c5", "telegram", ACCEPTED_OFFER, enqueued_at=DAY2 + 210, ended_at=DAY2 + 310,
         outcome="resolved", team="returns", talking_since=DAY2 + 200),
    # Claimed after 200 s, handled 300 s by ana, rated Not good.
    Case("c6", "socketio", STILL_ON_IT, enqueued_at=DAY2 + 320, claimed_at=DAY2 + 520,
         ended_at=DAY2 + 820, outcome="resolved", team="returns", agent_id="ana", rating="1",
         talking_since=DAY2 + 300),
]
TICKETS = [
    Ticket("PC-AAAAA", "c4", "socketio", DAY2 + 8200, answered_at=DAY2 + 9200),
    Ticket("PC-BBBBB", "c7", "rest", DAY2 + 450),
    Ticket("PC-CCCCC", "c3", "telegram", DAY1 + 350, answered_at=DAY1 + 3350),
]


def full(filters: Filters = ALL) -> dict:
    return report(CONVERSATIONS, CASES, TICKETS, filters, LEVELS, UTC)


def test_reasons_are_grouped_as_people_say_them() -> None:
    assert handoff_kind(ASKED_FOR_A_PERSON) == "asked_for_a_person"
    assert handoff_kind(f"{ONLY_A_PERSON} (billing_problem)") == "only_a_person_can_solve"
    assert handoff_kind(STILL_ON_IT) == "only_a_person_can_solve"
    assert handoff_kind(ACCEPTED_OFFER) == "accepted_offer"
    assert handoff_kind("frustration 0.7 reached 0.6") == "frustration"
    assert handoff_kind("something new") == handoff_kind(None) == "other"


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([4, 1, 3, 2], 0.5) == 2
    assert percentile([4, 1, 3, 2], 0.95) == 4
    assert percentile([7], 0.5) == 7
    assert percentile([], 0.5) is None


def test_containment_counts_conversations_nobody_had_to_step_into() -> None:
    # c1, c2, c4, c5, c6 were handed off, c3 and c7 left tickets: only c8 stayed with the bot.
    assert full()["conversations"] == {"total": 8, "contained": 1, "containment": 0.125}


def test_handoffs_and_rates_by_reason_channel_team_and_day() -> None:
    handoffs = full()["handoffs"]
    assert handoffs["total"] == 5 and handoffs["rate"] == 0.625
    by_reason = {r["kind"]: (r["handoffs"], r["rate"]) for r in handoffs["by_reason"]}
    assert by_reason == {"asked_for_a_person": (1, 0.125), "only_a_person_can_solve": (2, 0.25),
                         "accepted_offer": (1, 0.125), "frustration": (1, 0.125),
                         "other": (0, 0.0)}
    by_channel = {c["channel"]: (c["conversations"], c["handoffs"], c["rate"])
                  for c in handoffs["by_channel"]}
    assert by_channel == {"socketio": (5, 4, 0.8), "telegram": (2, 1, 0.5), "rest": (1, 0, 0.0)}
    assert {c["channel"]: c["label"] for c in handoffs["by_channel"]}["socketio"] == "web chat"
    by_team = {t["team"]: (t["handoffs"], t["rate"]) for t in handoffs["by_team"]}
    assert by_team == {None: (1, 0.125), "billing": (2, 0.25), "returns": (2, 0.25)}
    day1, day2 = handoffs["by_day"]
    assert (day1["day"], day1["conversations"], day1["handoffs"]) == ("2024-03-04", 3, 2)
    assert day1["by_reason"] == {"asked_for_a_person": 1, "only_a_person_can_solve": 1,
                                 "accepted_offer": 0, "frustration": 0, "other": 0}
    assert (day2["day"], day2["conversations"], day2["handoffs"]) == ("2024-03-05", 5, 3)
    # The rate over time: each day's handoffs per conversation begun that day.
    assert (day1["rate"], day2["rate"]) == (0.6667, 0.6)
    assert day2["by_reason"]["frustration"] == day2["by_reason"]["accepted_offer"] == 1


def test_time_with_the_bot_wait_abandonment_and_handle_time() -> None:
    figures = full()
    # With the bot: 40, 100, 900, 10, 20 s before the handoff.
    assert figures["time_with_bot"] == {"count": 5, "p50_seconds": 40.0, "p95_seconds": 900.0}
    wait = figures["queue_wait"]
    # Claimed after 60, 400, 200 s; the two never claimed are not waits.
    assert (wait["count"], wait["p50_seconds"], wait["p95_seconds"]) == (3, 200.0, 400.0)
    assert [(d["day"], d["count"], d["p50_seconds"]) for d in wait["by_day"]] == \
        [("2024-03-04", 2, 60.0), ("2024-03-05", 1, 200.0)]
    assert figures["abandonment"] == {"abandoned": 2, "expired": 1, "released_while_waiting": 1,
                                      "handoffs": 5, "share": 0.4}
    handle = figures["handle_time"]
    assert (handle["count"], handle["p50_seconds"], handle["p95_seconds"]) == (3, 600.0, 1000.0)
    assert {a["agent_id"]: (a["count"], a["p50_seconds"]) for a in handle["by_agent"]} == \
        {"ana": (2, 300.0), "bo": (1, 1000.0)}
    # Named as the team knows them (from any of their cases), else by their id.
    assert {a["agent_id"]: a["name"] for a in handle["by_agent"]} == \
        {"ana": "Ana Lima", "bo": "bo"}


def test_the_service_level_counts_claims_within_the_target() -> None:
    level = full()["service_level"]
    # Met: c1 (60 s), c6 (200 s). Missed: c2 (400 s), c4 (abandoned after 7200 s). c5 left
    # after 100 s: nobody could have met or missed it.
    assert (level["wait_target_seconds"], level["met"], level["counted"], level["share"]) == \
        (300, 2, 4, 0.5)
    assert [(d["met"], d["counted"]) for d in level["by_day"]] == [(1, 2), (1, 2)]
    stricter = report(CONVERSATIONS, CASES, TICKETS, ALL, ServiceLevels(50), UTC)
    assert stricter["service_level"]["met"] == 0
    assert stricter["service_level"]["counted"] == 5   # c5's 100 s wait is now past it


def test_tickets_and_csat() -> None:
    figures = full()
    assert figures["tickets"] == {"opened": 3, "answered": 2, "median_answer_seconds": 1000.0}
    assert figures["csat"] == {"count": 3, "great": 1, "share_great": 0.3333, "mean": 3.0}


def test_a_channel_filter_keeps_that_channel_only() -> None:
    figures = full(Filters(ALL.since, ALL.until, channel="telegram"))
    assert figures["conversations"] == {"total": 2, "contained": 0, "containment": 0.0}
    assert figures["handoffs"]["total"] == 1 and figures["handoffs"]["rate"] == 0.5
    assert figures["tickets"]["opened"] == 1
    assert figures["csat"]["count"] == 0 and figures["csat"]["mean"] is None


def test_a_team_filter_keeps_that_teams_handoffs_and_leaves_out_what_has_no_team() -> None:
    figures = full(Filters(ALL.since, ALL.until, team="returns"))
    assert figures["handoffs"]["total"] == 2 and figures["handoffs"]["rate"] is None
    assert figures["conversations"] is None and figures["tickets"] is None
    assert figures["handle_time"]["by_agent"] == [
        {"agent_id": "ana", "name": "ana", "count": 1, "p50_seconds": 300.0,
         "p95_seconds": 300.0}]
    # Per day, the team's handoffs have no rate: conversations have no team.
    assert [d["rate"] for d in figures["handoffs"]["by_day"]] == [None, None]
    rows = conversation_rows(CONVERSATIONS, CASES, TICKETS,
                             Filters(ALL.since, ALL.until, team="returns"), UTC)
    assert [r["conversation_id"] for r in rows] == ["c5", "c6"]


def test_a_date_range_keeps_what_began_in_it() -> None:
    figures = full(Filters(DAY2, DAY3 - 1))
    assert figures["conversations"]["total"] == 5
    assert figures["handoffs"]["total"] == 3
    assert figures["range"]["days"] == ["2024-03-05"]


def test_an_empty_range_has_zeros_and_no_made_up_figures() -> None:
    figures = report(CONVERSATIONS, CASES, TICKETS, Filters(DAY3 + 10 * 86_400,
                                                            DAY3 + 11 * 86_400), LEVELS, UTC)
    assert figures["conversations"] == {"total": 0, "contained": 0, "containment": None}
    assert figures["handoffs"]["total"] == 0 and figures["handoffs"]["rate"] is None
    assert figures["queue_wait"]["p50_seconds"] is None
    assert figures["service_level"]["share"] is None
    assert figures["csat"] == {"count": 0, "great": 0, "share_great": None, "mean": None}
    assert len(figures["handoffs"]["by_day"]) == 2
    assert report([], [], [], ALL, LEVELS, UTC)["tickets"]["median_answer_seconds"] is None


def test_days_follow_the_time_zone_given() -> None:
    # 02:00 UTC on 5 March is still 4 March in Los Angeles.
    late = Case("x", "socketio", ASKED_FOR_A_PERSON, enqueued_at=DAY2 + 7200,
                claimed_at=DAY2 + 7260, ended_at=DAY2 + 7300, outcome="resolved")
    zone = ZoneInfo("America/Los_Angeles")
    figures = report([], [late], [], Filters(DAY1 + 12 * 3600, DAY3), LEVELS, zone)
    counts = {d["day"]: d["handoffs"] for d in figures["handoffs"]["by_day"]}
    assert counts["2024-03-04"] == 1 and counts["2024-03-05"] == 0


def test_a_handoff_whose_conversation_rasa_no_longer_keeps_still_counts() -> None:
    figures = report([], CASES[:1], [], ALL, LEVELS, UTC)
    assert figures["conversations"] == {"total": 1, "contained": 0, "containment": 0.0}
    assert figures["handoffs"]["rate"] == 1.0


def test_one_row_per_conversation_with_its_handoff() -> None:
    rows = {r["conversation_id"]: r for r in
            conversation_rows(CONVERSATIONS, CASES, TICKETS, ALL, UTC)}
    assert len(rows) == 8
    assert rows["c2"] == {"conversation_id": "c2", "channel": "socketio",
                          "started": "2024-03-04T00:03:20+00:00",
                          "ended": "2024-03-04T00:33:20+00:00", "handed_off": "y",
                          "reason_kind": "only_a_person_can_solve", "team": "billing",
                          "waited_seconds": "400", "handled_seconds": "1000", "agent": "bo",
                          "outcome": "handed_back", "rating": "3"}
    assert rows["c4"]["handled_seconds"] == "" and rows["c4"]["waited_seconds"] == "7200"
    assert rows["c8"]["handed_off"] == "n" and rows["c8"]["reason_kind"] == ""


async def test_load_reads_trackers_cases_and_tickets_from_redis(redis: aioredis.Redis) -> None:
    tracker = {"events": [
        {"event": "action", "timestamp": DAY1 + 10, "name": "action_session_start"},
        {"event": "session_started", "timestamp": DAY1 + 10},
        {"event": "user", "timestamp": DAY1 + 20, "text": "hi", "input_channel": "telegram"},
        {"event": "bot", "timestamp": DAY1 + 30, "text": "hello"},
        # Back after the session expired, on the web chat: a second conversation.
        {"event": "session_started", "timestamp": DAY1 + 5000},
        {"event": "user", "timestamp": DAY1 + 5010, "text": "me again",
         "input_channel": "socketio"},
        {"event": "user", "timestamp": DAY1 + 5050, "text": "hello?",
         "input_channel": "socketio"},
        {"event": "action", "timestamp": DAY1 + 5060, "name": "action_listen"}], "name": "t1"}
    old = {"events": [{"event": "user", "timestamp": DAY1 - 10 * 86_400, "text": "hi",
                       "input_channel": "socketio"}], "name": "t0"}
    await redis.set(keys.rasa_tracker("t1"), json.dumps(tracker))
    await redis.set(keys.rasa_tracker("t0"), json.dumps(old))
    packet = {"channel": "telegram", "reason": ASKED_FOR_A_PERSON, "talking_since": DAY1 + 20,
              "transcript": [{"from": "customer", "text": "hi", "timestamp": DAY1 + 20}]}
    await redis.hset(keys.history_case("1"), mapping={
        "case_id": "1", "conversation_id": "t1", "packet": json.dumps(packet),
        "enqueued_at": DAY1 + 40, "claimed_at": DAY1 + 100, "ended_at": DAY1 + 400,
        "outcome": "resolved", "team": "", "agent_id": "ana", "rating": "5", "lines": "[]"})
    await redis.zadd(keys.HISTORY_CASES, {"1": DAY1 + 400})
    await redis.hset(keys.ticket("PC-AAAAA"), mapping={
        "reference": "PC-AAAAA", "conversation_id": "t1", "packet": json.dumps(packet),
        "status": "answered", "created_at": DAY1 + 500, "answered_at": DAY1 + 800})
    await redis.zadd(keys.tickets_with_status("answered"), {"PC-AAAAA": DAY1 + 500})

    records = await load(redis, DAY1, DAY2)
    assert records.conversations == [
        Conversation("t1", "telegram", (DAY1 + 20,), DAY1 + 30),
        Conversation("t1", "socketio", (DAY1 + 5010, DAY1 + 5050), DAY1 + 5060)]
    assert records.cases == [Case("t1", "telegram", ASKED_FOR_A_PERSON, DAY1 + 40, DAY1 + 400,
                                  "resolved", DAY1 + 100, "", "ana", "5", DAY1 + 20)]
    # Once the agent has an account, the case carries the name the team knows them by.
    await AgentDirectory(redis).create("ana", "Ana Lima", "a long password for ana")
    named = await load(redis, DAY1, DAY2)
    assert [c.agent_name for c in named.cases] == ["Ana Lima"]
    assert records.tickets == [Ticket("PC-AAAAA", "t1", "telegram", DAY1 + 500, DAY1 + 800,
                                      said_at=DAY1 + 20)]


@pytest.mark.parametrize("raw", ["", "0", "9", "abc", "300.5", "86401"])
def test_a_wrong_service_level_target_is_refused_with_its_range(raw: str) -> None:
    if raw == "":
        assert ServiceLevels.from_env({"SLA_WAIT_SECONDS": raw}).wait_target_seconds == 300
        return
    with pytest.raises(ValueError, match="SLA_WAIT_SECONDS must be a whole number of seconds"):
        ServiceLevels.from_env({"SLA_WAIT_SECONDS": raw})


# --- Conversations are Rasa sessions --------------------------------------------------------

def said(at: float, text: str = "hi", channel: str = "socketio") -> Dict[str, Any]:
    return {"event": "user", "timestamp": at, "text": text, "input_channel": channel}


def session_start(at: float) -> List[Dict[str, Any]]:
    return [{"event": "action", "timestamp": at, "name": "action_session_start"},
            {"event": "session_started", "timestamp": at}]


def stored(conversation_id: str, events: List[Dict[str, Any]]) -> List[Conversation]:
    return sessions_from_tracker(conversation_id,
                                 json.dumps({"events": events, "name": conversation_id}))


JAN1 = datetime(2024, 1, 1, 12, tzinfo=UTC).timestamp()
FEB1 = datetime(2024, 2, 1, tzinfo=UTC).timestamp()
MAR1 = datetime(2024, 3, 1, tzinfo=UTC).timestamp()


def test_a_customer_who_came_back_months_later_is_not_a_conversation_in_between() -> None:
    # Talked on 1 January and again on 1 March: nothing happened in February.
    sessions = stored("c", [*session_start(JAN1), said(JAN1 + 5),
                            *session_start(MAR1 + 3600), said(MAR1 + 3605)])
    assert [s.said_at for s in sessions] == [(JAN1 + 5,), (MAR1 + 3605,)]
    february = report(sessions, [], [], Filters(FEB1, MAR1 - 1), LEVELS, UTC)
    assert february["conversations"] == {"total": 0, "contained": 0, "containment": None}
    # 29 February and 1 March: counted on the day of the customer's first message (1 March),
    # not on the day the range begins.
    leap = report(sessions, [], [], Filters(MAR1 - 86_400, MAR1 + 86_400 - 1), LEVELS, UTC)
    assert leap["conversations"]["total"] == 1
    assert [d["conversations"] for d in leap["handoffs"]["by_day"]] == [0, 1]


def test_a_session_counts_on_the_day_of_the_first_message_in_the_range() -> None:
    # Began ten minutes before the range and went on past midnight: in the range, on its
    # first day; one that ended before the range is not.
    sessions = stored("c", [*session_start(DAY1 - 600), said(DAY1 - 590), said(DAY1 + 100)])
    sessions += stored("d", [*session_start(DAY1 - 900), said(DAY1 - 890)])
    case = Case("c", "socketio", ASKED_FOR_A_PERSON, enqueued_at=DAY1 + 120,
                ended_at=DAY1 + 500, outcome="resolved", claimed_at=DAY1 + 130)
    figures = report(sessions, [case], [], Filters(DAY1, DAY3 - 1), LEVELS, UTC)
    assert [(d["conversations"], d["handoffs"], d["rate"]) for d in
            figures["handoffs"]["by_day"]] == [(1, 1, 1.0), (0, 0, None)]


def test_a_handoff_belongs_to_the_session_it_happened_in() -> None:
    # Two sessions the same day; a person was needed in the second only.
    sessions = stored("c", [*session_start(DAY1 + 100), said(DAY1 + 110),
                            *session_start(DAY1 + 9000), said(DAY1 + 9010, channel="telegram")])
    case = Case("c", "telegram", ASKED_FOR_A_PERSON, enqueued_at=DAY1 + 9020,
                ended_at=DAY1 + 9500, outcome="resolved", claimed_at=DAY1 + 9030)
    figures = report(sessions, [case], [], ALL, LEVELS, UTC)
    assert figures["conversations"] == {"total": 2, "contained": 1, "containment": 0.5}
    rows = conversation_rows(sessions, [case], [], ALL, UTC)
    assert [(r["channel"], r["handed_off"]) for r in rows] == [("socketio", "n"),
                                                               ("telegram", "y")]
    # A ticket left in the first session (by its story's latest line) marks that one.
    ticket = Ticket("PC-AAAAA", "c", "socketio", DAY1 + 9600, said_at=DAY1 + 110)
    both = report(sessions, [case], [ticket], ALL, LEVELS, UTC)
    assert both["conversations"]["contained"] == 0


def test_a_session_the_customer_never_wrote_in_is_no_conversation() -> None:
    assert stored("c", [*session_start(DAY1), {"event": "bot", "timestamp": DAY1 + 1,
                                              "text": "Hello!"}]) == []
    assert sessions_from_tracker("c", "not json") == []


# --- What Rasa no longer keeps --------------------------------------------------------------

def test_rasas_retention_is_the_one_in_endpoints_yml() -> None:
    endpoints = yaml.safe_load(Path("endpoints.yml").read_text())
    assert endpoints["tracker_store"]["record_exp"] == RASA_KEEP_SECONDS
    assert RASA_KEEP_SECONDS == RASA_KEEP_DAYS * 86_400


def test_days_rasa_no_longer_keeps_have_no_conversation_figures() -> None:
    # Rasa keeps everything since noon of the second day: the second day is not whole.
    figures = report(CONVERSATIONS, CASES, TICKETS, ALL, LEVELS, UTC,
                     kept_since=DAY2 + 12 * 3600)
    assert figures["range"]["conversations_kept_from"] == "2024-03-06"
    assert figures["range"]["conversations_kept_days"] == RASA_KEEP_DAYS
    assert figures["conversations"] is None
    handoffs = figures["handoffs"]
    assert handoffs["rate"] is None and handoffs["total"] == 5
    assert {r["rate"] for r in handoffs["by_reason"]} == {None}
    assert {(c["conversations"], c["rate"]) for c in handoffs["by_channel"]} == {(None, None)}
    assert [(d["conversations"], d["rate"], d["handoffs"]) for d in handoffs["by_day"]] == \
        [(None, None, 2), (None, None, 3)]
    # What rests on the handoffs and tickets is still there.
    assert figures["queue_wait"]["count"] == 3 and figures["csat"]["count"] == 3
    assert figures["tickets"]["opened"] == 3 and figures["handle_time"]["count"] == 3


def test_a_range_partly_kept_has_the_kept_days_only() -> None:
    figures = report(CONVERSATIONS, CASES, TICKETS, ALL, LEVELS, UTC, kept_since=DAY2)
    assert figures["range"]["conversations_kept_from"] == "2024-03-05"
    assert figures["conversations"] is None and figures["handoffs"]["rate"] is None
    assert [(d["conversations"], d["rate"]) for d in figures["handoffs"]["by_day"]] == \
        [(None, None), (5, 0.6)]
    kept = report(CONVERSATIONS, CASES, TICKETS, ALL, LEVELS, UTC, kept_since=DAY1)
    assert kept["conversations"]["total"] == 8 and kept["handoffs"]["rate"] == 0.625


# --- Time with the bot before a handoff -----------------------------------------------------

def _case_from(packet: Dict[str, Any], enqueued: float) -> Case:
    case = case_from_fields({"conversation_id": packet["conversation_id"],
                             "packet": json.dumps(packet), "enqueued_at": str(enqueued),
                             "ended_at": str(enqueued + 600), "outcome": "resolved"})
    assert case is not None
    return case


def test_time_with_the_bot_starts_at_the_latest_fresh_start() -> None:
    events = [*session_start(JAN1), said(JAN1 + 10, "where is my order"),
              {"event": "bot", "timestamp": JAN1 + 11, "text": "It ships today."},
              *session_start(MAR1), said(MAR1 + 20, "it never came"),
              {"event": "bot", "timestamp": MAR1 + 21, "text": "Sorry to hear that."},
              said(MAR1 + 80, "a person please")]
    packet = build_packet("c-2", events, {}, "socketio", ASKED_FOR_A_PERSON, None,
                          now=MAR1 + 90)
    assert packet["transcript"][0]["timestamp"] == JAN1 + 10   # the packet keeps it all
    assert _case_from(packet, MAR1 + 90).with_bot == 70.0
    # Handed back, then handed off again: the bot's part starts after the hand back.
    later = events + [{"event": "resume", "timestamp": MAR1 + 900},
                      said(MAR1 + 950, "still not here"), said(MAR1 + 1000, "person!")]
    again = build_packet("c-2", later, {}, "socketio", ASKED_FOR_A_PERSON, None,
                         now=MAR1 + 1010)
    assert _case_from(again, MAR1 + 1010).with_bot == 60.0


def test_a_packet_from_before_the_mark_has_no_time_with_the_bot() -> None:
    packet = {"conversation_id": "c", "transcript": [
        {"from": "customer", "text": "hi", "timestamp": JAN1}]}
    assert _case_from(packet, MAR1).with_bot is None


def test_a_customer_put_back_in_line_waited_only_until_the_first_claim() -> None:
    """Ana took it after a minute, transferred it to billing 20 minutes later, and Bo took it
    two minutes after that: the customer waited one minute for a person (the target met),
    and Bo handled the last five."""
    transferred = Case("t1", "socketio", ASKED_FOR_A_PERSON, enqueued_at=DAY1,
                       first_claimed_at=DAY1 + 60, claimed_at=DAY1 + 1380,
                       ended_at=DAY1 + 1680, outcome="resolved", agent_id="bo")
    assert transferred.waited == 60 and transferred.handled == 300
    stored = case_from_fields({"conversation_id": "t1", "packet": "{}",
                               "enqueued_at": str(DAY1), "first_claimed_at": str(DAY1 + 60),
                               "claimed_at": str(DAY1 + 1380), "ended_at": str(DAY1 + 1680),
                               "outcome": "resolved"})
    assert stored is not None and stored.waited == 60
