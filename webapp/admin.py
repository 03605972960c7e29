"""Admins manage the team: agent accounts, roles, capacity and teams, sign-in locks, and
whether an account may sign in at all. Any signed-in agent may list the team (the console
needs it to transfer a conversation); admins also see who is locked out."""

from __future__ import annotations

from typing import Any, Dict, Optional

from aiohttp import web

from router.agents.directory import AccountError
from router.agents.passwords import WeakPassword
from webapp.auth import admin_required, agent_required, current
from webapp.requests import int_field, json_body, list_field, text_field
from webapp.services import services


def _bool_field(body: Dict[str, Any], name: str) -> Optional[bool]:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise web.HTTPBadRequest(text=f"The field '{name}' must be true or false.")
    return value


def _not_found(agent_id: str) -> web.HTTPNotFound:
    return web.HTTPNotFound(text=f"No agent has the id '{agent_id}'.")


@agent_required
async def list_agents(request: web.Request) -> web.Response:
    directory = services(request).directory
    agents = [a.public() for a in await directory.all()]
    if current(request).is_admin:
        for agent in agents:
            agent["locked"] = await directory.lockout.is_locked(agent["id"])
    return web.json_response({"agents": agents})


@admin_required
async def create_agent(request: web.Request) -> web.Response:
    body = await json_body(request)
    try:
        agent = await services(request).directory.create(
            text_field(body, "id", max_length=32) or "",
            text_field(body, "name", max_length=60) or "",
            text_field(body, "password", max_length=200, strip=False) or "",
            role=text_field(body, "role", required=False, max_length=10) or "agent",
            capacity=int_field(body, "capacity",
                               services(request).settings.queue.default_capacity) or 0,
            teams=list_field(body, "teams") or [])
    except (AccountError, WeakPassword) as error:
        raise web.HTTPBadRequest(text=str(error)) from error
    return web.json_response({"agent": agent.public()}, status=201)


@admin_required
async def update_agent(request: web.Request) -> web.Response:
    """Any of the fields; `"disabled": true` also signs the agent out everywhere and puts
    their conversations back at the front of the queue."""
    agent_id = request.match_info["agent_id"]
    body = await json_body(request)
    disabled = _bool_field(body, "disabled")
    if disabled and agent_id == current(request).id:
        raise web.HTTPBadRequest(text="You can't disable your own account: another admin can.")
    try:
        # A field that is sent must have a value: "" does not mean "leave it".
        agent = await services(request).directory.update(
            agent_id, name=text_field(body, "name", required="name" in body, max_length=60),
            role=text_field(body, "role", required="role" in body, max_length=10),
            capacity=int_field(body, "capacity"), teams=list_field(body, "teams"),
            password=text_field(body, "password", required="password" in body,
                                max_length=200, strip=False),
            disabled=disabled)
    except LookupError as error:
        raise _not_found(agent_id) from error
    except (AccountError, WeakPassword) as error:
        raise web.HTTPBadRequest(text=str(error)) from error
    return web.json_response({"agent": agent.public()})


@admin_required
async def unlock_agent(request: web.Request) -> web.Response:
    """Lifts the account's sign-in locks, from every address."""
    agent_id = request.match_info["agent_id"]
    await json_body(request)  # JSON only: another site's form cannot post here
    try:
        await services(request).directory.unlock(agent_id)
    except LookupError as error:
        raise _not_found(agent_id) from error
    return web.json_response({"unlocked": agent_id})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/agents", list_agents)
    app.router.add_post("/api/agents", create_agent)
    app.router.add_patch("/api/agents/{agent_id}", update_agent)
    app.router.add_post("/api/agents/{agent_id}/unlock", unlock_agent)
