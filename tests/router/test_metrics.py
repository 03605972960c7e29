"""Counting where events happen: one Redis hash of counters, written from async code, from the
Rasa policy's background tally and from the relay, and never a failure raised into the caller
(the customer's turn matters more than a count)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Optional, Tuple

import aiohttp
import pytest
import redis as sync_redis
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from redis import asyncio as aioredis

from bot.handoff_policy import HandoffPolicy
from router import keys, metrics
from router.handoff.queue import HandoffQueue
from router.relay import housekeeping
from router.relay.outbox import DeliveryWorker, Outbox, line_command, relay_lag_seconds
from router.relay.rasa_api import RasaClient
from router.scoring.scorer import ACCEPTED_OFFER, ASKED_FOR_A_PERSON, ONLY_A_PERSON, STILL_ON_IT
from router.scoring.settings import ScorerSettings
from router.tickets import TicketStore
from stack.redis_server import EmbeddedRedis, free_port
from stack.settings import PROJECT_ROOT

# Nothing listens here: every command fails at once with "connection refused".
NOBODY = f"redis://127.0.0.1:{free_port()}/0"
WAIT_SECONDS = 5.0


async def counters(redis: aioredis.Redis) -> metrics.CounterValues:
    return metrics.read_counters(await redis.hgetall(keys.METRIC_COUNTERS))


def counted(values: metrics.CounterValues, metric: metrics.Metric, *labels: str) -> int:
    return values.get(metric.name, {}).get(tuple(labels), 0)


async def eventually_counted(redis: aioredis.Redis, metric: metrics.Metric, *labels: str,
                             expected: int) -> int:
    """The count once a background writer has written it (bounded wait)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = counted(await counters(redis), metric, *labels)
        if found >= expected or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.02)


# --- The hash and its fields -------------------------------------------------------------

async def test_counts_add_up_per_metric_and_label_values(redis: aioredis.Redis) -> None:
    for _ in range(3):
        await metrics.count(redis, metrics.TURNS_SCORED)
    await metrics.count(redis, metrics.HANDOFFS, "asked_for_a_person", metrics.QUEUED)
    await metrics.count(redis, metrics.HANDOFFS, "asked_for_a_person", metrics.QUEUED)
    await metrics.count(redis, metrics.HANDOFFS, "frustration", "nobody_online")
    values = await counters(redis)
    assert counted(values, metrics.TURNS_SCORED) == 3
    assert values[metrics.HANDOFFS.name] == {("asked_for_a_person", "queued"): 2,
                                             ("frustration", "nobody_online"): 1}


def test_a_counter_with_the_wrong_labels_is_a_bug_that_shows() -> None:
    with pytest.raises(ValueError, match="reason"):
        metrics.counter_field(metrics.HANDOFFS, "asked_for_a_person")
    with pytest.raises(ValueError):
        metrics.counter_field(metrics.QUEUE_LENGTH)  # a gauge is read live, never counted


