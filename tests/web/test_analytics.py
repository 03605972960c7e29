"""GET /api/admin/analytics and its CSV on conversations, cases and tickets written into the
test Redis as the bot, the queue and the ticket store write them; bad ranges and filters are
refused with a message; agents who are not admins are refused; and the service-level alert
in an admin's queue snapshot (and not in an agent's)."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from redis import asyncio as aioredis

from router import keys
from router.history_settings import RASA_KEEP_DAYS
from router.scoring.scorer import ASKED_FOR_A_PERSON, ONLY_A_PERSON
from tests.web.conftest import make_agent, sign_in, waiting_customer
from webapp.analytics import last_days

URL = "/api/admin/analytics"
CSV_URL = "/api/admin/analytics/conversations.csv"
DAY = 86_400.0
# Noon two days ago: well inside the default range (the last 30 days), away from midnight.
START = (time.time() // DAY - 2) * DAY + 12 * 3600


async def tracker(redis: aioredis.Redis, conversation_id: str, channel: str, start: float,
                  end: float) -> None:
    """A conversation as Rasa's tracker store keeps it: one session."""
    events = [{"event": "session_started", "timestamp": start - 1},
              {"event": "user", "timestamp": start, "text": "hello", "input_channel": channel},
              {"event": "bot", "timestamp": end, "text": "hi"}]
    await redis.set(keys.rasa_tracker(conversation_id),
                    json.dumps({"events": events, "name": conversation_id}))


async def case(redis: aioredis.Redis, number: int, conversation_id: str, reason: str,
               enqueued: float, ended: float, outcome: str, claimed: Optional[float] = None,
               agent_id: str = "", team: str = "", rating: str = "") -> None:
    """An ended handoff as release.lua keeps it."""
    packet = {"conversation_id": conversation_id, "channel": "socketio", "reason": reason,
              "transcript": [{"from": "customer", "text": "hello", "timestamp": enqueued - 30}],
              "talking_since": enqueued - 30}
    fields: Dict[str, Any] = {"case_id": number, "conversation_id": conversation_id,
                              "packet": json.dumps(packet), "enqueued_at": enqueued,
                              "ended_at": ended, "outcome": outcome, "team": team,
                              "agent_id": agent_id, "rating": rating, "lines": "[]"}
    if claimed is not None:
        fields["claimed_at"] = claimed
    await redis.hset(keys.history_case(str(number)), mapping=fields)
    await redis.zadd(keys.HISTORY_CASES, {str(number): ended})


async def stored_story(redis: aioredis.Redis) -> None:
    """Three web chats: one stays with the bot, one is claimed after 60 s by ana and rated
    Great, one waits 600 s (past the 300 s target) for bo and is rated Not good."""
    await tracker(redis, "calm", "socketio", START, START + 100)
    await tracker(redis, "quick", "socketio", START + 200, START + 1000)
    await tracker(redis, "slow", "socketio", START + 300, START + 2000)
    await case(redis, 1, "quick", ASKED_FOR_A_PERSON, START + 230, START + 900, "resolved",
               claimed=START + 290, agent_id="ana", team="billing", rating="5")
    await case(redis, 2, "slow", f"{ONLY_A_PERSON} (item_damaged)", START + 330,
               START + 1900, "handed_back", claimed=START + 930, agent_id="bo", rating="1")


async def admin(api: TestClient, redis: aioredis.Redis) -> Dict[str, str]:
    await make_agent(redis, "boss", role="admin")
    return await sign_in(api, "boss")


async def test_an_admin_sees_every_figure_computed_from_what_is_stored(
        api: TestClient, redis: aioredis.Redis) -> None:
    await stored_story(redis)
    reply = await api.get(URL, headers=await admin(api, redis))
    assert reply.status == 200, await reply.text()
    figures = await reply.json()
    assert figures["conversations"] == {"total": 3, "contained": 1, "containment": 0.3333}
    assert figures["handoffs"]["total"] == 2 and figures["handoffs"]["rate"] == 0.6667
    assert {r["kind"]: r["handoffs"] for r in figures["handoffs"]["by_reason"]} == {
        "asked_for_a_person": 1, "only_a_person_can_solve": 1, "accepted_offer": 0,
        "frustration": 0, "other": 0}
    assert figures["queue_wait"]["p50_seconds"] == 60.0
    assert figures["queue_wait"]["p95_seconds"] == 600.0
    assert figures["service_level"]["wait_target_seconds"] == 300
    assert (figures["service_level"]["met"], figures["service_level"]["counted"]) == (1, 2)
    assert figures["time_with_bot"]["p50_seconds"] == 30.0
    assert {a["agent_id"]: a["p50_seconds"] for a in figures["handle_time"]["by_agent"]} == \
        {"ana": 610.0, "bo": 970.0}
    assert figures["csat"] == {"count": 2, "great": 1, "share_great": 0.5, "mean": 3.0}
    # The last 30 days, from the first whole day Rasa still keeps (29 across a change of
    # summer time at some hours of the day).
    assert len(figures["range"]["days"]) >= RASA_KEEP_DAYS - 1
    assert figures["range"]["days"][0] >= figures["range"]["conversations_kept_from"]


