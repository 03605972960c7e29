"""Labels on handoffs in the agents' API: the agent who had a case (or an admin) says whether
bringing in a person was needed, too early or too late (router/handoff_labels.py)."""

from __future__ import annotations

import time

from aiohttp import web

from router.handoff_labels import (
    CaseNotFound,
    HandoffLabels,
    UnknownLabel,
    checked_label,
    may_label,
)
from webapp.auth import agent_required, current
from webapp.requests import json_body
from webapp.services import services


def _not_found(case_id: str, keep_days: int) -> web.HTTPNotFound:
    return web.HTTPNotFound(text=f"No case {case_id} is in the history (history is kept "
                                 f"{keep_days} days).")


@agent_required
async def label_case(request: web.Request) -> web.Response:
    """Body {"label": "needed" | "too_early" | "too_late"}; a new label replaces the old."""
    svc, agent = services(request), current(request)
    case_id = request.match_info["case_id"]
    body = await json_body(request)
    try:
        label = checked_label(body.get("label"))
    except UnknownLabel as error:
        raise web.HTTPBadRequest(text=str(error)) from error
    case = await svc.history.case(case_id)
    if case is None:
        raise _not_found(case_id, svc.history.settings.keep_days)
    if not may_label(case, agent.id, agent.is_admin):
        raise web.HTTPForbidden(text="Only the agent who had this conversation, or an admin, "
                                     "can label its handoff.")
    try:
        saved = await HandoffLabels(svc.redis).set(case_id, label, agent.id, time.time())
    except CaseNotFound as error:  # expired just now
        raise _not_found(case_id, svc.history.settings.keep_days) from error
    return web.json_response({"label": saved.public()})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/history/cases/{case_id}/label", label_case)