def test_fields_that_are_not_ours_are_skipped_not_guessed(caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    raw = {metrics.counter_field(metrics.WEB_ERRORS): "2", "not json": "1",
           '["pinecone_someone_elses"]': "5", '["pinecone_handoffs", "only-one-label"]': "7",
           "[3]": "1"}
    assert metrics.read_counters(raw) == {metrics.WEB_ERRORS.name: {(): 2}}
    assert "not json" in caplog.text


def test_each_handoff_reason_is_filed_under_a_kind() -> None:
    assert metrics.reason_kind(ASKED_FOR_A_PERSON) == "asked_for_a_person"
    assert metrics.reason_kind(ACCEPTED_OFFER) == "accepted_offer"
    assert metrics.reason_kind(STILL_ON_IT) == "still_on_an_unsolved_problem"
    assert metrics.reason_kind(f"{ONLY_A_PERSON} (item_damaged)") == "only_a_person_can_solve"
    assert metrics.reason_kind("frustration 0.81 reached 0.60: repeated") == "frustration"
    assert metrics.reason_kind(None) == "other"
    assert metrics.reason_kind("something new") == "other"


# --- Never raising into the caller --------------------------------------------------------

async def test_a_redis_that_is_away_never_raises_into_the_caller(
        caplog: pytest.LogCaptureFixture) -> None:
    away = aioredis.Redis.from_url(NOBODY)
    await metrics.count(away, metrics.TURNS_SCORED)  # no exception
    metrics.count_soon(away, metrics.WEB_ERRORS)
    await metrics.counts_written()
    await away.close()
    assert caplog.text.count("that count is lost") == 2


async def test_counting_soon_does_not_wait_for_redis(redis: aioredis.Redis) -> None:
    metrics.count_soon(redis, metrics.TICKETS_OPENED, metrics.LEFT_A_MESSAGE)
    assert counted(await counters(redis), metrics.TICKETS_OPENED, metrics.LEFT_A_MESSAGE) == 0
    await metrics.counts_written()
    assert counted(await counters(redis), metrics.TICKETS_OPENED, metrics.LEFT_A_MESSAGE) == 1


# --- The background tally (the Rasa process) ----------------------------------------------

async def test_the_tally_writes_its_counts_from_its_own_thread(
        redis_server: EmbeddedRedis, redis: aioredis.Redis) -> None:
    tally = metrics.BackgroundTally(redis_server.url)
    for _ in range(50):
        tally.add(metrics.TURNS_SCORED)
    tally.add(metrics.HANDOFF_DECISIONS, "frustration", metrics.LIVE)
    assert await eventually_counted(redis, metrics.TURNS_SCORED, expected=50) == 50
    assert counted(await counters(redis), metrics.HANDOFF_DECISIONS, "frustration",
                   metrics.LIVE) == 1


def test_the_tally_never_waits_for_a_redis_that_is_away(caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    tally = metrics.BackgroundTally(NOBODY)
    started = time.monotonic()
    for _ in range(1000):
        tally.add(metrics.TURNS_SCORED)
    assert time.monotonic() - started < 0.5  # 1,000 turns' counts: no network on the way
    deadline = time.monotonic() + WAIT_SECONDS
    while "they are lost" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "they are lost" in caplog.text  # the writer logged it, and nothing was raised


def test_a_full_tally_drops_new_counts_instead_of_blocking(
        redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    tally = metrics.BackgroundTally(redis_server.url, max_waiting=2)
    monkeypatch.setattr(tally, "_start", lambda: None)  # a writer stuck somewhere
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            tally.add(metrics.TURNS_SCORED)
    assert caplog.text.count("dropped") == 3


def test_without_a_redis_url_nothing_is_counted_and_no_thread_starts() -> None:
    tally = metrics.BackgroundTally(None)
    tally.add(metrics.TURNS_SCORED)
    assert tally._writer is None


# --- Where the events happen --------------------------------------------------------------

@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


class _Fixed:
    """LiveSettings' face, with the same settings on every channel."""

    def __init__(self, settings: ScorerSettings) -> None:
        self.current = settings

    def for_channel(self, _channel: Optional[str]) -> ScorerSettings:
        return self.current


def _customer_says(domain: Domain, text: str, intent: str) -> DialogueStateTracker:
    parse = {"intent": {"name": intent, "confidence": 0.95}, "sentiment": {"score": 0.0},
             "text": text, "entities": []}
    return DialogueStateTracker.from_events(
        "c-1", [ActionExecuted(ACTION_LISTEN_NAME),
                UserUttered(text, intent=parse["intent"], parse_data=parse)],  # type: ignore[arg-type]
        domain.slots)


@pytest.mark.parametrize("shadow_mode, mode", [(False, metrics.LIVE), (True, metrics.SHADOW)])
async def test_the_policy_counts_every_scored_turn_and_each_handoff_it_decides(
        tmp_path: Path, domain: Domain, redis_server: EmbeddedRedis, redis: aioredis.Redis,
        shadow_mode: bool, mode: str) -> None:
    policy = HandoffPolicy.create(HandoffPolicy.get_default_config(), LocalModelStorage(tmp_path),
                                  Resource("handoff"), ExecutionContext(None))  # type: ignore[arg-type]
    policy.settings = _Fixed(ScorerSettings(shadow_mode=shadow_mode))  # type: ignore[assignment]
    policy.tally = metrics.BackgroundTally(redis_server.url)
    policy.predict_action_probabilities(_customer_says(domain, "hello", "greet"), domain)
    policy.predict_action_probabilities(_customer_says(domain, "a human", "request_human"),
                                        domain)
    assert await eventually_counted(redis, metrics.TURNS_SCORED, expected=2) == 2
    assert await eventually_counted(redis, metrics.HANDOFF_DECISIONS, "asked_for_a_person",
                                    mode, expected=1) == 1
    assert sum((await counters(redis))[metrics.HANDOFF_DECISIONS.name].values()) == 1


class _BrokenRasa:
    """Answers every call with `status`."""

    def __init__(self, status: int) -> None:
        self.status = status

    def app(self) -> web.Application:
        async def answer(request: web.Request) -> web.Response:
            return web.json_response({"error": "no"}, status=self.status)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", answer)
        return app


@pytest.fixture
async def broken_rasa(request: pytest.FixtureRequest
                      ) -> AsyncIterator[Tuple[int, RasaClient]]:
    server = TestServer(_BrokenRasa(request.param).app())
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield request.param, RasaClient(session, str(server.make_url("")), "secret")
    await server.close()


@pytest.mark.parametrize("broken_rasa, kind", [(503, metrics.RASA_UNAVAILABLE),
                                               (400, metrics.REFUSED)],
                         indirect=["broken_rasa"])
async def test_the_relay_counts_each_failed_delivery_by_kind(
        redis: aioredis.Redis, broken_rasa: Tuple[int, RasaClient], kind: str) -> None:
    _status, client = broken_rasa
    worker = DeliveryWorker(redis, client, "web-1", retry_seconds=0.01, block_ms=10)
    await worker.ensure_group()
    await Outbox(redis).put("c1", line_command("hello", {}))
    await worker.run_once()
    values = await counters(redis)
    assert values[metrics.RELAY_DELIVERY_ERRORS.name] == {(kind,): 1}


async def test_a_customer_who_waited_too_long_is_counted_as_a_ticket_opened(
        redis: aioredis.Redis) -> None:
    queue, now = HandoffQueue(redis), time.time()
    await queue.enqueue({"conversation_id": "ghost", "created_at": now - 3 * 3600})
    await queue.enqueue({"conversation_id": "recent", "created_at": now - 60})
    assert await housekeeping.expire_waiting(queue, TicketStore(redis, 2000), now, 2 * 3600) == 1
    assert (await counters(redis))[metrics.TICKETS_OPENED.name] == {
        (metrics.WAITED_TOO_LONG,): 1}


# --- The relay's lag ----------------------------------------------------------------------

async def _put_at(redis: aioredis.Redis, seconds_ago: float) -> str:
    """An outbox command as if put `seconds_ago` (stream ids are Redis's clock in ms)."""
    now_s, now_us = await redis.time()
    ms = now_s * 1000 + now_us // 1000 - int(seconds_ago * 1000)
    return str(await redis.xadd(keys.RELAY_OUTBOX, {"conversation_id": "c1", "kind": "line"},
                                id=f"{ms}-0"))


async def test_relay_lag_is_the_age_of_the_oldest_command_not_yet_delivered(
        redis: aioredis.Redis) -> None:
    assert await relay_lag_seconds(redis) == 0.0  # no outbox at all
    await _put_at(redis, 30)
    await _put_at(redis, 10)
    assert 29.9 <= await relay_lag_seconds(redis) < 31  # nobody has taken any yet
    await redis.xgroup_create(keys.RELAY_OUTBOX, keys.RELAY_GROUP, id="0")
    [(_stream, taken)] = await redis.xreadgroup(keys.RELAY_GROUP, "web-1",
                                                {keys.RELAY_OUTBOX: ">"}, count=1)
    assert 29.9 <= await relay_lag_seconds(redis) < 31  # taken, not acknowledged
    await redis.xack(keys.RELAY_OUTBOX, keys.RELAY_GROUP, taken[0][0])
    assert 9.9 <= await relay_lag_seconds(redis) < 11  # the next one waits to be taken
    await redis.xreadgroup(keys.RELAY_GROUP, "web-1", {keys.RELAY_OUTBOX: ">"}, count=1)
    assert 9.9 <= await relay_lag_seconds(redis) < 11
    pending = await redis.xpending(keys.RELAY_OUTBOX, keys.RELAY_GROUP)
    await redis.xack(keys.RELAY_OUTBOX, keys.RELAY_GROUP, pending["min"])
    assert await relay_lag_seconds(redis) == 0.0  # everything delivered


def test_the_sync_client_sees_the_same_hash(redis_server: EmbeddedRedis) -> None:
    """The tally's client (bytes) and the web service's (text) read the same fields."""
    client = sync_redis.Redis.from_url(redis_server.url)
    client.delete(keys.METRIC_COUNTERS)
    client.hincrby(keys.METRIC_COUNTERS, metrics.counter_field(metrics.WEB_ERRORS), 4)
    raw: Dict[Any, Any] = client.hgetall(keys.METRIC_COUNTERS)
    client.close()
    assert metrics.read_counters(raw)[metrics.WEB_ERRORS.name] == {(): 4}


def test_each_model_load_shares_one_writer_thread_per_redis() -> None:
    assert metrics.shared_tally("redis://h:1/0") is metrics.shared_tally("redis://h:1/0")
    assert metrics.shared_tally("redis://h:1/0") is not metrics.shared_tally("redis://h:2/0")


def test_a_batch_that_fails_in_any_way_is_logged_and_the_writer_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken:
        def pipeline(self, transaction: bool = False) -> Any:
            raise ValueError("something no one expected")

    metrics._write_batch(Broken(), Counter({"field": 2}))  # type: ignore[arg-type]
    assert "could not write 2 counts" in caplog.text
