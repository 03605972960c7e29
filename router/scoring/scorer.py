"""Combine the signals into one explainable assessment of the newest user turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from router.scoring.conversation import Conversation, user_turns
from router.scoring.settings import ScorerSettings
from router.scoring.signals import SIGNALS, Signal


@dataclass(frozen=True)
class Assessment:
    score: float
    # Each signal's share of the score (weight x strength), for explaining it.
    contributions: Dict[str, float] = field(default_factory=dict)
    reasons: List[str] = field(default_factory=list)
    # The turn looks dissatisfied (score at or above the concern threshold).
    concerned: bool = False
    handoff: bool = False
    handoff_reason: Optional[str] = None

    def as_dict(self) -> dict:
        return {"score": self.score, "contributions": self.contributions,
                "reasons": self.reasons, "concerned": self.concerned, "handoff": self.handoff,
                "handoff_reason": self.handoff_reason}


def combine(contributions: List[float]) -> float:
    """Noisy-OR: each signal removes its share of the remaining doubt. Stays in [0, 1], and
    two medium signals together weigh more than either alone."""
    doubt = 1.0
    for contribution in contributions:
        doubt *= 1.0 - contribution
    return 1.0 - doubt


def assess(conversation: Conversation, settings: Optional[ScorerSettings] = None) -> Assessment:
    settings = settings or ScorerSettings()
    users = user_turns(conversation)
    if not users:
        return Assessment(score=0.0)
    fired: List[Signal] = [signal for signal in
                           (measure(conversation, settings) for measure in SIGNALS.values())
                           if signal.strength > 0]
    contributions = {s.name: round(settings.weight(s.name) * s.strength, 4) for s in fired}
    score = round(combine(list(contributions.values())), 4)
    ranked = sorted(fired, key=lambda s: contributions[s.name], reverse=True)
    reasons = [s.reason for s in ranked if s.reason and contributions[s.name] > 0]
    concerned = score >= settings.concern_threshold
    if users[-1].intent in settings.immediate_handoff_intents:
        return Assessment(score, contributions, reasons, True, True,
                          "customer asked for a person")
    if score >= settings.handoff_threshold:
        why = "; ".join(reasons[:3])
        reached = f"frustration {score:.2f} reached {settings.handoff_threshold:.2f}"
        return Assessment(score, contributions, reasons, concerned, True, f"{reached}: {why}")
    return Assessment(score, contributions, reasons, concerned)
