"""Admins change the router's settings live: the settings now with what each means and the
values it takes (for the console's form), when people can take over (support hours, holidays,
the queue's limit, the longest wait), a change with a comment, the versions with their
diffs, restoring one, and an export of them all. Every change is a version
(router/settings_versions.py) and reaches every Rasa process on the next customer turn."""

from __future__ import annotations

import json
import re
import time
from typing import Any, Dict, Optional

from aiohttp import web

from router import service_settings, settings_catalog
from router.channel_settings import MAX_CHANNEL_NAME_CHARS, MAX_CHANNELS
from router.plain_words import CHANNELS, INTENTS, SIGNALS
from router.scoring.settings import ScorerSettings
from router.service_settings import SERVICE
from router.settings_versions import (
    MAX_COMMENT_CHARS,
    SettingsInvalid,
    SettingsVersions,
    UnknownVersion,
    VersionConflict,
    validate,
)
from webapp.auth import admin_required, current
from webapp.requests import int_field, json_body, text_field
from webapp.services import services

# A page of the history: enough for a screen, and what an export is for beyond it.
DEFAULT_PAGE = 20
MAX_PAGE = 100
# Version numbers in paths and queries: a few digits (a number of thousands of digits is not
# a version, and int() would spend time on it).
_NUMBER = re.compile(r"[0-9]{1,9}")


def _versions(request: web.Request) -> SettingsVersions:
    return SettingsVersions(services(request).redis)


def _refused(error: SettingsInvalid) -> web.Response:
    """400 naming each wrong field, so the form shows each message beside its field."""
    return web.json_response({"error": f"Nothing was saved: {error}.", "fields": error.errors},
                             status=400)


