"""Signing in and out, and the guards every agent and admin endpoint sits behind.

A session token travels in an HttpOnly, SameSite=Strict cookie (the console) or an
`Authorization: Bearer` header (scripts, benchmarks). Redis keeps only its hash.
"""

from __future__ import annotations

import functools
import time
from typing import Awaitable, Callable, Optional

from aiohttp import web

from router.agents.directory import AccountDisabled, Agent, WrongPassword
from router.agents.lockout import SignInLocked
from webapp.requests import json_body, text_field
from webapp.services import services

COOKIE = "pinecone_session"
AGENT = "agent"  # request key of the signed-in agent
DISABLED = "This account is disabled; ask an admin."

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _token(request: web.Request) -> Optional[str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):].strip()
    return request.cookies.get(COOKIE)


async def signed_in(request: web.Request) -> Agent:
    token = _token(request)
    if not token:
        raise web.HTTPUnauthorized(text="Sign in first: this needs an agent's session "
                                        "(POST /api/auth/login).")
    agent_id = await services(request).sessions.agent_for(token)
    agent = await services(request).directory.get(agent_id) if agent_id else None
    if agent is None:
        raise web.HTTPUnauthorized(text="Your session has expired or is not valid: "
                                        "sign in again.")
    if agent.disabled:
        # Disabling ends the sessions too; this covers a request already under way.
        raise web.HTTPUnauthorized(text=DISABLED)
    return agent


def agent_required(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        request[AGENT] = await signed_in(request)
        return await handler(request)
    return guarded


def admin_required(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        agent = await signed_in(request)
        if not agent.is_admin:
            raise web.HTTPForbidden(text="Only an admin can do this; ask one to do it "
                                         "or to give you the admin role.")
        request[AGENT] = agent
        return await handler(request)
    return guarded


def current(request: web.Request) -> Agent:
    agent: Agent = request[AGENT]
    return agent


async def login(request: web.Request) -> web.Response:
    body = await json_body(request)
    agent_id = text_field(body, "agent_id", max_length=32) or ""
    password = text_field(body, "password", max_length=200, strip=False) or ""
    # The address the connection comes from (behind a proxy: the proxy's, unless it is
    # configured to pass the client's on).
    address = request.remote or "unknown"
    try:
        agent = await services(request).directory.sign_in(agent_id, password, address)
    except SignInLocked as error:
        raise web.HTTPTooManyRequests(text=str(error),
                                      headers={"Retry-After": str(error.retry_after)}) from error
    except WrongPassword as error:
        raise web.HTTPUnauthorized(text="That agent id and password do not match.") from error
    except AccountDisabled as error:
        raise web.HTTPForbidden(text=DISABLED) from error
    token = await services(request).sessions.start(agent.id)
    reply = web.json_response({"agent": agent.public(), "token": token})
    reply.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/",
                     secure=services(request).settings.secure_cookies,
                     max_age=services(request).settings.session_ttl_seconds)
    return reply


@agent_required
async def logout(request: web.Request) -> web.Response:
    """Signing out hands the agent's open conversations back to the queue's front."""
    await json_body(request)  # JSON only: another site's form cannot sign anyone out
    agent = current(request)
    returned = await services(request).queue.agent_gone(agent.id, time.time())
    token = _token(request)
    if token:
        await services(request).sessions.end(token)
    reply = web.json_response({"signed_out": agent.id, "returned_to_queue": returned})
    reply.del_cookie(COOKIE, path="/")
    return reply


@agent_required
async def me(request: web.Request) -> web.Response:
    agent = current(request)
    conversations = await services(request).directory.conversations(agent.id)
    return web.json_response({"agent": agent.public(), "conversations": conversations})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/auth/login", login)
    app.router.add_post("/api/auth/logout", logout)
    app.router.add_get("/api/me", me)
