"""What the console needs to count unread customer lines: each of the agent's conversations
in the queue snapshot says how many customer lines it has and which was the last, and a new
customer line sends the agent (and only them) a fresh snapshot at once."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, Optional

import pytest
import yaml
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from redis import asyncio as aioredis

from router.relay.feed import ConversationFeed
from tests.web.conftest import make_agent, sign_in, waiting_customer
from webapp import console

# A snapshot sooner than this after a customer line is "at once" (the periodic refresh is
# pushed far out, so only the line itself can cause it).
PROMPTLY = 2.0


@pytest.fixture(autouse=True)
def no_periodic_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "QUEUE_REFRESH_SECONDS", 3600.0)
    monkeypatch.setattr(console, "SESSION_CHECK_SECONDS", 0.2)


async def claimed(api: TestClient, redis: aioredis.Redis, agent_id: str,
                  conversation_id: str) -> Dict[str, str]:
    await make_agent(redis, agent_id)
    await waiting_customer(redis, conversation_id)
    headers = await sign_in(api, agent_id)
    reply = await api.post("/api/queue/claim", json={"conversation_id": conversation_id},
                           headers=headers)
    assert reply.status == 200, await reply.text()
    return headers


def customer_says(text: str, at: Optional[float] = 1_700_000_000.25) -> Dict[str, Any]:
    line: Dict[str, Any] = {"from": "customer", "text": text}
    return line if at is None else {**line, "timestamp": at}


async def next_snapshot(stream: ClientResponse, within: float) -> Dict[str, Any]:
    chunk = (await asyncio.wait_for(stream.content.readuntil(b"\n\n"), within)).decode()
    data = next(line for line in chunk.splitlines() if line.startswith("data: "))
    return json.loads(data[len("data: "):])  # type: ignore[no-any-return]


async def nothing_sent(stream: ClientResponse, within: float) -> bool:
    try:
        await asyncio.wait_for(stream.content.readuntil(b"\n\n"), within)
    except asyncio.TimeoutError:
        return True
    return False


async def test_each_of_my_conversations_says_how_many_customer_lines_it_has(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    ana = await claimed(api, redis, "ana", "c1")
    [entry] = (await (await api.get("/api/queue", headers=ana)).json())["mine"]
    assert entry["customer_lines"] == 0 and entry["last_customer_line"] is None
    feed = ConversationFeed(redis)
    await feed.append("c1", customer_says("one"))
    await feed.append("c1", {"from": "agent", "text": "Ana here", "timestamp": 2.0})
    last = await feed.append("c1", customer_says("two", at=1_700_000_001.5))
    [entry] = (await (await api.get("/api/queue", headers=ana)).json())["mine"]
    assert entry["customer_lines"] == 2
    assert entry["last_customer_line"] == {"id": last, "at": 1_700_000_001.5}


async def test_a_customer_line_without_a_time_still_counts(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    ana = await claimed(api, redis, "ana", "c1")
    last = await ConversationFeed(redis).append("c1", customer_says("no clock", at=None))
    [entry] = (await (await api.get("/api/queue", headers=ana)).json())["mine"]
    assert entry["customer_lines"] == 1
    assert entry["last_customer_line"] == {"id": last, "at": None}


async def test_a_customer_line_sends_a_fresh_snapshot_at_once_and_a_burst_sends_one(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    ana = await claimed(api, redis, "ana", "c1")
    stream = await api.get("/api/queue/events", headers=ana)
    assert (await next_snapshot(stream, PROMPTLY))["mine"][0]["customer_lines"] == 0
    feed = ConversationFeed(redis)
    for number in range(5):
        await feed.append("c1", customer_says(f"line {number}"))
    snapshot = await next_snapshot(stream, PROMPTLY)
    assert snapshot["mine"][0]["customer_lines"] == 5
    assert await nothing_sent(stream, 1.0)  # the burst was one update
    stream.close()


async def test_a_customer_line_does_not_wake_other_agents_streams(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await claimed(api, redis, "ana", "c1")
    bo = await claimed(api, redis, "bo", "c2")
    stream = await api.get("/api/queue/events", headers=bo)
    await next_snapshot(stream, PROMPTLY)
    await ConversationFeed(redis).append("c1", customer_says("for Ana"))
    assert await nothing_sent(stream, 1.0)
    await ConversationFeed(redis).append("c2", customer_says("for Bo"))
    assert (await next_snapshot(stream, PROMPTLY))["mine"][0]["customer_lines"] == 1
    stream.close()


async def test_the_api_description_names_every_field_of_my_conversations(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    ana = await claimed(api, redis, "ana", "c1")
    await ConversationFeed(redis).append("c1", customer_says("hello"))
    [entry] = (await (await api.get("/api/queue", headers=ana)).json())["mine"]
    spec = yaml.safe_load(await (await api.get("/api/openapi.yml")).text())
    mine = spec["components"]["schemas"]["Snapshot"]["properties"]["mine"]["items"]
    assert set(entry) == set(mine["properties"])
    last = mine["properties"]["last_customer_line"]["properties"]
    assert set(entry["last_customer_line"]) == set(last)
