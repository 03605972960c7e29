"""Everything our service asks of Rasa goes through one Redis stream, the outbox: an agent's
line, a queue notice, the resume after a person lets go. A consumer group delivers it, so a
command accepted before a crash is delivered after the restart, and a command delivered but
not yet acknowledged is checked against Rasa's tracker before it is sent again: no duplicates.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Dict, List, Optional, Tuple

from redis import asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from router import keys, metrics
from router.clean_text import lua_json
from router.handoff.queue import QueueError
from router.handoff.scripts import Scripts
from router.redis_values import text, text_map
from router.relay.rasa_api import RasaClient, RasaRefused, RasaUnavailable

log = logging.getLogger(__name__)

LINE = "line"  # a bot event pushed to the customer: an agent's words or a notice
RESUME = "resume"  # the bot has the conversation again
WELCOME_BACK_ACTION = "action_welcome_back"
# Commands another consumer took but did not acknowledge for this long are taken over.
ABANDONED_MS = 60_000
# Channels that answer only within the customer's own request: a line sent later cannot
# reach them (Rasa would hand it to a collector nobody reads).
CANNOT_PUSH = frozenset({"rest", "cmdline"})
NOT_DELIVERABLE = ("The customer's channel only receives replies to their own messages, so "
                   "this line could not be sent to them; it is kept in the conversation.")


def delivering_channel(events: List[Dict[str, Any]]) -> Optional[str]:
    """The channel the customer last wrote from that can receive a line sent later: a line
    from a script on REST must not take an agent's words away from a web chat."""
    for event in reversed(events):
        if event.get("event") == "user":
            channel = event.get("input_channel")
            if channel and channel not in CANNOT_PUSH:
                return str(channel)
    return None


def line_command(text: str, metadata: Dict[str, Any]) -> Dict[str, str]:
    return {"kind": LINE, "text": text, "metadata": lua_json(metadata)}


def resume_command(outcome: str, agent_name: str, ticket: str = "") -> Dict[str, str]:
    """The bot takes over again; `ticket`: the reference of the ticket the conversation
    became (outcome expired), which the bot tells the customer."""
    return {"kind": RESUME, "outcome": outcome, "agent_name": agent_name, "ticket": ticket}


def already_sent(events: List[Dict[str, Any]], relay_id: Optional[str]) -> bool:
    return bool(relay_id) and any(
        event.get("event") == "bot" and (event.get("metadata") or {}).get("relay_id") == relay_id
        for event in events)


def already_welcomed_back(events: List[Dict[str, Any]]) -> bool:
    """Did the bot greet the customer again since the conversation was last paused?"""
    for event in reversed(events):
        if event.get("event") == "pause":
            return False
        if event.get("event") == "action" and event.get("name") == WELCOME_BACK_ACTION:
            return True
    return False


class Outbox:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self.scripts = Scripts(redis)

    async def put(self, conversation_id: str, command: Dict[str, str],
                  from_agent: Optional[str] = None, request_id: Optional[str] = None
                  ) -> Optional[str]:
        """Queue a command; with `from_agent`, only if that agent has the conversation;
        with `request_id`, only once (None is returned for a repeat)."""
        status, value = await self.scripts.run(
            "outbox_put", conversation_id, from_agent or "", request_id or "",
            lua_json(command))
        if text(status) == "error":
            raise QueueError(text(value))
        return text(value) if text(status) == "ok" else None


Entry = Tuple[str, Dict[str, str]]


