"""Stored conversations for admins, where a what-if result leads: one conversation's story
as Rasa stored it (router/stored_story.py), and the same conversation replayed message by
message with the settings in effect and with proposed ones (router/whatif.py)."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

from aiohttp import web

from router.channel_settings import Settings
from router.scoring.combiner import LEARNED_MODEL_PATH, LearnedModel, load_learned_model
from router.settings_versions import SettingsInvalid
from router.stored_story import story
from router.stored_trackers import TrackerStore, tracker_events
from router.whatif import (
    differences_by_channel,
    message_by_message,
    stored_conversation,
)
from router.whatif_run import LiveSettingsInvalid, settings_in_effect
from webapp.auth import admin_required
from webapp.replay_gate import ReplayGate
from webapp.requests import json_body
from webapp.services import services
from webapp.whatif import REPLAY_LIMITS, live_settings_conflict, proposed_settings, refused

# Single-conversation replays running in this process (a second one is refused).
REPLAYING_ONE = web.AppKey("conversation_replaying", ReplayGate)


async def _stored_events(request: web.Request) -> List[Dict[str, Any]]:
    """The events of the conversation the path names; 404 if Rasa stores none, 409 if what
    it stores cannot be read."""
    conversation_id = request.match_info["conversation_id"]
    raw = await TrackerStore(services(request).redis).tracker(conversation_id)
    if raw is None:
        raise web.HTTPNotFound(text=f"No stored conversation has the id {conversation_id}: "
                                    f"Rasa keeps conversations for a while, then drops them.")
    events = await asyncio.to_thread(tracker_events, raw)
    if events is None:
        raise web.HTTPConflict(text=f"The conversation {conversation_id} is stored, but not "
                                    f"as a Rasa tracker this service can read.")
    return events


@admin_required
async def read_story(request: web.Request) -> web.Response:
    events = await _stored_events(request)
    # Off the event loop: a long conversation is thousands of events to walk.
    told = await asyncio.to_thread(story, request.match_info["conversation_id"], events)
    return web.json_response(told)


@admin_required
async def replay_one(request: web.Request) -> web.Response:
    """`{"overrides": {...}}` as the settings API would save them: per customer message,
    the score and decision with the settings in effect and with these."""
    body = await json_body(request)
    try:
        proposed = proposed_settings(body)
    except SettingsInvalid as error:
        return refused(error)
    async with request.app[REPLAYING_ONE].held():
        events = await _stored_events(request)
        try:
            current = await settings_in_effect(services(request).redis)
        except LiveSettingsInvalid as error:
            raise live_settings_conflict(error) from error
        # Read each time (off the event loop): `make train-router` may have written a new one.
        learned = await asyncio.to_thread(load_learned_model, LEARNED_MODEL_PATH)
        replayed = await asyncio.to_thread(_replayed, request.match_info["conversation_id"],
                                           events, current, proposed, learned)
    return web.json_response({**replayed,
                              "settings_changed": differences_by_channel(current, proposed)})


def _replayed(conversation_id: str, events: List[Dict[str, Any]], current: Settings,
              proposed: Settings, learned: Optional[LearnedModel]) -> Dict[str, Any]:
    """The conversation built from its events and replayed (CPU: run in a thread)."""
    conversation = stored_conversation(conversation_id, events)
    return message_by_message(conversation, current, proposed, learned)


def add_routes(app: web.Application) -> None:
    app[REPLAYING_ONE] = ReplayGate("replay of a stored conversation",
                                    REPLAY_LIMITS.conversation_replays_at_once,
                                    REPLAY_LIMITS.retry_after_seconds)
    app.router.add_get("/api/admin/conversations/{conversation_id}", read_story)
    app.router.add_post("/api/admin/conversations/{conversation_id}/replay", replay_one)
