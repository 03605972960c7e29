"""The agents' API: the queue, a conversation's story, and taking part in it (claim, reply,
transfer, resolve, hand back), with live feeds for the console page."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml
from aiohttp import web
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from router import keys, service_settings, typing_signals
from router.agents.directory import PRESENCES, Agent
from router.customer_limits import CustomerLimits
from router.handoff.queue import HANDED_BACK, RESOLVED, QueueError
from router.handoff.view import conversation_view
from router.live_settings import merged
from router.plain_words import channel_name, handoff_sentence
from router.relay.notices import joined_notice
from router.relay.outbox import line_command, resume_command
from router.scoring.settings import ScorerSettings, SettingsError
from router.service_levels import alert as service_level_alert
from webapp import sse
from webapp.auth import agent_required, current, signed_in
from webapp.requests import json_body, text_field
from webapp.services import Services, services

log = logging.getLogger(__name__)

CANNED_FILE = Path(__file__).parent / "canned_responses.yml"
# The live queue is re-sent at least this often (waiting times grow), and at once on a change.
QUEUE_REFRESH_SECONDS = 10.0
# A live stream makes sure its session is still valid at least this often: signing out, a new
# password or a disabled account ends the agent's streams within this time. It is also the
# longest a conversation's feed waits for a line before sending a keep-alive.
SESSION_CHECK_SECONDS = 5.0
# A burst of queue changes that arrive this close together becomes one update.
QUEUE_BURST_SECONDS = 0.05
# Redis stream ids are two unsigned 64-bit numbers, "<milliseconds>-<sequence>".
STREAM_ID = re.compile(r"([0-9]{1,20})(?:-([0-9]{1,20}))?")


def conflict(error: QueueError) -> web.HTTPException:
    if error.code == "not_yours":
        return web.HTTPForbidden(text=str(error))
    return web.HTTPConflict(text=str(error))


async def snapshot(svc: Services, agent: Agent, now: float) -> Dict[str, Any]:
    """The queue as one agent sees it: who waits, their own conversations, the team."""
    agent = await svc.directory.get(agent.id) or agent  # presence may have changed since
    mine: List[Dict[str, Any]] = []
    for conversation_id in await svc.directory.conversations(agent.id):
        packet = await svc.queue.packet(conversation_id) or {}
        mine.append({"conversation_id": conversation_id, "reason": packet.get("reason"),
                     "reason_sentence": handoff_sentence(packet.get("reason"),
                                                         packet.get("assessment")),
                     "channel": packet.get("channel"),
                     "channel_name": channel_name(packet.get("channel")),
                     "summary": packet.get("summary"),
                     **_customer_lines(await svc.queue.state(conversation_id))})
    team = []
    for member in await svc.directory.all():
        load = len(await svc.directory.conversations(member.id))
        team.append({**member.public(), "conversations": load})
    waiting = await svc.queue.waiting()
    view = {"waiting": [w.as_dict(now) for w in waiting], "mine": mine,
            "team": team, "me": agent.public(), "limits": await console_limits(svc)}
    if agent.is_admin:  # supervisors are alerted to customers waiting past the target
        levels = (await service_settings.live(svc.redis)).levels  # as an admin set it
        view["service_level"] = service_level_alert(waiting, now, levels)
    return view


async def console_limits(svc: Services) -> Dict[str, Any]:
    """What the console's colours and counters follow, read live (an admin's change shows
    within one snapshot), so the page holds no copy of a threshold or a limit."""
    try:
        settings = merged(json.loads(await svc.redis.get(keys.ROUTER_SETTINGS) or "{}"))
    except (ValueError, SettingsError):
        settings = ScorerSettings()  # the router falls back to its defaults too
    return {"concern_threshold": settings.concern_threshold,
            "handoff_threshold": settings.handoff_threshold,
            "max_message_chars": CustomerLimits.from_env().max_message_chars,
            "typing": typing_signals.timing()}


def _customer_lines(state: Dict[str, str]) -> Dict[str, Any]:
    """How many customer lines the conversation has had since its handoff and the last one,
    so the console can count those its agent has not read (feed_append.lua keeps them)."""
    last_id = state.get("last_customer_line_id")
    at = state.get("last_customer_line_at")
    return {"customer_lines": int(state.get("customer_lines") or 0),
            "last_customer_line": {"id": last_id, "at": float(at) if at else None}
            if last_id else None}


@dataclass(frozen=True)
class Target:
    """What a conversation endpoint works on: the service, the signed-in agent, and the
    handed-off conversation named in the path (404 when there is none)."""

    svc: Services
    agent: Agent
    conversation_id: str
    packet: Dict[str, Any]


async def target(request: web.Request) -> Target:
    svc = services(request)
    conversation_id = request.match_info["conversation_id"]
    packet = await existing(svc, conversation_id)
    return Target(svc, current(request), conversation_id, packet)


async def existing(svc: Services, conversation_id: str) -> Dict[str, Any]:
    packet = await svc.queue.packet(conversation_id)
    if packet is None:
        raise web.HTTPNotFound(text=f"No handed-off conversation has the id "
                                    f"'{conversation_id}'.")
    return packet


@agent_required
async def queue_view(request: web.Request) -> web.Response:
    return web.json_response(await snapshot(services(request), current(request), time.time()))


@agent_required
async def queue_events(request: web.Request) -> web.StreamResponse:
    """The queue snapshot now and whenever it changes, a customer writes in one of the
    agent's conversations or an admin changes the router's settings (and every few seconds,
    for wait times), for as long as the agent's session lasts."""
    svc = services(request)
    agent = current(request)
    response = await sse.open_stream(request)
    async with svc.redis.pubsub() as changes:
        # A settings change re-sends it too: its limits colour the scores (console_limits).
        await changes.subscribe(keys.QUEUE_CHANGED, keys.agent_customer_lines(agent.id),
                                keys.ROUTER_SETTINGS_CHANGED)
        changed, next_refresh = True, 0.0
        try:
            while await still_signed_in(request):
                if changed or time.monotonic() >= next_refresh:
                    await sse.send(response, "queue", await snapshot(svc, agent, time.time()))
                    next_refresh = time.monotonic() + QUEUE_REFRESH_SECONDS
                changed = await _changed_within(changes, SESSION_CHECK_SECONDS)
        except ConnectionResetError:
            pass  # the console went away: nothing more to send
    return response


