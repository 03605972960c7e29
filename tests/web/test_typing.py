"""Typing indicators through the agents' API on the real Redis: the agent who has the
conversation signals "typing" to the customer's page; the console's live feed of a
conversation says when the customer types. Nobody else can signal for a conversation."""

from __future__ import annotations

import asyncio
import json

from aiohttp.test_utils import TestClient
from redis import asyncio as aioredis

from router import keys
from router.typing_signals import agent_typing_message, customer_is_typing
from tests.web.conftest import make_agent, sign_in, waiting_customer


async def test_the_agent_who_has_the_conversation_is_shown_typing_to_the_customer(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    await make_agent(redis, "ben")
    await waiting_customer(redis, "c1")
    ana, ben = await sign_in(api, "ana"), await sign_in(api, "ben")
    async with redis.pubsub() as page:
        await page.subscribe(keys.agent_typing("c1"))
        await page.get_message(timeout=1)  # the subscription itself
        # Waiting in the queue: nobody can type to the customer yet.
        reply = await api.post("/api/conversations/c1/typing", json={}, headers=ana)
        assert reply.status == 409 and "claim it first" in (await reply.json())["error"]
        await api.post("/api/queue/claim", json={"conversation_id": "c1"}, headers=ana)
        assert (await api.post("/api/conversations/c1/typing", json={},
                               headers=ben)).status == 409  # not Ben's
        reply = await api.post("/api/conversations/c1/typing", json={}, headers=ana)
        assert reply.status == 200
        message = await page.get_message(ignore_subscribe_messages=True, timeout=2)
        assert message is not None
        assert agent_typing_message(message["data"]) == {"conversation_id": "c1",
                                                         "agent_name": "Ana"}
    assert (await api.post("/api/conversations/nobody/typing", json={},
                           headers=ana)).status == 404
    reply = await api.post("/api/conversations/c1/typing", data="typing",
                           headers={**ana, "Content-Type": "text/plain"})
    assert reply.status == 415


async def test_the_console_hears_the_customer_typing_and_still_gets_lines(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    await waiting_customer(redis, "c1")
    reply = await api.get("/api/conversations/c1/events", headers=await sign_in(api, "ana"))

    async def next_event() -> str:
        while True:
            chunk = (await asyncio.wait_for(reply.content.readuntil(b"\n\n"), 5)).decode()
            if not chunk.startswith(":"):  # keep-alives are comments
                return chunk

    await asyncio.sleep(0.2)  # the stream subscribes as it opens
    await customer_is_typing(redis, "c1")
    assert (await next_event()).startswith("event: typing")
    await redis.xadd(keys.conversation_feed("c1"), {"from": "customer", "text": "hello",
                                                   "timestamp": "9999999999"})
    line = await next_event()
    assert line.startswith("id: ") and "event: line" in line
    assert json.loads(line.split("data: ", 1)[1])["text"] == "hello"
    reply.close()
