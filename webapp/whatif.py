"""What-if (admins): before a settings change is saved, replay the stored conversations (the
last N, or a time window) with it and see what it would do (router/whatif.py says what is
replayed and how; router/whatif_run.py runs it)."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any, Dict, List, Optional

from aiohttp import web

from router.analytics import KIND_WORDS, handoff_kind
from router.channel_settings import ChannelSettings
from router.scoring.combiner import LEARNED_MODEL_PATH, load_learned_model
from router.settings_versions import SettingsInvalid, validate_by_channel
from router.whatif import REASON_KINDS, WhatIfSettings
from router.whatif_run import LiveSettingsInvalid, RunSettings, Selection, what_if
from webapp.auth import admin_required
from webapp.replay_gate import ReplayGate, ReplayLimits
from webapp.requests import int_field, json_body
from webapp.services import services

LIMITS = WhatIfSettings()
# The scorer's reason behind each key of the replay's `by_reason_*` ("frustration" is its own
# prefix), to be grouped into the kinds people read.
_SCORER_REASONS = {kind: reason for reason, kind in REASON_KINDS}
REPLAY_LIMITS = ReplayLimits()
# What-if replays running in this process (webapp/replay_gate.py: a second one is refused).
REPLAYING = web.AppKey("whatif_replaying", ReplayGate)


def proposed_settings(body: Dict[str, Any]) -> ChannelSettings:
    """The settings the overrides would make, in full as the settings API saves them
    (anything left out takes its default; each channel's own on top), checked with the same
    rules (SettingsInvalid: answer it with `refused`)."""
    if "overrides" not in body:
        raise web.HTTPBadRequest(text="The field 'overrides' is missing: send the settings "
                                      "you would save, e.g. {\"overrides\": "
                                      "{\"handoff_threshold\": 0.7}} ({} for the defaults).")
    return validate_by_channel(body["overrides"])


def _time_field(body: Dict[str, Any], name: str) -> Optional[float]:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value < 0:
        raise web.HTTPBadRequest(text=f"The field '{name}' must be a time in unix seconds "
                                      f"(a number, 0 or more).")
    return float(value)


def _selection(body: Dict[str, Any]) -> Selection:
    last = int_field(body, "last")
    since, until = _time_field(body, "since"), _time_field(body, "until")
    if last is not None and (since is not None or until is not None):
        raise web.HTTPBadRequest(text="Send either 'last' or 'since' (and 'until'), not both.")
    if last is not None:
        if not 1 <= last <= LIMITS.max_conversations:
            raise web.HTTPBadRequest(text=f"The field 'last' must be between 1 and "
                                          f"{LIMITS.max_conversations}, got {last}.")
        return Selection(last=last)
    if since is None:
        raise web.HTTPBadRequest(text="Say which conversations to replay: 'last' (how many "
                                      "of the newest) or 'since' (unix seconds; 'until' too, "
                                      "else until now).")
    if until is not None and until <= since:
        raise web.HTTPBadRequest(text="'until' must be later than 'since'.")
    return Selection(since=since, until=until)


def refused(error: SettingsInvalid) -> web.Response:
    """Overrides refused as the settings API refuses them: each wrong field named, for the
    form."""
    return web.json_response({"error": f"Nothing was replayed: {error}.",
                              "fields": error.errors}, status=400)


def reasons_in_words(answer: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Handoffs now and after by the kinds of reason people read on the dashboard
    (router/analytics.py KIND_WORDS, grouped as router/metrics.py groups the scorer's
    reasons): the replay's own keys are the scorer's finer ones."""
    counts: Dict[str, List[int]] = {kind: [0, 0] for kind in KIND_WORDS}
    for side, name in enumerate(("by_reason_now", "by_reason_after")):
        for reason, handoffs in answer[name].items():
            counts[handoff_kind(_SCORER_REASONS.get(reason, reason))][side] += handoffs
    return [{"kind": kind, "words": KIND_WORDS[kind], "now": now, "after": after}
            for kind, (now, after) in counts.items() if now or after]


@admin_required
async def replay(request: web.Request) -> web.Response:
    body = await json_body(request)
    selection = _selection(body)
    try:
        proposed = proposed_settings(body)
    except SettingsInvalid as error:
        return refused(error)
    # Read each time (off the event loop): `make train-router` may have written a new one.
    learned = await asyncio.to_thread(load_learned_model, LEARNED_MODEL_PATH)
    async with request.app[REPLAYING].held():
        try:
            answer = await what_if(services(request).redis, proposed, selection, time.time(),
                                   learned, RunSettings(limits=LIMITS))
        except LiveSettingsInvalid as error:
            raise live_settings_conflict(error) from error
    return web.json_response({**answer, "reasons": reasons_in_words(answer)})


def live_settings_conflict(error: LiveSettingsInvalid) -> web.HTTPConflict:
    return web.HTTPConflict(text=f"The live settings stored in Redis are not valid ({error}): "
                                 f"fix them with `make settings` first.")


def add_routes(app: web.Application) -> None:
    app[REPLAYING] = ReplayGate("what-if replay", REPLAY_LIMITS.whatif_at_once,
                                REPLAY_LIMITS.retry_after_seconds)
    app.router.add_post("/api/admin/what-if", replay)
