"""The router's settings: defaults from router/scoring/settings.py (the one place each default
and the reason for it is written), overrides in Redis, validated on
every change, and pushed to every process at once (pub/sub) so the next customer turn uses them.

The Rasa policy must not do network I/O while predicting, so `LiveSettings` keeps the current
settings in memory and a daemon thread refreshes them when a change is announced (and every
`refresh_seconds` in case an announcement was missed).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Dict, Optional

import redis

from router import keys
from router.channel_settings import ChannelSettings, general_part
from router.scoring.settings import ScorerSettings, SettingsError
from router.service_settings import SERVICE

log = logging.getLogger(__name__)


def merged(overrides: Dict[str, Any]) -> ScorerSettings:
    """Defaults with overrides on top (weights merge key by key): the general settings, for
    every channel without its own; raises SettingsError. The `service` part (when people can
    take over) is not the scorer's: router/service_settings.py reads it."""
    return ScorerSettings.from_mapping(general_part(_scorer_part(overrides)))


def by_channel(overrides: Dict[str, Any]) -> ChannelSettings:
    """`merged`, and each channel's settings with its own overrides on top
    (router/channel_settings.py); raises SettingsError."""
    return ChannelSettings.from_overrides(_scorer_part(overrides))


def _scorer_part(overrides: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in overrides.items() if k != SERVICE}


def read_overrides(client: redis.Redis[Any]) -> Dict[str, Any]:
    raw = client.get(keys.ROUTER_SETTINGS)
    return json.loads(raw) if raw else {}


def write_overrides(client: redis.Redis[Any], overrides: Dict[str, Any]) -> ScorerSettings:
    """Validate, store and announce; nothing is stored when validation fails."""
    settings = by_channel(overrides).general
    with client.pipeline(transaction=True) as tx:
        tx.set(keys.ROUTER_SETTINGS, json.dumps(overrides))
        tx.publish(keys.ROUTER_SETTINGS_CHANGED, "1")
        tx.execute()
    return settings


class LiveSettings:
    """Current settings for a long-running process, kept fresh from Redis in the background.
    Each channel's settings are built once per change, so a turn only looks its channel up."""

    def __init__(self, redis_url: Optional[str], refresh_seconds: float = 30.0) -> None:
        self._settings = by_channel({})
        self._redis_url = redis_url
        self._refresh_seconds = refresh_seconds
        self._started = False
        self._lock = threading.Lock()

    @property
    def current(self) -> ScorerSettings:
        """The general settings (for a turn whose channel has none of its own)."""
        return self.for_channel(None)

    def for_channel(self, channel: Optional[str]) -> ScorerSettings:
        """The settings for a turn that came in on `channel` (Rasa's input channel name)."""
        if not self._started:
            self._start()
        return self._settings.for_channel(channel)

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            if self._redis_url:
                self._reload()
                threading.Thread(target=self._follow, name="router-settings", daemon=True).start()

    def _reload(self) -> None:
        try:
            client = redis.Redis.from_url(self._redis_url)
            self._settings = by_channel(read_overrides(client))
        except (redis.RedisError, SettingsError, ValueError) as error:
            # Keep the last good settings: a bad value must never stop the bot.
            log.warning("router settings not reloaded, keeping the previous ones: %s", error)

    def _follow(self) -> None:
        while True:
            try:
                client = redis.Redis.from_url(self._redis_url)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(keys.ROUTER_SETTINGS_CHANGED)
                self._reload()
                while True:
                    # Wakes on an announced change, or after refresh_seconds as a safety net.
                    pubsub.get_message(timeout=self._refresh_seconds)
                    self._reload()
            except redis.RedisError as error:
                log.warning("lost the router settings channel (%s); retrying in 5 s", error)
                threading.Event().wait(5)
