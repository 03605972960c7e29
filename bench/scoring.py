"""`python -m bench.scoring`: time to assess one turn of a 50-turn conversation (target < 1 ms).

Measured as the policy runs it: the state of turn 49 carried over (from the frustration slot),
turn 50 scored, with sentence embeddings on every line so the rephrasing signal does its work.
The rebuild from the first turn (when no state was stored) is reported beside it.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable, List

import numpy as np

from bench.machine import describe
from router.scoring import BotTurn, ScorerSettings, UserTurn, assess, meaning
from router.scoring.conversation import Turn


def conversation(user_turns: int) -> List[Turn]:
    turns: List[Turn] = []
    lines = ["where is my order", "it's 482913", "no, I said the other one!!",
             "how much is shipping", "THIS IS USELESS"]
    rng = np.random.default_rng(7)
    for n in range(user_turns):
        vector = meaning.encode(rng.normal(size=384))
        turns.append(UserTurn(lines[n % len(lines)], "order_status", 0.8, -0.1 * (n % 5),
                              meaning=vector))
        turns.append(BotTurn("utter_ask_order_id", "What's the order number?"))
    return turns[:-1]


def timed(step: Callable[[], object], rounds: int) -> List[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        step()
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


def main() -> None:
    talk, settings = conversation(50), ScorerSettings()
    previous = assess(talk[:-2], settings).state
    for _ in range(200):
        assess(talk, settings, previous)
    incremental = timed(lambda: assess(talk, settings, previous), 2000)
    rebuilt = timed(lambda: assess(talk, settings), 50)
    print(f"machine: {describe()}")
    print(f"assess() of turn 50, state carried over: p50 {statistics.median(incremental):.3f} "
          f"ms, p95 {incremental[int(0.95 * len(incremental))]:.3f} ms, max "
          f"{incremental[-1]:.3f} ms")
    print(f"assess() of turn 50, rebuilt from turn 1: p50 {statistics.median(rebuilt):.3f} ms")


if __name__ == "__main__":
    main()
