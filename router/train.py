"""`python -m router.train`: does a learned combination of the signals beat the hand-set weights?

Trains logistic regression on the team's scripted conversations (router/conversations/): each
customer turn is an example, its features are the signals' strengths, its label says whether a
person should have the conversation by then. Both combiners are compared by grouped 5-fold
cross-validation (a conversation is never in training and test at once) on the conversation-level
measures of `python -m router.eval scripted`. `--write` saves the learned model to
router/learned_model.json.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from router.eval.scripted import Script, default_paths, evaluate, load, score
from router.scoring import ScorerSettings
from router.scoring.conversation import UserTurn
from router.scoring.signals import SIGNALS

LEARNED_MODEL = Path(__file__).parent / "learned_model.json"
NAMES = list(SIGNALS)


def turn_examples(script: Script, settings: ScorerSettings) -> List[Tuple[List[float], int, bool]]:
    """(signal strengths, should a person have it by now, did the customer ask for one)."""
    examples = []
    customer_turn = 0
    for index, turn in enumerate(script.turns):
        if not isinstance(turn, UserTurn):
            continue
        customer_turn += 1
        talk = script.turns[: index + 1]
        strengths = [SIGNALS[name](talk, settings).strength for name in NAMES]
        due = script.should_hand_off and customer_turn >= int(script.hand_off_at or 0)
        asked = turn.intent in settings.immediate_handoff_intents
        examples.append((strengths, int(due), asked))
    return examples


def learned_handoff_turn(model: LogisticRegression, script: Script, settings: ScorerSettings,
                         threshold: float) -> Optional[int]:
    for number, (strengths, _, asked) in enumerate(turn_examples(script, settings), start=1):
        if asked or model.predict_proba([strengths])[0][1] >= threshold:
            return number
    return None


def compare(scripts: List[Script], threshold: float) -> Dict[str, Dict[str, object]]:
    settings = ScorerSettings()
    groups = np.arange(len(scripts))
    learned_at: Dict[str, Optional[int]] = {}
    for train_idx, test_idx in GroupKFold(5).split(groups, groups=groups):
        rows = [ex for i in train_idx for ex in turn_examples(scripts[i], settings)]
        model = LogisticRegression(class_weight="balanced", max_iter=1000)
        model.fit([r[0] for r in rows], [r[1] for r in rows])
        for i in test_idx:
            learned_at[scripts[i].name] = learned_handoff_turn(
                model, scripts[i], settings, threshold)
    hand_set = evaluate(scripts, settings)
    learned = score(scripts, learned_at)
    return {"hand-set": _brief(hand_set), "learned": _brief(learned)}


def _brief(report: Dict[str, object]) -> Dict[str, object]:
    return {k: report[k] for k in ("precision", "recall", "f1", "on_time", "early", "late",
                                   "mean_turns_off")}


def fit_all(scripts: List[Script], threshold: float) -> Dict[str, object]:
    settings = ScorerSettings()
    rows = [ex for s in scripts for ex in turn_examples(s, settings)]
    model = LogisticRegression(class_weight="balanced", max_iter=1000)
    model.fit([r[0] for r in rows], [r[1] for r in rows])
    return {"signals": NAMES, "intercept": float(model.intercept_[0]),
            "coefficients": dict(zip(NAMES, map(float, model.coef_[0]), strict=True)),
            "threshold": threshold, "trained_on": len(scripts),
            "logit_threshold": math.log(threshold / (1 - threshold))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    scripts = load(default_paths())
    print(json.dumps(compare(scripts, args.threshold), indent=2))
    if args.write:
        LEARNED_MODEL.write_text(json.dumps(fit_all(scripts, args.threshold), indent=2))
        print(f"written {LEARNED_MODEL}")


if __name__ == "__main__":
    main()