async def _changed_within(changes: PubSub, seconds: float) -> bool:
    """Waits up to `seconds` for a change (of the queue, or a customer line for this agent);
    a burst of changes counts as one."""
    if await changes.get_message(ignore_subscribe_messages=True, timeout=seconds) is None:
        return False
    while await changes.get_message(ignore_subscribe_messages=True,
                                    timeout=QUEUE_BURST_SECONDS):
        pass
    return True


async def still_signed_in(request: web.Request) -> bool:
    """Whether the session a stream was opened with still holds; a stream re-checks it with
    the same request's token, so whatever ends a session ends its streams too."""
    try:
        await signed_in(request)
    except (web.HTTPUnauthorized, web.HTTPForbidden):
        return False
    return True


@agent_required
async def claim(request: web.Request) -> web.Response:
    svc = services(request)
    agent = current(request)
    body = await json_body(request)
    wanted = text_field(body, "conversation_id", required=False)
    if wanted:
        await existing(svc, wanted)
    notice = joined_notice(agent.name)
    try:
        conversation_id = await svc.queue.claim(
            agent.id, time.time(), wanted,
            tell_customer=line_command(notice["text"], notice["metadata"]))
    except QueueError as error:
        raise conflict(error) from error
    return web.json_response({"conversation_id": conversation_id, "agent_id": agent.id})


@agent_required
async def conversation(request: web.Request) -> web.Response:
    t = await target(request)
    queue = t.svc.queue
    view = conversation_view(t.conversation_id, t.packet, await queue.owner(t.conversation_id),
                             await queue.state(t.conversation_id),
                             await t.svc.feed.since(t.conversation_id, "0", count=2000))
    return web.json_response(view)


