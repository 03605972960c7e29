"""`python -m bench.big_messages`: does one customer sending huge lines slow everyone else?

A real action server and Rasa server (the shipped model) on a fresh embedded Redis. Customer A
talks over REST, turn after turn; we measure A's turn latency (p50/p95) alone, then while
another client keeps sending (1) the longest line a customer may send, (2) a 100 KB line,
which the channel answers itself, and (3) a 1 MB body, which Rasa's HTTP server refuses
before reading. Before the limits, one 1 MB line kept the bot busy for 17.5 s for everyone.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from typing import Dict, List

import requests

from bench.machine import describe
from bench.running_bot import running_bot
from bench.turn_latency import percentile, talk
from router.customer_limits import CustomerLimits
from stack.settings import PROJECT_ROOT

LOADS = {
    "alone": None,
    f"beside lines of the longest allowed length ({CustomerLimits().max_message_chars:,} "
    "characters)": "where is my order " * (CustomerLimits().max_message_chars // 18),
    "beside 100 KB lines (answered by the channel)": "x" * 100_000,
    "beside 1 MB bodies (refused by Rasa's HTTP server)": "x" * 1_000_000,
}


class Flood(threading.Thread):
    """Another client sending `text` again and again until stopped."""

    def __init__(self, url: str, text: str) -> None:
        super().__init__(daemon=True)
        self.url, self.text = url, text
        self.stop = threading.Event()
        self.sent = 0
        self.statuses: Dict[int, int] = {}

    def run(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            reply = session.post(self.url, json={"sender": f"flood-{uuid.uuid4().hex[:8]}",
                                                 "message": self.text}, timeout=60)
            self.sent += 1
            self.statuses[reply.status_code] = self.statuses.get(reply.status_code, 0) + 1


def measure(url: str, turns: int) -> Dict[str, Dict[str, float]]:
    results: Dict[str, Dict[str, float]] = {}
    talk(url, 12)  # warm-up
    for name, text in LOADS.items():
        flood = Flood(url, text) if text else None
        if flood:
            flood.start()
            time.sleep(0.5)
        latencies: List[float] = talk(url, turns)
        if flood:
            flood.stop.set()
            flood.join()
        results[name] = {"p50_ms": round(percentile(latencies, 0.5), 1),
                         "p95_ms": round(percentile(latencies, 0.95), 1),
                         "flood_requests": flood.sent if flood else 0,
                         "flood_statuses": flood.statuses if flood else {}}  # type: ignore
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=60)
    args = parser.parse_args()
    model = PROJECT_ROOT / "models" / "pinecone.tar.gz"
    if not model.exists():
        print("Train the model first: make model", file=sys.stderr)
        return 2
    with running_bot(model) as bot:
        results = measure(bot.rest_url, args.turns)
    print(json.dumps({"machine": describe(), "customer_A_turns": args.turns,
                      "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
