"""The web chat channel's typing relay against a real Redis: a customer's typing reaches the
console's channel at most every so often; an agent's reaches that conversation's pages only;
a broken signal or a Redis that is away never raises into the channel."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Tuple

from redis import asyncio as aioredis

from bot.typing_relay import AGENT_TYPING_EVENT, MIN_SIGNAL_GAP_SECONDS, TypingRelay
from router import keys
from router.typing_signals import agent_is_typing
from stack.redis_server import EmbeddedRedis


class FakeSocketServer:
    def __init__(self) -> None:
        self.emitted: List[Tuple[str, Dict[str, Any], str]] = []

    async def emit(self, event: str, data: Dict[str, Any], room: str) -> None:
        self.emitted.append((event, data, room))


async def test_customer_typing_is_passed_on_at_a_bounded_pace(
    redis_server: EmbeddedRedis, redis: aioredis.Redis,
) -> None:
    relay = TypingRelay(redis_server.url)
    session: Dict[str, Any] = {}
    async with redis.pubsub() as console:
        await console.subscribe(keys.customer_typing("c1"))
        await console.get_message(timeout=1)
        # Waiting in the queue, nobody would see it: not passed on.
        await redis.set(keys.conversation_owner("c1"), "queue")
        assert not await relay.customer_typing(session, "c1")
        await redis.set(keys.conversation_owner("c1"), "agent:ana")
        session["typing_at"] -= 60  # as if a minute went by
        assert await relay.customer_typing(session, "c1")
        assert not await relay.customer_typing(session, "c1")  # a moment later: dropped
        # Another socket of the same conversation (a second tab, or a script): still one.
        assert not await relay.customer_typing({}, "c1")
        heard = await console.get_message(ignore_subscribe_messages=True, timeout=2)
        assert heard is not None and heard["channel"] == keys.customer_typing("c1")
        assert await console.get_message(ignore_subscribe_messages=True, timeout=0.3) is None
        await asyncio.sleep(MIN_SIGNAL_GAP_SECONDS)
        session["typing_at"] -= 60
        assert await relay.customer_typing(session, "c1")
    await relay.close()


async def test_an_agents_typing_reaches_only_that_conversations_pages(
    redis_server: EmbeddedRedis, redis: aioredis.Redis,
) -> None:
    relay = TypingRelay(redis_server.url)
    sio = FakeSocketServer()
    relay.follow_agents(sio)  # type: ignore[arg-type]
    relay.follow_agents(sio)  # type: ignore[arg-type]  # once is enough: no second listener
    await asyncio.sleep(0.3)  # subscribed
    await redis.publish(keys.agent_typing("c1"), "not json")  # ignored, the relay goes on
    await agent_is_typing(redis, "c1", "Ana")
    for _ in range(40):
        if sio.emitted:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    assert sio.emitted == [(AGENT_TYPING_EVENT, {"agent_name": "Ana"}, "c1")]
    await relay.close()


async def test_without_redis_typing_is_simply_not_shown() -> None:
    relay = TypingRelay("redis://127.0.0.1:1/0")  # nothing listens there
    assert not await relay.customer_typing({}, "c1")
    assert not await TypingRelay("").customer_typing({}, "c1")
