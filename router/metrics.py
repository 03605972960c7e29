"""What we measure for Prometheus (every metric's name and help text), and counting it.

Events happen in three processes: the Rasa server (turns scored, handoffs decided), the action
server (handoffs queued or refused, tickets left) and the web service (relay errors, server
errors, tickets made for those who waited too long). Each process counts in one Redis hash where
the event happens, and the web service exports them all, with live gauges, from `/metrics`
(webapp/metrics.py).

Counting must never slow or break a customer's turn: a failure to count is logged and that
count lost. Async code counts with `count_soon` (fire and forget); the Rasa policy, which
predicts inside Rasa's event loop and must not wait on the network, counts through a
`BackgroundTally` whose own thread does the writing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Set, Tuple

import redis
from redis.exceptions import RedisError

from router import keys
from router.scoring.scorer import ACCEPTED_OFFER, ASKED_FOR_A_PERSON, ONLY_A_PERSON, STILL_ON_IT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Metric:
    """A metric's name (a counter's without `_total`: the exporter adds it), its help text and
    its labels, whose values must come from small fixed sets (each value is a time series)."""

    name: str
    help: str
    labels: Tuple[str, ...] = ()


# --- Counters: counted where the event happens, kept in Redis --------------------------------
TURNS_SCORED = Metric(
    "pinecone_turns_scored",
    "Customer turns the router scored for frustration (counted in the Rasa process).")
HANDOFF_DECISIONS = Metric(
    "pinecone_handoff_decisions",
    "Turns on which the router decided a person is needed, by reason; mode=shadow when shadow "
    "mode kept the bot answering (counted in the Rasa process).", ("reason", "mode"))
HANDOFFS = Metric(
    "pinecone_handoffs",
    "Times the bot brought in a person, by reason and outcome: queued, or why nobody could "
    "take over (closed, nobody_online, queue_full, client_limit, already_with_person) "
    "(counted in the action server).", ("reason", "outcome"))
TICKETS_OPENED = Metric(
    "pinecone_tickets_opened",
    "Tickets opened for the team, by source: left_a_message (the customer left one) or "
    "waited_too_long (made when a customer waited longer than the queue's maximum).",
    ("source",))
RELAY_DELIVERY_ERRORS = Metric(
    "pinecone_relay_delivery_errors",
    "Failed deliveries of outbox commands to Rasa, by kind: rasa_unavailable (retried) or "
    "refused (dropped: Rasa will never accept it).", ("kind",))
WEB_ERRORS = Metric(
    "pinecone_web_errors",
    "Requests the web service answered with 500 (a bug of ours: the log has the traceback).")
COUNTERS = (TURNS_SCORED, HANDOFF_DECISIONS, HANDOFFS, TICKETS_OPENED, RELAY_DELIVERY_ERRORS,
            WEB_ERRORS)

# --- Gauges: read live from Redis when /metrics is scraped -----------------------------------
QUEUE_LENGTH = Metric("pinecone_queue_length", "Customers waiting for a person now.")
QUEUE_OLDEST_WAIT = Metric(
    "pinecone_queue_oldest_wait_seconds",
    "How long the customer who has waited longest for a person has waited (0: nobody waits).")
RELAY_LAG = Metric(
    "pinecone_relay_lag_seconds",
    "Age of the oldest command in the relay's outbox not yet delivered to Rasa (an agent's "
    "line, a notice, a resume); 0 when everything is delivered.")

# Label values
LIVE, SHADOW = "live", "shadow"
QUEUED = "queued"
LEFT_A_MESSAGE, WAITED_TOO_LONG = "left_a_message", "waited_too_long"
RASA_UNAVAILABLE, REFUSED = "rasa_unavailable", "refused"

# The scorer's handoff reasons carry scores and intents ("frustration 0.81 reached 0.60: ...");
# a label needs a small fixed set, so each reason is filed under its kind.
_EXACT_REASONS = {ASKED_FOR_A_PERSON: "asked_for_a_person", ACCEPTED_OFFER: "accepted_offer",
                  STILL_ON_IT: "still_on_an_unsolved_problem"}
_REASON_PREFIXES = ((ONLY_A_PERSON, "only_a_person_can_solve"),
                    ("frustration", "frustration"))  # router/scoring/scorer.py's _step


def reason_kind(reason: Optional[str]) -> str:
    """The kind of a handoff reason, for the `reason` label."""
    if reason in _EXACT_REASONS:
        return _EXACT_REASONS[reason]
    for prefix, kind in _REASON_PREFIXES:
        if reason and reason.startswith(prefix):
            return kind
    return "other"


# --- The hash of counters ------------------------------------------------------------------
def counter_field(metric: Metric, *label_values: str) -> str:
    """The hash field of one counter's time series; ValueError for the wrong labels (a bug)."""
    if metric not in COUNTERS or len(label_values) != len(metric.labels):
        raise ValueError(f"{metric.name} is counted with labels {metric.labels}, "
                         f"not {label_values}")
    return json.dumps([metric.name, *label_values])


