"""`python -m bench.router_overhead`: what the router (HandoffPolicy scoring every turn and
recording its assessment) adds to a turn, measured side by side in one run.

Both bots run in this process on the same Redis tracker store, in alternating rounds (ABAB...)
so drift of the machine affects both alike; conversations use responses only, so the action
server's timing does not blur the difference. Needs models/pinecone.tar.gz and
models/bench-no-router.tar.gz (`make bench-model`).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List

from rasa.core.agent import Agent
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain

from bench.machine import describe
from stack.redis_server import EmbeddedRedis, free_port
from stack.settings import PROJECT_ROOT

BOTS = {"with router": "models/pinecone.tar.gz",
        "without router": "models/bench-no-router.tar.gz"}
SCRIPT = ["hi", "how much is shipping?", "what is your return policy",
          "which payment methods do you take", "this is taking forever", "thanks, bye"]
ROUNDS = 5
CONVERSATIONS_PER_ROUND = 20


async def talk(agent: Agent, conversations: int) -> List[float]:
    latencies = []
    for _ in range(conversations):
        sender = uuid.uuid4().hex
        for line in SCRIPT:
            started = time.perf_counter()
            await agent.handle_text(line, sender_id=sender)
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def measure(port: int) -> Dict[str, List[float]]:
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    agents = {name: Agent.load(str(PROJECT_ROOT / path),
                               tracker_store=RedisTrackerStore(domain, port=port))
              for name, path in BOTS.items()}
    for agent in agents.values():
        await talk(agent, 3)  # warm-up
    samples: Dict[str, List[float]] = {name: [] for name in agents}
    for _ in range(ROUNDS):
        for name, agent in agents.items():
            samples[name] += await talk(agent, CONVERSATIONS_PER_ROUND)
    return samples


def main() -> int:
    missing = [p for p in BOTS.values() if not (PROJECT_ROOT / p).exists()]
    if missing:
        print(f"missing {missing}: run `make bench-model` first", file=sys.stderr)
        return 2
    redis = EmbeddedRedis(Path(tempfile.mkdtemp()), free_port()).start()
    try:
        samples = asyncio.run(measure(redis.port))
    finally:
        redis.stop()
    print(f"machine: {describe()}")
    medians = {}
    for name, values in samples.items():
        values.sort()
        medians[name] = statistics.median(values)
        print(f"{name:<16} p50 {medians[name]:.1f} ms  p95 {values[int(0.95 * len(values))]:.1f} ms"
              f"  ({len(values)} turns)")
    overhead = medians["with router"] / medians["without router"] - 1
    print(f"router overhead at p50: {overhead:+.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
