"""Rasa's stored conversations, read straight from its Redis tracker store (keys.RASA_TRACKERS):
which ones there are and when each last moved, and their trackers in batches.

Rasa keeps no index by time, so finding the latest conversations means looking at every one.
Rather than fetch whole trackers (tens of KB each) for that, only each one's tail is read
(GETRANGE) and its last event parsed: Rasa writes `{"events": [..., {last event}], "name": id}`
with `json.dumps`, so ASCII, with ", " and ": " separators. A tail that does not hold the whole
last event falls back to the full tracker.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, AsyncIterator, Dict, List, Optional, Sequence, Tuple

from redis import asyncio as aioredis

from router import keys
from router.redis_values import text

# Where each serialised event starts (its first key is "event": Rasa's Event.as_dict).
_EVENT_START = '{"event": "'
# What follows the last event: the end of the list, the conversation's name, the end.
_AFTER_LAST_EVENT = re.compile(r'\]\s*,\s*"name"\s*:\s*"(?:[^"\\]|\\.)*"\s*\}\s*\Z')
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class TrackerReading:
    # Keys asked for per SCAN round trip, and trackers fetched per batch.
    scan_count: int = 1000
    batch: int = 250
    # Bytes read from the end of each tracker to find its last event: the usual last event
    # (Rasa listening again) is ~200 bytes, a customer's line with its parse data ~2 KB.
    tail_bytes: int = 4096


@dataclass(frozen=True)
class StoredTracker:
    conversation_id: str
    last_at: float


def last_event_time(tail: str) -> Optional[float]:
    """The timestamp of the last event of a serialised tracker, from its end, or None if
    the end does not hold the whole last event. A later '{"event": "' nested inside the last
    event (in a slot's value, say) is not followed by the end of the list, so it is skipped."""
    start = tail.rfind(_EVENT_START)
    while start >= 0:
        try:
            event, end = _DECODER.raw_decode(tail, start)
        except ValueError:
            return None
        if _AFTER_LAST_EVENT.match(tail, end):
            stamp = event.get("timestamp") if isinstance(event, dict) else None
            return float(stamp) if isinstance(stamp, (int, float)) else None
        start = tail.rfind(_EVENT_START, 0, start)
    return None


def tracker_events(raw: str, every_one: bool = True) -> Optional[List[Dict[str, Any]]]:
    """The events of a tracker as Rasa's RedisTrackerStore stores it, or None if it is not
    one. With `every_one` (a replay needs the whole story), a tracker with an entry that is
    not an event is not one either; without it, such entries are left out (a time or a count
    can still be read from the rest)."""
    try:
        stored = json.loads(raw)
    except ValueError:
        return None
    events = stored.get("events") if isinstance(stored, dict) else None
    if not isinstance(events, list):
        return None
    if every_one:
        return events if all(isinstance(e, dict) for e in events) else None
    return [e for e in events if isinstance(e, dict)]


def latest_time(raw: str) -> Optional[float]:
    """The latest event time of a whole serialised tracker, or None (no events, not JSON)."""
    stamps = [e.get("timestamp") for e in tracker_events(raw, every_one=False) or []]
    numbers = [float(s) for s in stamps if isinstance(s, (int, float))]
    return max(numbers) if numbers else None


def newest(trackers: Sequence[StoredTracker], most: int, since: Optional[float] = None,
           until: Optional[float] = None) -> Tuple[List[StoredTracker], bool]:
    """The `most` newest (by last event) within [since, until], newest first, and whether
    more than `most` were there."""
    inside = [t for t in trackers if (since is None or t.last_at >= since)
              and (until is None or t.last_at <= until)]
    inside.sort(key=lambda t: t.last_at, reverse=True)
    return inside[:most], len(inside) > most


class TrackerStore:
    """Reads (never writes) the conversations Rasa stored in Redis."""

    def __init__(self, redis: aioredis.Redis, reading: TrackerReading = TrackerReading()) -> None:
        self.redis = redis
        self.reading = reading

    async def all(self) -> List[StoredTracker]:
        """Every stored conversation with the time of its last event (those without events
        are left out: nothing happened in them)."""
        names = [text(name) async for name in self.redis.scan_iter(
            match=keys.RASA_TRACKERS, count=self.reading.scan_count)]
        found: List[StoredTracker] = []
        for start in range(0, len(names), self.reading.batch):
            found += await self._times(names[start:start + self.reading.batch])
        return found

    async def _times(self, names: List[str]) -> List[StoredTracker]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.getrange(name, -self.reading.tail_bytes, -1)
            tails = await pipe.execute()
        found, unsure = [], []
        for name, tail in zip(names, tails, strict=True):
            stamp = last_event_time(text(tail))
            if stamp is None:
                unsure.append(name)
            else:
                found.append(StoredTracker(_conversation_id(name), stamp))
        whole = await self.redis.mget(unsure) if unsure else []
        for name, raw in zip(unsure, whole, strict=True):
            stamp = latest_time(text(raw)) if raw is not None else None
            if stamp is not None:
                found.append(StoredTracker(_conversation_id(name), stamp))
        return found

    async def tracker(self, conversation_id: str) -> Optional[str]:
        """One conversation's tracker as JSON, or None if Rasa stores none under that id."""
        raw = await self.redis.get(keys.rasa_tracker(conversation_id))
        return text(raw) if raw is not None else None

    async def trackers(self, chosen: Sequence[StoredTracker]
                       ) -> AsyncIterator[List[Tuple[str, str]]]:
        """The chosen conversations' trackers as (id, JSON) pairs, a batch at a time, so they
        can be replayed while the next are fetched (one that expired meanwhile is skipped)."""
        for start in range(0, len(chosen), self.reading.batch):
            ids = [t.conversation_id for t in chosen[start:start + self.reading.batch]]
            values: List[Any] = await self.redis.mget([keys.rasa_tracker(i) for i in ids])
            yield [(i, text(raw)) for i, raw in zip(ids, values, strict=True) if raw is not None]


def _conversation_id(name: str) -> str:
    return name[len(keys.RASA_TRACKER_PREFIX):]
