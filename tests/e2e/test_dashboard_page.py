"""The admins' dashboard in a real headless Chromium against the real stack: conversations and
ended handoffs written into Redis for three days of 2021 are drawn as the figures, the stacked
bars of handoffs by reason, the points of the handoff rate per day, the bars of each channel's
handoff rate, of each team's handoffs and of each agent's handle time, and the points of the
queue wait that the data makes; the dialog fits a 390 px phone; and an admin sees the alert
for a customer waiting past the target."""

import json
import time
from datetime import datetime
from typing import Any, Dict, Iterator, List, Tuple
from zoneinfo import ZoneInfo

import pytest
from redis import asyncio as aioredis

from router import keys
from router.handoff.queue import RESOLVED, HandoffQueue
from router.relay.outbox import resume_command
from router.scoring.scorer import ASKED_FOR_A_PERSON, ONLY_A_PERSON
from tests.e2e.browser import Browser, running_browser
from tests.e2e.conftest import RunningBot
from tests.e2e.test_console_page import account_for_the_test, in_redis, sign_in

ADMIN_ID = "dana"
# Noon in the shop's time zone (the stack's default), so the day is the same in any browser.
SHOP = ZoneInfo("America/Los_Angeles")
DAY1, DAY3 = "2021-06-01", "2021-06-03"
NOON1 = datetime(2021, 6, 1, 12, tzinfo=SHOP).timestamp()
NOON3 = datetime(2021, 6, 3, 12, tzinfo=SHOP).timestamp()
# (conversation id, channel, started) of each stored conversation; the last stays with the bot.
TALKS = [("dash-1", "socketio", NOON1), ("dash-2", "socketio", NOON1 + 60),
         ("dash-3", "telegram", NOON3), ("dash-4", "socketio", NOON3 + 60)]
# An agent whose account is gone: the dashboard names them by their id.
GONE = "dash-gone"
# (case number, conversation, reason, queued, waited seconds before an agent claimed it, team,
# agent); each ends HANDOFF_SECONDS after it was queued.
CASES = [(9001, "dash-1", ASKED_FOR_A_PERSON, NOON1 + 30, 60, "billing", ADMIN_ID),
         (9002, "dash-2", "frustration 0.8 reached 0.6: said they are fed up", NOON1 + 90, 120,
          "billing", ADMIN_ID),
         (9003, "dash-3", f"{ONLY_A_PERSON} (item_damaged)", NOON3 + 30, 400, "returns", GONE)]
HANDOFF_SECONDS = 900
LATE = "dash-late"


def _tracker(conversation_id: str, channel: str, start: float) -> str:
    events = [{"event": "user", "timestamp": start, "text": "hello", "input_channel": channel},
              {"event": "bot", "timestamp": start + 20, "text": "hi"}]
    return json.dumps({"events": events, "name": conversation_id})


async def _write(redis: aioredis.Redis) -> None:
    channels = {talk: channel for talk, channel, _start in TALKS}
    for conversation_id, channel, start in TALKS:
        await redis.set(keys.rasa_tracker(conversation_id), _tracker(conversation_id, channel,
                                                                     start))
    for number, conversation_id, reason, queued, waited, team, agent_id in CASES:
        packet = {"conversation_id": conversation_id, "reason": reason,
                  "channel": channels[conversation_id], "transcript": []}
        await redis.hset(keys.history_case(str(number)), mapping={
            "case_id": number, "conversation_id": conversation_id, "packet": json.dumps(packet),
            "enqueued_at": queued, "claimed_at": queued + waited,
            "ended_at": queued + HANDOFF_SECONDS, "outcome": "resolved", "team": team,
            "agent_id": agent_id, "rating": "5", "lines": "[]"})
        await redis.zadd(keys.HISTORY_CASES, {str(number): queued + HANDOFF_SECONDS})


async def _remove(redis: aioredis.Redis) -> None:
    await redis.delete(*[keys.rasa_tracker(talk) for talk, _channel, _start in TALKS],
                       *[keys.history_case(str(number)) for number, *_rest in CASES])
    await redis.zrem(keys.HISTORY_CASES, *[str(number) for number, *_rest in CASES])


