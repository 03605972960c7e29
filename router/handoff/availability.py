"""Can a person take a conversation now? Pure: the caller supplies whether support is open
(router/service_settings.py) and the counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
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


def check(open_now: bool, agents_online: int, queue_length: int,
          queue_limit: int) -> Availability:
    """`open_now`: within support hours and not a holiday (ServiceSettings.open_at)."""
    if not open_now:
        return Availability(False, "utter_handoff_closed")
    if agents_online == 0:
        return Availability(False, "utter_handoff_nobody_online")
    if queue_length >= queue_limit:
        return Availability(False, "utter_handoff_queue_full")
    return Availability(True)
