"""Per-channel settings: each channel's overrides on top of the general ones, validated field
by field under `channels.<channel>.<field>`, and shown in a version's diff (the what-if's
use of them: tests/router/test_whatif.py)."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from router.channel_settings import MAX_CHANNELS, ChannelSettings, as_channel_settings
from router.live_settings import LiveSettings, by_channel, merged
from router.scoring.settings import ScorerSettings, SettingsError
from router.settings_versions import SettingsInvalid, diff, validate, validate_by_channel

DEFAULTS = ScorerSettings()
OVERRIDES: Dict[str, Any] = {
    "handoff_threshold": 0.7, "weights": {"insult": 0.5},
    "channels": {"socketio": {"handoff_threshold": 0.45, "weights": {"complaint": 0.4}},
                 "telegram": {"concern_threshold": 0.2}},
    "service": {"queue_limit": 5},
}


def _errors(overrides: Any) -> Dict[str, str]:
    with pytest.raises(SettingsInvalid) as refused:
        validate(overrides)
    return refused.value.errors


# --- The settings for a channel -----------------------------------------------------------

def test_a_channels_overrides_go_on_top_of_the_general_ones() -> None:
    settings = by_channel(OVERRIDES)
    web = settings.for_channel("socketio")
    assert web.handoff_threshold == 0.45
    # Weights merge signal by signal: the general insult weight stays, the complaint is its own.
    assert web.weight("insult") == 0.5 and web.weight("complaint") == 0.4
    assert web.weight("sarcasm") == DEFAULTS.weight("sarcasm")
    telegram = settings.for_channel("telegram")
    assert telegram.concern_threshold == 0.2 and telegram.handoff_threshold == 0.7
    assert telegram.weight("complaint") == DEFAULTS.weight("complaint")


def test_the_general_settings_serve_every_other_channel_and_ignore_the_channels() -> None:
    settings = by_channel(OVERRIDES)
    general = merged(OVERRIDES)
    assert settings.general == general
    assert general.handoff_threshold == 0.7 and general.weight("complaint") == 0.30
    assert settings.for_channel("slack") == general
    assert settings.for_channel(None) == general
    assert validate(OVERRIDES) == general
    assert validate_by_channel(OVERRIDES) == settings


def test_without_channels_every_channel_has_the_general_settings() -> None:
    assert by_channel({"handoff_threshold": 0.7}).by_channel == {}
    assert as_channel_settings(DEFAULTS).for_channel("socketio") == DEFAULTS
    assert LiveSettings(None).for_channel("socketio") == DEFAULTS


def test_a_damaged_channels_part_is_refused_when_read() -> None:
    for damaged in ({"channels": ["socketio"]}, {"channels": {"web chat": {}}},
                    {"channels": {"socketio": 0.5}},
                    {"channels": {"socketio": {"handoff_threshold": 2}}}):
        with pytest.raises(SettingsError):
            ChannelSettings.from_overrides(damaged)


# --- Validation ---------------------------------------------------------------------------

def test_each_wrong_field_of_a_channel_is_named_under_the_channel() -> None:
    errors = _errors({"channels": {"socketio": {
        "handoff_threshold": 1.5, "weights": {"insult": -1, "gossip": 0.2},
        "colour": "blue", "shadow_mode": "yes"}}})
    assert set(errors) == {"channels.socketio.handoff_threshold",
                           "channels.socketio.weights.insult",
                           "channels.socketio.weights.gossip",
                           "channels.socketio.colour", "channels.socketio.shadow_mode"}
    assert "between 0 and 1, got 1.5" in errors["channels.socketio.handoff_threshold"]
    assert "colour" in errors["channels.socketio.colour"]


def test_the_general_fields_and_each_channels_are_named_at_once() -> None:
    errors = _errors({"handoff_threshold": "high",
                      "channels": {"telegram": {"low_confidence": 3},
                                   "socketio": {"handoff_threshold": 0.5}}})
    assert set(errors) == {"handoff_threshold", "channels.telegram.low_confidence"}


@pytest.mark.parametrize("name", ["web chat", "telegram!", "x" * 41, "", "données"])
def test_a_name_that_cannot_be_a_channels_is_refused(name: str) -> None:
    errors = _errors({"channels": {name: {"handoff_threshold": 0.5}}})
    assert list(errors) == [f"channels.{name[:40]}"]
    assert "named like socketio" in errors[f"channels.{name[:40]}"]


@pytest.mark.parametrize("name", ["socketio", "telegram", "my_shop-app2", "X" * 40])
def test_a_channel_the_bot_does_not_know_yet_is_allowed_if_named_like_one(name: str) -> None:
    assert validate_by_channel({"channels": {name: {"handoff_threshold": 0.5}}}) \
        .for_channel(name).handoff_threshold == 0.5


def test_the_channels_part_and_each_channels_part_must_be_objects() -> None:
    assert list(_errors({"channels": ["socketio"]})) == ["channels"]
    assert list(_errors({"channels": {"socketio": 0.5}})) == ["channels.socketio"]
    too_many = {"channels": {f"c{n}": {} for n in range(MAX_CHANNELS + 1)}}
    assert f"at most {MAX_CHANNELS}" in _errors(too_many)["channels"]


def test_a_channel_cannot_set_when_people_can_take_over_or_nest_channels() -> None:
    errors = _errors({"channels": {"socketio": {"service": {"queue_limit": 3},
                                                "channels": {}}}})
    assert set(errors) == {"channels.socketio.service", "channels.socketio.channels"}


def test_a_channels_field_is_judged_beside_the_general_settings() -> None:
    # A concern threshold of 0.7 is wrong beside the default handoff at 0.6...
    assert list(_errors({"channels": {"socketio": {"concern_threshold": 0.7}}})) == \
        ["channels.socketio.concern_threshold"]
    # ...not beside a general 0.8, nor beside the channel's own 0.8.
    validate({"handoff_threshold": 0.8, "channels": {"socketio": {"concern_threshold": 0.7}}})
    validate({"channels": {"socketio": {"concern_threshold": 0.7, "handoff_threshold": 0.8}}})
    # A channel's handoff below the general concern threshold is the channel's mistake.
    errors = _errors({"concern_threshold": 0.5,
                      "channels": {"socketio": {"handoff_threshold": 0.4}}})
    assert list(errors) == ["channels.socketio.handoff_threshold"]


# --- The diff -----------------------------------------------------------------------------

def test_the_diff_names_each_channels_changes_against_the_general_values() -> None:
    before = {"handoff_threshold": 0.7}
    after = {"handoff_threshold": 0.7, "channels": {"socketio": {
        "handoff_threshold": 0.45, "weights": {"complaint": 0.4}}}}
    assert diff(before, after) == [
        {"field": "channels.socketio.handoff_threshold", "before": 0.7, "after": 0.45},
        {"field": "channels.socketio.weights.complaint", "signal": "complaint",
         "before": 0.30, "after": 0.4},
    ]
    # Taking the override away goes back to the general value in effect afterwards.
    assert diff(after, {"handoff_threshold": 0.8}) == [
        {"field": "channels.socketio.handoff_threshold", "before": 0.45, "after": 0.8},
        {"field": "channels.socketio.weights.complaint", "signal": "complaint",
         "before": 0.4, "after": 0.30},
        {"field": "handoff_threshold", "before": 0.7, "after": 0.8},
    ]


def test_a_general_change_is_not_repeated_for_each_channel() -> None:
    before = {"channels": {"socketio": {"concern_threshold": 0.2}}}
    after = {"handoff_threshold": 0.7, "channels": {"socketio": {"concern_threshold": 0.2}}}
    assert diff(before, after) == [{"field": "handoff_threshold", "before": 0.6, "after": 0.7}]

