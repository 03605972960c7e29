"""The assessment of the newest customer turn: the state carried from earlier turns, advanced
by this turn's evidence, combined into one explained score, and the decision to hand off."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from router.scoring.combiner import LearnedModel, combine, hand_set
from router.scoring.conversation import Conversation, UserTurn, user_turns
from router.scoring.settings import ScorerSettings
from router.scoring.signals import repeated_request, rephrased, replied_with
from router.scoring.state import FrustrationState, advance

ASKED_FOR_A_PERSON = "customer asked for a person"
ONLY_A_PERSON = "a problem only a person can solve"
ACCEPTED_OFFER = "customer accepted the offer of a person"
STILL_ON_IT = ("the bot offered a person for a problem it cannot solve, and the customer is "
               "still on it")


@dataclass(frozen=True)
class Assessment:
    score: float
    # Each signal's share of the score (weight x evidence, or log-odds for the learned one).
    contributions: Dict[str, float] = field(default_factory=dict)
    reasons: List[str] = field(default_factory=list)
    # This turn on its own looks unhappy with the bot's last answer (its own evidence,
    # combined with the hand-set weights, at or above the concern threshold).
    concerned: bool = False
    handoff: bool = False
    handoff_reason: Optional[str] = None
    state: FrustrationState = field(default_factory=FrustrationState)
    combiner: str = "hand_set"

    def as_dict(self) -> dict:
        return {"score": self.score, "contributions": self.contributions,
                "reasons": self.reasons, "concerned": self.concerned, "handoff": self.handoff,
                "handoff_reason": self.handoff_reason, "state": self.state.as_dict(),
                "combiner": self.combiner}


def explicit_handoff(conversation: Conversation, s: ScorerSettings) -> Optional[str]:
    """Why the customer's own words bring in a person now, whatever the score: they asked,
    they clearly told of a problem only a person can solve, they said yes to the bot's offer,
    or they went on about a problem the bot had just said it cannot solve (instead of
    declining the person it offered)."""
    latest: UserTurn = user_turns(conversation)[-1]
    if latest.intent in s.immediate_handoff_intents:
        return ASKED_FOR_A_PERSON
    if latest.intent in s.person_only_intents and latest.confidence >= s.person_only_confidence:
        return f"{ONLY_A_PERSON} ({latest.intent})"
    if not replied_with(conversation, s.person_offer_responses):
        return None
    if latest.intent in s.accept_intents:
        return ACCEPTED_OFFER
    if replied_with(conversation, s.unsolved_offer_responses) and \
            latest.intent not in s.decline_intents and _same_problem(conversation, s):
        return STILL_ON_IT
    return None


def _same_problem(conversation: Conversation, s: ScorerSettings) -> bool:
    """After the bot said it cannot solve the problem: is the customer still on it (raising a
    problem again, restating, or unhappy) rather than on to something the bot can do?"""
    latest = user_turns(conversation)[-1]
    return (latest.intent in s.person_only_intents or latest.intent in s.complaint_intents
            or latest.sentiment < s.sentiment_neutral_above
            or repeated_request(conversation, s).strength > 0
            or rephrased(conversation, s).strength > 0)


def _step(conversation: Conversation, previous: FrustrationState, s: ScorerSettings,
          learned: Optional[LearnedModel]) -> Assessment:
    state, fired = advance(previous, conversation, s)
    combined = combine(state.evidence, s, learned)
    score, shares, combiner = combined.score, combined.shares, combined.combiner
    this_turn, _ = hand_set({signal.name: signal.strength for signal in fired}, s)
    ranked = sorted((name for name, share in shares.items() if share > 0),
                    key=lambda name: shares[name], reverse=True)
    reasons = [state.reasons[name] for name in ranked if name in state.reasons]
    concerned = this_turn >= s.concern_threshold
    explicit = explicit_handoff(conversation, s)
    if explicit:
        return Assessment(score, shares, reasons, True, True, explicit, state, combiner)
    if score >= combined.handoff_threshold:
        why = "; ".join(reasons[:3])
        reached = f"frustration {score:.2f} reached {combined.handoff_threshold:.2f}"
        return Assessment(score, shares, reasons, concerned, True, f"{reached}: {why}", state,
                          combiner)
    return Assessment(score, shares, reasons, concerned, False, None, state, combiner)


def assess(conversation: Conversation, settings: Optional[ScorerSettings] = None,
           previous: Optional[FrustrationState] = None,
           learned: Optional[LearnedModel] = None) -> Assessment:
    """The assessment of the newest customer turn. `previous` is the state after the turn
    before (from the last assessment); without it, or if it is not that turn's, the state is
    rebuilt from the first turn, which gives the same result at a cost that grows with the
    conversation."""
    s = settings or ScorerSettings()
    ends = [i + 1 for i, turn in enumerate(conversation) if isinstance(turn, UserTurn)]
    if not ends:
        return Assessment(score=0.0)
    if previous is not None and previous.turn == len(ends) - 1:
        return _step(conversation, previous, s, learned)
    return assess_all(conversation, s, learned)[-1]


def assess_all(conversation: Conversation, settings: Optional[ScorerSettings] = None,
               learned: Optional[LearnedModel] = None) -> List[Assessment]:
    """The assessment of every customer turn in order, as the policy makes them live."""
    s = settings or ScorerSettings()
    state = FrustrationState()
    assessments: List[Assessment] = []
    for index, turn in enumerate(conversation):
        if isinstance(turn, UserTurn):
            assessment = _step(conversation[: index + 1], state, s, learned)
            state = assessment.state
            assessments.append(assessment)
    return assessments


def as_state(raw: Any) -> Optional[FrustrationState]:
    """The state inside a stored assessment (the frustration slot's value), if any."""
    return FrustrationState.from_dict(raw.get("state")) if isinstance(raw, dict) else None