@agent_required
async def conversation_events(request: web.Request) -> web.StreamResponse:
    """New lines of the conversation after `Last-Event-ID` (or `?after=`), as they come, and
    `typing` while the customer types, for as long as the agent's session lasts."""
    t = await target(request)
    last_id = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
    if not _is_stream_id(last_id):
        raise web.HTTPBadRequest(text="'after' (or the Last-Event-ID header) must be a feed "
                                      "id like 1700000000000-0.")
    response = await sse.open_stream(request)
    async with t.svc.redis.pubsub() as typing:
        await typing.subscribe(keys.customer_typing(t.conversation_id))
        lines = _ConversationStream(t, response, typing, last_id)
        try:
            while await still_signed_in(request):
                await lines.send_next()
        except ConnectionResetError:
            pass  # the console went away: nothing more to send
        finally:
            await lines.stop()
    return response


class _ConversationStream:
    """Waits for the next line and the next typing signal at once; each wait, once started,
    runs to its end (cancelling a blocked Redis read would cost its connection)."""

    def __init__(self, t: Target, response: web.StreamResponse, typing: PubSub,
                 last_id: str) -> None:
        self.t, self.response, self.typing, self.last_id = t, response, typing, last_id
        self.lines: Optional[asyncio.Task[List[Tuple[str, Dict[str, Any]]]]] = None
        self.signal: Optional[asyncio.Task[Any]] = None

    async def send_next(self) -> None:
        if self.lines is None:
            self.lines = asyncio.ensure_future(self.t.svc.feed.since(
                self.t.conversation_id, self.last_id,
                block_ms=int(SESSION_CHECK_SECONDS * 1000)))
        if self.signal is None:
            self.signal = asyncio.ensure_future(self.typing.get_message(
                ignore_subscribe_messages=True, timeout=SESSION_CHECK_SECONDS))
        done, _ = await asyncio.wait({self.lines, self.signal},
                                     return_when=asyncio.FIRST_COMPLETED)
        if self.signal in done:
            if self.signal.result() is not None:
                await sse.send(self.response, "typing", {"from": "customer"})
            self.signal = None
        if self.lines in done:
            entries = self.lines.result()
            self.lines = None
            if not entries:  # nothing for a while: show the console the stream is alive
                await self.response.write(sse.KEEPALIVE)
            for entry_id, line in entries:
                await sse.send(self.response, "line", line, event_id=entry_id)
                self.last_id = entry_id

    async def stop(self) -> None:
        waits = [task for task in (self.lines, self.signal) if task is not None]
        for task in waits:
            task.cancel()
        await asyncio.gather(*waits, return_exceptions=True)


def _is_stream_id(value: str) -> bool:
    match = STREAM_ID.fullmatch(value)
    return match is not None and all(int(part) < 2 ** 64 for part in match.groups("0"))


@agent_required
async def send_message(request: web.Request) -> web.Response:
    t = await target(request)
    body = await json_body(request)
    text = text_field(body, "text",
                      max_length=CustomerLimits.from_env().max_message_chars) or ""
    request_id = text_field(body, "request_id", required=False, max_length=64)
    relay_id = request_id or uuid.uuid4().hex
    metadata = {"agent_name": t.agent.name, "agent_id": t.agent.id, "relay_id": relay_id}
    try:
        entry = await t.svc.outbox.put(t.conversation_id, line_command(text, metadata),
                                       from_agent=t.agent.id, request_id=request_id)
    except QueueError as error:
        raise conflict(error) from error
    if entry is None:
        return web.json_response({"relay_id": relay_id, "status": "duplicate"})
    return web.json_response({"relay_id": relay_id, "status": "queued"}, status=202)


@agent_required
async def typing(request: web.Request) -> web.Response:
    """The agent is typing a reply: the customer's chat page shows it for a few seconds
    (router/typing_signals.py). Only the agent who has the conversation may signal."""
    t = await target(request)
    await json_body(request)
    owner = await t.svc.queue.owner(t.conversation_id)
    if owner != f"agent:{t.agent.id}":
        raise web.HTTPConflict(text="Only the agent who has this conversation can be shown "
                                    "typing to the customer: claim it first.")
    await typing_signals.agent_is_typing(t.svc.redis, t.conversation_id, t.agent.name)
    return web.json_response({"conversation_id": t.conversation_id, "typing": True})


