"""`python -m router.train`: fit the learned combiner and compare it with the hand-set weights.

Data: the evaluation conversations' transcripts through the real bot (`python -m router.eval
bot --split train` and `--split dev` write results/replays/{train,dev}.jsonl). Every customer
turn is one example: its features are the signals' accumulated evidence after that turn (the
same state the scorer keeps live), its label whether a person should have the conversation by
then. Logistic regression without class weights, so its probability stays calibrated.

* fitted on `train`; the handoff threshold on the probability chosen on `dev` (the lowest that
  keeps precision at or above `--min-precision`, else the best F1);
* both combiners reported on `dev`, each at its own threshold; `--test` adds the frozen test
  split's totals (results/replays/test.jsonl), never its details;
* `--write` saves the model to router/learned_model.json (versioned; the scorer loads it when
  the `combiner` setting is "learned").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss

from router.eval.corpus import Labelled, load_split
from router.eval.scripted import score
from router.eval.through_bot import Replay, load_replays
from router.scoring import ScorerSettings, assess_all
from router.scoring.combiner import LEARNED_MODEL_FORMAT, LEARNED_MODEL_PATH
from router.scoring.conversation import Turn, turns_from_lines
from router.scoring.signals import SIGNALS

NAMES = list(SIGNALS)
REPLAYS = Path("results") / "replays"
# L2 strength: a few hundred turns from ~100 conversations; stronger regularisation keeps
# rare signals (threats, shouting) from getting extreme coefficients from a handful of turns.
REGULARISATION_C = 1.0
THRESHOLDS = [round(t, 2) for t in np.arange(0.2, 0.91, 0.05)]

Example = Tuple[List[float], int, bool]


def turn_examples(turns: Sequence[Turn], item: Labelled, settings: ScorerSettings
                  ) -> List[Example]:
    """(features, should a person have it by now, do the customer's words hand off anyway)."""
    examples = []
    for number, assessment in enumerate(assess_all(turns, settings), start=1):
        features = [assessment.state.evidence.get(name, 0.0) for name in NAMES]
        due = item.should_hand_off and number >= int(item.hand_off_at or 0)
        explicit = assessment.handoff and assessment.handoff_reason is not None and \
            not assessment.handoff_reason.startswith("frustration")
        examples.append((features, int(due), explicit))
    return examples


def _examples(items: List[Labelled], replays: Dict[str, Replay], settings: ScorerSettings
              ) -> Dict[str, List[Example]]:
    missing = [item.name for item in items if item.name not in replays]
    if missing:
        raise SystemExit(f"{len(missing)} conversations have no transcript (e.g. {missing[0]!r}):"
                         " run `python -m router.eval bot --split SPLIT` again")
    return {item.name: turn_examples(turns_from_lines(replays[item.name].lines), item, settings)
            for item in items}


def fit(examples: Dict[str, List[Example]]) -> LogisticRegression:
    rows = [row for rows in examples.values() for row in rows]
    model = LogisticRegression(C=REGULARISATION_C, max_iter=2000)
    model.fit([r[0] for r in rows], [r[1] for r in rows])
    return model


def first_handoffs(examples: Dict[str, List[Example]], probability: Dict[str, List[float]],
                   threshold: float) -> Dict[str, Optional[int]]:
    found: Dict[str, Optional[int]] = {}
    for name, rows in examples.items():
        found[name] = next((n for n, (row, p) in enumerate(zip(rows, probability[name],
                                                               strict=True), start=1)
                            if row[2] or p >= threshold), None)
    return found


def scores_of(examples: Dict[str, List[Example]], scorer: object) -> Dict[str, List[float]]:
    if isinstance(scorer, LogisticRegression):
        return {name: list(scorer.predict_proba([r[0] for r in rows])[:, 1])
                for name, rows in examples.items()}
    raise TypeError(scorer)


def hand_set_scores(items: List[Labelled], replays: Dict[str, Replay],
                    settings: ScorerSettings) -> Dict[str, List[float]]:
    return {item.name: [a.score for a in assess_all(
        turns_from_lines(replays[item.name].lines), settings)] for item in items}


def pick_threshold(items: List[Labelled], examples: Dict[str, List[Example]],
                   probability: Dict[str, List[float]], min_precision: float) -> float:
    results = [(t, score(items, first_handoffs(examples, probability, t))) for t in THRESHOLDS]
    good = [(t, r) for t, r in results if r["precision"] >= min_precision]
    if good:
        return max(good, key=lambda tr: (tr[1]["recall"], tr[1]["f1"], -tr[0]))[0]
    return max(results, key=lambda tr: (tr[1]["f1"], -tr[0]))[0]


def _brief(report: Dict[str, object]) -> Dict[str, object]:
    return {k: report[k] for k in ("conversations", "precision", "recall", "f1", "on_time",
                                   "early", "late", "within_one_turn")}


def compare(items: List[Labelled], replays: Dict[str, Replay], model: LogisticRegression,
            learned_threshold: float, settings: ScorerSettings) -> Dict[str, object]:
    examples = _examples(items, replays, settings)
    learned = first_handoffs(examples, scores_of(examples, model), learned_threshold)
    hand = first_handoffs(examples, hand_set_scores(items, replays, settings),
                          settings.handoff_threshold)
    rows = [row for rows in examples.values() for row in rows]
    probabilities = model.predict_proba([r[0] for r in rows])[:, 1]
    return {"hand-set": _brief(score(items, hand)), "learned": _brief(score(items, learned)),
            "learned_brier": round(float(brier_score_loss([r[1] for r in rows],
                                                          probabilities)), 4)}


def as_file(model: LogisticRegression, threshold: float, trained_on: List[Labelled],
            dev: Dict[str, object]) -> Dict[str, object]:
    digest = hashlib.sha256(json.dumps(sorted(i.name for i in trained_on)).encode()).hexdigest()
    return {"format": LEARNED_MODEL_FORMAT,
            "version": f"{date.today().isoformat()}-{digest[:8]}",
            "signals": NAMES, "intercept": round(float(model.intercept_[0]), 6),
            "coefficients": {name: round(float(c), 6)
                             for name, c in zip(NAMES, model.coef_[0], strict=True)},
            "handoff_threshold": threshold, "trained_on": len(trained_on),
            "dev": dev}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replays", type=Path, default=REPLAYS)
    parser.add_argument("--min-precision", type=float, default=0.9)
    parser.add_argument("--test", action="store_true", help="also report the test totals")
    parser.add_argument("--write", action="store_true", help=f"save to {LEARNED_MODEL_PATH}")
    args = parser.parse_args(argv)
    settings = replace(ScorerSettings(), combiner="hand_set")
    train, dev = load_split("train"), load_split("dev")
    paths = {split: args.replays / f"{split}.jsonl" for split in ("train", "dev", "test")}
    for split in ("train", "dev") + (("test",) if args.test else ()):
        if not paths[split].is_file():
            print(f"no transcripts at {paths[split]}: run `python -m router.eval bot --split "
                  f"{split}` first", file=sys.stderr)
            return 2
    train_replays, dev_replays = load_replays(paths["train"]), load_replays(paths["dev"])
    model = fit(_examples(train, train_replays, settings))
    dev_examples = _examples(dev, dev_replays, settings)
    threshold = pick_threshold(dev, dev_examples, scores_of(dev_examples, model),
                               args.min_precision)
    report: Dict[str, object] = {"learned_threshold": threshold,
                                 "dev": compare(dev, dev_replays, model, threshold, settings)}
    if args.test:
        test = load_split("test")
        report["test"] = compare(test, load_replays(paths["test"]), model, threshold, settings)
    print(json.dumps(report, indent=2))
    if args.write:
        dev_report = report["dev"]
        assert isinstance(dev_report, dict)
        LEARNED_MODEL_PATH.write_text(json.dumps(
            as_file(model, threshold, train, dev_report), indent=2) + "\n")
        print(f"written {LEARNED_MODEL_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