def test_the_range_shown_by_default_is_one_rasa_still_keeps_whole() -> None:
    """At 23:16 on 28 November in Los Angeles, 30 x 24 hours back is 00:16 on 30 October
    (summer time ended in between): that day is no longer whole, so the default range starts
    on 31 October and every figure can be given."""
    zone = ZoneInfo("America/Los_Angeles")
    now = datetime(2026, 11, 29, 7, 16, tzinfo=timezone.utc).timestamp()
    since, until = last_days(30, now, zone)
    assert datetime.fromtimestamp(since, zone).date() == date(2026, 10, 31)
    assert datetime.fromtimestamp(until, zone).date() == date(2026, 11, 28)
    # On an ordinary day, the whole 30 days.
    july = datetime(2026, 7, 15, 19, 0, tzinfo=timezone.utc).timestamp()
    since, _until = last_days(30, july, zone)
    assert datetime.fromtimestamp(since, zone).date() == date(2026, 6, 16)


async def test_filters_narrow_the_figures(api: TestClient, redis: aioredis.Redis) -> None:
    await stored_story(redis)
    headers = await admin(api, redis)
    by_team = await (await api.get(URL, params={"team": "billing"}, headers=headers)).json()
    assert by_team["handoffs"]["total"] == 1 and by_team["conversations"] is None
    other = await (await api.get(URL, params={"channel": "telegram"}, headers=headers)).json()
    assert other["conversations"]["total"] == 0 and other["handoffs"]["total"] == 0
    before = await (await api.get(URL, params={"since": str(int(START - 10 * DAY)),
                                               "until": str(int(START - 9 * DAY))},
                                  headers=headers)).json()
    assert before["conversations"]["total"] == 0 and before["csat"]["count"] == 0


async def test_the_csv_has_one_row_per_conversation(api: TestClient,
                                                    redis: aioredis.Redis) -> None:
    await stored_story(redis)
    reply = await api.get(CSV_URL, headers=await admin(api, redis))
    assert reply.status == 200, await reply.text()
    assert reply.content_type == "text/csv"
    assert reply.headers["Content-Disposition"].startswith('attachment; filename="conversations-')
    body = await reply.read()
    # A byte-order mark first, so a spreadsheet reads the file as UTF-8.
    assert body.startswith(b"\xef\xbb\xbf" + b"conversation_id,")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r["conversation_id"] for r in rows] == ["calm", "quick", "slow"]
    assert list(rows[0]) == ["conversation_id", "channel", "started", "ended", "handed_off",
                             "reason_kind", "team", "waited_seconds", "handled_seconds", "agent",
                             "outcome", "rating"]
    assert rows[0]["handed_off"] == "n" and rows[0]["agent"] == ""
    assert (rows[1]["handed_off"], rows[1]["reason_kind"], rows[1]["team"],
            rows[1]["waited_seconds"], rows[1]["handled_seconds"], rows[1]["agent"],
            rows[1]["outcome"], rows[1]["rating"]) == \
        ("y", "asked_for_a_person", "billing", "60", "610", "ana", "resolved", "5")
    assert rows[2]["waited_seconds"] == "600" and rows[2]["outcome"] == "handed_back"


async def csv_rows(api: TestClient, headers: Dict[str, str],
                   params: Optional[Dict[str, str]] = None) -> List[Dict[str, str]]:
    reply = await api.get(CSV_URL, params=params or {}, headers=headers)
    assert reply.status == 200, await reply.text()
    return list(csv.DictReader(io.StringIO((await reply.read()).decode("utf-8-sig"))))


