"""Reading Rasa's tracker store: the key Rasa writes, each conversation's last event time from
the tracker's tail (or the whole tracker when the tail is too short), and the newest ones."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import yaml
from rasa.core.tracker_store import DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX
from redis import asyncio as aioredis

from router import keys
from router.stored_trackers import (
    StoredTracker,
    TrackerReading,
    TrackerStore,
    last_event_time,
    latest_time,
    newest,
)
from stack.settings import PROJECT_ROOT


def tracker_json(conversation_id: str, *stamps: float, last: Dict[str, Any] | None = None
                 ) -> str:
    events: List[Dict[str, Any]] = [{"event": "action", "timestamp": t, "name": "action_listen"}
                                    for t in stamps]
    if last is not None:
        events.append(last)
    # As Rasa's RedisTrackerStore writes it: json.dumps of Dialogue.as_dict().
    return json.dumps({"events": events, "name": conversation_id})


def test_the_key_is_the_one_rasa_writes_with_our_prefix() -> None:
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text())
    prefix = endpoints["tracker_store"]["key_prefix"]
    assert keys.rasa_tracker("abc") == f"{prefix}:{DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX}abc"


def test_the_last_event_time_is_read_from_the_end() -> None:
    raw = tracker_json("c", 10.0, 20.5)
    assert last_event_time(raw) == 20.5
    assert last_event_time(raw[-90:]) == 20.5 and len(raw) > 150
    assert latest_time(raw) == 20.5


def test_an_event_nested_in_the_last_one_is_not_taken_for_it() -> None:
    decoy = {"event": "slot", "timestamp": 30.0, "name": "notes",
             "value": [{"event": "user", "timestamp": 99.0}]}
    assert last_event_time(tracker_json("c", 10.0, last=decoy)) == 30.0


def test_a_tail_without_the_whole_last_event_gives_no_time() -> None:
    big = {"event": "user", "timestamp": 40.0, "text": "x" * 500}
    raw = tracker_json("c", 10.0, last=big)
    assert last_event_time(raw[-100:]) is None
    assert last_event_time(raw) == 40.0
    assert last_event_time(json.dumps({"events": [], "name": "c"})) is None
    assert latest_time("not json") is None and latest_time('{"events": []}') is None


def test_the_newest_within_a_window_come_first_and_the_rest_is_said() -> None:
    trackers = [StoredTracker(f"c{i}", float(i)) for i in range(10)]
    chosen, capped = newest(trackers, 3)
    assert [t.conversation_id for t in chosen] == ["c9", "c8", "c7"] and capped
    chosen, capped = newest(trackers, 5, since=2.0, until=4.0)
    assert [t.conversation_id for t in chosen] == ["c4", "c3", "c2"] and not capped


async def test_every_stored_conversation_is_found_with_its_last_time(
        redis: aioredis.Redis) -> None:
    long_last = {"event": "user", "timestamp": 77.0, "text": "y" * 300}
    await redis.set(keys.rasa_tracker("short"), tracker_json("short", 1.0, 5.0))
    await redis.set(keys.rasa_tracker("long"), tracker_json("long", 1.0, last=long_last))
    await redis.set(keys.rasa_tracker("empty"), tracker_json("empty"))
    await redis.set(keys.rasa_tracker("broken"), "{nope")
    await redis.set(f"{keys.PREFIX}:not-a-tracker", tracker_json("x", 9.0))
    store = TrackerStore(redis, TrackerReading(tail_bytes=120, batch=2))
    found = sorted(await store.all(), key=lambda t: t.conversation_id)
    # "long" needed the whole tracker: its last event does not fit in the tail.
    assert found == [StoredTracker("long", 77.0), StoredTracker("short", 5.0)]
    batches = [batch async for batch in store.trackers(found + [StoredTracker("gone", 1.0)])]
    assert [[i for i, _ in batch] for batch in batches] == [["long", "short"], []]
    assert json.loads(batches[0][1][1])["name"] == "short"
