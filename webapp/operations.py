"""What admins need to see of the machinery: lines the relay could not store."""

from __future__ import annotations

import re

from aiohttp import web

from router.relay.feed import DeadLetters
from webapp.auth import admin_required
from webapp.services import services

MAX_SHOWN = 500


@admin_required
async def dead_letters(request: web.Request) -> web.Response:
    """Customer lines Redis refused to add to a conversation's feed, newest first, with the
    reason; every other line kept flowing (bot/relay_broker.py)."""
    raw = request.query.get("limit", "100")
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if not (re.fullmatch(r"[0-9]{1,3}", raw) and 1 <= int(raw) <= MAX_SHOWN):
        raise web.HTTPBadRequest(text=f"'limit' is a whole number from 1 to {MAX_SHOWN}.")
    letters = DeadLetters(services(request).redis)
    return web.json_response({"count": await letters.count(),
                              "lines": await letters.recent(int(raw))})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/admin/dead-letters", dead_letters)
