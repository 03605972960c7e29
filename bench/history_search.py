"""`python -m bench.history_search`: ending a handoff (the Lua step that also keeps it as a
case), filing it for search, and an agent's searches, with 10,000 cases in a real (embedded)
Redis: by order number, by email, by a popular order number met in many stories, by date only,
and the customer's earlier contacts beside a conversation.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Awaitable, Callable, Dict, List

from redis import asyncio as aioredis

from bench.embedded import with_embedded_redis
from bench.machine import describe
from bench.queue_ops import in_parallel
from router.handoff.queue import RESOLVED, HandoffQueue
from router.history import History
from router.relay.feed import ConversationFeed
from router.search_terms import query_terms
from router.tickets import TicketStore

CASES = 10_000
CLIENTS = 16
SEARCHES = 200
# One order in this many stories: the popular one every agent searches for.
POPULAR_EVERY = 50


def packet(index: int, at: float) -> Dict[str, Any]:
    order = "100000" if index % POPULAR_EVERY == 0 else str(200000 + index)
    return {"conversation_id": f"bench-{index}", "created_at": at, "reason": "bench",
            "channel": "socketio", "assessment": {"score": 0.7},
            "summary": {"first_message": "where is my order"},
            "slots": {"order_id": order, "email": f"customer{index}@example.com"},
            "transcript": [{"from": "customer", "text": f"where is order {order}"},
                           {"from": "bot", "text": "Let me check that for you."}] * 4}


def report(name: str, latencies: List[float], seconds: float) -> None:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95)]
    print(f"{name:26s} {len(latencies) / seconds:8.0f} /s   p50 "
          f"{statistics.median(ordered):6.2f} ms  p95 {p95:6.2f} ms   ({len(latencies)})",
          flush=True)


async def timed(name: str, jobs: List[Callable[[], Awaitable[Any]]]) -> None:
    started = time.perf_counter()
    latencies = await in_parallel(jobs, CLIENTS)
    report(name, latencies, time.perf_counter() - started)


async def measure(url: str) -> None:
    redis = aioredis.Redis.from_url(url, decode_responses=True, max_connections=CLIENTS * 2)
    queue, feed = HandoffQueue(redis), ConversationFeed(redis)
    history = History(redis, TicketStore(redis, 2000))
    now = time.time()

    def handoff(index: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            conversation_id = f"bench-{index}"
            await queue.enqueue(packet(index, now - CASES + index))
            for line in range(6):
                await feed.append(conversation_id, {"from": "customer" if line % 2 else "agent",
                                                    "text": f"line {line} of the person's part",
                                                    "timestamp": now})
        return run

    await in_parallel([handoff(i) for i in range(CASES)], CLIENTS)

    def end(index: int) -> Callable[[], Awaitable[Any]]:
        return lambda: queue.release(f"bench-{index}", now, RESOLVED, {"kind": "resume"},
                                     by_agent=None)

    await timed("end a handoff (keep case)", [end(i) for i in range(CASES)])
    started = time.perf_counter()
    filed = await history.index_pending()
    print(f"{'file for search':26s} {filed / (time.perf_counter() - started):8.0f} /s   "
          f"({filed} cases)", flush=True)

    def search(query: str) -> Callable[[], Awaitable[Any]]:
        return lambda: history.search(query_terms(query))

    await timed("search an order number", [search(str(200001 + i)) for i in range(SEARCHES)])
    await timed("search an email", [search(f"customer{i}@example.com") for i in range(SEARCHES)])
    await timed("search a popular order", [search("100000") for _ in range(SEARCHES)])
    await timed("search by date only", [
        (lambda: history.search([], since=now - 3600, until=now)) for _ in range(SEARCHES)])
    def earlier(index: int) -> Callable[[], Awaitable[Any]]:
        return lambda: history.earlier(f"bench-{index}", packet(index, now))

    await timed("earlier contacts", [earlier(i) for i in range(SEARCHES)])
    memory = await redis.info("memory")
    print(f"Redis memory with {CASES} cases: {memory['used_memory_human']}", flush=True)
    await redis.close()


def main() -> None:
    print(describe(), flush=True)
    with_embedded_redis(measure)


if __name__ == "__main__":
    main()