def _query_number(request: web.Request, name: str, default: int, least: int,
                  most: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not (_NUMBER.fullmatch(raw) and least <= int(raw) <= most):
        raise web.HTTPBadRequest(text=f"'{name}' is a whole number from {least} to {most}.")
    return int(raw)


def _path_version(request: web.Request) -> int:
    raw = request.match_info["version"]
    if not _NUMBER.fullmatch(raw):
        raise web.HTTPNotFound(text="A settings version is a whole number: 0 (the defaults), "
                                    "1, 2, ... (GET /api/admin/settings/versions lists them).")
    return int(raw)


@admin_required
async def show_settings(request: web.Request) -> web.Response:
    """The settings in effect, each with its default, whether it is changed, what it means
    and the values it takes; the version they are."""
    store = _versions(request)
    latest = await store.latest()
    overrides = await store.overrides()
    try:
        settings = validate(overrides)
    except SettingsInvalid:
        # Stored by hand, not through a version: the processes keep their last good
        # settings, and the form starts from the defaults.
        settings, overrides = ScorerSettings(), {}
    defaults = ScorerSettings()
    return web.json_response({
        "version": latest, "overrides": overrides,
        "fields": settings_catalog.setting_fields(settings, overrides),
        "weights": settings_catalog.signal_fields(settings.weights, defaults.weights),
        "service": _service_form(overrides),
        "channels": _channels_form(),
        "limits": {"comment_max_chars": MAX_COMMENT_CHARS, "page_max": MAX_PAGE},
    })


def _channels_form() -> Dict[str, Any]:
    """The channels an admin can pick for settings of their own, as people say them (any
    other name like a channel's may be typed), and the bounds."""
    return {"known": [{"name": name, "label": label} for name, label in CHANNELS.items()],
            "limits": {"channels_max": MAX_CHANNELS, "name_max_chars": MAX_CHANNEL_NAME_CHARS}}


def _service_form(overrides: Dict[str, Any]) -> Dict[str, Any]:
    """When people can take over, as the form shows it: in effect, the defaults (from the
    environment), the weekdays in order and the bounds."""
    defaults = service_settings.ServiceSettings.from_env()
    in_effect = service_settings.with_overrides(defaults, overrides.get(SERVICE) or {})
    return {"values": in_effect.written(), "defaults": defaults.written(),
            "weekdays": list(service_settings.WEEKDAYS),
            # What a conversation can be routed by, named as people say them.
            "routing_choices": {
                "intents": [{"name": name, "label": phrase}
                            for name, phrase in sorted(INTENTS.items())],
                "signals": [{"name": name, "label": phrase}
                            for name, phrase in sorted(SIGNALS.items())]},
            "limits": {"queue_limit_max": service_settings.MAX_QUEUE_LIMIT,
                       "max_wait_minutes_max": service_settings.MAX_WAIT_MINUTES}}


@admin_required
async def change_settings(request: web.Request) -> web.Response:
    """The new overrides in full (anything left out takes its default) with a comment."""
    body = await json_body(request)
    if "overrides" not in body:
        raise web.HTTPBadRequest(text="The field 'overrides' is missing: send the settings "
                                      "that differ from the defaults, e.g. "
                                      "{\"overrides\": {\"handoff_threshold\": 0.7}}.")
    comment = text_field(body, "comment", required=False, max_length=MAX_COMMENT_CHARS) or ""
    base_version = _base_version(body)
    overrides = body["overrides"]
    if isinstance(overrides, dict):
        # Every service field stored once any is, so every process reads the same ones.
        overrides = service_settings.whole(overrides, service_settings.ServiceSettings.from_env())
    try:
        version = await _versions(request).save(overrides, current(request).id,
                                                comment, base_version)
    except SettingsInvalid as error:
        return _refused(error)
    except VersionConflict as error:
        raise web.HTTPConflict(text=str(error)) from error
    return web.json_response({"version": version.public()})


def _base_version(body: Dict[str, Any]) -> Optional[int]:
    value = int_field(body, "base_version")
    if value is not None and value < 0:
        raise web.HTTPBadRequest(text="The field 'base_version' is the version the change "
                                      "was made on: 0 or more.")
    return value


@admin_required
async def list_versions(request: web.Request) -> web.Response:
    """Newest first, `limit` at a time, skipping the `offset` newest."""
    offset = _query_number(request, "offset", 0, 0, 10 ** 9)
    limit = _query_number(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    total, shown = await _versions(request).page(offset, limit)
    return web.json_response({"total": total, "offset": offset,
                              "versions": [v.public() for v in shown]})


@admin_required
async def show_version(request: web.Request) -> web.Response:
    try:
        version = await _versions(request).get(_path_version(request))
    except UnknownVersion as error:
        raise web.HTTPNotFound(text=str(error)) from error
    return web.json_response({"version": version.public()})


@admin_required
async def restore_version(request: web.Request) -> web.Response:
    """A new version with that version's settings (comment "restored version N")."""
    await json_body(request)  # JSON only: another site's form cannot post here
    number = _path_version(request)
    try:
        version = await _versions(request).restore(number, current(request).id)
    except UnknownVersion as error:
        raise web.HTTPNotFound(text=str(error)) from error
    except SettingsInvalid as error:
        return _refused(error)
    except VersionConflict as error:
        raise web.HTTPConflict(text=str(error)) from error
    return web.json_response({"version": version.public()})


@admin_required
async def export_versions(request: web.Request) -> web.Response:
    """Every version, oldest first, as a JSON file to keep."""
    exported = await _versions(request).export()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return web.json_response(
        {"exported_at": time.time(), "versions": [v.public() for v in exported]},
        dumps=lambda value: json.dumps(value, indent=2),
        headers={"Content-Disposition":
                 f'attachment; filename="router-settings-versions-{stamp}.json"'})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/admin/settings", show_settings)
    app.router.add_put("/api/admin/settings", change_settings)
    app.router.add_get("/api/admin/settings/versions", list_versions)
    app.router.add_get("/api/admin/settings/versions/{version}", show_version)
    app.router.add_post("/api/admin/settings/versions/{version}/restore", restore_version)
    app.router.add_get("/api/admin/settings/export", export_versions)
