"""History in the agents' API: search ended handoffs and tickets by order number, email,
conversation id or ticket reference and by date; read a case again, read-only, with its whole
story, how it ended and the rating; see a customer's earlier cases beside their conversation.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

from aiohttp import web

from router.history import MAX_RESULTS, case_view
from router.search_terms import MAX_QUERY_CHARS, query_terms
from webapp.auth import agent_required
from webapp.console import existing
from webapp.requests import query_number
from webapp.services import Services, services

# Dates an agent can ask about: from the first day of 2000 to a day ahead of now.
EARLIEST = 946_684_800.0
A_DAY = 86_400.0


async def _with_names(svc: Services, results: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Each result with the display name of the agent it names, as the console shows it."""
    names: Dict[str, Optional[str]] = {}
    for result in results:
        agent_id = result.get("agent_id") or result.get("answered_by")
        if agent_id and agent_id not in names:
            agent = await svc.directory.get(agent_id)
            names[agent_id] = agent.name if agent else None
        result["agent_name"] = names.get(agent_id) if agent_id else None
    return results


@agent_required
async def search(request: web.Request) -> web.Response:
    """`?q=` an order number, an email, a conversation id or a ticket reference (empty: by
    date only), `since` / `until` in unix seconds, `limit`; the newest first."""
    svc = services(request)
    query = request.query.get("q", "").strip()
    if len(query) > MAX_QUERY_CHARS:
        raise web.HTTPBadRequest(text=f"'q' is {len(query)} characters; an order number, "
                                      f"email or id is at most {MAX_QUERY_CHARS}.")
    since = query_number(request, "since", EARLIEST, time.time() + A_DAY)
    until = query_number(request, "until", EARLIEST, time.time() + A_DAY)
    if since is not None and until is not None and since > until:
        raise web.HTTPBadRequest(text="'since' is after 'until': swap them.")
    limit = int(query_number(request, "limit", 1, MAX_RESULTS, MAX_RESULTS, whole=True)
                or MAX_RESULTS)
    found = svc.history
    ticket = await found.ticket_by_reference(query)
    results = [ticket] if ticket else \
        await found.search(query_terms(query), since, until, limit)
    return web.json_response({"q": query, "since": since, "until": until,
                              "results": await _with_names(svc, results)})


@agent_required
async def read_case(request: web.Request) -> web.Response:
    svc = services(request)
    case_id = request.match_info["case_id"]
    found = svc.history
    fields = await found.case(case_id)
    if fields is None:
        raise web.HTTPNotFound(text=f"No case {case_id} is in the history (history is kept "
                                    f"{found.settings.keep_days} days).")
    agent = await svc.directory.get(fields.get("agent_id") or "") \
        if fields.get("agent_id") else None
    view = case_view(fields, agent.name if agent else None)
    earlier = [e for e in await found.earlier(view["conversation_id"], {"slots": view["slots"]})
               if e.get("case_id") != case_id]
    return web.json_response({"case": view, "earlier": await _with_names(svc, earlier)})


@agent_required
async def earlier(request: web.Request) -> web.Response:
    """The customer's earlier cases and tickets, beside the conversation being handled."""
    svc = services(request)
    conversation_id = request.match_info["conversation_id"]
    packet = await existing(svc, conversation_id)
    found = await svc.history.earlier(conversation_id, packet)
    return web.json_response({"conversation_id": conversation_id,
                              "earlier": await _with_names(svc, found)})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/history", search)
    app.router.add_get("/api/history/cases/{case_id}", read_case)
    app.router.add_get("/api/conversations/{conversation_id}/earlier", earlier)