@pytest.fixture
def dashboard_admin(fresh_shop: RunningBot) -> Iterator[Browser]:
    in_redis(fresh_shop, _write)
    try:
        for _account in account_for_the_test(fresh_shop, ADMIN_ID, "Dana", "admin"):
            yield from running_browser()
    finally:
        in_redis(fresh_shop, _remove)


def _drawn(console: Browser, selector: str, fields: List[str]) -> List[Tuple[str, ...]]:
    values = " + '|' + ".join(f"n.dataset.{name}" for name in fields)
    found = console.js(f"[...document.querySelectorAll({json.dumps(selector)})]"
                       f".map(n => {values})")
    return sorted(tuple(item.split("|")) for item in found)


def _label(console: Browser, chart_id: str) -> str:
    return str(console.js(f"document.getElementById('{chart_id}').getAttribute('aria-label')"))


def _heights(console: Browser, selector: str, field: str) -> Dict[str, float]:
    """Each bar's drawn height, by one of its data- values."""
    return dict(console.js(f"[...document.querySelectorAll({json.dumps(selector)})]"
                           f".map(r => [r.dataset.{field}, r.getBBox().height])"))


def _gridlines(console: Browser, chart_id: str) -> List[float]:
    """The heights (y) of a chart's lines at 0, half the scale and the top, in that order."""
    return [float(y) for y in console.js(
        f"[...document.querySelectorAll('#{chart_id} .chart__axis')]"
        f".map(l => l.getAttribute('y1'))")]


def _check_the_new_charts(console: Browser) -> None:
    """The handoff rate per day, the handoffs by team and each agent's handle time."""
    # Day 1: 2 handoffs in 2 conversations; day 2 nobody talked (no point); day 3: 1 in 2.
    assert _drawn(console, "#chart-rate circle", ["day", "rate"]) == [(DAY1, "1"), (DAY3, "0.5")]
    zero, half, top = _gridlines(console, "chart-rate")
    heights = {day: float(y) for day, y in console.js(
        "[...document.querySelectorAll('#chart-rate circle')]"
        ".map(c => [c.dataset.day, c.getAttribute('cy')])")}
    assert (heights[DAY1], heights[DAY3]) == (pytest.approx(top), pytest.approx(half))
    assert zero > half > top
    assert console.js("document.querySelectorAll('#chart-rate polyline').length") == 1
    assert "2021-06-01 100% (2 of 2), 2021-06-03 50% (1 of 2)" in _label(console, "chart-rate")

    assert _drawn(console, "#chart-teams rect", ["team", "handoffs"]) == [
        ("billing", "2"), ("returns", "1")]
    teams = _heights(console, "#chart-teams rect", "team")
    assert teams["billing"] == pytest.approx(teams["returns"] * 2, rel=0.01)
    assert _label(console, "chart-teams") == "Handoffs by team: billing 2, returns 1."

    # Dana handled two for 840 and 780 s (median 780, nearest rank); the gone agent one for
    # 500 s, named by their id.
    assert _drawn(console, "#chart-handle rect", ["agent", "name", "seconds"]) == [
        (ADMIN_ID, "Dana", "780"), (GONE, GONE, "500")]
    agents = _heights(console, "#chart-handle rect", "agent")
    assert agents[ADMIN_ID] == pytest.approx(agents[GONE] * 780 / 500, rel=0.01)
    assert _label(console, "chart-handle") == ("Median handle time per agent: Dana 13 min 0 s "
                                               "(2 handled), dash-gone 8 min 20 s (1 handled).")
    assert all(console.js(f"document.getElementById('{chart}').getAttribute('role')") == "img"
               for chart in ("chart-rate", "chart-teams", "chart-handle"))


