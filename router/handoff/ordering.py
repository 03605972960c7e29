"""Who is served first, and how long a customer will wait. Pure: no Redis, no clock.

The queue is a Redis sorted set served lowest score first. A conversation's score is the time
it entered the queue minus a head start for frustration and for customer priority:

    score = enqueued_at - frustration * frustration_head_start - priority * priority_head_start

Because the score is fixed at entry, aging needs no background job: a very frustrated customer
can only overtake those who arrived less than `frustration_head_start` seconds earlier, so
nobody is overtaken forever.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Mapping, Sequence


@dataclass(frozen=True)
class QueueSettings:
    # A frustration score of 1.0 is worth this many seconds of waiting.
    frustration_head_start: float = 300.0
    # Each level of customer priority (0 normal, 1 high, 2 urgent) is worth this many seconds.
    priority_head_start: float = 600.0
    # An agent whose console sent no heartbeat for this long has gone: their conversations
    # return to the front of the queue.
    heartbeat_timeout: float = 60.0
    # Used for the estimated wait until the team has handled a few conversations.
    default_handle_seconds: float = 240.0
    # Concurrent conversations of a new agent.
    default_capacity: int = 3

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> QueueSettings:
        return cls(
            frustration_head_start=float(env.get("QUEUE_FRUSTRATION_HEAD_START",
                                                 cls.frustration_head_start)),
            priority_head_start=float(env.get("QUEUE_PRIORITY_HEAD_START",
                                              cls.priority_head_start)),
            heartbeat_timeout=float(env.get("AGENT_HEARTBEAT_TIMEOUT", cls.heartbeat_timeout)),
            default_handle_seconds=float(env.get("QUEUE_DEFAULT_HANDLE_SECONDS",
                                                 cls.default_handle_seconds)),
            default_capacity=int(env.get("AGENT_DEFAULT_CAPACITY", cls.default_capacity)),
        )


def queue_score(enqueued_at: float, frustration: float, customer_priority: int,
                settings: QueueSettings) -> float:
    frustration = min(max(frustration, 0.0), 1.0)
    customer_priority = min(max(customer_priority, 0), 2)
    return (enqueued_at - frustration * settings.frustration_head_start
            - customer_priority * settings.priority_head_start)


def estimated_wait_minutes(position: int, agents_online: int, handle_times: Sequence[float],
                           settings: QueueSettings) -> int:
    """Whole minutes until a person picks up the customer at `position` (1 = next): the
    conversations ahead, shared among the agents online, times the recent handling time
    (median, so one long case does not scare everyone)."""
    handle = _median(handle_times) if handle_times else settings.default_handle_seconds
    rounds = math.ceil(position / max(agents_online, 1))
    return max(1, math.ceil(rounds * handle / 60))


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
