"""Turning the accumulated evidence into one score, with each signal's share of it.

Two combiners, the same features (each signal's accumulated evidence, in [0, 1]):
* hand-set: a noisy-OR: each signal's evidence removes its share (its weight, per turn of
  evidence) of the remaining doubt, so the score stays in [0, 1], a signal that keeps firing
  builds up, and two medium signals weigh more than either alone.
* learned: logistic regression fitted by `python -m router.train` on the team's training
  conversations; its probability is calibrated, and each signal's share is its coefficient x
  evidence in log-odds. Loaded from a versioned JSON file; the hand-set weights are the
  fallback when the file is missing or was fitted on other signals.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

from router.scoring.settings import ScorerSettings
from router.scoring.signals import SIGNALS

LEARNED_MODEL_FORMAT = 1
# Written by `python -m router.train --write`, versioned in the repository.
LEARNED_MODEL_PATH = Path(__file__).resolve().parent.parent / "learned_model.json"
log = logging.getLogger(__name__)

Contributions = Dict[str, float]


def noisy_or(shares: Contributions) -> float:
    doubt = 1.0
    for share in shares.values():
        doubt *= 1.0 - share
    return 1.0 - doubt


def hand_set(features: Dict[str, float], s: ScorerSettings) -> Tuple[float, Contributions]:
    """Each signal's share is what its evidence removes of the doubt: one full-strength turn
    removes `weight` of it, each further one the same share of what is left (so a signal that
    keeps firing builds up past its weight, and never past 1)."""
    shares = {name: round(1.0 - (1.0 - s.weight(name)) ** value, 4)
              for name, value in features.items() if s.weight(name) * value > 0}
    return round(noisy_or(shares), 4), shares


@dataclass(frozen=True)
class LearnedModel:
    intercept: float
    coefficients: Dict[str, float]
    version: str
    # The probability at which to hand off, chosen on the dev split when it was fitted.
    handoff_threshold: float

    def combine(self, features: Dict[str, float]) -> Tuple[float, Contributions]:
        shares = {name: round(self.coefficients.get(name, 0.0) * value, 4)
                  for name, value in features.items()
                  if self.coefficients.get(name, 0.0) * value != 0}
        logit = self.intercept + sum(shares.values())
        return round(1.0 / (1.0 + math.exp(-logit)), 4), shares

    @classmethod
    def from_dict(cls, raw: Dict[str, object]) -> LearnedModel:
        if raw.get("format") != LEARNED_MODEL_FORMAT:
            raise ValueError(f"format {raw.get('format')!r}, expected {LEARNED_MODEL_FORMAT}")
        coefficients = raw.get("coefficients")
        if not isinstance(coefficients, dict) or set(coefficients) != set(SIGNALS):
            raise ValueError("fitted on other signals than the scorer has: retrain it with "
                             "`python -m router.train --write`")
        intercept, threshold = raw.get("intercept"), raw.get("handoff_threshold")
        if not isinstance(intercept, (int, float)):
            raise ValueError("no intercept")
        if not isinstance(threshold, (int, float)) or not 0 < threshold < 1:
            raise ValueError(f"handoff_threshold must be a probability, got {threshold!r}")
        return cls(float(intercept), {k: float(v) for k, v in coefficients.items()},
                   str(raw.get("version", "?")), float(threshold))


def load_learned_model(path: Path) -> Optional[LearnedModel]:
    """The fitted model at `path`, or None (logged) when it is missing or unusable."""
    try:
        return LearnedModel.from_dict(json.loads(path.read_text()))
    except FileNotFoundError:
        log.warning("No learned model at %s; the hand-set weights are used.", path)
    except (ValueError, TypeError, AttributeError) as error:
        log.warning("Learned model %s is unusable (%s); the hand-set weights are used.",
                    path, error)
    return None


@dataclass(frozen=True)
class Combined:
    score: float
    shares: Contributions
    # The score at which to hand off, and which combiner made the score.
    handoff_threshold: float
    combiner: str


def combine(features: Dict[str, float], s: ScorerSettings,
            learned: Optional[LearnedModel]) -> Combined:
    if s.combiner == "learned" and learned is not None:
        score, shares = learned.combine(features)
        return Combined(score, shares, learned.handoff_threshold, f"learned {learned.version}")
    score, shares = hand_set(features, s)
    return Combined(score, shares, s.handoff_threshold, "hand_set")
