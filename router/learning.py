"""Learning from agents' labels (router/handoff_labels.py): how precise each signal is, and a
suggested handoff threshold and weights. Pure: the caller reads the labelled cases.

* **Precision per signal.** For each signal, among the labelled handoffs where it fired at the
  handoff turn (its contribution in that turn's assessment above 0): how many a person was
  needed for and how many came too early; precision = needed / (needed + too early). A handoff
  labelled `too_late` counts as needed: a person was needed, only sooner.
* **Suggestion.** A logistic regression fitted on the labelled handoffs: features are each
  signal's accumulated evidence at the handoff turn (the `state.evidence` the stored assessment
  holds, the very features the scorer combines), target needed (1) or too early (0). The
  hand-set scorer is a noisy-OR, score = 1 - prod((1 - w_i) ** evidence_i), so
  -ln(1 - score) = sum(evidence_i * -ln(1 - w_i)) is linear in the evidence, like the
  regression's log-odds. Each signal's weight is therefore set so that -ln(1 - w_i) is
  proportional to its coefficient (a negative coefficient, evidence pointing to "too early",
  gives weight 0), with one factor for all, fitted (least squares) to today's weights in those
  units: the scorer keeps about its overall sensitivity, and the threshold does the rest. Only
  handoffs the score made are fitted: those the customer's words caused say nothing about the
  score. A signal whose evidence counted at too few of them (`min_counted`) is left out of the
  fit and keeps today's weight: absent evidence is not evidence against it. The
  threshold is the smallest (to the hundredth) meeting the admin's target on the labelled
  handoffs: a target rate (at most that share of them would still be handed off) or a target
  precision (at least that share of those kept needed a person). Handoffs the customer's own
  words caused (asked for a person, a problem only a person can solve) happen whatever the
  score, so they are always kept.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from sklearn.linear_model import LogisticRegression

from router.handoff_labels import LABELS, TOO_EARLY
from router.plain_words import SIGNALS as SIGNAL_WORDS
from router.scoring.scorer import ACCEPTED_OFFER, ASKED_FOR_A_PERSON, ONLY_A_PERSON, STILL_ON_IT
from router.scoring.settings import ScorerSettings
from router.scoring.signals import SIGNALS

NAMES = list(SIGNALS)
# Why a signal's weight is today's in a suggestion, as the figures say it.
KEPT_TOO_FEW = "kept: too few labelled handoffs where it counted"
# Suggested values are rounded to the hundredth, as the settings form shows and takes them.
STEP = 0.01
THRESHOLDS = [round(STEP * i, 2) for i in range(1, 101)]


@dataclass(frozen=True)
class LearningSettings:
    # Fewer labels than this, or fewer of either kind (needed, too early), and a fitted rule
    # would mostly follow chance: a handful of labels can make any signal look decisive.
    min_labels: int = 20
    min_each: int = 5
    # The most recently labelled cases read (a year of labels at a few a day fits; the fit on
    # this many takes well under a second).
    max_cases: int = 5000
    # Inverse L2 strength of the regression. Mild: the evidence is already bounded (0-3), and
    # stronger shrinkage pulls the coefficients toward one size, which put the threshold
    # recovered from synthetic labels 0.05-0.12 too high at C = 1, 0-0.04 at 30
    # (tests/router/test_learning.py).
    regularisation_c: float = 30.0
    # A signal whose evidence counted at fewer of the fitted handoffs than this keeps today's
    # weight: a regression sees a signal that (nearly) never fires as useless and would
    # switch it off, though the labels simply do not show it.
    min_counted: int = 10
    # No suggested weight above this: a weight of 1 makes one firing signal a certain handoff.
    max_weight: float = 0.95


class TooFewLabels(ValueError):
    """Not enough labels to suggest anything; the message says how many more are needed."""


class TargetUnreachable(ValueError):
    """No threshold meets the target on the labelled handoffs; the message gives the best."""


@dataclass(frozen=True)
class LabelledHandoff:
    case_id: str
    label: str
    # Each signal's accumulated evidence at the handoff turn (what the scorer combines).
    evidence: Dict[str, float]
    # The signals whose contribution at the handoff turn was above 0.
    fired: Tuple[str, ...]
    # The customer's own words brought the person in, whatever the score.
    asked_in_words: bool = False

    @property
    def needed(self) -> bool:
        return self.label != TOO_EARLY


# --- From a stored case ------------------------------------------------------------------

def handoff_assessment(packet: Mapping[str, Any]) -> Dict[str, Any]:
    """The assessment of the turn that handed off: the packet's own, else the last customer
    turn in the transcript whose assessment handed off (or {} if there is none)."""
    own = packet.get("assessment")
    if isinstance(own, dict) and own:
        return own
    for turn in reversed(packet.get("transcript") or []):
        assessment = turn.get("assessment") if isinstance(turn, dict) else None
        if isinstance(assessment, dict) and assessment.get("handoff"):
            return assessment
    return {}


def _numbers(raw: Any) -> Dict[str, float]:
    if not isinstance(raw, Mapping):
        return {}
    return {str(name): float(value) for name, value in raw.items()
            if name in SIGNALS and isinstance(value, (int, float))
            and not isinstance(value, bool) and math.isfinite(value)}


def _asked_in_words(reason: Any) -> bool:
    return isinstance(reason, str) and (
        reason in (ASKED_FOR_A_PERSON, ACCEPTED_OFFER, STILL_ON_IT)
        or reason.startswith(ONLY_A_PERSON))


def labelled_handoff(case: Mapping[str, str]) -> Optional[LabelledHandoff]:
    """A labelled case as the learning reads it (None if it has no valid label)."""
    if case.get("label") not in LABELS:
        return None
    try:
        packet = json.loads(case.get("packet") or "{}")
    except ValueError:
        packet = {}
    assessment = handoff_assessment(packet if isinstance(packet, dict) else {})
    state = assessment.get("state")
    contributions = _numbers(assessment.get("contributions"))
    return LabelledHandoff(
        case_id=case.get("case_id", ""), label=str(case["label"]),
        evidence=_numbers(state.get("evidence") if isinstance(state, Mapping) else None),
        fired=tuple(sorted(name for name, share in contributions.items() if share > 0)),
        asked_in_words=_asked_in_words(assessment.get("handoff_reason")))


# --- Precision ---------------------------------------------------------------------------

def _precision(needed: int, too_early: int) -> Optional[float]:
    return round(needed / (needed + too_early), 4) if needed + too_early else None


def label_counts(handoffs: Sequence[LabelledHandoff]) -> Dict[str, int]:
    return {label: sum(1 for h in handoffs if h.label == label) for label in LABELS}


def overall(handoffs: Sequence[LabelledHandoff]) -> Dict[str, Any]:
    """How many labelled handoffs needed a person (too late included), and the share."""
    needed = sum(1 for h in handoffs if h.needed)
    return {"handoffs": len(handoffs), "needed": needed, "too_early": len(handoffs) - needed,
            "precision": _precision(needed, len(handoffs) - needed)}


def precision_by_signal(handoffs: Sequence[LabelledHandoff]) -> List[Dict[str, Any]]:
    """Every signal, with how often it fired at a needed and at a too-early handoff and its
    precision (None where it never fired); the most precise first, unfired ones last."""
    rows = []
    for name in NAMES:
        needed = sum(1 for h in handoffs if name in h.fired and h.needed)
        too_early = sum(1 for h in handoffs if name in h.fired and not h.needed)
        rows.append({"signal": name, "words": SIGNAL_WORDS.get(name, name),
                     "fired": needed + too_early, "needed": needed, "too_early": too_early,
                     "precision": _precision(needed, too_early)})
    return sorted(rows, key=lambda row: (row["precision"] is None, -(row["precision"] or 0),
                                         -row["fired"], row["signal"]))


# --- Suggestion --------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """Exactly one of: the largest share of the labelled handoffs to keep (`rate`), or the
    smallest share of kept handoffs that needed a person (`precision`)."""

    rate: Optional[float] = None
    precision: Optional[float] = None

    def __post_init__(self) -> None:
        if (self.rate is None) == (self.precision is None):
            raise ValueError("give exactly one of a target rate or a target precision")

    def met(self, kept: int, kept_needed: int, total: int) -> bool:
        if self.rate is not None:
            return kept <= self.rate * total + 1e-9
        return kept > 0 and kept_needed >= (self.precision or 0.0) * kept - 1e-9

    def public(self) -> Dict[str, float]:
        if self.rate is not None:
            return {"rate": self.rate}
        return {"precision": self.precision or 0.0}


@dataclass(frozen=True)
class Suggestion:
    labels: int
    handoff_threshold: float
    weights: Dict[str, float]
    coefficients: Dict[str, float]
    # The figures on the labelled handoffs, now and with the suggestion.
    now: Dict[str, Any]
    after: Dict[str, Any]
    target: Target
    scale: Dict[str, Any] = field(default_factory=dict)
    # The signals that keep today's weight, each with why (KEPT_TOO_FEW).
    kept: Dict[str, str] = field(default_factory=dict)

    def overrides(self, live: Mapping[str, Any], current: ScorerSettings) -> Dict[str, Any]:
        """The live overrides with the suggested threshold and weights (and the concern
        threshold lowered to the handoff threshold if it would be above it): what saving the
        suggestion stores, as the settings API takes it."""
        changed: Dict[str, Any] = {**live, "handoff_threshold": self.handoff_threshold,
                                   "weights": dict(self.weights)}
        if current.concern_threshold > self.handoff_threshold:
            changed["concern_threshold"] = self.handoff_threshold
        return changed

    def public(self) -> Dict[str, Any]:
        return {"labels": self.labels, "handoff_threshold": self.handoff_threshold,
                "weights": self.weights, "coefficients": self.coefficients, "now": self.now,
                "after": self.after, "target": self.target.public(), "scale": self.scale,
                "kept": self.kept}


def made_by_score(handoffs: Sequence[LabelledHandoff]) -> List[LabelledHandoff]:
    """The handoffs the score made: the only ones whose label says something about it."""
    return [h for h in handoffs if not h.asked_in_words]


def check_enough(fitted: Sequence[LabelledHandoff], settings: LearningSettings) -> None:
    """TooFewLabels unless the handoffs the score made have enough labels of each kind."""
    needed = sum(1 for h in fitted if h.needed)
    too_early = len(fitted) - needed
    if len(fitted) >= settings.min_labels and min(needed, too_early) >= settings.min_each:
        return
    raise TooFewLabels(
        f"A suggestion needs at least {settings.min_labels} labelled handoffs the score made "
        f"(those customers asked for in words do not count), with at least "
        f"{settings.min_each} labelled needed (or too late) and {settings.min_each} labelled "
        f"too early; there are {len(fitted)} ({needed} needed or too late, {too_early} too "
        f"early). Ask the team to label the handoffs they resolve or hand back.")


def times_counted(handoffs: Sequence[LabelledHandoff]) -> Dict[str, int]:
    """At how many of the handoffs each signal's evidence was in the score."""
    return {name: sum(1 for h in handoffs if h.evidence.get(name, 0.0) > 0) for name in NAMES}


