"""Admins see the customer lines the relay set aside; nobody else does."""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient
from redis import asyncio as aioredis

from router.relay.feed import DeadLetters
from tests.web.conftest import make_agent, sign_in


async def test_an_admin_sees_set_aside_lines_newest_first_with_the_reason(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    letters = DeadLetters(redis)
    await letters.add("c1", {"from": "customer", "text": "first"}, "WRONGTYPE one")
    await letters.add("c2", {"from": "customer", "text": "hi \ud800"}, "ERR two")
    await make_agent(redis, "boss", role="admin")
    reply = await api.get("/api/admin/dead-letters", headers=await sign_in(api, "boss"))
    assert reply.status == 200
    body = await reply.json()
    assert body["count"] == 2
    assert [line["conversation_id"] for line in body["lines"]] == ["c2", "c1"]
    assert json.loads(body["lines"][0]["line"])["text"] == "hi \ud800"  # kept exactly
    assert body["lines"][1]["reason"] == "WRONGTYPE one"


async def test_agents_and_strangers_are_refused_and_a_bad_limit_is_explained(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    assert (await api.get("/api/admin/dead-letters")).status == 401
    await make_agent(redis, "ana")
    assert (await api.get("/api/admin/dead-letters",
                          headers=await sign_in(api, "ana"))).status == 403
    await make_agent(redis, "boss", role="admin")
    headers = await sign_in(api, "boss")
    for limit in ("0", "501", "ten", "-1", "9" * 5000, "²", "١٠"):
        reply = await api.get("/api/admin/dead-letters", params={"limit": limit},
                              headers=headers)
        assert reply.status == 400
        assert "limit" in (await reply.json())["error"]
