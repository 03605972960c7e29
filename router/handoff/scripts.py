"""The queue's Lua scripts (router/handoff/lua/), each run atomically inside Redis: with many
agents claiming at once, each conversation goes to exactly one of them."""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, List, Union

from redis import asyncio as aioredis
from redis.commands.core import AsyncScript

from router import keys

LUA_DIR = Path(__file__).parent / "lua"
_HOLE = "\x00"


def _template(make_key: Callable[[str], str]) -> List[str]:
    """A per-id key as the [prefix, suffix] around the id, for the scripts to fill in."""
    prefix, suffix = make_key(_HOLE).split(_HOLE)
    return [prefix, suffix]


@lru_cache(maxsize=1)
def key_map() -> str:
    """Every key the scripts touch, as they receive it (ARGV[1])."""
    single: Dict[str, Union[str, List[str]]] = {
        "queue": keys.HANDOFF_QUEUE, "changed": keys.QUEUE_CHANGED,
        "told": keys.QUEUE_TOLD_POSITION, "handle_times": keys.HANDLE_TIMES,
        "online": keys.AGENTS_ONLINE, "seen": keys.AGENTS_SEEN, "outbox": keys.RELAY_OUTBOX,
        "agent_ids": keys.AGENT_IDS, "history_next": keys.HISTORY_NEXT_CASE,
        "history": keys.HISTORY_CASES, "history_unindexed": keys.HISTORY_UNINDEXED,
    }
    per_id = {
        "packet": _template(keys.handoff_packet), "state": _template(keys.handoff_state),
        "owner": _template(keys.conversation_owner), "agent": _template(keys.agent),
        "agent_conversations": _template(keys.agent_conversations),
        "agent_customer_lines": _template(keys.agent_customer_lines),
        "feed": _template(keys.conversation_feed), "request": _template(keys.relay_request),
        "session": _template(keys.session), "agent_sessions": _template(keys.agent_sessions),
        "history_case": _template(keys.history_case),
        "history_of_conversation": _template(keys.history_of_conversation),
    }
    return json.dumps({**single, **per_id})


@cache
def _source(name: str) -> str:
    return (LUA_DIR / "prelude.lua").read_text() + "\n" + (LUA_DIR / f"{name}.lua").read_text()


class Scripts:
    """The scripts registered on one Redis client (redis-py sends EVALSHA, loading on a miss)."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._registered: Dict[str, AsyncScript] = {}

    async def run(self, name: str, *args: Any) -> Any:
        if name not in self._registered:
            self._registered[name] = self._redis.register_script(_source(name))
        return await self._registered[name](keys=[], args=[key_map(), *args])
