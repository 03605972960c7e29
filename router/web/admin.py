"""Admins manage the team: agent accounts, roles, capacity and teams. Any signed-in agent may
list the team (the console needs it to transfer a conversation)."""

from __future__ import annotations

from aiohttp import web

from router.agents.directory import AccountError
from router.agents.passwords import WeakPassword
from router.web.auth import admin_required, agent_required
from router.web.requests import int_field, json_body, list_field, text_field
from router.web.services import services


@agent_required
async def list_agents(request: web.Request) -> web.Response:
    agents = await services(request).directory.all()
    return web.json_response({"agents": [a.public() for a in agents]})


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
    agent_id = request.match_info["agent_id"]
    body = await json_body(request)
    try:
        # A field that is sent must have a value: "" does not mean "leave it".
        agent = await services(request).directory.update(
            agent_id, name=text_field(body, "name", required="name" in body, max_length=60),
            role=text_field(body, "role", required="role" in body, max_length=10),
            capacity=int_field(body, "capacity"), teams=list_field(body, "teams"),
            password=text_field(body, "password", required="password" in body,
                                max_length=200, strip=False))
    except LookupError as error:
        raise web.HTTPNotFound(text=f"No agent has the id '{agent_id}'.") from error
    except (AccountError, WeakPassword) as error:
        raise web.HTTPBadRequest(text=str(error)) from error
    return web.json_response({"agent": agent.public()})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/agents", list_agents)
    app.router.add_post("/api/agents", create_agent)
    app.router.add_patch("/api/agents/{agent_id}", update_agent)