CounterValues = Dict[str, Dict[Tuple[str, ...], int]]


def read_counters(raw: Mapping[Any, Any]) -> CounterValues:
    """The hash as metric name -> label values -> count. Fields of metrics we do not know
    (e.g. written by a newer version) are skipped, never guessed at."""
    known = {metric.name: metric for metric in COUNTERS}
    values: CounterValues = {}
    for field, count in raw.items():
        try:
            name, *labels = json.loads(field)
            metric = known[name]
            if len(labels) != len(metric.labels):
                raise ValueError(field)
            values.setdefault(name, {})[tuple(str(v) for v in labels)] = int(count)
        except (ValueError, KeyError, TypeError):
            log.warning("Metrics: skipped the counter field %r (not one of ours)", field)
    return values


# --- Counting from async code ----------------------------------------------------------------
async def count(client: Any, metric: Metric, *label_values: str) -> None:
    """Adds one; never raises for Redis (a failure is logged and the count lost)."""
    field = counter_field(metric, *label_values)
    try:
        await client.hincrby(keys.METRIC_COUNTERS, field, 1)
    except (RedisError, OSError) as error:
        log.warning("Metrics: could not count %s (%s); that count is lost.", field, error)


# Running counts, kept so the event loop does not garbage-collect them half way.
_counting: Set[asyncio.Task[None]] = set()


def count_soon(client: Any, metric: Metric, *label_values: str) -> None:
    """Counts without the caller waiting for Redis (call it from a running event loop)."""
    counter_field(metric, *label_values)  # wrong labels are a bug: they show at the caller
    task = asyncio.get_running_loop().create_task(count(client, metric, *label_values))
    _counting.add(task)
    task.add_done_callback(_counting.discard)


async def counts_written() -> None:
    """Waits for the counts `count_soon` started (tests; a clean shutdown)."""
    if _counting:
        await asyncio.wait(set(_counting))


# --- Counting from code that must not touch the network --------------------------------------
# Counts waiting for the writer thread; beyond this (Redis away for long) new ones are dropped.
MAX_WAITING_COUNTS = 10_000
# A Redis that does not answer within this long is treated as away: the batch is lost.
TALLY_SOCKET_SECONDS = 5.0


class BackgroundTally:
    """Counts for the Rasa process: `add` only puts the count on an in-memory queue; a daemon
    thread, started on the first count, adds the waiting counts to Redis in one round trip.
    Without a Redis URL (training, unit tests) nothing is counted."""

    def __init__(self, redis_url: Optional[str],
                 max_waiting: int = MAX_WAITING_COUNTS) -> None:
        self._redis_url = redis_url
        self._waiting: queue.Queue[str] = queue.Queue(max_waiting)
        self._writer: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def add(self, metric: Metric, *label_values: str) -> None:
        field = counter_field(metric, *label_values)
        if not self._redis_url:
            return
        self._start()
        try:
            self._waiting.put_nowait(field)
        except queue.Full:
            log.warning("Metrics: %d counts wait for Redis already; dropped %s.",
                        self._waiting.maxsize, field)

    def _start(self) -> None:
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_forever,
                                                name="metrics-tally", daemon=True)
                self._writer.start()

    def _write_forever(self) -> None:
        client = redis.Redis.from_url(str(self._redis_url), socket_timeout=TALLY_SOCKET_SECONDS,
                                      socket_connect_timeout=TALLY_SOCKET_SECONDS)
        while True:
            batch = Counter([self._waiting.get()])
            while not self._waiting.empty():
                batch[self._waiting.get_nowait()] += 1
            _write_batch(client, batch)


def _write_batch(client: redis.Redis[Any], batch: Counter[str]) -> None:
    try:
        with client.pipeline(transaction=False) as pipe:
            for field, added in batch.items():
                pipe.hincrby(keys.METRIC_COUNTERS, field, added)
            pipe.execute()
    except Exception as error:
        # Whatever went wrong, the writer goes on with the next batch: a counting thread that
        # ended would drop every later count.
        log.warning("Metrics: could not write %d counts (%s); they are lost.",
                    sum(batch.values()), error)


_TALLIES: Dict[str, BackgroundTally] = {}
_TALLIES_LOCK = threading.Lock()


def shared_tally(redis_url: Optional[str]) -> BackgroundTally:
    """One tally (one writer thread) per Redis for the whole process: Rasa makes a new policy
    each time it loads a model, and each must not leave a thread behind."""
    with _TALLIES_LOCK:
        key = redis_url or ""
        if key not in _TALLIES:
            _TALLIES[key] = BackgroundTally(redis_url)
        return _TALLIES[key]