def fitted_signals(fitted: Sequence[LabelledHandoff], settings: LearningSettings
                   ) -> Tuple[List[str], Dict[str, str]]:
    """The signals the labels say enough about, and the others with why they keep today's
    weight."""
    counted = times_counted(fitted)
    kept = {name: KEPT_TOO_FEW for name in NAMES if counted[name] < settings.min_counted}
    if len(kept) == len(NAMES):
        raise TooFewLabels(
            f"No signal counted at {settings.min_counted} or more of the labelled handoffs the "
            f"score made: nothing to suggest yet. Ask the team to label more handoffs.")
    return [name for name in NAMES if name not in kept], kept


def _matrix(handoffs: Sequence[LabelledHandoff], names: Sequence[str]) -> np.ndarray:
    return np.array([[h.evidence.get(name, 0.0) for name in names] for h in handoffs])


def fit_coefficients(handoffs: Sequence[LabelledHandoff], names: Sequence[str],
                     settings: LearningSettings) -> Dict[str, float]:
    """The regression's coefficient of each named signal's evidence (log-odds of "needed")."""
    model = LogisticRegression(C=settings.regularisation_c, max_iter=1000)
    model.fit(_matrix(handoffs, names), np.array([int(h.needed) for h in handoffs]))
    return {name: float(c) for name, c in zip(names, model.coef_[0], strict=True)}


