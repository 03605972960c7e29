"""Admins forget a customer's conversation when the customer asks the shop to erase it
(router/erasure.py): everything kept of it goes in one step, and the answer says what went."""

from __future__ import annotations

from aiohttp import web

from router.erasure import StillWithPeople, forget
from webapp.auth import admin_required
from webapp.requests import json_body
from webapp.services import services


@admin_required
async def forget_conversation(request: web.Request) -> web.Response:
    conversation_id = request.match_info["conversation_id"]
    await json_body(request)  # JSON only: another site's form cannot erase anything
    try:
        forgotten = await forget(services(request).redis, conversation_id)
    except StillWithPeople as error:
        raise web.HTTPConflict(text=f"Conversation {conversation_id} is with the team (waiting "
                                    f"or with an agent): resolve or hand it back, then "
                                    f"forget it.") from error
    if not (forgotten.cases or forgotten.tickets or forgotten.conversation
            or forgotten.ratings):
        raise web.HTTPNotFound(text=f"Nothing is kept of conversation {conversation_id}.")
    return web.json_response({"conversation_id": conversation_id,
                              "forgotten": forgotten.as_dict()})


def add_routes(app: web.Application) -> None:
    app.router.add_delete("/api/admin/conversations/{conversation_id}", forget_conversation)
