"""The analytics' figures on hand-made conversations, cases and tickets whose answers are
worked out here by hand; filters; empty ranges; and the loader on records written to Redis."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from redis import asyncio as aioredis

from router import keys
from router.agents.directory import AgentDirectory
from router.analytics import (
    Case,
    Conversation,
    Filters,
    Ticket,
    conversation_rows,
    handoff_kind,
    load,
    percentile,
    report,
)
from router.scoring.scorer import ACCEPTED_OFFER, ASKED_FOR_A_PERSON, ONLY_A_PERSON, STILL_ON_IT
from router.service_levels import ServiceLevels

UTC = timezone.utc
DAY1 = datetime(2024, 3, 4, tzinfo=UTC).timestamp()
DAY2 = DAY1 + 86_400
DAY3 = DAY2 + 86_400
LEVELS = ServiceLevels(wait_target_seconds=300)
ALL = Filters(since=DAY1, until=DAY3 - 1)

CONVERSATIONS = [
    Conversation("c1", "socketio", DAY1 + 100, DAY1 + 900),
    Conversation("c2", "socketio", DAY1 + 200, DAY1 + 2000),
    Conversation("c3", "telegram", DAY1 + 300, DAY1 + 400),
    Conversation("c4", "socketio", DAY2 + 100, DAY2 + 5000),
    Conversation("c5", "telegram", DAY2 + 200, DAY2 + 300),
    Conversation("c6", "socketio", DAY2 + 300, DAY2 + 400),
    Conversation("c7", "rest", DAY2 + 400, DAY2 + 500),
    Conversation("c8", "socketio", DAY2 + 500, DAY2 + 600),
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
        {"event": "user", "timestamp": DAY1 + 20, "text": "hi", "input_channel": "telegram"},
        {"event": "bot", "timestamp": DAY1 + 30, "text": "hello"}], "name": "t1"}
    old = {"events": [{"event": "user", "timestamp": DAY1 - 10 * 86_400, "text": "hi",
                       "input_channel": "socketio"}], "name": "t0"}
    await redis.set(keys.rasa_tracker("t1"), json.dumps(tracker))
    await redis.set(keys.rasa_tracker("t0"), json.dumps(old))
    packet = {"channel": "telegram", "reason": ASKED_FOR_A_PERSON,
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
    assert records.conversations == [Conversation("t1", "telegram", DAY1 + 10, DAY1 + 30)]
    assert records.cases == [Case("t1", "telegram", ASKED_FOR_A_PERSON, DAY1 + 40, DAY1 + 400,
                                  "resolved", DAY1 + 100, "", "ana", "5", DAY1 + 20)]
    # Once the agent has an account, the case carries the name the team knows them by.
    await AgentDirectory(redis).create("ana", "Ana Lima", "a long password for ana")
    named = await load(redis, DAY1, DAY2)
    assert [c.agent_name for c in named.cases] == ["Ana Lima"]
    assert records.tickets == [Ticket("PC-AAAAA", "t1", "telegram", DAY1 + 500, DAY1 + 800)]


@pytest.mark.parametrize("raw", ["", "0", "9", "abc", "300.5", "86401"])
def test_a_wrong_service_level_target_is_refused_with_its_range(raw: str) -> None:
    if raw == "":
        assert ServiceLevels.from_env({"SLA_WAIT_SECONDS": raw}).wait_target_seconds == 300
        return
    with pytest.raises(ValueError, match="SLA_WAIT_SECONDS must be a whole number of seconds"):
        ServiceLevels.from_env({"SLA_WAIT_SECONDS": raw})
