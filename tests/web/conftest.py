"""Our web service in-process (aiohttp's test server) on the session's real Redis."""

from __future__ import annotations

import json
import time
from typing import Any, AsyncIterator, Dict, Optional

import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis import asyncio as aioredis

from router.agents.directory import AgentDirectory
from router.handoff.queue import HandoffQueue
from stack.redis_server import EmbeddedRedis
from webapp import create_app
from webapp.settings import WebSettings

PASSWORD = "a long password"


@pytest.fixture
async def api(redis_server: EmbeddedRedis, redis: aioredis.Redis) -> AsyncIterator[TestClient]:
    """The service without its background work (that has tests of its own)."""
    settings = WebSettings(redis_url=redis_server.url, background_tasks=False)
    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    yield client
    await client.close()


async def make_agent(redis: aioredis.Redis, agent_id: str, role: str = "agent",
                     capacity: int = 3, online: bool = True) -> None:
    directory = AgentDirectory(redis)
    await directory.create(agent_id, agent_id.title(), PASSWORD, role=role, capacity=capacity)
    if online:
        await directory.heartbeat(agent_id, time.time(), "online")


async def sign_in(api: TestClient, agent_id: str) -> Dict[str, str]:
    """Headers carrying the agent's session token."""
    reply = await api.post("/api/auth/login", json={"agent_id": agent_id, "password": PASSWORD})
    assert reply.status == 200, await reply.text()
    return {"Authorization": f"Bearer {(await reply.json())['token']}"}


async def waiting_customer(redis: aioredis.Redis, conversation_id: str,
                           text: str = "where is my parcel?",
                           created_at: Optional[float] = None) -> Dict[str, Any]:
    packet = {"conversation_id": conversation_id, "created_at": created_at or time.time(),
              "reason": "customer asked for a person", "channel": "socketio",
              "assessment": {"score": 0.7, "contributions": {"frustration_phrase": 0.55},
                             "reasons": ["said they are fed up"], "handoff": True},
              "summary": {"customer_wants": "track_package", "first_message": text,
                          "bot_tried": ["utter_ask_order_id"], "known_facts": {}},
              "slots": {"order_id": "482913"},
              "transcript": [{"from": "customer", "text": text, "timestamp": 1.0,
                              "intent": "track_package", "confidence": 0.9, "sentiment": -0.4,
                              "assessment": {"score": 0.7,
                                             "contributions": {"frustration_phrase": 0.55},
                                             "reasons": ["said they are fed up"],
                                             "handoff": True}}]}
    await HandoffQueue(redis).enqueue(packet)
    return packet


async def refused_and_nothing_changed(api: TestClient, redis: aioredis.Redis, url: str,
                                      body: Any, headers: Dict[str, str], says: str) -> None:
    """POSTs `body` (JSON, or raw bytes as sent) and checks the 400 says `says`, and that no
    stored conversation or setting changed (and no key came or went)."""
    before = {k: await redis.dump(k) for k in await redis.keys("pinecone:*")}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply = await api.post(url, data=data,
                           headers={**headers, "Content-Type": "application/json"})
    assert reply.status == 400
    assert says in (await reply.json())["error"]
    after = {k: await redis.dump(k) for k in await redis.keys("pinecone:*")}
    assert set(before) == set(after)
    assert all(before[k] == after[k] for k in before if "tracker" in k or "settings" in k)
