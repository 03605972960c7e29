"""Live router settings: defaults, validated changes from the command line, and every
process picking a change up at once."""

import json
import time

import pytest
import redis

from router import keys
from router.live_settings import LiveSettings, merged, write_overrides
from router.scoring import ScorerSettings
from router.settings_cli import main
from stack.redis_server import EmbeddedRedis


@pytest.fixture
def store(redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch) -> redis.Redis:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    client.delete(keys.ROUTER_SETTINGS)
    return client


def test_without_overrides_the_settings_objects_defaults_apply() -> None:
    assert merged({}) == ScorerSettings()


def test_set_validates_stores_and_shows(store: redis.Redis, capsys: pytest.CaptureFixture
                                        ) -> None:
    assert main(["set", "handoff_threshold", "0.7"]) == 0
    assert main(["set", "weights.insult", "0.9"]) == 0
    assert json.loads(store.get(keys.ROUTER_SETTINGS)) == {
        "handoff_threshold": 0.7, "weights": {"insult": 0.9}}
    shown = capsys.readouterr().out
    assert "handoff_threshold: 0.7 (changed)" in shown
    assert "weights.insult: 0.9 (changed)" in shown


def test_a_bad_value_is_refused_and_nothing_changes(store: redis.Redis,
                                                    capsys: pytest.CaptureFixture) -> None:
    main(["set", "handoff_threshold", "0.7"])
    assert main(["set", "handoff_threshold", "1.7"]) == 2
    assert "handoff_threshold must be between 0 and 1, got 1.7" in capsys.readouterr().err
    assert main(["set", "colour", "red"]) == 2
    assert main(["set", "weights.moon", "0.2"]) == 2
    assert json.loads(store.get(keys.ROUTER_SETTINGS)) == {"handoff_threshold": 0.7}


def test_reset_one_or_all(store: redis.Redis) -> None:
    main(["set", "handoff_threshold", "0.7"])
    main(["set", "concern_threshold", "0.2"])
    main(["reset", "handoff_threshold"])
    assert json.loads(store.get(keys.ROUTER_SETTINGS)) == {"concern_threshold": 0.2}
    main(["reset"])
    assert json.loads(store.get(keys.ROUTER_SETTINGS)) == {}


def test_a_running_process_picks_up_a_change_at_once(store: redis.Redis,
                                                     redis_server: EmbeddedRedis) -> None:
    live = LiveSettings(redis_server.url, refresh_seconds=60)
    assert live.current.handoff_threshold == 0.6
    time.sleep(0.3)  # let the follower subscribe
    write_overrides(redis.Redis.from_url(redis_server.url), {"handoff_threshold": 0.8})
    deadline = time.monotonic() + 3
    while live.current.handoff_threshold != 0.8 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert live.current.handoff_threshold == 0.8


def test_a_corrupt_stored_value_keeps_the_last_good_settings(store: redis.Redis,
                                                             redis_server: EmbeddedRedis
                                                             ) -> None:
    live = LiveSettings(redis_server.url, refresh_seconds=0.1)
    assert live.current.handoff_threshold == 0.6
    store.set(keys.ROUTER_SETTINGS, json.dumps({"handoff_threshold": 5}))
    time.sleep(0.4)
    assert live.current.handoff_threshold == 0.6


def test_without_redis_the_defaults_apply() -> None:
    assert LiveSettings(None).current == ScorerSettings()


def test_an_unreachable_redis_is_named(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert main(["show"]) == 1
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in capsys.readouterr().err
