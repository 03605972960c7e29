"""Learning from agents' labels (admins): each signal's precision, and a suggested threshold
and weights for a target handoff rate or precision (router/learning.py says how), returned as
the overrides to preview with what-if and save with PUT /api/admin/settings."""

from __future__ import annotations

import asyncio
import math
from typing import Any, Dict, List, Tuple

from aiohttp import web

from router.handoff_labels import LABEL_WORDS, HandoffLabels
from router.learning import (
    LabelledHandoff,
    LearningSettings,
    Suggestion,
    Target,
    TargetUnreachable,
    TooFewLabels,
    label_counts,
    labelled_handoff,
    overall,
    precision_by_signal,
    suggest,
)
from router.plain_words import SIGNALS as SIGNAL_WORDS
from router.scoring.settings import ScorerSettings
from router.settings_versions import SettingsInvalid, SettingsVersions, validate
from webapp.auth import admin_required
from webapp.requests import json_body
from webapp.services import services

LEARNING = LearningSettings()
TARGETS = ("target_rate", "target_precision")


async def _labelled_cases(request: web.Request) -> List[Dict[str, str]]:
    """The labelled cases, with the one field beyond the label that learning reads."""
    return await HandoffLabels(services(request).redis).labelled_cases(
        LEARNING.max_cases, fields=("packet",))


def _parsed(cases: List[Dict[str, str]]) -> List[LabelledHandoff]:
    return [h for h in map(labelled_handoff, cases) if h is not None]


def _figures(cases: List[Dict[str, str]]) -> Dict[str, Any]:
    handoffs = _parsed(cases)
    return {"counts": label_counts(handoffs), "label_words": dict(LABEL_WORDS),
            "overall": overall(handoffs), "signals": precision_by_signal(handoffs),
            "suggestion_needs": {"labels": LEARNING.min_labels, "each": LEARNING.min_each}}


def _suggestion(cases: List[Dict[str, str]], current: ScorerSettings, target: Target
                ) -> Suggestion:
    return suggest(_parsed(cases), current, target, LEARNING)


@admin_required
async def show_learning(request: web.Request) -> web.Response:
    """How many handoffs were labelled each way, each signal's precision, the overall one."""
    cases = await _labelled_cases(request)
    # Off the event loop: parsing thousands of stored packets takes a moment of CPU.
    return web.json_response(await asyncio.to_thread(_figures, cases))


def _target(body: Dict[str, Any]) -> Target:
    given = [name for name in TARGETS if body.get(name) is not None]
    if len(given) != 1:
        raise web.HTTPBadRequest(text="Send exactly one target: 'target_rate' (the largest "
                                      "share of today's handoffs to keep, e.g. 0.2) or "
                                      "'target_precision' (the share of kept handoffs that "
                                      "should need a person, e.g. 0.8).")
    name = given[0]
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not 0 < value <= 1:
        raise web.HTTPBadRequest(text=f"The field '{name}' must be a number above 0 and at "
                                      f"most 1 (a share: 0.2 is 20%), got {value!r:.40}.")
    return Target(rate=float(value)) if name == "target_rate" \
        else Target(precision=float(value))


async def _live(request: web.Request) -> Tuple[int, Dict[str, Any], ScorerSettings]:
    """The settings version, its overrides and the settings they make (the defaults if what
    is stored is not valid, as the settings page does)."""
    store = SettingsVersions(services(request).redis)
    version, overrides = await store.latest(), await store.overrides()
    try:
        return version, overrides, validate(overrides)
    except SettingsInvalid:
        return version, {}, ScorerSettings()


def _side_by_side(suggestion: Suggestion, current: ScorerSettings) -> List[Dict[str, Any]]:
    return [{"signal": name, "words": SIGNAL_WORDS.get(name, name),
             "current": current.weight(name), "suggested": weight,
             "coefficient": suggestion.coefficients.get(name),
             "kept": suggestion.kept.get(name)}
            for name, weight in sorted(suggestion.weights.items(),
                                       key=lambda item: (-item[1], item[0]))]


@admin_required
async def make_suggestion(request: web.Request) -> web.Response:
    """Body {"target_rate": 0.2} or {"target_precision": 0.8}."""
    body = await json_body(request)
    target = _target(body)
    cases = await _labelled_cases(request)
    version, live, current = await _live(request)
    try:
        # Off the event loop: parsing and fitting take a moment of CPU with thousands of labels.
        suggestion = await asyncio.to_thread(_suggestion, cases, current, target)
    except (TooFewLabels, TargetUnreachable) as error:
        raise web.HTTPConflict(text=str(error)) from error
    return web.json_response({
        "suggestion": suggestion.public(),
        "overrides": suggestion.overrides(live, current),
        "comment": f"suggested from {suggestion.labels} labels",
        "base_version": version,
        "current": {"handoff_threshold": current.handoff_threshold,
                    "concern_threshold": current.concern_threshold},
        "signals": _side_by_side(suggestion, current)})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/admin/learning", show_learning)
    app.router.add_post("/api/admin/learning/suggestion", make_suggestion)