async def relay_lag_seconds(redis: aioredis.Redis) -> float:
    """How long the oldest command not yet delivered has been in the outbox (taken by a worker
    but not acknowledged, or not taken yet); 0 when everything is delivered. Measured on
    Redis's clock, which gave the command its id, so this machine's clock does not matter."""
    oldest = await _oldest_undelivered_ms(redis)
    if oldest is None:
        return 0.0
    seconds, microseconds = await redis.time()
    return max(seconds * 1000 + microseconds // 1000 - oldest, 0) / 1000


async def _oldest_undelivered_ms(redis: aioredis.Redis) -> Optional[int]:
    group = await _delivery_group(redis)
    ids = []
    if group is not None and int(group["pending"]):
        ids.append((await redis.xpending(keys.RELAY_OUTBOX, keys.RELAY_GROUP))["min"])
    after = text(group["last-delivered-id"]) if group is not None else "0-0"
    ids += [entry_id for entry_id, _fields in
            await redis.xrange(keys.RELAY_OUTBOX, min=f"({after}", count=1)]
    return min((int(text(entry_id).split("-")[0]) for entry_id in ids if entry_id),
               default=None)


async def _delivery_group(redis: aioredis.Redis) -> Optional[Dict[str, Any]]:
    """The consumer group's state; None before it exists (then nothing was taken yet)."""
    try:
        groups = await redis.xinfo_groups(keys.RELAY_OUTBOX)
    except ResponseError as error:
        if "no such key" not in str(error).lower():
            raise
        return None
    return next((group for group in groups if text(group["name"]) == keys.RELAY_GROUP), None)


class DeliveryWorker:
    """Delivers the outbox to Rasa in order, one command at a time; while Rasa is away it
    waits and retries the same command, so nothing overtakes it."""

    def __init__(self, redis: aioredis.Redis, rasa: RasaClient, consumer: str,
                 retry_seconds: float = 1.0, block_ms: int = 1000) -> None:
        self.redis = redis
        self.rasa = rasa
        self.consumer = consumer
        self.retry_seconds = retry_seconds
        self.block_ms = block_ms

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(keys.RELAY_OUTBOX, keys.RELAY_GROUP, id="0",
                                           mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set (within `block_ms`: reads never wait longer)."""
        await self.ensure_group()
        while not stop.is_set():
            try:
                await self.run_once()
            except ResponseError as error:
                if "NOGROUP" not in str(error):
                    raise
                await self.ensure_group()  # Redis was emptied under us: start again
            except (RedisError, OSError) as error:
                log.warning("Relay outbox: Redis unreachable (%s); retrying.", error)
                await asyncio.sleep(self.retry_seconds)

    async def run_once(self) -> int:
        """Deliver what is pending (unacknowledged after a crash or a failure, checked against
        the tracker first), else wait briefly for new commands. Returns how many were done."""
        await self.redis.xautoclaim(keys.RELAY_OUTBOX, keys.RELAY_GROUP, self.consumer,
                                    ABANDONED_MS, count=100)
        pending = await self._read("0", block=None)
        if pending:
            return await self._deliver_all(pending, recovered=True)
        return await self._deliver_all(await self._read(">", block=self.block_ms),
                                       recovered=False)

    async def _read(self, start: str, block: Optional[int]) -> List[Entry]:
        reply = await self.redis.xreadgroup(keys.RELAY_GROUP, self.consumer,
                                            {keys.RELAY_OUTBOX: start}, count=50, block=block)
        entries: List[Entry] = []
        for _stream, items in reply or []:
            for entry_id, fields in items:
                if fields:  # a pending entry trimmed away comes back empty
                    entries.append((text(entry_id), text_map(fields)))
                else:
                    await self.redis.xack(keys.RELAY_OUTBOX, keys.RELAY_GROUP, entry_id)
        return entries

    async def _deliver_all(self, entries: List[Entry], recovered: bool) -> int:
        done = 0
        for entry_id, command in entries:
            try:
                await self.deliver(command, recovered)
            except RasaUnavailable as error:
                log.warning("Relay: %s; will retry.", error)
                await metrics.count(self.redis, metrics.RELAY_DELIVERY_ERRORS,
                                    metrics.RASA_UNAVAILABLE)
                await asyncio.sleep(self.retry_seconds)
                return done  # the same command comes back as pending, before any other
            except (RasaRefused, ValueError, KeyError) as error:
                log.error("Relay: dropped a command Rasa will never accept (%s): %s",
                          error, command)
                await metrics.count(self.redis, metrics.RELAY_DELIVERY_ERRORS, metrics.REFUSED)
            await self.redis.xack(keys.RELAY_OUTBOX, keys.RELAY_GROUP, entry_id)
            done += 1
        return done

    async def deliver(self, command: Dict[str, str], recovered: bool) -> None:
        conversation_id = command["conversation_id"]
        if command["kind"] == LINE:
            await self._deliver_line(conversation_id, command, recovered)
        elif command["kind"] == RESUME:
            await self._resume(conversation_id, command, recovered)
        else:
            raise ValueError(f"unknown command kind {command['kind']!r}")

    async def _deliver_line(self, conversation_id: str, command: Dict[str, str],
                            recovered: bool) -> None:
        """To the channel that can deliver it; with none, recorded and marked undelivered,
        so the console never says "delivered" when nothing was."""
        metadata = json.loads(command.get("metadata") or "{}")
        if recovered and already_sent(await self._events(conversation_id),
                                      metadata.get("relay_id")):
            return
        channel = await self._channel_for(conversation_id)
        if channel is None:
            metadata = {**metadata, "undelivered": NOT_DELIVERABLE}
        await self.rasa.append_events(conversation_id, [
            {"event": "bot", "text": command["text"], "metadata": metadata}], push_to=channel)

    async def _events(self, conversation_id: str) -> List[Dict[str, Any]]:
        return list((await self.rasa.tracker(conversation_id)).get("events") or [])

    async def _channel_for(self, conversation_id: str) -> Optional[str]:
        """The channel that can deliver a line to the customer now. Most often the one they
        last wrote from, which the tracker's state says without its events; only when that
        channel cannot receive later lines are the events read, for an earlier one."""
        state = await self.rasa.tracker(conversation_id, include_events="NONE")
        latest = state.get("latest_input_channel")
        if latest and latest not in CANNOT_PUSH:
            return str(latest)
        return delivering_channel(await self._events(conversation_id))

    async def _resume(self, conversation_id: str, command: Dict[str, str],
                      recovered: bool) -> None:
        if recovered and already_welcomed_back(await self._events(conversation_id)):
            return
        await self.rasa.append_events(conversation_id, [
            {"event": "resume"},
            {"event": "slot", "name": "frustration", "value": None},
            {"event": "slot", "name": "handoff_outcome", "value": command.get("outcome")},
            {"event": "slot", "name": "handoff_agent", "value": command.get("agent_name")},
            {"event": "slot", "name": "handoff_ticket", "value": command.get("ticket") or None},
            {"event": "action", "name": "action_listen"},
        ])
        # The action ends on action_listen itself (actions/after_handoff.py).
        await self.rasa.execute(conversation_id, WELCOME_BACK_ACTION,
                                await self._channel_for(conversation_id))
