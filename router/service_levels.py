"""Service levels: how long a customer may wait for a person before admins are alerted, and
the one place that target is set (SLA_WAIT_SECONDS). Pure: no Redis, no clock.

The console's queue snapshot lists, for admins, the customers waiting past the target
(webapp/console.py), and the analytics report how often the target was met
(router/analytics.py). Both read it from here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Sequence

from router.handoff.queue import Waiting

VARIABLE = "SLA_WAIT_SECONDS"
# A target below a few seconds or beyond a day is a typo, not a service level.
LOWEST_TARGET_SECONDS = 10
HIGHEST_TARGET_SECONDS = 86_400


@dataclass(frozen=True)
class ServiceLevels:
    # Five minutes: most customers who wait for a person in a chat give up soon after; a
    # supervisor alerted then can still step in or call in help before they leave.
    wait_target_seconds: int = 300

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ServiceLevels:
        raw = env.get(VARIABLE, "").strip()
        if not raw:
            return cls()
        if not raw.isdigit() or not LOWEST_TARGET_SECONDS <= int(raw) <= HIGHEST_TARGET_SECONDS:
            raise ValueError(f"{VARIABLE} must be a whole number of seconds from "
                             f"{LOWEST_TARGET_SECONDS} to {HIGHEST_TARGET_SECONDS}, got "
                             f"{raw[:20]!r}.")
        return cls(wait_target_seconds=int(raw))

    def met(self, waited_seconds: float) -> bool:
        """Whether a customer who waited this long was taken within the target."""
        return waited_seconds <= self.wait_target_seconds


def past_target(waiting: Sequence[Waiting], now: float, levels: ServiceLevels
                ) -> List[Dict[str, Any]]:
    """The customers waiting longer than the target, the longest wait first, as the console
    shows them to admins."""
    late = [entry.as_dict(now) for entry in waiting
            if not levels.met(now - entry.waiting_since)]
    return sorted(late, key=lambda entry: -entry["waiting_seconds"])


def alert(waiting: Sequence[Waiting], now: float, levels: ServiceLevels) -> Dict[str, Any]:
    """What an admin's queue snapshot carries: the target, and who is waiting past it."""
    return {"wait_target_seconds": levels.wait_target_seconds,
            "past_target": past_target(waiting, now, levels)}
