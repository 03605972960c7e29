"""Analytics for admins: every figure of the dashboard for a date range and a channel or team
(router/analytics.py says what counts as what), and the same conversations as a CSV, one row
each, for a spreadsheet."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional, Pattern, Tuple
from zoneinfo import ZoneInfo

from aiohttp import web

from router import service_settings
from router.analytics import (
    ROW_FIELDS,
    Filters,
    conversation_rows,
    day_of,
    first_whole_day,
    load,
    midnight,
    report,
)
from router.history_settings import RASA_KEEP_SECONDS
from router.service_settings import TEAM, ServiceSettings
from webapp.auth import admin_required
from webapp.history import A_DAY, EARLIEST
from webapp.requests import query_number
from webapp.services import services

# Without dates: the last 30 days. At most a year and a day at once: every stored
# conversation of the range is read, and a year covers any report people compare.
DEFAULT_DAYS = 30
MAX_DAYS = 366
# A channel as Rasa names it (socketio, telegram, rest...).
CHANNEL_FILTER = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
# What each filter accepts, and how to say so: a team is named as Settings accepts it.
NAME_RULES: Dict[str, Tuple[Pattern[str], str]] = {
    "channel": (CHANNEL_FILTER, "1-40 lowercase letters, digits, '.', '_' or '-' "
                                "(e.g. socketio)"),
    "team": (TEAM, "1-40 letters, digits, spaces, '_' or '-', starting with a letter or "
                   "digit (e.g. Billing)"),
}
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# A spreadsheet runs a cell starting with one of these as a formula; a leading ' keeps it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Tells a spreadsheet the file is UTF-8, so ids and names in other scripts read right.
BYTE_ORDER_MARK = "\ufeff"


def _name_filter(request: web.Request, name: str) -> Optional[str]:
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    pattern, rule = NAME_RULES[name]
    if not pattern.fullmatch(raw):
        raise web.HTTPBadRequest(text=f"'{name}' is a {name} name: {rule}, or nothing for "
                                      f"every {name}.")
    return raw


def filters(request: web.Request, now: float, zone: ZoneInfo) -> Filters:
    """The range and filters asked for; 400 naming what is wrong."""
    if _asked(request, "from_day", "to_day"):
        if _asked(request, "since", "until"):
            raise web.HTTPBadRequest(text="Give the range as 'from_day' and 'to_day' (the "
                                          "shop's days) or as 'since' and 'until' (unix "
                                          "seconds), not both.")
        since, until = _shop_days(request, now, zone)
    elif _asked(request, "since", "until"):
        since, until = _seconds(request, now)
    else:
        since, until = last_days(DEFAULT_DAYS, now, zone)
    return Filters(since, until, _name_filter(request, "channel"),
                   _name_filter(request, "team"))


def _asked(request: web.Request, *names: str) -> bool:
    return any(request.query.get(name, "") != "" for name in names)


def _seconds(request: web.Request, now: float) -> Tuple[float, float]:
    until = query_number(request, "until", EARLIEST, now + A_DAY) or now
    since = query_number(request, "since", EARLIEST, now + A_DAY) \
        or until - DEFAULT_DAYS * A_DAY
    if since > until:
        raise web.HTTPBadRequest(text="'since' is after 'until': swap them.")
    if until - since > MAX_DAYS * A_DAY:
        raise _too_long()
    return since, until


def _too_long() -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=f"The range is longer than {MAX_DAYS} days: ask for a "
                                   f"shorter one (the report reads every conversation in it).")


def _shop_days(request: web.Request, now: float, zone: ZoneInfo) -> Tuple[float, float]:
    """From the first moment of `from_day` to the last of `to_day`, in the shop's time zone,
    whatever the zone of the person asking."""
    today = datetime.fromtimestamp(now, zone).date()
    last = _day(request, "to_day", today) or today
    first = _day(request, "from_day", today) or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise web.HTTPBadRequest(text="'from_day' is after 'to_day': swap them.")
    if (last - first).days + 1 > MAX_DAYS:
        raise _too_long()
    return _whole_days(first, last, zone)


def last_days(count: int, now: float, zone: ZoneInfo) -> Tuple[float, float]:
    """The last `count` days up to today, starting no earlier than the first whole day Rasa
    still keeps: the range shown by default always has every figure (30 x 24 hours back can
    land just after a midnight, e.g. across a change of summer time)."""
    today = datetime.fromtimestamp(now, zone).date()
    first = max(today - timedelta(days=count - 1),
                first_whole_day(now - RASA_KEEP_SECONDS, zone))
    return _whole_days(first, today, zone)


def _whole_days(first: date, last: date, zone: ZoneInfo) -> Tuple[float, float]:
    # The range's end is inclusive: the last millisecond before the next day begins.
    return midnight(first, zone), midnight(last + timedelta(days=1), zone) - 0.001


def _day(request: web.Request, name: str, today: date) -> Optional[date]:
    raw = request.query.get(name, "")
    if raw == "":
        return None
    earliest = datetime.fromtimestamp(EARLIEST, ZoneInfo("UTC")).date()
    latest = today + timedelta(days=1)
    try:
        day = date.fromisoformat(raw) if DAY.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None or not earliest <= day <= latest:
        raise web.HTTPBadRequest(text=f"'{name}' is a day written YYYY-MM-DD (e.g. "
                                      f"{today.isoformat()}) from {earliest.isoformat()} to "
                                      f"{latest.isoformat()}, a day in the shop's time zone.")
    return day


async def _service(request: web.Request) -> ServiceSettings:
    """Days are the shop's days (its time zone), as the team lives them, and the waiting
    target is the one in effect: both as an admin set them (router/service_settings.py)."""
    return await service_settings.live(services(request).redis)


@admin_required
async def analytics(request: web.Request) -> web.Response:
    now = time.time()
    service = await _service(request)
    zone = ZoneInfo(service.timezone)
    chosen = filters(request, now, zone)
    records = await load(services(request).redis, chosen.since, chosen.until)
    figures = await asyncio.to_thread(report, records.conversations, records.cases,
                                      records.tickets, chosen, service.levels, zone,
                                      now - RASA_KEEP_SECONDS)
    return web.json_response(figures)


def as_csv(rows: List[Dict[str, str]]) -> str:
    out = io.StringIO()
    out.write(BYTE_ORDER_MARK)
    writer = csv.DictWriter(out, fieldnames=ROW_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: _safe_cell(value) for name, value in row.items()})
    return out.getvalue()


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _file_name(chosen: Filters, zone: ZoneInfo) -> str:
    return f"conversations-{day_of(chosen.since, zone)}-to-{day_of(chosen.until, zone)}.csv"


@admin_required
async def conversations_csv(request: web.Request) -> web.Response:
    zone = ZoneInfo((await _service(request)).timezone)
    chosen = filters(request, time.time(), zone)
    records = await load(services(request).redis, chosen.since, chosen.until)
    rows = await asyncio.to_thread(conversation_rows, records.conversations, records.cases,
                                   records.tickets, chosen, zone)
    return web.Response(
        text=as_csv(rows), content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_file_name(chosen, zone)}"'})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/admin/analytics", analytics)
    app.router.add_get("/api/admin/analytics/conversations.csv", conversations_csv)
