"""The console's live streams end with the session they were opened with: signing out, a new
password, or a session ended any other way closes them within the re-check interval."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Dict

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from redis import asyncio as aioredis

from router.agents.sessions import SessionStore
from tests.web.conftest import make_agent, sign_in, waiting_customer
from webapp import console

CHECK_SECONDS = 0.2
# Long enough for a few re-checks (a stream that should stay open has had its chances).
ENDS_WITHIN = 10 * CHECK_SECONDS
STREAMS = ["/api/queue/events", "/api/conversations/c1/events"]


@pytest.fixture(autouse=True)
def quick_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "SESSION_CHECK_SECONDS", CHECK_SECONDS)


@pytest.fixture
async def ana(api: TestClient, redis: aioredis.Redis) -> AsyncIterator[Dict[str, str]]:
    await make_agent(redis, "ana")
    await make_agent(redis, "boss", role="admin")
    await waiting_customer(redis, "c1")
    yield await sign_in(api, "ana")


async def opened(api: TestClient, path: str, headers: Dict[str, str]) -> ClientResponse:
    reply = await api.get(path, headers=headers)
    assert reply.status == 200 and reply.content_type == "text/event-stream"
    await asyncio.wait_for(reply.content.readuntil(b"\n\n"), ENDS_WITHIN)  # it is live
    return reply


async def ended(reply: ClientResponse) -> bool:
    """Whether the server closes the stream soon (reading it to its end)."""
    try:
        await asyncio.wait_for(reply.content.read(), ENDS_WITHIN)
    except asyncio.TimeoutError:
        return False
    finally:
        reply.close()
    return True


@pytest.mark.parametrize("path", STREAMS)
async def test_signing_out_ends_the_agents_streams(
    api: TestClient, ana: Dict[str, str], path: str,
) -> None:
    stream = await opened(api, path, ana)
    reply = await api.post("/api/auth/logout", json={}, headers=ana)
    assert reply.status == 200
    assert await ended(stream)


@pytest.mark.parametrize("path", STREAMS)
async def test_a_new_password_ends_the_agents_streams(
    api: TestClient, ana: Dict[str, str], path: str,
) -> None:
    stream = await opened(api, path, ana)
    boss = await sign_in(api, "boss")
    reply = await api.patch("/api/agents/ana", json={"password": "a brand new secret"},
                            headers=boss)
    assert reply.status == 200, await reply.text()
    assert await ended(stream)


@pytest.mark.parametrize("path", STREAMS)
async def test_a_session_ended_in_redis_ends_its_streams_and_only_those(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str], path: str,
) -> None:
    other_session = await sign_in(api, "ana")  # another browser of the same agent
    ending, staying = await opened(api, path, ana), await opened(api, path, other_session)
    token = ana["Authorization"].removeprefix("Bearer ")
    await SessionStore(redis, ttl_seconds=60).end(token)
    assert await ended(ending)
    assert not await ended(staying)


@pytest.mark.parametrize("path", STREAMS)
async def test_a_stream_with_a_valid_session_stays_open(
    api: TestClient, ana: Dict[str, str], path: str,
) -> None:
    stream = await opened(api, path, ana)
    assert not await ended(stream)
