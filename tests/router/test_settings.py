"""Scorer settings refuse bad values with messages that name the setting and the value."""

import pytest

from router.scoring import ScorerSettings, SettingsError


def test_defaults_are_valid_and_round_trip() -> None:
    settings = ScorerSettings()
    assert ScorerSettings.from_mapping(settings.as_dict()) == settings


def test_overrides_merge_with_defaults() -> None:
    settings = ScorerSettings.from_mapping({"handoff_threshold": 0.7, "weights": {"insult": 0.9}})
    assert settings.handoff_threshold == 0.7
    assert settings.weights["insult"] == 0.9
    assert settings.weights["sentiment"] == ScorerSettings().weights["sentiment"]


@pytest.mark.parametrize("values, message", [
    ({"handoff_threshold": 1.7}, "handoff_threshold must be between 0 and 1, got 1.7"),
    ({"handoff_threshold": "high"}, "handoff_threshold must be a number, got 'high'"),
    ({"weights": {"insult": -0.1}}, "weights.insult must be between 0 and 1, got -0.1"),
    ({"weights": {"moon_phase": 0.5}}, "unknown signal weight(s) ['moon_phase']"),
    ({"colour": "red"}, "unknown setting(s) ['colour']"),
    ({"restate_window": 0}, "restate_window must be at least 1"),
    ({"retention": 1.5}, "retention must be between 0 and 1, got 1.5"),
    ({"rephrase_from": 0.8, "rephrase_full": 0.6}, "rephrase_full must be greater than"),
    ({"evidence_cap": 50}, "evidence_cap must be between 1 and 10"),
    ({"combiner": "magic"}, "combiner must be one of ['hand_set', 'learned']"),
    ({"combiner": 3}, "combiner must be text"),
    ({"shadow_mode": "yes"}, "shadow_mode must be true or false"),
    ({"immediate_handoff_intents": "request_human"}, "must be a list of intent names"),
    ({"concern_threshold": 0.8, "handoff_threshold": 0.5}, "must not be above handoff"),
    ({"long_conversation_from": 20, "long_conversation_full": 10}, "must be greater than"),
])
def test_bad_values_are_refused_clearly(values: dict, message: str) -> None:
    with pytest.raises(SettingsError) as error:
        ScorerSettings.from_mapping(values)
    assert message in str(error.value)
