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
from router.scoring.settings import ScorerSettings
from router.service_settings import SERVICE

log = logging.getLogger(__name__)

# How long reaching Redis may take before the process goes on with what it has.
CONNECT_SECONDS = 2.0
RETRY_SECONDS = 5.0


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
    """The stored overrides; ValueError when what is stored is not an object of them."""
    raw = client.get(keys.ROUTER_SETTINGS)
    value = json.loads(raw) if raw else {}
    if not isinstance(value, dict):
        raise ValueError(f"the stored router settings are not an object: {str(raw)[:60]}")
    return value


class LiveSettings:
    """Current settings for a long-running process, kept fresh from Redis in the background.
    Each channel's settings are built once per change, so a turn only looks its channel up."""

    def __init__(self, redis_url: Optional[str], refresh_seconds: float = 30.0) -> None:
        self._settings = by_channel({})
        self._redis_url = redis_url
        self._refresh_seconds = refresh_seconds
        # Loaded here, as the process starts (the policy is made when the model loads), never
        # while a turn is predicted; an unreachable Redis costs at most the connect timeout
        # and leaves the defaults until the follower reaches it.
        if redis_url:
            self._reload()
            threading.Thread(target=self._follow, name="router-settings", daemon=True).start()

    @property
    def current(self) -> ScorerSettings:
        """The general settings (for a turn whose channel has none of its own)."""
        return self.for_channel(None)

    def for_channel(self, channel: Optional[str]) -> ScorerSettings:
        """The settings for a turn that came in on `channel` (Rasa's input channel name)."""
        return self._settings.for_channel(channel)

    def _client(self) -> redis.Redis[Any]:
        assert self._redis_url is not None
        return redis.Redis.from_url(self._redis_url, socket_connect_timeout=CONNECT_SECONDS,
                                    health_check_interval=30)

    def _reload(self) -> None:
        try:
            self._settings = by_channel(read_overrides(self._client()))
        except Exception as error:
            # Keep the last good settings: a bad value (or Redis away) must never stop the bot,
            # nor the follower that brings the next good one.
            log.warning("router settings not reloaded, keeping the previous ones: %s", error)

    def _follow(self) -> None:
        while True:
            try:
                pubsub = self._client().pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(keys.ROUTER_SETTINGS_CHANGED)
                self._reload()
                while True:
                    # Wakes on an announced change, or after refresh_seconds as a safety net.
                    pubsub.get_message(timeout=self._refresh_seconds)
                    self._reload()
            except Exception as error:
                log.warning("lost the router settings channel (%s); retrying in 5 s", error)
                threading.Event().wait(RETRY_SECONDS)
