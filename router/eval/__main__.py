"""`python -m router.eval uss FILE...`: the frustration scorer, as shipped, on every user turn
of USS-format files with only the preceding context, against the VADER baseline
(compound <= -0.05), both computed in the same run.

A turn is flagged when the scorer is concerned (score >= concern_threshold): the level at which
it judges the customer unhappy with the last answer. Handing off needs more (handoff_threshold
or an explicit request), so the handoff rate is lower. Reports precision, recall and F1 of the
"dissatisfied" class (majority rating 1 or 2) and the flag rate, per file and overall; `--json`
prints the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from router.eval import scripted
from router.eval.uss import UssFormatError, as_turn, dialogues, dissatisfied
from router.scoring import ScorerSettings, assess

VADER_BASELINE_AT = -0.05


@dataclass
class Tally:
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    flagged: int = 0
    turns: int = 0

    def add(self, flagged: bool, dissatisfied: bool) -> None:
        self.turns += 1
        self.flagged += flagged
        self.true_pos += flagged and dissatisfied
        self.false_pos += flagged and not dissatisfied
        self.false_neg += dissatisfied and not flagged

    def merge(self, other: Tally) -> None:
        for name in ("true_pos", "false_pos", "false_neg", "flagged", "turns"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self) -> Dict[str, float]:
        precision = self.true_pos / (self.true_pos + self.false_pos) if self.flagged else 0.0
        positives = self.true_pos + self.false_neg
        recall = self.true_pos / positives if positives else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                "flag_rate": round(self.flagged / self.turns, 4) if self.turns else 0.0}


def evaluate_file(path: Path, settings: ScorerSettings,
                  vader: SentimentIntensityAnalyzer) -> Dict[str, Tally]:
    router, baseline = Tally(), Tally()
    for dialogue in dialogues(path):
        turns = []
        for line in dialogue:
            compound = vader.polarity_scores(line.text)["compound"] if line.role == "USER" else 0.0
            turns.append(as_turn(line, compound))
            if line.role != "USER":
                continue
            unhappy = dissatisfied(line.ratings)
            router.add(assess(turns, settings).concerned, unhappy)
            baseline.add(compound <= VADER_BASELINE_AT, unhappy)
    return {"router": router, "baseline": baseline}


def run(paths: List[Path], settings: ScorerSettings) -> dict:
    vader = SentimentIntensityAnalyzer()
    report: dict = {"files": {}}
    overall = {"router": Tally(), "baseline": Tally()}
    for path in paths:
        tallies = evaluate_file(path, settings, vader)
        report["files"][path.stem] = {name: t.figures() for name, t in tallies.items()}
        report["files"][path.stem]["turns"] = tallies["router"].turns
        for name, tally in tallies.items():
            overall[name].merge(tally)
    report["overall"] = {name: t.figures() for name, t in overall.items()}
    report["overall"]["turns"] = overall["router"].turns
    return report


def _print_table(report: dict) -> None:
    print(f"{'file':<12}{'who':<10}{'precision':>10}{'recall':>8}{'F1':>8}"
          f"{'flag rate':>11}{'turns':>8}")
    rows = list(report["files"].items()) + [("overall", report["overall"])]
    for name, result in rows:
        for who in ("router", "baseline"):
            f = result[who]
            label = "router" if who == "router" else "VADER"
            print(f"{name:<12}{label:<10}{f['precision']:>10.3f}{f['recall']:>8.3f}{f['f1']:>8.3f}"
                  f"{f['flag_rate']:>11.3f}{result['turns']:>8}")


def run_scripted(paths: List[Path], as_json: bool) -> int:
    try:
        scripts = scripted.load(paths or scripted.default_paths())
    except scripted.ScriptError as error:
        print(f"bad scripted conversation: {error}", file=sys.stderr)
        return 2
    report = scripted.evaluate(scripts, ScorerSettings())
    if as_json:
        print(json.dumps(report, indent=2))
        return 0
    for item in report["details"]:
        expected = item["expected_turn"] if item["should_hand_off"] else "never"
        got = item["handed_off_at"] or "never"
        mark = "ok " if str(expected) == str(got) else "!! "
        print(f"{mark}{item['name'][:60]:<60} expected {expected!s:>5}  got {got!s:>5}")
    print(f"\n{report['conversations']} conversations: handoff precision {report['precision']}, "
          f"recall {report['recall']}, F1 {report['f1']}; of the right handoffs "
          f"{report['on_time']} on time, {report['early']} early, {report['late']} late "
          f"(mean {report['mean_turns_off']} turns off)")
    return 0


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m router.eval", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    uss = commands.add_parser("uss", help="score USS-format files")
    uss.add_argument("paths", nargs="+", type=Path)
    uss.add_argument("--json", action="store_true", help="print JSON instead of a table")
    script = commands.add_parser("scripted", help="the team's scripted conversations")
    script.add_argument("paths", nargs="*", type=Path,
                        help="YAML files (default: router/conversations/*.yml)")
    script.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "scripted":
        return run_scripted(args.paths, args.json)
    missing = [str(p) for p in args.paths if not p.is_file()]
    if missing:
        print(f"not found: {', '.join(missing)} (give USS-format files, e.g. "
              "../shared/datasets/uss/SGD.txt)", file=sys.stderr)
        return 2
    try:
        report = run(args.paths, ScorerSettings())
    except UssFormatError as error:
        print(f"not a USS-format file: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
