"""The settings a running process follows survive what could stop them: a stored value that is
not settings at all (null, a list, a string), and a Redis that is away when the process starts.
The next good value still arrives. Against a real Redis."""

from __future__ import annotations

import json
import time

import pytest
import redis

from router import keys
from router.live_settings import LiveSettings
from stack.redis_server import EmbeddedRedis


@pytest.fixture
def store(redis_server: EmbeddedRedis) -> redis.Redis:
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    return client


def wait_for_threshold(live: LiveSettings, value: float, seconds: float = 3.0) -> float:
    deadline = time.monotonic() + seconds
    while live.current.handoff_threshold != value and time.monotonic() < deadline:
        time.sleep(0.02)
    return live.current.handoff_threshold


@pytest.mark.parametrize("damaged", ["null", "[]", "\"x\"", "{not json", "7"])
def test_a_damaged_value_is_ignored_and_the_next_good_one_still_arrives(
    store: redis.Redis, redis_server: EmbeddedRedis, damaged: str,
) -> None:
    store.set(keys.ROUTER_SETTINGS, damaged)
    live = LiveSettings(redis_server.url, refresh_seconds=60)
    assert live.current.handoff_threshold == 0.6  # the defaults, and no exception
    time.sleep(0.3)  # the follower subscribes
    store.set(keys.ROUTER_SETTINGS, damaged)
    store.publish(keys.ROUTER_SETTINGS_CHANGED, "1")
    time.sleep(0.2)
    store.set(keys.ROUTER_SETTINGS, json.dumps({"handoff_threshold": 0.75}))
    store.publish(keys.ROUTER_SETTINGS_CHANGED, "2")
    assert wait_for_threshold(live, 0.75) == 0.75  # the follower lived through the damage


def test_a_redis_that_is_away_at_start_leaves_the_defaults_without_waiting_long() -> None:
    started = time.monotonic()
    live = LiveSettings("redis://127.0.0.1:1/0", refresh_seconds=60)
    assert live.current.handoff_threshold == 0.6
    assert time.monotonic() - started < 3  # never the OS's own minutes-long timeout
