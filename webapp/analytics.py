"""Analytics for admins: every figure of the dashboard for a date range and a channel or team
(router/analytics.py says what counts as what), and the same conversations as a CSV, one row
each, for a spreadsheet."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from datetime import datetime
from typing import Dict, List, Optional
from zoneinfo import ZoneInfo

from aiohttp import web

from router import service_settings
from router.analytics import ROW_FIELDS, Filters, conversation_rows, load, report
from router.service_settings import ServiceSettings
from webapp.auth import admin_required
from webapp.history import A_DAY, EARLIEST
from webapp.requests import query_number
from webapp.services import services

# Without dates: the last 30 days. At most a year and a day at once: every stored
# conversation of the range is read, and a year covers any report people compare.
DEFAULT_DAYS = 30
MAX_DAYS = 366
# A channel (socketio, telegram, rest...) or a team name as the routing file spells them.
FILTER_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
# A spreadsheet runs a cell starting with one of these as a formula; a leading ' keeps it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _name_filter(request: web.Request, name: str) -> Optional[str]:
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    if not FILTER_NAME.fullmatch(raw):
        raise web.HTTPBadRequest(text=f"'{name}' is a {name} name: 1-40 lowercase letters, "
                                      f"digits, '.', '_' or '-' (e.g. socketio), or nothing "
                                      f"for every {name}.")
    return raw


def filters(request: web.Request, now: float) -> Filters:
    """The range and filters asked for; 400 naming what is wrong."""
    until = query_number(request, "until", EARLIEST, now + A_DAY) or now
    since = query_number(request, "since", EARLIEST, now + A_DAY) \
        or until - DEFAULT_DAYS * A_DAY
    if since > until:
        raise web.HTTPBadRequest(text="'since' is after 'until': swap them.")
    if until - since > MAX_DAYS * A_DAY:
        raise web.HTTPBadRequest(text=f"The range is longer than {MAX_DAYS} days: ask for "
                                      f"a shorter one (the report reads every conversation "
                                      f"in it).")
    return Filters(since, until, _name_filter(request, "channel"),
                   _name_filter(request, "team"))


async def _service(request: web.Request) -> ServiceSettings:
    """Days are the shop's days (its time zone), as the team lives them, and the waiting
    target is the one in effect: both as an admin set them (router/service_settings.py)."""
    return await service_settings.live(services(request).redis)


@admin_required
async def analytics(request: web.Request) -> web.Response:
    chosen = filters(request, time.time())
    service = await _service(request)
    records = await load(services(request).redis, chosen.since, chosen.until)
    figures = await asyncio.to_thread(report, records.conversations, records.cases,
                                      records.tickets, chosen, service.levels,
                                      ZoneInfo(service.timezone))
    return web.json_response(figures)


def as_csv(rows: List[Dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ROW_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: _safe_cell(value) for name, value in row.items()})
    return out.getvalue()


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _file_name(chosen: Filters, zone: ZoneInfo) -> str:
    day = lambda at: datetime.fromtimestamp(at, zone).date().isoformat()  # noqa: E731
    return f"conversations-{day(chosen.since)}-to-{day(chosen.until)}.csv"


@admin_required
async def conversations_csv(request: web.Request) -> web.Response:
    chosen = filters(request, time.time())
    zone = ZoneInfo((await _service(request)).timezone)
    records = await load(services(request).redis, chosen.since, chosen.until)
    rows = await asyncio.to_thread(conversation_rows, records.conversations, records.cases,
                                   records.tickets, chosen, zone)
    return web.Response(
        text=as_csv(rows), content_type="text/csv", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_file_name(chosen, zone)}"'})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/admin/analytics", analytics)
    app.router.add_get("/api/admin/analytics/conversations.csv", conversations_csv)