def _log_doubt(weight: float) -> float:
    """How much one turn of evidence at this weight adds to -ln(1 - score)."""
    return -math.log(1.0 - min(weight, 0.999))


def weights_from(coefficients: Mapping[str, float], current: ScorerSettings,
                 settings: LearningSettings) -> Tuple[Dict[str, float], float]:
    """Weights with -ln(1 - w) proportional to each positive coefficient (signals whose
    evidence points to "too early" get 0), scaled to today's weights: the factor is the least-
    squares fit of the coefficients to today's -ln(1 - w) (the defaults' if every weight is
    off), so the scorer keeps about its sensitivity; none above `max_weight`. Also the factor."""
    useful = {name: c for name, c in coefficients.items() if c > 0}
    if not useful:
        raise TooFewLabels("In these labels no signal is more frequent at handoffs that were "
                           "needed than at those that came too early: nothing to suggest yet.")
    today = current.weights if any(current.weights.values()) else ScorerSettings().weights
    factor = sum(c * _log_doubt(today.get(name, 0.0)) for name, c in useful.items()) / \
        sum(c * c for c in useful.values())
    if factor <= 0:  # today's weights are all on signals the labels find useless
        factor = _log_doubt(max(today.values())) / max(useful.values())
    weights = {name: min(round(1.0 - math.exp(-factor * max(c, 0.0)), 2), settings.max_weight)
               for name, c in coefficients.items()}
    return weights, factor


