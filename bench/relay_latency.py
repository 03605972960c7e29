"""`python -m bench.relay_latency`: how long a line takes between a customer (on the web
chat's socket.io channel) and an agent (our API and its live feed), through the real stack:
Redis, action server, Rasa, our web service.

- agent to customer: from the agent's POST until the customer's socket receives the line
  (outbox stream -> delivery worker -> Rasa's API -> socket.io push);
- customer to agent: from the customer's socket emit until the agent's event stream shows it
  (Rasa logs the paused turn -> event broker -> feed stream -> server-sent event).
"""

from __future__ import annotations

import queue
import statistics
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Dict, List

import requests
import socketio

from actions.seed import seed
from bench.machine import describe
from stack.redis_server import EmbeddedRedis, free_port
from stack.run import RASA_START_TIMEOUT, SMALL_START_TIMEOUT, Stack
from stack.settings import PROJECT_ROOT, RedisAddress, StackSettings
from tests.e2e.agents import AgentClient, create_agent

CUSTOMERS = 4
LINES_PER_CUSTOMER = 25


class Customer:
    def __init__(self, rasa_url: str) -> None:
        self.lines: queue.Queue[Dict] = queue.Queue()
        confirmed: queue.Queue[Dict] = queue.Queue()
        self.socket = socketio.Client(reconnection=False)
        self.socket.on("bot_uttered", lambda payload: self.lines.put(payload))
        self.socket.on("session_confirm", lambda session: confirmed.put(session))
        self.socket.connect(rasa_url, transports=["websocket"])
        self.socket.emit("session_request", {})
        # The server issues the conversation id (and the key that proves it is ours).
        self.id: str = confirmed.get(timeout=10)["session_id"]

    def say(self, text: str) -> None:
        self.socket.emit("user_uttered", {"message": text})

    def wait_for(self, fragment: str, timeout: float = 20) -> float:
        """Waits for a line containing `fragment`; returns when it came (perf_counter)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                payload = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if fragment in (payload.get("text") or ""):
                return time.perf_counter()
        raise TimeoutError(f"no line with {fragment!r}")


class Feed(threading.Thread):
    """The agent's live feed of one conversation, with the arrival time of each line."""

    def __init__(self, agent: AgentClient, conversation_id: str, after: str) -> None:
        super().__init__(daemon=True)
        self.agent, self.conversation_id, self.after = agent, conversation_id, after
        self.arrivals: queue.Queue[tuple] = queue.Queue()

    def run(self) -> None:
        try:
            for event in self.agent.feed(self.conversation_id, self.after):
                self.arrivals.put((event["line"]["text"], time.perf_counter()))
        except requests.RequestException:
            pass  # the service stopped at the end of the run

    def wait_for(self, text: str, timeout: float = 20) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen, at = self.arrivals.get(timeout=timeout)
            if seen == text:
                return at
        raise TimeoutError(text)


def percentiles(samples: List[float]) -> str:
    ordered = sorted(samples)
    return (f"p50 {statistics.median(ordered):6.1f} ms   p95 "
            f"{ordered[int(len(ordered) * 0.95)]:6.1f} ms   ({len(ordered)} lines)")


def measure(stack: Stack) -> Dict[str, List[float]]:
    web_url = f"http://127.0.0.1:{stack.settings.web_port}"
    rasa_url = f"http://127.0.0.1:{stack.settings.rasa_port}"
    create_agent(stack.redis.url, "sam", "Sam")
    agent = AgentClient(web_url, "sam")
    samples: Dict[str, List[float]] = {"agent to customer": [], "customer to agent": []}
    for _ in range(CUSTOMERS):
        customer = Customer(rasa_url)
        customer.say("I want to talk to a human")
        customer.wait_for("bring in a person")
        agent.claim(customer.id)
        customer.wait_for("has joined")
        feed = Feed(agent, customer.id, agent.view(customer.id)["feed_last_id"])
        feed.start()
        for number in range(LINES_PER_CUSTOMER):
            text = f"agent line {number} {uuid.uuid4().hex[:6]}"
            sent = time.perf_counter()
            agent.say(customer.id, text)
            samples["agent to customer"].append((customer.wait_for(text) - sent) * 1000)
            text = f"customer line {number} {uuid.uuid4().hex[:6]}"
            sent = time.perf_counter()
            customer.say(text)
            samples["customer to agent"].append((feed.wait_for(text) - sent) * 1000)
        agent.call("POST", f"/api/conversations/{customer.id}/resolve", {})
        customer.socket.disconnect()
    return samples


def main() -> None:
    print(describe(), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        redis = EmbeddedRedis(data_dir / "redis", free_port()).start()
        settings = StackSettings(rasa_port=free_port(), actions_port=free_port(),
                                 web_port=free_port(), data_dir=data_dir,
                                 model_path=PROJECT_ROOT / "models" / "pinecone.tar.gz")
        stack = Stack(settings, RedisAddress.from_url(redis.url), "bench",
                      extra_env={"SUPPORT_HOURS": "always"})
        seed(data_dir / "shop.db", date.today())
        services = stack.services()
        try:
            for service in services:
                timeout = RASA_START_TIMEOUT if service.name == "Rasa server" \
                    else SMALL_START_TIMEOUT
                service.start().wait_until_healthy(timeout)
            samples = measure(stack)
        finally:
            for service in reversed(services):
                service.stop()
            redis.stop()
    for name, values in samples.items():
        print(f"{name:18s} {percentiles(values)}", flush=True)


if __name__ == "__main__":
    main()
