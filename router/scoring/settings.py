"""Everything the scorer can be tuned by, with defaults and the reason for each value."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Dict, Mapping, Tuple


class SettingsError(ValueError):
    """A setting has a value the scorer cannot use; the message names it and the value."""


def _default_weights() -> Dict[str, float]:
    # How much each signal at full strength raises the score (combined as a noisy-OR, so two
    # medium signals add up without any one pushing past 1). Insults, "this is useless" and a
    # bot stuck repeating itself are the strongest single cues of a failing conversation.
    return {
        "sentiment": 0.30,
        "sentiment_drop": 0.25,
        "repeated_intent": 0.40,
        "fallbacks": 0.45,
        "bot_loop": 0.45,
        "bot_failures": 0.40,
        "complaint": 0.30,
        "shouting": 0.20,
        "punctuation": 0.15,
        "insult": 0.45,
        "frustration_phrase": 0.55,
        "correction": 0.35,
        "long_conversation": 0.20,
    }


@dataclass(frozen=True)
class ScorerSettings:
    # At this score the turn is flagged: the customer is probably unhappy with the bot's last
    # answer (the bot can acknowledge it and offer a person). One clear cue is enough.
    concern_threshold: float = 0.3
    # Hand off when the score reaches this: several cues together, or one very strong one.
    handoff_threshold: float = 0.6
    weights: Dict[str, float] = field(default_factory=_default_weights)
    # Intents that hand off at once, whatever the score.
    immediate_handoff_intents: Tuple[str, ...] = ("request_human",)
    complaint_intents: Tuple[str, ...] = ("complain",)
    fallback_intents: Tuple[str, ...] = ("nlu_fallback",)
    # Intents that are answers, not requests: saying "yes" twice is not repeating yourself.
    non_request_intents: Tuple[str, ...] = (
        "affirm", "deny", "inform", "greet", "goodbye", "thanks", "nevermind", "nlu_fallback",
        "out_of_scope",
    )
    # Below this NLU confidence a turn counts like a fallback: the bot probably guessed.
    low_confidence: float = 0.5
    # Fallbacks in a row that make the signal full strength.
    fallbacks_for_full_strength: int = 3
    # Times the same request comes back that make the signal full strength.
    repeats_for_full_strength: int = 2
    # Same bot reply this many times in a row is a loop.
    bot_loop_length: int = 2
    # Replies in which the bot admits it could not do what was asked.
    failure_responses: Tuple[str, ...] = (
        "utter_default", "utter_order_id_malformed", "utter_order_id_unknown",
        "utter_order_id_missing", "utter_order_id_gave_up", "utter_out_of_scope",
        "utter_product_unknown", "action_default_fallback",
    )
    # How many of the bot's latest replies to look at, and how many failures among them make
    # the signal full strength.
    bot_failure_window: int = 4
    bot_failures_for_full_strength: int = 2
    # Sentiment: the moving average's weight on the newest turn, and the drop (from the
    # average to the newest turn) that counts as full strength.
    sentiment_ema_alpha: float = 0.5
    sentiment_drop_for_full_strength: float = 0.8
    # VADER compound at or above this is not negative at all.
    sentiment_neutral_above: float = -0.05
    # Shouting: at least this many letters, and this share of them capitals.
    shouting_min_letters: int = 8
    shouting_capital_share: float = 0.7
    # User turns without resolution after which length itself starts to count, and the
    # number at which it is full strength.
    long_conversation_from: int = 15
    long_conversation_full: int = 30

    def __post_init__(self) -> None:
        _check_share("handoff_threshold", self.handoff_threshold)
        _check_share("concern_threshold", self.concern_threshold)
        if self.concern_threshold > self.handoff_threshold:
            raise SettingsError(
                "concern_threshold must not be above handoff_threshold, got "
                f"{self.concern_threshold} > {self.handoff_threshold}"
            )
        _check_share("low_confidence", self.low_confidence)
        _check_share("sentiment_ema_alpha", self.sentiment_ema_alpha)
        _check_share("shouting_capital_share", self.shouting_capital_share)
        unknown = set(self.weights) - set(_default_weights())
        if unknown:
            raise SettingsError(
                f"unknown signal weight(s) {sorted(unknown)}; known: {sorted(_default_weights())}"
            )
        for name, weight in self.weights.items():
            _check_share(f"weights.{name}", weight)
        for name in ("fallbacks_for_full_strength", "repeats_for_full_strength",
                     "bot_loop_length", "shouting_min_letters", "long_conversation_from",
                     "bot_failure_window", "bot_failures_for_full_strength"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.long_conversation_full <= self.long_conversation_from:
            raise SettingsError(
                "long_conversation_full must be greater than long_conversation_from, got "
                f"{self.long_conversation_full} <= {self.long_conversation_from}"
            )

    def weight(self, signal: str) -> float:
        return self.weights.get(signal, 0.0)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ScorerSettings:
        """Defaults overridden by `values` (e.g. from a file or Redis), validated."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise SettingsError(f"unknown setting(s) {sorted(unknown)}; known: {sorted(known)}")
        base = cls()
        merged: Dict[str, Any] = {}
        for name, value in values.items():
            default = getattr(base, name)
            merged[name] = _coerce(name, value, default)
        if "weights" in merged:
            merged["weights"] = {**base.weights, **merged["weights"]}
        return replace(base, **merged)

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


def _check_share(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
        raise SettingsError(f"{name} must be between 0 and 1, got {value!r}")


def _coerce(name: str, value: Any, default: Any) -> Any:
    if isinstance(default, tuple):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{name} must be a list of intent names, got {value!r}")
        return tuple(value)
    if isinstance(default, dict):
        if not isinstance(value, Mapping):
            raise SettingsError(f"{name} must be a mapping of signal to weight, got {value!r}")
        return dict(value)
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{name} must be a whole number, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SettingsError(f"{name} must be a number, got {value!r}")
        return float(value)
    return value
