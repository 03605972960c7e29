"""Can a person take a conversation now? Pure: the caller supplies the clock and counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Dict, Optional, Tuple

# Monday=0 .. Sunday=6 -> (opens, closes) in the shop's time zone; absent days are closed.
DEFAULT_HOURS: Dict[int, Tuple[time, time]] = {
    **{day: (time(8), time(18)) for day in range(5)},
    5: (time(9), time(14)),
}


@dataclass(frozen=True)
class Availability:
    available: bool
    # Why not, as the name of the response that tells the customer.
    reason: Optional[str] = None


def within_hours(now: datetime, hours: Optional[Dict[int, Tuple[time, time]]]) -> bool:
    """None means around the clock."""
    if hours is None:
        return True
    opening = hours.get(now.weekday())
    return opening is not None and opening[0] <= now.time() < opening[1]


def check(now: datetime, hours: Optional[Dict[int, Tuple[time, time]]], agents_online: int,
          queue_length: int, queue_limit: int) -> Availability:
    if not within_hours(now, hours):
        return Availability(False, "utter_handoff_closed")
    if agents_online == 0:
        return Availability(False, "utter_handoff_nobody_online")
    if queue_length >= queue_limit:
        return Availability(False, "utter_handoff_queue_full")
    return Availability(True)
