"""`make bench`: bot turn latency (p50/p95) and turns per second over REST, one Rasa process,
for the shipped pipeline (config.yml) and the rejected alternatives, in one run.

Each bot runs for real: action server, Rasa server, a fresh embedded Redis for its tracker and
lock stores. Conversations mix answers from responses and from actions (order lookups).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import psutil
import requests

from bench.machine import describe
from bench.running_bot import running_bot
from stack.settings import PROJECT_ROOT

MODELS = {
    "ours: counts + MiniLM + LogisticRegression (config.yml)": "models/pinecone.tar.gz",
    "ours without the router's policy (bench/configs/no_router.yml)":
        "models/bench-no-router.tar.gz",
    "rejected: counts + LogisticRegression (bench/configs/counts_only.yml)":
        "models/bench-counts-only.tar.gz",
    "rejected: counts + DIET (bench/configs/diet.yml)": "models/bench-diet.tar.gz",
}
# One conversation; every turn runs NLU, the policies, and half of them an action server call.
SCRIPT = [
    "hi",
    "where is order 482913",
    "how much is shipping?",
    "is the tent in stock",
    "what is your return policy",
    "thanks, bye",
]


@dataclass
class Result:
    p50_ms: float
    p95_ms: float
    mean_ms: float
    sequential_turns_per_s: float
    concurrent_turns_per_s: float
    start_seconds: float
    rasa_rss_mb: float


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def talk(url: str, turns: int) -> List[float]:
    """Run `turns` turns of scripted conversations; latency of each in milliseconds."""
    latencies, session = [], requests.Session()
    sender = ""
    for n in range(turns):
        if n % len(SCRIPT) == 0:
            sender = uuid.uuid4().hex
        started = time.perf_counter()
        reply = session.post(url, json={"sender": sender, "message": SCRIPT[n % len(SCRIPT)]},
                             timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
        if reply.status_code != 200 or not reply.json():
            raise SystemExit(f"turn {n} failed: {reply.status_code} {reply.text[:200]}")
    return latencies


def measure(model: Path, turns: int, clients: int) -> Result:
    with running_bot(model) as bot:
        url = bot.rest_url
        talk(url, 3 * len(SCRIPT))  # warm-up: first calls compile graphs and fill caches
        began = time.perf_counter()
        latencies = talk(url, turns)
        sequential = turns / (time.perf_counter() - began)
        began = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda _: talk(url, turns // clients), range(clients)))
        concurrent = (turns // clients * clients) / (time.perf_counter() - began)
        rss = psutil.Process(bot.rasa.process.pid).memory_info().rss / 2**20  # type: ignore[union-attr]
        start_seconds = bot.start_seconds
    return Result(
        p50_ms=round(percentile(latencies, 0.5), 1), p95_ms=round(percentile(latencies, 0.95), 1),
        mean_ms=round(statistics.fmean(latencies), 1),
        sequential_turns_per_s=round(sequential, 1), concurrent_turns_per_s=round(concurrent, 1),
        start_seconds=round(start_seconds, 1), rasa_rss_mb=round(rss),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4, help="for the concurrent run")
    args = parser.parse_args()
    print(f"machine: {describe()}", flush=True)
    report: Dict[str, object] = {"machine": describe(), "turns": args.turns, "bots": {}}
    for name, relative in MODELS.items():
        model = PROJECT_ROOT / relative
        if not model.exists():
            print(f"skipping {name}: no model at {relative} (make bench trains it)")
            continue
        print(f"measuring {name} ...", flush=True)
        result = measure(model, args.turns, args.clients)
        report["bots"][name] = result.__dict__  # type: ignore[index]
        print(f"  p50 {result.p50_ms} ms, p95 {result.p95_ms} ms, "
              f"{result.sequential_turns_per_s} turns/s sequential, "
              f"{result.concurrent_turns_per_s} turns/s with {args.clients} clients, "
              f"start {result.start_seconds} s, RSS {result.rasa_rss_mb} MB", flush=True)
    out = PROJECT_ROOT / "results" / "bench" / "turn_latency.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"written to {out.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
