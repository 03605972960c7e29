"""What admins need to see of the machinery: lines the relay could not store."""

from __future__ import annotations

from aiohttp import web

from router.relay.feed import DeadLetters
from webapp.auth import admin_required
from webapp.requests import query_number
from webapp.services import services

MAX_SHOWN = 500


@admin_required
async def dead_letters(request: web.Request) -> web.Response:
    """Customer lines Redis refused to add to a conversation's feed, newest first, with the
    reason; every other line kept flowing (bot/relay_broker.py)."""
    limit = int(query_number(request, "limit", 1, MAX_SHOWN, 100, whole=True) or 100)
    letters = DeadLetters(services(request).redis)
    return web.json_response({"count": await letters.count(),
                              "lines": await letters.recent(limit)})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/admin/dead-letters", dead_letters)
