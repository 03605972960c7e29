"""Rasa's event broker, pointed at the agents' console: every customer line (and every line
sent to the customer) of a conversation a person has goes to its Redis stream
(router/relay/feed.py). This is the only hook Rasa offers that sees a customer's message while
the bot is paused.

Rasa calls `publish` synchronously from its event loop when it saves a tracker; we hand the
line to one background task that writes in order, so a slow Redis never delays a reply.
"""

from __future__ import annotations

import asyncio
import logging
import os
from asyncio import AbstractEventLoop
from typing import Any, Dict, Optional, Tuple

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig
from redis import asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from router.relay.feed import ConversationFeed, DeadLetters, feed_line

log = logging.getLogger(__name__)
# Lines waiting to be written when Redis is slow or away; beyond this the oldest are dropped
# from the live feed (they stay in Rasa's tracker, which the console also reads).
MAX_WAITING = 10_000
RETRY_SECONDS = 0.5


# Redis's answers that mean "not now" rather than "never": full (OOM), a slow script (BUSY),
# a replica or a failover (READONLY), still loading its data (LOADING).
TEMPORARY_REFUSALS = ("OOM", "BUSY", "READONLY", "LOADING", "MASTERDOWN", "TRYAGAIN")


def is_temporary(error: Exception) -> bool:
    return str(error).split(" ", 1)[0] in TEMPORARY_REFUSALS


class RelayEventBroker(EventBroker):
    def __init__(self, redis_url: str) -> None:
        redis = aioredis.Redis.from_url(redis_url)
        self.feed = ConversationFeed(redis)
        self.dead_letters = DeadLetters(redis)
        self.lines: asyncio.Queue[Tuple[str, Dict[str, Any]]] = asyncio.Queue(MAX_WAITING)
        self.writer: Optional[asyncio.Task[None]] = None

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: Optional[AbstractEventLoop] = None,
    ) -> RelayEventBroker:
        url = broker_config.kwargs.get("redis_url") or os.environ.get("REDIS_URL")
        if not url:
            raise ValueError("The relay event broker needs REDIS_URL (or redis_url in "
                             "endpoints.yml) to reach the agents' console.")
        return cls(str(url))

    def publish(self, event: Dict[str, Any]) -> None:
        line = feed_line(event)
        conversation_id = event.get("sender_id")
        if line is None or not conversation_id:
            return
        if self.lines.full():
            self.lines.get_nowait()
            log.warning("Relay feed backlog full: dropped the oldest line from the live feed.")
        self.lines.put_nowait((conversation_id, line))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        while True:
            conversation_id, line = await self.lines.get()
            await self._write_one(conversation_id, line)

    async def _write_one(self, conversation_id: str, line: Dict[str, Any]) -> None:
        """Retries while Redis is away (order matters, and it will come back); a line Redis
        refuses goes to the dead-letter stream at once, so it never holds up the lines of
        every other conversation behind it."""
        while True:
            try:
                await self.feed.append(conversation_id, line)
                return
            except (RedisConnectionError, RedisTimeoutError, OSError) as error:
                log.warning("Relay feed: Redis unreachable (%s); retrying.", error)
                await asyncio.sleep(RETRY_SECONDS)
            except (RedisError, ValueError) as refused:
                if is_temporary(refused):
                    log.warning("Relay feed: Redis cannot take writes now (%s); retrying.",
                                refused)
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                await self._set_aside(conversation_id, line, refused)
                return

    async def _set_aside(self, conversation_id: str, line: Dict[str, Any],
                         refused: Exception) -> None:
        log.error("Relay feed: Redis refused a line of conversation %s (%s); it is kept in "
                  "the dead-letter stream for admins and the other lines flow on.",
                  conversation_id, refused)
        while True:
            try:
                await self.dead_letters.add(conversation_id, line, str(refused))
                return
            except (RedisConnectionError, RedisTimeoutError, OSError) as error:
                log.warning("Relay dead letters: Redis unreachable (%s); retrying.", error)
                await asyncio.sleep(RETRY_SECONDS)
            except (RedisError, ValueError) as error:
                if is_temporary(error):
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                log.error("Relay dead letters: could not keep the refused line either (%s); "
                          "it stays only in Rasa's tracker.", error)
                return

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.cancel()
        await self.feed.redis.close()