def test_the_dashboard_draws_the_stored_handoffs(fresh_shop: RunningBot,
                                                 dashboard_admin: Browser) -> None:
    console = dashboard_admin
    sign_in(console, fresh_shop, ADMIN_ID)
    console.wait_for("!document.getElementById('open-dashboard').hidden")
    console.click("#open-dashboard")
    console.wait_for("document.getElementById('dashboard').open")
    console.js(f"document.getElementById('dashboard-since').value = '{DAY1}'")
    console.js(f"document.getElementById('dashboard-until').value = '{DAY3}'")
    console.click("#dashboard-form button[type=submit]")
    console.wait_for("document.querySelectorAll('#chart-reasons rect').length === 3")

    # Day 1: one asked for a person, one frustrated; day 2 quiet; day 3 one only a person
    # could solve: three bars, stacked as the data says.
    assert _drawn(console, "#chart-reasons rect", ["day", "kind", "count"]) == [
        (DAY1, "asked_for_a_person", "1"), (DAY1, "frustration", "1"),
        (DAY3, "only_a_person_can_solve", "1")]
    heights = console.js("[...document.querySelectorAll('#chart-reasons rect')]"
                         ".map(r => Math.round(r.getBBox().height))")
    assert len(set(heights)) == 1 and heights[0] > 0   # each is one handoff high
    # Web chat: 2 handoffs in 3 conversations; Telegram: 1 in 1.
    assert _drawn(console, "#chart-channels rect", ["channel", "rate"]) == [
        ("socketio", "0.6667"), ("telegram", "1")]
    bars = {c: h for c, h in console.js(
        "[...document.querySelectorAll('#chart-channels rect')]"
        ".map(r => [r.dataset.channel, r.getBBox().height])")}
    assert bars["telegram"] == pytest.approx(bars["socketio"] * 1.5, rel=0.01)
    # The median wait on day 1 is 60 s (nearest rank of 60 and 120), on day 3 400 s.
    assert _drawn(console, "#chart-wait circle", ["day", "seconds"]) == [
        (DAY1, "60"), (DAY3, "400")]
    _check_the_new_charts(console)
    label = console.js("document.getElementById('chart-reasons').getAttribute('aria-label')")
    assert "asked for a person 1" in label and "frustration 1" in label
    assert console.js("document.getElementById('chart-wait').getAttribute('role')") == "img"
    figures = console.js("Object.fromEntries([...document.querySelectorAll('.figure')]"
                         ".map(f => [f.dataset.figure, f.querySelector('dd').textContent]))")
    assert figures["containment"] == "25% of 4"
    assert figures["handoff-rate"] == "75% (3)"
    assert figures["sla"] == "67% (2 of 3)"
    href = console.js("document.getElementById('dashboard-csv').getAttribute('href')")
    assert href.startswith("/api/admin/analytics/conversations.csv?since=")

    # On a phone the dialog fits the screen's width: nothing to scroll sideways to.
    console.set_viewport(390, 844)
    assert console.wait_for(
        "(() => { const d = document.getElementById('dashboard').getBoundingClientRect();"
        " const c = document.getElementById('chart-wait').getBoundingClientRect();"
        " return d.width <= 390 && d.left >= 0 && c.right <= 390 &&"
        " document.getElementById('dashboard').scrollWidth <= d.width + 1; })()")


def _late_customer(redis_work: str) -> Any:
    async def work(redis: aioredis.Redis) -> None:
        queue = HandoffQueue(redis)
        if redis_work == "add":
            await queue.enqueue({"conversation_id": LATE, "created_at": time.time() - 900,
                                 "reason": ASKED_FOR_A_PERSON, "channel": "socketio",
                                 "assessment": {"score": 0.2}, "transcript": [],
                                 "summary": {"first_message": "hello?"}})
        else:
            await queue.release(LATE, time.time(), RESOLVED, resume_command(RESOLVED, "Dana"),
                                by_agent=None, only_if_waiting=True)
    return work


def test_an_admin_is_alerted_to_a_customer_waiting_past_the_target(
        fresh_shop: RunningBot, dashboard_admin: Browser) -> None:
    console = dashboard_admin
    in_redis(fresh_shop, _late_customer("add"))
    try:
        sign_in(console, fresh_shop, ADMIN_ID)
        text = console.wait_for("document.getElementById('sla-alert').hidden ? '' : "
                                "document.getElementById('sla-alert').textContent",
                                check=lambda shown: bool(shown))
        assert "waiting longer than the 05:00 target" in text   # others' customers may wait too
        assert console.js(f"document.querySelector('[data-conversation-id=\"{LATE}\"]')"
                          f".classList.contains('is-past-target')")
    finally:
        in_redis(fresh_shop, _late_customer("remove"))