def noisy_or_score(evidence: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """The hand-set scorer's score (router/scoring/combiner.py) for this evidence."""
    doubt = 1.0
    for name, value in evidence.items():
        doubt *= (1.0 - weights.get(name, 0.0)) ** value
    return 1.0 - doubt


def figures(handoffs: Sequence[LabelledHandoff], kept: Sequence[bool]) -> Dict[str, Any]:
    """What a rule that keeps `kept` would do on the labelled handoffs."""
    kept_count = sum(kept)
    kept_needed = sum(1 for h, k in zip(handoffs, kept, strict=True) if k and h.needed)
    needed = sum(1 for h in handoffs if h.needed)
    return {"kept": kept_count, "rate": round(kept_count / len(handoffs), 4),
            "precision": _precision(kept_needed, kept_count - kept_needed),
            "needed_kept": kept_needed,
            "needed_share_kept": round(kept_needed / needed, 4) if needed else None,
            "too_early_avoided": (len(handoffs) - needed) - (kept_count - kept_needed)}


def choose_threshold(handoffs: Sequence[LabelledHandoff], scores: Sequence[float],
                     target: Target) -> float:
    """The smallest threshold (to the hundredth) meeting the target on the labelled handoffs;
    those the customer's words caused are kept whatever it is."""
    for threshold in THRESHOLDS:
        kept = _kept(handoffs, scores, threshold)
        kept_needed = sum(1 for h, k in zip(handoffs, kept, strict=True) if k and h.needed)
        if target.met(sum(kept), kept_needed, len(handoffs)):
            return threshold
    best = figures(handoffs, _kept(handoffs, scores, THRESHOLDS[-1]))
    what = (f"keep at most {target.rate:.0%} of them" if target.rate is not None
            else f"reach a precision of {target.precision:.0%}")
    raise TargetUnreachable(
        f"No threshold would {what} on the labelled handoffs: at the highest threshold "
        f"{best['rate']:.0%} are still kept (customers who ask for a person are always "
        f"handed off), with precision {best['precision'] or 0:.0%}. Try a looser target.")


def _kept(handoffs: Sequence[LabelledHandoff], scores: Sequence[float], threshold: float
          ) -> List[bool]:
    return [h.asked_in_words or score >= threshold - 1e-9
            for h, score in zip(handoffs, scores, strict=True)]


def suggest(handoffs: Sequence[LabelledHandoff], current: ScorerSettings, target: Target,
            settings: Optional[LearningSettings] = None) -> Suggestion:
    """Weights and a threshold fitted on the labels for `target` (module docstring: how)."""
    settings = settings or LearningSettings()
    fitted = made_by_score(handoffs)
    check_enough(fitted, settings)
    names, kept = fitted_signals(fitted, settings)
    coefficients = fit_coefficients(fitted, names, settings)
    fitted_weights, factor = weights_from(coefficients, current, settings)
    weights = {name: current.weight(name) if name in kept else fitted_weights[name]
               for name in NAMES}
    scores = [noisy_or_score(h.evidence, weights) for h in handoffs]
    threshold = choose_threshold(handoffs, scores, target)
    strongest = max(coefficients, key=lambda name: coefficients[name])
    return Suggestion(
        labels=len(handoffs), handoff_threshold=threshold, weights=weights,
        coefficients={name: round(c, 4) for name, c in coefficients.items()},
        now=figures(handoffs, [True] * len(handoffs)),
        after=figures(handoffs, _kept(handoffs, scores, threshold)), target=target,
        scale={"strongest_signal": strongest, "factor": round(factor, 4),
               "how": "Each weight w is set so that -ln(1 - w) is the signal's coefficient in "
                      "a logistic regression fitted on the labels times one factor (the "
                      "scorer adds evidence that way); the factor makes the weights as close "
                      "as it can to today's, so the scorer keeps about its sensitivity. "
                      "Signals that point to 'too early' get 0; signals that counted at "
                      "too few labelled handoffs keep today's weight."},
        kept=kept)
