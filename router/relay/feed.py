"""A handed-off conversation's lines as the agents' console shows them, live.

Rasa writes them (bot/relay_broker.py: every customer line, and every line sent to the
customer) into a Redis stream per conversation while a person has it. Consoles read with
XREAD from the last id they saw, so a console that reconnects, or a web service that restarts,
gets exactly what it missed: nothing lost, nothing twice.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

from redis import asyncio as aioredis

from router import keys
from router.clean_text import lua_json, valid_text
from router.handoff.scripts import Scripts
from router.redis_values import text, text_map
from router.transcript import AGENT, CUSTOMER, line_from_event

FeedEntry = Tuple[str, Dict[str, Any]]
# The most lines a conversation's feed keeps (Redis trims older ones, roughly): far more than
# any conversation with a person holds, while a runaway sender cannot fill Redis.
FEED_MAX_LINES = 5000


def feed_line(event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The console's view of a Rasa event (as Rasa publishes it), or None if not a line."""
    line = line_from_event(event)
    if line is None:
        return None
    said = {"from": line.speaker, "text": line.text, "timestamp": line.timestamp}
    if line.speaker == CUSTOMER:
        return {**said, "intent": line.intent or "", "confidence": line.confidence or 0.0,
                "sentiment": line.sentiment or 0.0}
    if line.speaker == AGENT:
        return {**said, "agent_name": line.agent_name, "agent_id": line.agent_id,
                "relay_id": line.relay_id, "undelivered": line.undelivered}
    return said


def decoded_line(fields: Dict[Any, Any]) -> Dict[str, Any]:
    """A line as a feed keeps it (text fields) with its numbers as numbers again."""
    line: Dict[str, Any] = {}
    for name, value in text_map(fields).items():
        line[name] = float(value) if name in ("timestamp", "confidence", "sentiment") and \
            value not in ("", "None") else value
    return line


class ConversationFeed:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self.scripts = Scripts(redis)

    async def append(self, conversation_id: str, line: Dict[str, Any]) -> Optional[str]:
        """Adds the line if a person has the conversation; returns its id. A customer line
        is also counted and announced to the agent who has it (feed_append.lua)."""
        entry_id = await self.scripts.run("feed_append", conversation_id, lua_json(
            {k: v for k, v in line.items() if v is not None}), FEED_MAX_LINES)
        return None if entry_id is None else text(entry_id)

    async def since(self, conversation_id: str, last_id: str = "0",
                    block_ms: Optional[int] = None, count: int = 200) -> List[FeedEntry]:
        """Lines after `last_id` ("0": from the start); waits up to `block_ms` for one."""
        reply = await self.redis.xread({keys.conversation_feed(conversation_id): last_id},
                                       count=count, block=block_ms)
        entries: List[FeedEntry] = []
        for _stream, items in reply or []:
            for entry_id, fields in items:
                entries.append((text(entry_id), decoded_line(fields)))
        return entries


# Refused lines kept for admins; older ones are trimmed beyond this many.
DEAD_LETTERS_KEPT = 10_000


class DeadLetters:
    """Lines Redis refused to add to a feed, with the reason, for admins to see (GET
    /api/admin/dead-letters). The line is kept as Python's ASCII JSON, so whatever it held
    (the cause, often) is stored exactly and can be read back."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def add(self, conversation_id: str, line: Dict[str, Any], reason: str) -> str:
        entry_id = await self.redis.xadd(keys.RELAY_DEAD_LETTERS, {
            "conversation_id": valid_text(conversation_id), "reason": valid_text(reason[:500]),
            "line": json.dumps(line)}, maxlen=DEAD_LETTERS_KEPT, approximate=True)
        return text(entry_id)

    async def recent(self, count: int = 100) -> List[Dict[str, Any]]:
        """The newest first."""
        entries = await self.redis.xrevrange(keys.RELAY_DEAD_LETTERS, count=count)
        return [{"id": text(entry_id), **text_map(fields)} for entry_id, fields in entries]

    async def count(self) -> int:
        return int(await self.redis.xlen(keys.RELAY_DEAD_LETTERS))