async def test_a_cell_a_spreadsheet_would_run_stays_text(api: TestClient,
                                                         redis: aioredis.Redis) -> None:
    await tracker(redis, "odd", "=cmd|' /C calc'!A0", START, START + 10)
    # An id and a team's name as stored, each starting like a formula.
    await tracker(redis, "+1-555-0100", "telegram", START + 20, START + 500)
    await case(redis, 7, "+1-555-0100", ASKED_FOR_A_PERSON, START + 40, START + 400,
               "resolved", claimed=START + 50, agent_id="@ana", team="=HYPERLINK(\"x\")")
    rows = await csv_rows(api, await admin(api, redis))
    assert rows[0]["channel"] == "'=cmd|' /C calc'!A0"
    assert (rows[1]["conversation_id"], rows[1]["team"], rows[1]["agent"]) == \
        ("'+1-555-0100", "'=HYPERLINK(\"x\")", "'@ana")


async def test_ids_in_any_script_survive_the_csv(api: TestClient,
                                                 redis: aioredis.Redis) -> None:
    await tracker(redis, "Zoë-東京", "socketio", START, START + 10)
    rows = await csv_rows(api, await admin(api, redis))
    assert rows[0]["conversation_id"] == "Zoë-東京"


@pytest.mark.parametrize("query, message", [
    ({"since": "yesterday"}, "'since' is a number"),
    ({"until": "-5"}, "'until' is a number"),
    ({"since": "1e9"}, "'since' is a number"),
    ({"since": "100"}, "'since' is a number from 9.46685e+08"),
    ({"until": "99999999999"}, "'until' is a number"),
    ({"since": "1700000000", "until": "1600000000"}, "'since' is after 'until'"),
    ({"since": "1600000000", "until": "1700000000"}, "longer than 366 days"),
    ({"channel": "Web Chat!"}, "'channel' is a channel name"),
    ({"team": "x" * 41}, "'team' is a team name"),
    ({"team": "-billing"}, "'team' is a team name"),
    ({"team": "billing!"}, "'team' is a team name"),
    ({"from_day": "2024-3-5"}, "'from_day' is a day written YYYY-MM-DD"),
    ({"to_day": "2024-02-30"}, "'to_day' is a day written YYYY-MM-DD"),
    ({"from_day": "yesterday"}, "'from_day' is a day written YYYY-MM-DD"),
    ({"from_day": "1999-12-31"}, "from 2000-01-01"),
    ({"to_day": "2999-01-01"}, "'to_day' is a day written YYYY-MM-DD"),
    ({"from_day": "2024-03-05", "to_day": "2024-03-04"}, "'from_day' is after 'to_day'"),
    ({"from_day": "2022-12-31", "to_day": "2024-01-01"}, "longer than 366 days"),
    ({"from_day": "2024-03-05", "until": "1700000000"}, "not both"),
])
@pytest.mark.parametrize("url", [URL, CSV_URL])
async def test_bad_ranges_and_filters_are_refused_with_a_message(
        api: TestClient, redis: aioredis.Redis, url: str, query: Dict[str, str],
        message: str) -> None:
    reply = await api.get(url, params=query, headers=await admin(api, redis))
    assert reply.status == 400
    assert message in (await reply.json())["error"]


@pytest.mark.parametrize("url", [URL, CSV_URL])
async def test_agents_who_are_not_admins_and_strangers_are_refused(
        api: TestClient, redis: aioredis.Redis, url: str) -> None:
    await stored_story(redis)
    await make_agent(redis, "ana")
    reply = await api.get(url, headers=await sign_in(api, "ana"))
    assert reply.status == 403 and "admin" in (await reply.json())["error"]
    api.session.cookie_jar.clear()  # signing in left ana's cookie with the client
    assert (await api.get(url)).status == 401


