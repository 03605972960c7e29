"""Typing indicators in the Rasa process, for the web chat channel (bot/webchat.py): a
customer's "I am typing" goes to Redis for the agent's console; an agent's comes from Redis to
the pages of that conversation (its socket.io room). Best effort: an indicator that does not
arrive costs nothing, so Redis trouble is logged and never reaches a customer's line.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any, Dict, Optional

from redis import asyncio as aioredis
from redis.exceptions import RedisError
from socketio import AsyncServer

from router import keys
from router.redis_values import text
from router.typing_signals import SIGNAL_EVERY_SECONDS, agent_typing_message, customer_is_typing

log = logging.getLogger(__name__)

AGENT_TYPING_EVENT = "agent_typing"
# A socket's signals closer together than this are dropped: a page signals every
# SIGNAL_EVERY_SECONDS, and a script that signals faster gains nothing.
MIN_SIGNAL_GAP_SECONDS = SIGNAL_EVERY_SECONDS / 2
RETRY_SECONDS = 5.0


class TypingRelay:
    def __init__(self, redis_url: Optional[str] = None) -> None:
        url = redis_url if redis_url is not None else os.environ.get("REDIS_URL")
        # The health check notices a connection that died quietly, so agents' typing is not
        # lost for good without an error.
        self.redis = aioredis.Redis.from_url(url, health_check_interval=30) if url else None
        self._following: Optional[asyncio.Task[None]] = None

    async def customer_typing(self, session: Dict[str, Any], conversation_id: str) -> bool:
        """Passes the signal on while a person has the conversation, at most once a moment
        for the conversation (and, before asking Redis, for this socket: `session` is the
        socket's and keeps when it last signalled). True when passed on."""
        now = time.monotonic()
        if self.redis is None or now - session.get("typing_at", -1e9) < MIN_SIGNAL_GAP_SECONDS:
            return False
        session["typing_at"] = now
        try:
            owner = await self.redis.get(keys.conversation_owner(conversation_id))
            if not owner or not text(owner).startswith("agent:"):
                return False  # with the bot, or still waiting: nobody to show it to
            if not await self.redis.set(keys.customer_typing_gate(conversation_id), "1",
                                        nx=True, px=int(MIN_SIGNAL_GAP_SECONDS * 1000)):
                return False  # another socket of this conversation signalled a moment ago
            await customer_is_typing(self.redis, conversation_id)
        except (RedisError, OSError) as error:
            log.debug("customer typing not passed on: %s", error)
            return False
        return True

    def follow_agents(self, sio: AsyncServer) -> None:
        """Starts passing agents' typing to the pages (once, in the running event loop)."""
        if self.redis is not None and self._following is None:
            self._following = asyncio.get_running_loop().create_task(self._follow(sio))

    async def _follow(self, sio: AsyncServer) -> None:
        assert self.redis is not None
        while True:
            try:
                async with self.redis.pubsub() as signals:
                    await signals.psubscribe(keys.AGENT_TYPING_PATTERN)
                    async for message in signals.listen():
                        if message.get("type") == "pmessage":
                            await self._tell_page(sio, message.get("data"))
            except (RedisError, OSError) as error:
                log.warning("agents' typing signals lost (%s); retrying in %.0f s", error,
                            RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)
            except Exception:
                # Never end for good: customers would stop seeing agents type until a restart.
                log.exception("agents' typing signals failed; retrying in %.0f s",
                              RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)

    async def close(self) -> None:
        if self._following is not None:
            self._following.cancel()
            await asyncio.gather(self._following, return_exceptions=True)
        if self.redis is not None:
            await self.redis.close()

    @staticmethod
    async def _tell_page(sio: AsyncServer, data: Any) -> None:
        try:
            signal = agent_typing_message(data)
        except ValueError as error:
            log.warning("ignored a typing signal: %s", error)
            return
        await sio.emit(AGENT_TYPING_EVENT, {"agent_name": signal["agent_name"]},
                       room=signal["conversation_id"])