@agent_required
async def transfer(request: web.Request) -> web.Response:
    t = await target(request)
    body = await json_body(request)
    to_agent = text_field(body, "to_agent", required=False, max_length=32)
    to_team = text_field(body, "to_team", required=False, max_length=40)
    if bool(to_agent) == bool(to_team):
        raise web.HTTPBadRequest(text="Give exactly one of 'to_agent' (an agent id) or "
                                      "'to_team' (a team name).")
    notice = None
    if to_agent:
        colleague = await t.svc.directory.get(to_agent)
        if colleague is None:
            raise web.HTTPNotFound(text=f"No agent has the id '{to_agent}'.")
        joined = joined_notice(colleague.name)
        notice = line_command(joined["text"], joined["metadata"])
    try:
        owner = await t.svc.queue.transfer(
            t.conversation_id, time.time(), by_agent=None if t.agent.is_admin else t.agent.id,
            to_agent=to_agent, to_team=to_team, tell_customer=notice)
    except QueueError as error:
        raise conflict(error) from error
    return web.json_response({"conversation_id": t.conversation_id, "owner": owner})


async def _release(request: web.Request, outcome: str) -> web.Response:
    t = await target(request)
    await json_body(request)
    # The customer hears the name of whoever helped them, even if an admin lets go for them.
    owner = await t.svc.queue.owner(t.conversation_id) or ""
    helper = await t.svc.directory.get(owner[len("agent:"):]) \
        if owner.startswith("agent:") else None
    try:
        released = await t.svc.queue.release(
            t.conversation_id, time.time(), outcome,
            resume_command(outcome, (helper or t.agent).name),
            by_agent=None if t.agent.is_admin else t.agent.id)
    except QueueError as error:
        raise conflict(error) from error
    # File it for search now; the housekeeping does it if this fails or the process stops.
    try:
        await t.svc.history.index_pending()
    except (RedisError, OSError) as error:
        log.warning("Ended handoff %s left for the housekeeping to file: %s",
                    t.conversation_id, error)
    # The case number lets the console ask at once whether the handoff was right.
    return web.json_response({"conversation_id": t.conversation_id, "outcome": outcome,
                              "case_id": released.case_id})


@agent_required
async def resolve(request: web.Request) -> web.Response:
    return await _release(request, RESOLVED)


@agent_required
async def hand_back(request: web.Request) -> web.Response:
    return await _release(request, HANDED_BACK)


@agent_required
async def presence(request: web.Request) -> web.Response:
    body = await json_body(request)
    wanted = text_field(body, "presence", max_length=10)
    if wanted not in ("online", "away"):
        raise web.HTTPBadRequest(text="'presence' is 'online' or 'away' (sign out to go "
                                      f"offline); one of {', '.join(PRESENCES)}.")
    now = await services(request).directory.heartbeat(current(request).id, time.time(),
                                                      wanted)
    return web.json_response({"presence": now})


@agent_required
async def heartbeat(request: web.Request) -> web.Response:
    """The console calls this every 15 s; without it for a minute, the agent's conversations
    go back to the queue."""
    await json_body(request)
    now = await services(request).directory.heartbeat(current(request).id, time.time())
    return web.json_response({"presence": now})


@lru_cache(maxsize=1)
def canned_responses() -> List[Dict[str, str]]:
    data = yaml.safe_load(CANNED_FILE.read_text()) or {}
    return [{"title": str(r["title"]), "text": str(r["text"])}
            for r in data.get("responses") or []]


@agent_required
async def canned(request: web.Request) -> web.Response:
    return web.json_response({"responses": canned_responses()})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/queue", queue_view)
    app.router.add_get("/api/queue/events", queue_events)
    app.router.add_post("/api/queue/claim", claim)
    app.router.add_get("/api/conversations/{conversation_id}", conversation)
    app.router.add_get("/api/conversations/{conversation_id}/events", conversation_events)
    app.router.add_post("/api/conversations/{conversation_id}/messages", send_message)
    app.router.add_post("/api/conversations/{conversation_id}/typing", typing)
    app.router.add_post("/api/conversations/{conversation_id}/transfer", transfer)
    app.router.add_post("/api/conversations/{conversation_id}/resolve", resolve)
    app.router.add_post("/api/conversations/{conversation_id}/hand-back", hand_back)
    app.router.add_post("/api/me/presence", presence)
    app.router.add_post("/api/me/heartbeat", heartbeat)
    app.router.add_get("/api/canned-responses", canned)
