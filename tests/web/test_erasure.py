"""Forgetting a conversation through the admins' API: only admins, JSON only, 409 while the
team has it, 404 when nothing is kept, and what was forgotten said."""

from __future__ import annotations

import json
from typing import Dict

import pytest
from aiohttp.test_utils import TestClient
from redis import asyncio as aioredis

from router import keys
from tests.web.conftest import make_agent, sign_in, waiting_customer

URL = "/api/admin/conversations/{}"


@pytest.fixture
async def boss(api: TestClient, redis: aioredis.Redis) -> Dict[str, str]:
    await make_agent(redis, "boss", role="admin")
    return await sign_in(api, "boss")


async def test_an_admin_forgets_a_customers_conversation(
    api: TestClient, redis: aioredis.Redis, boss: Dict[str, str],
) -> None:
    await redis.set(keys.rasa_tracker("c1"), json.dumps({"events": []}))
    reply = await api.delete(URL.format("c1"), json={}, headers=boss)
    assert reply.status == 200, await reply.text()
    assert (await reply.json())["forgotten"]["conversation"] is True
    assert not await redis.exists(keys.rasa_tracker("c1"))
    reply = await api.delete(URL.format("c1"), json={}, headers=boss)
    assert reply.status == 404 and "Nothing is kept" in (await reply.json())["error"]


async def test_forgetting_is_refused_when_it_cannot_or_may_not_be_done(
    api: TestClient, redis: aioredis.Redis, boss: Dict[str, str],
) -> None:
    await waiting_customer(redis, "w1")
    reply = await api.delete(URL.format("w1"), json={}, headers=boss)
    assert reply.status == 409 and "resolve or hand it back" in (await reply.json())["error"]
    assert await redis.exists(keys.handoff_packet("w1"))
    reply = await api.delete(URL.format("w1"), data="{}",
                             headers={**boss, "Content-Type": "text/plain"})
    assert reply.status == 415
    await make_agent(redis, "ana")
    reply = await api.delete(URL.format("w1"), json={}, headers=await sign_in(api, "ana"))
    assert reply.status == 403
    api.session.cookie_jar.clear()
    assert (await api.delete(URL.format("w1"), json={})).status == 401
