"""The handoff queue and who has which conversation, in Redis.

Every change that touches more than one key is a Lua script (router/handoff/lua/), so it is
atomic: a conversation is waiting, or with exactly one agent, or back with the bot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from redis import asyncio as aioredis

from router import keys
from router.clean_text import lua_json
from router.counting import count_in_window
from router.handoff.ordering import QueueSettings, estimated_wait_minutes, queue_score
from router.handoff.scripts import Scripts
from router.history_settings import HistorySettings
from router.plain_words import channel_name, handoff_sentence
from router.redis_values import text, text_map

QUEUE = "queue"
RESOLVED = "resolved"
HANDED_BACK = "handed_back"
EXPIRED = "expired"  # waited longer than the longest wait (ServiceSettings): a ticket


class QueueError(Exception):
    """A queue operation that cannot be done; `code` names why (see MESSAGES)."""

    MESSAGES = {
        "not_online": "You are not online: set your status to online to take conversations.",
        "at_capacity": "You already have as many conversations as your capacity allows; "
                       "resolve or hand one back first.",
        "not_waiting": "That conversation is not waiting in the queue any more "
                       "(someone else took it, or it ended).",
        "other_team": "That conversation is routed to a team you are not in.",
        "nothing_waiting": "Nobody is waiting for you right now.",
        "not_handed_off": "That conversation is with the bot, not with a person.",
        "not_yours": "That conversation is with another agent.",
        "same_agent": "That agent already has the conversation.",
        "target_not_online": "That agent is not online.",
        "target_at_capacity": "That agent has no room for another conversation.",
        "already_with_agent": "A person already has this conversation.",
    }

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(self.MESSAGES.get(code, code))


@dataclass(frozen=True)
class Released:
    """A handoff that ended: who had it ('' if it was waiting) and the number of the case it
    is kept as in the history (router/history.py), so the agent can label it."""

    previous_agent: str
    case_id: str


@dataclass(frozen=True)
class Waiting:
    conversation_id: str
    position: int
    enqueued_at: float
    team: str
    packet: Dict[str, Any]
    # When they were put back in line (a transfer to a team, a lost agent), if they were.
    returned_at: Optional[float] = None

    @property
    def waiting_since(self) -> float:
        """Since when the customer has been waiting for a person this time: a customer put
        back in line has been talking with one until then."""
        return self.returned_at if self.returned_at is not None else self.enqueued_at

    def as_dict(self, now: float) -> Dict[str, Any]:
        packet = self.packet
        return {
            "conversation_id": self.conversation_id, "position": self.position,
            "waiting_seconds": round(max(now - self.waiting_since, 0.0), 1),
            "returned": self.returned_at is not None,
            "team": self.team or None, "reason": packet.get("reason"),
            "reason_sentence": handoff_sentence(packet.get("reason"), packet.get("assessment")),
            "channel": packet.get("channel"), "channel_name": channel_name(packet.get("channel")),
            "score": (packet.get("assessment") or {}).get("score"),
            "customer_priority": packet.get("customer_priority", 0),
            "summary": packet.get("summary"),
        }


class HandoffQueue:
    def __init__(self, redis: aioredis.Redis, settings: Optional[QueueSettings] = None,
                 history: Optional[HistorySettings] = None) -> None:
        self.redis = redis
        self.settings = settings or QueueSettings()
        self.history = history or HistorySettings.from_env()
        self.scripts = Scripts(redis)

    # --- Customers entering -----------------------------------------------------------
    async def enqueue(self, packet: Dict[str, Any], team: Optional[str] = None) -> int:
        """Store the packet, mark the conversation as queued and place it by its score, in
        one step; returns its 1-based position."""
        frustration = float((packet.get("assessment") or {}).get("score") or 0.0)
        priority = int(packet.get("customer_priority") or 0)
        score = queue_score(packet["created_at"], frustration, priority, self.settings)
        position = await self.scripts.run(
            "enqueue", packet["conversation_id"], lua_json(packet), score,
            packet["created_at"], team or "", priority, frustration)
        if int(position) < 0:
            raise QueueError("already_with_agent")
        return int(position)

    # --- Reading ------------------------------------------------------------------------
    async def packet(self, conversation_id: str) -> Optional[Dict[str, Any]]:
        raw = await self.redis.get(keys.handoff_packet(conversation_id))
        return json.loads(raw) if raw else None

    async def state(self, conversation_id: str) -> Dict[str, str]:
        return text_map(await self.redis.hgetall(keys.handoff_state(conversation_id)))

    async def owner(self, conversation_id: str) -> Optional[str]:
        value = await self.redis.get(keys.conversation_owner(conversation_id))
        return text(value) if value is not None else None

    async def within_client_budget(self, client: str, limit: int, window_seconds: int = 3600,
                                   counter: Callable[[str], str] = keys.handoffs_by_client
                                   ) -> bool:
        """Counts one handoff (or, with `counter=keys.tickets_by_client`, one ticket) for
        `client`; False once it had `limit` in the window (from its first), so one client
        cannot fill the queue."""
        return await count_in_window(self.redis, counter(client), window_seconds) <= limit

    async def length(self) -> int:
        return int(await self.redis.zcard(keys.HANDOFF_QUEUE))

    async def waiting(self) -> List[Waiting]:
        """Everyone in line, first to be served first."""
        ids = [text(i) for i in await self.redis.zrange(keys.HANDOFF_QUEUE, 0, -1)]
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for conversation_id in ids:
                pipe.get(keys.handoff_packet(conversation_id))
                pipe.hmget(keys.handoff_state(conversation_id),
                           ["enqueued_at", "team", "returned_at"])
            replies = await pipe.execute()
        waiting = []
        for index, conversation_id in enumerate(ids):
            raw_packet, (enqueued_at, team, returned_at) = \
                replies[2 * index], replies[2 * index + 1]
            packet = json.loads(raw_packet) if raw_packet else {}
            waiting.append(Waiting(conversation_id, index + 1,
                                   float(enqueued_at or packet.get("created_at") or 0.0),
                                   text(team or ""), packet,
                                   float(returned_at) if returned_at else None))
        return waiting

    async def agents_online(self, now: float) -> int:
        return int(await self.redis.zcount(keys.AGENTS_ONLINE,
                                           now - self.settings.heartbeat_timeout, "+inf"))

    async def handle_times(self) -> List[float]:
        return [float(t) for t in await self.redis.lrange(keys.HANDLE_TIMES, 0, -1)]

    async def estimated_wait(self, position: int, now: float) -> int:
        return estimated_wait_minutes(position, await self.agents_online(now),
                                      await self.handle_times(), self.settings)

    # --- Agents taking and letting go -----------------------------------------------------
    async def claim(self, agent_id: str, now: float, conversation_id: Optional[str] = None,
                    tell_customer: Optional[Dict[str, Any]] = None) -> str:
        """The agent takes `conversation_id`, or the first in line they may take;
        `tell_customer` (a relay command) is queued in the same step."""
        status, value = await self.scripts.run(
            "claim", agent_id, conversation_id or "", now, self.settings.heartbeat_timeout,
            lua_json(tell_customer) if tell_customer else "")
        return _checked(status, value)

    async def transfer(self, conversation_id: str, now: float, *, by_agent: Optional[str],
                       to_agent: Optional[str] = None, to_team: Optional[str] = None,
                       tell_customer: Optional[Dict[str, Any]] = None) -> str:
        """To another agent, or back in line (at the front) for a team or anyone.
        `by_agent` None: an admin acting on any conversation."""
        status, value = await self.scripts.run(
            "transfer", conversation_id, by_agent or "", to_agent or "", to_team or "", now,
            self.settings.heartbeat_timeout, lua_json(tell_customer) if tell_customer else "")
        return _checked(status, value)

    async def release(self, conversation_id: str, now: float, outcome: str,
                      resume_command: Dict[str, Any], by_agent: Optional[str],
                      only_if_waiting: bool = False) -> Released:
        """The bot takes over again (resolved or handed back); `resume_command` goes to the
        relay outbox in the same step, and the handoff is kept as a case for history
        (router/history.py). Returns who had it and the case number.
        `only_if_waiting`: refused ("not_waiting") once a person has taken it."""
        reply = await self.scripts.run(
            "release", conversation_id, by_agent or "", now, outcome,
            lua_json(resume_command), "1" if only_if_waiting else "",
            self.history.keep_seconds, self.history.max_lines)
        return Released(_checked(reply[0], reply[1]), text(reply[2]))

    async def agent_gone(self, agent_id: str, now: float,
                         stale_before: Optional[float] = None) -> List[str]:
        """Put the agent's conversations back at the front of the queue; with `stale_before`,
        only if their last heartbeat is older than that."""
        returned = await self.scripts.run(
            "agent_gone", agent_id, now, "" if stale_before is None else stale_before)
        return [text(c) for c in returned]

    async def return_lost_agents(self, now: float) -> Dict[str, List[str]]:
        """Agents whose heartbeat stopped lose their conversations to the queue's front."""
        stale_before = now - self.settings.heartbeat_timeout
        lost = await self.redis.zrangebyscore(keys.AGENTS_SEEN, "-inf", f"({stale_before}")
        returned = {}
        for agent_id in map(text, lost):
            returned[agent_id] = await self.agent_gone(agent_id, now, stale_before)
        return returned

    # --- Position updates -----------------------------------------------------------------
    async def positions_to_tell(self, waiting: Optional[List[Waiting]] = None
                                ) -> List[Waiting]:
        """Waiting customers whose place in line is better than the one they were last told
        (or who were never told one). A place never gets worse in what a customer hears: when
        someone more frustrated or with priority is served first, the customer keeps the
        place they were told, and hears again once they are past it (`waiting`: the line,
        if the caller has just read it)."""
        told = {text(k): int(v) for k, v in
                (await self.redis.hgetall(keys.QUEUE_TOLD_POSITION)).items()}
        return [entry for entry in (await self.waiting() if waiting is None else waiting)
                if entry.conversation_id not in told
                or entry.position < told[entry.conversation_id]]

    async def mark_told(self, conversation_id: str, position: int) -> None:
        await self.redis.hset(keys.QUEUE_TOLD_POSITION, conversation_id, position)


def _checked(status: Any, value: Any) -> str:
    if text(status) != "ok":
        raise QueueError(text(value))
    return text(value)
