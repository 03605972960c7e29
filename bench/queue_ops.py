"""`python -m bench.queue_ops`: handoff-queue operations per second on a real (embedded)
Redis: enqueue (a Lua script placing the packet, owner, state and told position), and claim
(a Lua script: presence, capacity, team check, move to the agent), with many clients at once.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Awaitable, Callable, List

from redis import asyncio as aioredis

from bench.embedded import with_embedded_redis
from bench.machine import describe
from router.agents.directory import AgentDirectory
from router.handoff.queue import HandoffQueue, QueueError

CONVERSATIONS = 5000
CLIENTS = 16
AGENTS = 250  # x capacity 20 = every conversation finds a place


def packet(index: int, now: float) -> dict:
    return {"conversation_id": f"bench-{index}", "created_at": now + index * 0.001,
            "reason": "bench", "channel": "rest", "assessment": {"score": (index % 10) / 10},
            "summary": {"customer_wants": "order_status", "first_message": "where is it"},
            "transcript": [{"from": "customer", "text": "where is my order"}] * 6}


async def in_parallel(jobs: List[Callable[[], Awaitable[object]]], clients: int) -> List[float]:
    """Runs the jobs with `clients` concurrent workers; returns each job's latency in ms."""
    latencies: List[float] = []
    pending = list(jobs)

    async def worker() -> None:
        while pending:
            job = pending.pop()
            started = time.perf_counter()
            await job()
            latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies


def report(name: str, latencies: List[float], seconds: float) -> None:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95)]
    print(f"{name:8s} {len(latencies) / seconds:8.0f} ops/s   p50 "
          f"{statistics.median(ordered):.2f} ms  p95 {p95:.2f} ms   ({len(latencies)} ops, "
          f"{CLIENTS} clients)", flush=True)


async def measure(url: str) -> None:
    redis = aioredis.Redis.from_url(url, max_connections=CLIENTS * 2)
    queue = HandoffQueue(redis)
    directory = AgentDirectory(redis)
    now = time.time()
    for number in range(AGENTS):
        await directory.create(f"agent{number}", f"Agent {number}", "a long password",
                               capacity=20)
        await directory.heartbeat(f"agent{number}", now, "online")

    def enqueue(index: int) -> Callable[[], Awaitable[int]]:
        return lambda: queue.enqueue(packet(index, now))

    started = time.perf_counter()
    latencies = await in_parallel([enqueue(i) for i in range(CONVERSATIONS)], CLIENTS)
    report("enqueue", latencies, time.perf_counter() - started)

    claimed: List[str] = []

    def claim(number: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            try:
                claimed.append(await queue.claim(f"agent{number % AGENTS}", now))
            except QueueError:
                pass
        return run

    started = time.perf_counter()
    latencies = await in_parallel([claim(i) for i in range(CONVERSATIONS)], CLIENTS)
    report("claim", latencies, time.perf_counter() - started)
    assert len(claimed) == len(set(claimed)) == CONVERSATIONS, "a conversation went twice"
    await redis.close()


def main() -> None:
    print(describe(), flush=True)
    with_embedded_redis(measure)


if __name__ == "__main__":
    main()
