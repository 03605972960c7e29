"""The scorer's settings for each channel a customer writes on. Admins may want a person
sooner on the web chat (customers there are on the shop's site, ready to buy) than on
Telegram: the overrides' `channels` part holds, per Rasa input channel name (`socketio`,
`telegram`, `rest`, ...), settings applied on top of the general overrides for the turns that
came in on that channel; weights merge signal by signal, as they do over the defaults.

    {"handoff_threshold": 0.6, "weights": {"insult": 0.5},
     "channels": {"socketio": {"handoff_threshold": 0.45, "weights": {"complaint": 0.4}}}}

Pure: a function of the overrides (router/settings_versions.py validates them and names each
wrong field; router/live_settings.py reads them from Redis once per change).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Union

from router.scoring.settings import ScorerSettings, SettingsError

CHANNELS = "channels"  # the key of the per-channel part inside the router's overrides
WEIGHTS = "weights"
# Rasa names its input channels with letters, digits, `_` and `-` (socketio, telegram,
# rocketchat, a custom connector's name); anything else cannot be the channel of a turn.
CHANNEL_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")
MAX_CHANNEL_NAME_CHARS = 40
# More than Rasa has input channels: a longer list is a mistake, and each one is a settings
# object every process builds on every change.
MAX_CHANNELS = 50


@dataclass(frozen=True)
class ChannelSettings:
    """The general settings, and the settings of each channel that has overrides of its
    own; built once per change of the overrides, read on every turn."""

    general: ScorerSettings = field(default_factory=ScorerSettings)
    by_channel: Mapping[str, ScorerSettings] = field(default_factory=dict)

    def for_channel(self, channel: Optional[str]) -> ScorerSettings:
        """The settings for a turn that came in on `channel` (the general ones when the
        channel has no overrides, or is not known)."""
        if channel is None:
            return self.general
        return self.by_channel.get(channel, self.general)

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any]) -> ChannelSettings:
        """From the scorer's overrides (without the `service` part); raises SettingsError
        (router/settings_versions.py `validate` says which field, for people)."""
        general = general_part(overrides)
        return cls(ScorerSettings.from_mapping(general),
                   {name: ScorerSettings.from_mapping(on_top(general, part))
                    for name, part in channel_parts(overrides).items()})


Settings = Union[ScorerSettings, ChannelSettings]


def as_channel_settings(settings: Settings) -> ChannelSettings:
    """The same settings for every channel when no channel has its own."""
    return settings if isinstance(settings, ChannelSettings) else ChannelSettings(settings)


def general_part(overrides: Mapping[str, Any]) -> Dict[str, Any]:
    """The overrides every channel starts from."""
    return {name: value for name, value in overrides.items() if name != CHANNELS}


def channel_parts(overrides: Mapping[str, Any]) -> Dict[str, Mapping[str, Any]]:
    """Each channel's own overrides; raises SettingsError for a part of the wrong shape."""
    channels = overrides.get(CHANNELS) or {}
    problem = channels_problem(channels)
    if problem:
        raise SettingsError(problem)
    parts = {}
    for name, part in channels.items():
        problem = channel_name_problem(name) or part_problem(name, part)
        if problem:
            raise SettingsError(problem)
        parts[name] = part
    return parts


def on_top(general: Mapping[str, Any], part: Mapping[str, Any]) -> Dict[str, Any]:
    """A channel's overrides over the general ones, weights signal by signal."""
    combined = {**general, **part}
    if WEIGHTS in general and WEIGHTS in part and isinstance(general[WEIGHTS], Mapping) \
            and isinstance(part[WEIGHTS], Mapping):
        combined[WEIGHTS] = {**general[WEIGHTS], **part[WEIGHTS]}
    return combined


def channels_problem(channels: Any) -> Optional[str]:
    """What is wrong with the `channels` part as a whole, or None."""
    if not isinstance(channels, Mapping):
        return (f"{CHANNELS} must be an object of channel names (like socketio or telegram) "
                f"to their settings, got {channels!r:.80}")
    if len(channels) > MAX_CHANNELS:
        return (f"{CHANNELS} can name at most {MAX_CHANNELS} channels, got {len(channels)}")
    return None


def channel_name_problem(name: Any) -> Optional[str]:
    """What is wrong with a channel's name, or None."""
    if isinstance(name, str) and CHANNEL_NAME.fullmatch(name):
        return None
    return (f"a channel is named like socketio or telegram (letters, digits, _ and -, at most "
            f"{MAX_CHANNEL_NAME_CHARS} characters), got {name!r:.60}")


def part_problem(name: str, part: Any) -> Optional[str]:
    """What is wrong with the shape of one channel's overrides, or None."""
    if isinstance(part, Mapping):
        return None
    return (f"{CHANNELS}.{name} must be an object of setting names to values, like "
            f"{{\"handoff_threshold\": 0.5}}, got {part!r:.80}")


def channel_key(name: Any) -> str:
    """The key a channel's errors and changes are reported under (a wrong name cut short)."""
    return f"{CHANNELS}.{str(name)[:MAX_CHANNEL_NAME_CHARS]}"
