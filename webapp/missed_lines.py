"""What a person said to a customer while the customer's chat page was closed: an agent's
reply, a ticket's answer. The page keeps its own transcript, so when it comes back it asks for
a person's lines it does not have; the conversation's key (router/webchat_keys.py) proves it is
the customer's own. The lines come from Rasa's tracker, where every relayed line is recorded."""

from __future__ import annotations

from typing import Any, Dict, List

from aiohttp import web

from router.relay.rasa_api import RasaRefused, RasaUnavailable
from router.webchat_keys import owns
from webapp.requests import json_body, text_field
from webapp.services import services

# A person's lines a returning page gets at most (the newest), and how far back it may ask.
MAX_LINES = 50


def people_lines(events: List[Dict[str, Any]], since: float) -> List[Dict[str, Any]]:
    """A person's lines recorded after `since` (unix seconds), oldest first."""
    lines = []
    for event in events:
        metadata = event.get("metadata") or {}
        if event.get("event") != "bot" or not metadata.get("agent_name"):
            continue
        if float(event.get("timestamp") or 0.0) <= since:
            continue
        # Every line needs an id the page can recognise it by when it asks again.
        relay_id = metadata.get("relay_id") or f"at-{event.get('timestamp')}"
        lines.append({"text": event.get("text") or "", "timestamp": event.get("timestamp"),
                      "metadata": {"agent_name": metadata["agent_name"],
                                   "relay_id": relay_id}})
    return lines[-MAX_LINES:]


async def missed_lines(request: web.Request) -> web.Response:
    body = await json_body(request)
    conversation_id = text_field(body, "session_id", max_length=128) or ""
    key = text_field(body, "session_key", max_length=128) or ""
    since = body.get("since", 0)
    if isinstance(since, bool) or not isinstance(since, (int, float)) or since < 0:
        raise web.HTTPBadRequest(text="'since' is the time of the last line the page has, in "
                                      "unix seconds (0 for everything).")
    svc = services(request)
    if not owns(svc.settings.webchat_secret, conversation_id, key):
        raise web.HTTPForbidden(text="That key does not open this conversation: start a new "
                                     "one from the chat page.")
    try:
        tracker = await svc.rasa.tracker(conversation_id)
    except RasaUnavailable as error:
        raise web.HTTPServiceUnavailable(text="The bot cannot be reached right now; the page "
                                              "will ask again.") from error
    except RasaRefused as error:
        raise web.HTTPNotFound(text="No conversation has that id.") from error
    return web.json_response({"lines": people_lines(tracker.get("events") or [],
                                                    float(since))})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/chat/missed", missed_lines)