async def test_an_admin_is_alerted_to_customers_waiting_past_the_target(
        api: TestClient, redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_WAIT_SECONDS", "120")
    now = time.time()
    await waiting_customer(redis, "0" * 31 + "1", created_at=now - 600)
    await waiting_customer(redis, "0" * 31 + "2", created_at=now - 30)
    await waiting_customer(redis, "0" * 31 + "3", created_at=now - 200)
    snapshot = await (await api.get("/api/queue", headers=await admin(api, redis))).json()
    level = snapshot["service_level"]
    assert level["wait_target_seconds"] == 120
    assert [w["conversation_id"] for w in level["past_target"]] == ["0" * 31 + "1",
                                                                   "0" * 31 + "3"]
    assert level["past_target"][0]["waiting_seconds"] >= 600


async def test_an_agent_who_is_not_an_admin_gets_no_service_level_alert(
        api: TestClient, redis: aioredis.Redis) -> None:
    await waiting_customer(redis, "0" * 31 + "1", created_at=time.time() - 3600)
    await make_agent(redis, "ana")
    snapshot = await (await api.get("/api/queue", headers=await sign_in(api, "ana"))).json()
    assert len(snapshot["waiting"]) == 1 and "service_level" not in snapshot


async def test_a_team_named_as_settings_allow_is_a_filter(api: TestClient,
                                                        redis: aioredis.Redis) -> None:
    await tracker(redis, "vip", "socketio", START, START + 600)
    await case(redis, 3, "vip", ASKED_FOR_A_PERSON, START + 30, START + 500, "resolved",
               claimed=START + 60, agent_id="ana", team="Senior support")
    reply = await api.get(URL, params={"team": "Senior support"},
                          headers=await admin(api, redis))
    assert reply.status == 200, await reply.text()
    figures = await reply.json()
    assert figures["range"]["team"] == "Senior support" and figures["handoffs"]["total"] == 1


# The shop's days, in a zone far from the test's own (and from the stack's default).
SHOP = ZoneInfo("Pacific/Auckland")


async def test_picked_days_are_the_shops_days(api: TestClient, redis: aioredis.Redis) -> None:
    await redis.set(keys.ROUTER_SETTINGS,
                    json.dumps({"service": {"timezone": "Pacific/Auckland"}}))
    today = datetime.now(SHOP).date()
    first, last = today - timedelta(days=6), today - timedelta(days=5)

    def at(day: date, hour: int, minute: int) -> float:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHOP).timestamp()

    # Just inside the two days picked, and just outside them, in Auckland.
    await tracker(redis, "first-thing", "socketio", at(first, 0, 10), at(first, 0, 20))
    await tracker(redis, "last-thing", "socketio", at(last, 23, 40), at(last, 23, 50))
    await tracker(redis, "day-before", "socketio", at(first - timedelta(days=1), 23, 50),
                  at(first - timedelta(days=1), 23, 55))
    await tracker(redis, "day-after", "socketio", at(last + timedelta(days=1), 0, 5),
                  at(last + timedelta(days=1), 0, 10))
    headers = await admin(api, redis)
    params = {"from_day": first.isoformat(), "to_day": last.isoformat()}
    figures = await (await api.get(URL, params=params, headers=headers)).json()
    assert figures["range"]["days"] == [first.isoformat(), last.isoformat()]
    assert figures["range"]["since"] == at(first, 0, 0)
    assert figures["conversations"]["total"] == 2
    assert [d["conversations"] for d in figures["handoffs"]["by_day"]] == [1, 1]
    rows = await csv_rows(api, headers, params)
    assert [r["conversation_id"] for r in rows] == ["first-thing", "last-thing"]
    assert rows[1]["started"].endswith(("+12:00", "+13:00"))   # written in the shop's time
    # Without dates: the last 30 of the shop's days, today included.
    default = await (await api.get(URL, headers=headers)).json()
    assert default["range"]["days"][-1] == today.isoformat()
    assert len(default["range"]["days"]) == 30 and default["conversations"] is not None


async def test_days_rasa_no_longer_keeps_say_so(api: TestClient,
                                                redis: aioredis.Redis) -> None:
    # Forty days ago Rasa has forgotten most conversations; the history keeps the handoff.
    long_ago = START - (RASA_KEEP_DAYS + 8) * DAY
    await tracker(redis, "back-again", "socketio", long_ago, long_ago + 100)
    await case(redis, 4, "gone", ASKED_FOR_A_PERSON, long_ago + 30, long_ago + 900,
               "resolved", claimed=long_ago + 90, agent_id="ana")
    headers = await admin(api, redis)
    reply = await api.get(URL, params={"since": str(long_ago - DAY),
                                       "until": str(START + DAY)}, headers=headers)
    assert reply.status == 200, await reply.text()
    figures = await reply.json()
    kept_from = figures["range"]["conversations_kept_from"]
    assert figures["range"]["conversations_kept_days"] == RASA_KEEP_DAYS
    assert figures["conversations"] is None and figures["handoffs"]["rate"] is None
    by_day = {d["day"]: d for d in figures["handoffs"]["by_day"]}
    old_days = [d for d in by_day.values() if d["day"] < kept_from]
    assert old_days and all(d["conversations"] is None and d["rate"] is None
                            for d in old_days)
    assert all(d["conversations"] is not None for d in by_day.values()
               if d["day"] >= kept_from)
    # What the history keeps is still counted.
    assert figures["handoffs"]["total"] == 1 and figures["queue_wait"]["count"] == 1
