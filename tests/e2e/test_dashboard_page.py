"""The admins' dashboard in a real headless Chromium against the real stack: conversations and
ended handoffs written into Redis for three days a week and a half ago are drawn as the
figures, the stacked bars of handoffs by reason, the points of the handoff rate per day, the
bars of each channel's handoff rate, of each team's handoffs and of each agent's handle time,
and the points of the queue wait that the data makes; the CSV link follows the picked dates
before Show; a range reaching back before what Rasa keeps says "not kept"; the report says it
is loading; the dialog fits a 390 px phone; and an admin sees a polite alert for a customer
waiting past the target."""

import json
import time
from datetime import datetime, timedelta
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
# Noon in the shop's time zone (the stack's default): the days picked are the shop's days,
# whatever the browser's zone. Recent enough that Rasa still keeps them (30 days), and apart
# from today, when other tests talk.
SHOP = ZoneInfo("America/Los_Angeles")
_FIRST = datetime.now(SHOP).date() - timedelta(days=10)
_THIRD = _FIRST + timedelta(days=2)
DAY1, DAY3 = _FIRST.isoformat(), _THIRD.isoformat()
NOON1 = datetime(_FIRST.year, _FIRST.month, _FIRST.day, 12, tzinfo=SHOP).timestamp()
NOON3 = datetime(_THIRD.year, _THIRD.month, _THIRD.day, 12, tzinfo=SHOP).timestamp()
# Long before what Rasa keeps.
LONG_AGO = (_FIRST - timedelta(days=40)).isoformat()
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
    events = [{"event": "session_started", "timestamp": start - 1},
              {"event": "user", "timestamp": start, "text": "hello", "input_channel": channel},
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
    assert f"{DAY1} 100% (2 of 2), {DAY3} 50% (1 of 2)" in _label(console, "chart-rate")

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
    assert _csv_link(console) == \
        f"/api/admin/analytics/conversations.csv?from_day={DAY1}&to_day={DAY3}"
    assert console.js("document.getElementById('dashboard-loading').textContent") == ""
    _check_what_rasa_no_longer_keeps(console)

    # On a phone the dialog fits the screen's width: nothing to scroll sideways to.
    console.set_viewport(390, 844)
    assert console.wait_for(
        "(() => { const d = document.getElementById('dashboard').getBoundingClientRect();"
        " const c = document.getElementById('chart-wait').getBoundingClientRect();"
        " return d.width <= 390 && d.left >= 0 && c.right <= 390 &&"
        " document.getElementById('dashboard').scrollWidth <= d.width + 1; })()")


def _csv_link(console: Browser) -> str:
    return str(console.js("document.getElementById('dashboard-csv').getAttribute('href')"))


def _pick(console: Browser, input_id: str, day: str) -> None:
    """Types a day into a date input as a person would: the input and change events fire."""
    console.js(f"(() => {{ const i = document.getElementById('{input_id}'); i.value = '{day}';"
               " i.dispatchEvent(new Event('input', {bubbles: true}));"
               " i.dispatchEvent(new Event('change', {bubbles: true})); })()")


def _check_what_rasa_no_longer_keeps(console: Browser) -> None:
    """A range from long ago: the CSV link follows at once; while the report loads it says so
    (the report's request is held back a moment to see it); then what rests on conversations
    reads "not kept" for those days, and what rests on handoffs is still there."""
    _pick(console, "dashboard-since", LONG_AGO)
    assert f"from_day={LONG_AGO}&to_day={DAY3}" in _csv_link(console)   # before Show
    console.js("(() => { const real = window.fetch; window.fetch = (...args) =>"
               " new Promise((done) => setTimeout(done, 800)).then(() => {"
               " window.fetch = real; return real(...args); }); })()")
    console.click("#dashboard-form button[type=submit]")
    assert console.wait_for("document.getElementById('dashboard-loading').textContent") \
        == "Loading…"
    console.wait_for("document.querySelector('[data-figure=containment] dd')"
                     ".textContent === 'not kept'")
    assert console.js("document.getElementById('dashboard-loading').textContent") == ""
    figures = console.js("Object.fromEntries([...document.querySelectorAll('.figure')]"
                         ".map(f => [f.dataset.figure, f.querySelector('dd').textContent]))")
    assert figures["handoff-rate"] == "3 handoffs (rate not kept)"
    assert figures["sla"] == "67% (2 of 3)"
    note = console.js("document.getElementById('dashboard-kept').hidden ? '' : "
                      "document.getElementById('dashboard-kept').textContent")
    assert "keeps a conversation 30 days" in note and "not kept" in note
    # The days before what Rasa keeps are shaded and named; the kept ones still have points.
    assert int(console.js("document.querySelector('#chart-rate .chart__not-kept')"
                          ".dataset.days")) > 0
    assert "not kept" in _label(console, "chart-rate")
    assert _drawn(console, "#chart-rate circle", ["day", "rate"]) == [(DAY1, "1"), (DAY3, "0.5")]
    assert "not kept" in _label(console, "chart-channels")
    # Back to the three days, for what follows.
    _pick(console, "dashboard-since", DAY1)
    console.click("#dashboard-form button[type=submit]")
    console.wait_for("document.querySelector('[data-figure=containment] dd')"
                     ".textContent === '25% of 4'")


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
        # Polite, and its words change with the count only (the longest wait is a tooltip).
        alert = "document.getElementById('sla-alert')"
        assert console.js(f"{alert}.getAttribute('role') + ' ' + "
                          f"{alert}.getAttribute('aria-live')") == "status polite"
        assert "longest" not in text
        assert console.js(f"{alert}.title").startswith("Longest wait: ")
        # The next snapshot (within QUEUE_REFRESH_SECONDS) moves the longest wait on, and
        # leaves the words that are read out alone.
        console.js("(() => { window.slaChanges = {words: 0, title: 0};"
                   " new MutationObserver((seen) => { for (const m of seen)"
                   " window.slaChanges[m.type === 'attributes' ? 'title' : 'words'] += 1; })"
                   f".observe({alert}, {{childList: true, characterData: true, subtree: true,"
                   " attributes: true, attributeFilter: ['title']}); })()")
        console.wait_for("window.slaChanges.title > 0", timeout=30)
        assert console.js("window.slaChanges.words") == 0
        assert console.js(f"document.querySelector('[data-conversation-id=\"{LATE}\"]')"
                          f".classList.contains('is-past-target')")
    finally:
        in_redis(fresh_shop, _late_customer("remove"))
