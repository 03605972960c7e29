"""/metrics as Prometheus reads it (parsed with prometheus_client's own text parser), showing
events counted in Redis and the queue and relay read live; served to this machine, or to a
scraper elsewhere with METRICS_TOKEN."""

from __future__ import annotations

import time
from typing import AsyncIterator, Awaitable, Callable, Dict, Tuple

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from redis import asyncio as aioredis

from router import keys, metrics
from stack.redis_server import EmbeddedRedis
from tests.web.conftest import waiting_customer
from webapp import create_app
from webapp.settings import WebSettings

Samples = Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]
ELSEWHERE = "203.0.113.9"  # a documentation address: not this machine
TOKEN = "a-long-random-scrape-token"


async def scrape(api: TestClient, **headers: str) -> Samples:
    reply = await api.get("/metrics", headers=headers)
    assert reply.status == 200, await reply.text()
    assert reply.content_type == "text/plain"
    samples: Samples = {}
    for family in text_string_to_metric_families(await reply.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def test_known_events_and_the_live_queue_are_what_metrics_shows(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    now = time.time()
    await waiting_customer(redis, "c1", created_at=now - 90)
    await waiting_customer(redis, "c2", created_at=now - 10)
    for reason in ("asked_for_a_person", "asked_for_a_person", "frustration"):
        await metrics.count(redis, metrics.HANDOFFS, reason, metrics.QUEUED)
    await metrics.count(redis, metrics.HANDOFFS, "frustration", "closed")
    for _ in range(7):
        await metrics.count(redis, metrics.TURNS_SCORED)
    await metrics.count(redis, metrics.HANDOFF_DECISIONS, "frustration", metrics.SHADOW)
    await metrics.count(redis, metrics.TICKETS_OPENED, metrics.WAITED_TOO_LONG)
    await metrics.count(redis, metrics.RELAY_DELIVERY_ERRORS, metrics.RASA_UNAVAILABLE)

    samples = await scrape(api)
    assert samples[("pinecone_queue_length", ())] == 2
    assert 89 <= samples[("pinecone_queue_oldest_wait_seconds", ())] < 100
    assert samples[("pinecone_handoffs_total",
                    (("outcome", "queued"), ("reason", "asked_for_a_person")))] == 2
    assert samples[("pinecone_handoffs_total",
                    (("outcome", "queued"), ("reason", "frustration")))] == 1
    assert samples[("pinecone_handoffs_total",
                    (("outcome", "closed"), ("reason", "frustration")))] == 1
    assert samples[("pinecone_turns_scored_total", ())] == 7
    assert samples[("pinecone_handoff_decisions_total",
                    (("mode", "shadow"), ("reason", "frustration")))] == 1
    assert samples[("pinecone_tickets_opened_total", (("source", "waited_too_long"),))] == 1
    assert samples[("pinecone_relay_delivery_errors_total",
                    (("kind", "rasa_unavailable"),))] == 1
    assert samples[("pinecone_web_errors_total", ())] == 0
    assert samples[("pinecone_relay_lag_seconds", ())] == 0


async def test_with_nothing_happened_yet_every_metric_is_there_and_zero(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    reply = await api.get("/metrics")
    names = {family.name for family in text_string_to_metric_families(await reply.text())}
    assert names == {metric.name for metric in metrics.COUNTERS + (
        metrics.QUEUE_LENGTH, metrics.QUEUE_OLDEST_WAIT, metrics.RELAY_LAG)}
    samples = await scrape(api)
    assert samples[("pinecone_queue_length", ())] == 0
    assert samples[("pinecone_queue_oldest_wait_seconds", ())] == 0
    assert samples[("pinecone_turns_scored_total", ())] == 0


async def test_relay_lag_is_the_age_of_the_oldest_undelivered_command(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    seconds, microseconds = await redis.time()
    put_ms = seconds * 1000 + microseconds // 1000 - 20_000
    await redis.xadd(keys.RELAY_OUTBOX, {"conversation_id": "c1", "kind": "line"},
                     id=f"{put_ms}-0")
    assert 19.9 <= (await scrape(api))[("pinecone_relay_lag_seconds", ())] < 25


# --- A 500, and who may read -----------------------------------------------------------------

Middleware = Callable[[web.Request, Callable[[web.Request], Awaitable[web.StreamResponse]]],
                      Awaitable[web.StreamResponse]]


def _from(address: str) -> Middleware:
    """Makes every request come from `address`, as a scraper on another machine would."""
    @web.middleware
    async def remote(request: web.Request, handler: Callable[[web.Request], Awaitable[
            web.StreamResponse]]) -> web.StreamResponse:
        return await handler(request.clone(remote=address))
    return remote


async def _boom(request: web.Request) -> web.Response:
    raise RuntimeError("a bug of ours")


@pytest.fixture
async def make_api(redis_server: EmbeddedRedis, redis: aioredis.Redis
                   ) -> AsyncIterator[Callable[..., Awaitable[TestClient]]]:
    """The service with a route that fails, optionally reached from another address, with
    optionally a METRICS_TOKEN."""
    clients = []

    async def make(remote: str = "", token: str = "") -> TestClient:
        app = create_app(WebSettings(redis_url=redis_server.url, background_tasks=False,
                                     metrics_token=token))
        if remote:
            app.middlewares.insert(0, _from(remote))
        app.router.add_get("/boom", _boom)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client
    yield make
    for client in clients:
        await client.close()


async def test_a_500_is_counted(make_api: Callable[..., Awaitable[TestClient]]) -> None:
    api = await make_api()
    for _ in range(2):
        assert (await api.get("/boom")).status == 500
    await metrics.counts_written()
    assert (await scrape(api))[("pinecone_web_errors_total", ())] == 2


async def test_from_another_machine_without_a_token_configured_it_is_refused(
    make_api: Callable[..., Awaitable[TestClient]],
) -> None:
    api = await make_api(remote=ELSEWHERE)
    reply = await api.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert reply.status == 403
    assert "METRICS_TOKEN" in (await reply.json())["error"]


async def test_from_another_machine_only_the_right_token_reads_it(
    make_api: Callable[..., Awaitable[TestClient]],
) -> None:
    api = await make_api(remote=ELSEWHERE, token=TOKEN)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": "Bearer "}):
        reply = await api.get("/metrics", headers=headers)
        assert reply.status == 401, headers
        assert "Authorization: Bearer" in (await reply.json())["error"]
    assert ("pinecone_queue_length", ()) in await scrape(api, Authorization=f"Bearer {TOKEN}")


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
async def test_through_a_proxy_on_this_machine_it_is_not_local(
    api: TestClient, header: str,
) -> None:
    reply = await api.get("/metrics", headers={header: ELSEWHERE})
    assert reply.status == 403
    assert "error" in await reply.json()
