"""The handoff queue in Redis, behind a small interface the agents' issue builds on."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from redis import asyncio as aioredis

from router import keys

# A packet waits at most this long for a person before Redis drops it (a week): nothing is
# orphaned forever if a conversation is never picked up.
PACKET_TTL_SECONDS = 7 * 24 * 3600
# Agents whose last heartbeat is older than this are not online.
HEARTBEAT_TIMEOUT_SECONDS = 60


class HandoffQueue:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def enqueue(self, packet: Dict[str, Any], priority: float) -> int:
        """Store the packet, mark the conversation as queued and add it to the queue, in one
        transaction; returns its 1-based position. Higher priority waits less."""
        conversation_id = packet["conversation_id"]
        async with self.redis.pipeline(transaction=True) as tx:
            tx.set(keys.handoff_packet(conversation_id), json.dumps(packet),
                   ex=PACKET_TTL_SECONDS)
            tx.set(keys.conversation_owner(conversation_id), "queue", ex=PACKET_TTL_SECONDS)
            # Lower scores come first: older and more frustrated conversations go ahead.
            tx.zadd(keys.HANDOFF_QUEUE, {conversation_id: packet["created_at"] - priority * 600})
            tx.zrank(keys.HANDOFF_QUEUE, conversation_id)
            results = await tx.execute()
        return int(results[-1]) + 1

    async def packet(self, conversation_id: str) -> Optional[Dict[str, Any]]:
        raw = await self.redis.get(keys.handoff_packet(conversation_id))
        return json.loads(raw) if raw else None

    async def owner(self, conversation_id: str) -> Optional[str]:
        value = await self.redis.get(keys.conversation_owner(conversation_id))
        return value.decode() if isinstance(value, bytes) else value

    async def length(self) -> int:
        return int(await self.redis.zcard(keys.HANDOFF_QUEUE))

    async def agents_online(self, now: float) -> int:
        return int(await self.redis.zcount(keys.AGENTS_ONLINE,
                                           now - HEARTBEAT_TIMEOUT_SECONDS, "+inf"))

    async def create_ticket(self, packet: Dict[str, Any], message: str) -> str:
        """A message for the team with the whole context; returns the ticket id."""
        ticket_id = await self.redis.xadd(keys.TICKETS, {
            "conversation_id": packet["conversation_id"], "message": message,
            "packet": json.dumps(packet)})
        return ticket_id.decode() if isinstance(ticket_id, bytes) else str(ticket_id)
