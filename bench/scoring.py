"""`python -m bench.scoring`: time to assess one turn of a 50-turn conversation (target < 1 ms)."""

from __future__ import annotations

import statistics
import time
from typing import List

from bench.machine import describe
from router.scoring import BotTurn, ScorerSettings, UserTurn, assess
from router.scoring.conversation import Turn


def conversation(user_turns: int) -> List[Turn]:
    turns: List[Turn] = []
    lines = ["where is my order", "it's 482913", "no, I said the other one!!",
             "how much is shipping", "THIS IS USELESS"]
    for n in range(user_turns):
        turns.append(UserTurn(lines[n % len(lines)], "order_status", 0.8, -0.1 * (n % 5)))
        turns.append(BotTurn("utter_ask_order_id", "What's the order number?"))
    return turns[:-1]


def main() -> None:
    talk, settings = conversation(50), ScorerSettings()
    for _ in range(200):
        assess(talk, settings)
    samples = []
    for _ in range(2000):
        started = time.perf_counter()
        assess(talk, settings)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    print(f"machine: {describe()}")
    print(f"assess() on a 50-turn conversation: p50 {statistics.median(samples):.3f} ms, "
          f"p95 {samples[int(0.95 * len(samples))]:.3f} ms, max {samples[-1]:.3f} ms")


if __name__ == "__main__":
    main()
