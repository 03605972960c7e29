"""Frustration as a state that builds up: evidence from each customer turn is added to what
is left of the earlier turns' evidence, and fades, quickly when the conversation makes
progress (a task done, sincere thanks, a new request understood), slowly otherwise. A customer
who restates the same need three times while the bot misses climbs turn by turn instead of
bouncing between 0.15 and 0.40.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from router.scoring.conversation import Conversation, user_turns
from router.scoring.settings import ScorerSettings
from router.scoring.signals import (
    SIGNALS,
    Signal,
    failure_context,
    is_request,
    rephrased,
    replied_with,
    understood,
)


@dataclass(frozen=True)
class FrustrationState:
    # Customer turns scored so far (since the session started or a person handed back).
    turn: int = 0
    # Each signal's accumulated evidence: about how many of its recent turns it fired on, the
    # older ones faded (at most `evidence_cap`).
    evidence: Dict[str, float] = field(default_factory=dict)
    # Each signal's latest reason in words, so carried-over evidence is still explained.
    reasons: Dict[str, str] = field(default_factory=dict)
    # Why the latest turn counted as progress, if it did.
    progress: Optional[str] = None

    def as_dict(self) -> Dict[str, Any]:
        return {"turn": self.turn, "evidence": dict(self.evidence),
                "reasons": dict(self.reasons), "progress": self.progress}

    @classmethod
    def from_dict(cls, raw: Any) -> Optional[FrustrationState]:
        """The state as `as_dict` wrote it, or None if it is not one (an older format)."""
        if not isinstance(raw, Mapping) or not isinstance(raw.get("turn"), int):
            return None
        evidence, reasons = raw.get("evidence"), raw.get("reasons")
        if not isinstance(evidence, Mapping) or not isinstance(reasons, Mapping):
            return None
        return cls(raw["turn"], {str(k): float(v) for k, v in evidence.items()
                                 if isinstance(v, (int, float)) and k in SIGNALS},
                   {str(k): str(v) for k, v in reasons.items()}, raw.get("progress"))


# Signals that are not about the customer's words (the bot's reply, the length of the talk): a
# customer who moves on to something new after one has still moved on.
_NOT_THE_CUSTOMERS_WORDS = ("bot_repeated", "bot_failed", "long_conversation")


def progress(conversation: Conversation, fired: List[Signal], s: ScorerSettings
             ) -> Optional[str]:
    """Why the newest turn moves the conversation forward, or None. A turn with any cue of
    frustration in the customer's words is never progress."""
    if any(signal.name not in _NOT_THE_CUSTOMERS_WORDS for signal in fired):
        return None
    users = user_turns(conversation)
    latest = users[-1]
    asked_before = any(turn.intent == latest.intent
                       for turn in users[-(s.restate_window + 1):-1])
    if (is_request(latest, s) and understood(latest, s) and not asked_before
            and rephrased(conversation, s).strength == 0):
        return "the customer moved on to something new"
    if failure_context(conversation, s):
        return None
    if latest.intent in ("thanks", "goodbye") or (
            latest.intent == "affirm" and latest.sentiment > 0):
        return "the customer thanked the bot or closed the topic"
    if replied_with(conversation, s.done_responses):
        return "the bot answered what was asked"
    return None


def advance(previous: FrustrationState, conversation: Conversation, s: ScorerSettings
            ) -> Tuple[FrustrationState, List[Signal]]:
    """The state after the newest customer turn, and the signals that fired on it."""
    fired = [signal for signal in (measure(conversation, s) for measure in SIGNALS.values())
             if signal.strength > 0]
    moved_on = progress(conversation, fired, s)
    keep = s.progress_retention if moved_on else s.retention
    # On a turn of progress only signals outside the customer's words can have fired (the bot's
    # reply to the old topic, the length): they are left behind with the topic.
    now = {} if moved_on else {signal.name: signal.strength for signal in fired}
    evidence: Dict[str, float] = {}
    for name in SIGNALS:
        value = min(s.evidence_cap,
                    keep * previous.evidence.get(name, 0.0) + now.get(name, 0.0))
        if value >= 0.01:  # what has faded to nothing is dropped, keeping the state small
            evidence[name] = round(value, 4)
    reasons = {name: reason for name, reason in previous.reasons.items() if name in evidence}
    reasons.update({signal.name: signal.reason for signal in fired
                    if signal.reason and signal.name in evidence})
    return FrustrationState(previous.turn + 1, evidence, reasons, moved_on), fired
