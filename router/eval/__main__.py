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
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from router.eval import scripted
from router.eval.uss import UssFormatError, as_turn, dialogues, dissatisfied
from router.scoring import ScorerSettings, assess_all

VADER_BASELINE_AT = -0.05
RESULTS = Path("results")


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


def evaluate_file(path: Path, settings: ScorerSettings, vader: SentimentIntensityAnalyzer,
                  meanings: Optional[Dict[str, str]] = None) -> Dict[str, Tally]:
    """Every user turn scored with only what came before it, as the policy scores live."""
    router, baseline = Tally(), Tally()
    for dialogue in dialogues(path):
        turns, compounds, labels = [], [], []
        for line in dialogue:
            if line.role == "USER":
                compound = vader.polarity_scores(line.text)["compound"]
                compounds.append(compound)
                labels.append(dissatisfied(line.ratings))
                turns.append(as_turn(line, compound, (meanings or {}).get(line.text)))
            else:
                turns.append(as_turn(line, 0.0))
        for assessment, compound, unhappy in zip(assess_all(turns, settings), compounds,
                                                 labels, strict=True):
            router.add(assessment.concerned, unhappy)
            baseline.add(compound <= VADER_BASELINE_AT, unhappy)
    return {"router": router, "baseline": baseline}


def user_meanings(paths: List[Path]) -> Dict[str, str]:
    """The encoded sentence embedding of every USER line, as the bot's NLU would store it;
    cached in results/cache (the encoder takes ~2 minutes per USS file on two cores)."""
    texts = sorted({line.text for path in paths for dialogue in dialogues(path)
                    for line in dialogue if line.role == "USER"})
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    cache = RESULTS / "cache" / f"meanings-{digest}.json"
    if cache.is_file():
        return dict(json.loads(cache.read_text()))
    from bot.minilm import shared_encoder
    from router.scoring import meaning

    vectors = shared_encoder().encode(texts)
    found = {text: meaning.encode(vector) for text, vector in zip(texts, vectors, strict=True)}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(found))
    return found


def run(paths: List[Path], settings: ScorerSettings, with_meaning: bool = True) -> dict:
    vader = SentimentIntensityAnalyzer()
    meanings = user_meanings(paths) if with_meaning else {}
    report: dict = {"files": {}}
    overall = {"router": Tally(), "baseline": Tally()}
    for path in paths:
        tallies = evaluate_file(path, settings, vader, meanings)
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
    _print_handoff_report(report, "scripted conversations (scorer alone)")
    return 0


def run_through_bot(split: str, model: Path, replays_path: Optional[Path], as_json: bool
                    ) -> int:
    """The split through the real bot (see router/eval/through_bot.py)."""
    from router.eval import through_bot
    from router.eval.corpus import CorpusError, load_split

    if not model.is_file():
        print(f"no trained model at {model}: run `make model` first", file=sys.stderr)
        return 2
    try:
        conversations = load_split(split)
    except CorpusError as error:
        print(f"bad evaluation conversation: {error}", file=sys.stderr)
        return 2
    with through_bot.running_stack(model) as (bot, data_dir):
        replays = through_bot.replay_all(bot, data_dir / "shop.db", conversations)
    path = replays_path or RESULTS / "replays" / f"{split}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(replay.as_json() + "\n" for replay in replays))
    report = through_bot.report(conversations, {r.name: r for r in replays})
    if split in ("test", "fresh"):  # for reporting: totals only, never which did what
        report.pop("details")
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        _print_handoff_report(report, f"{split} split through the real bot")
    print(f"transcripts: {path}", file=sys.stderr)
    return 0


def _print_handoff_report(report: Dict[str, Any], title: str) -> None:
    for item in report.get("details", []):
        expected = item["expected_turn"] if item["should_hand_off"] else "never"
        got = item["handed_off_at"] or "never"
        mark = "ok " if str(expected) == str(got) else "!! "
        print(f"{mark}{item['name'][:70]:<70} expected {expected!s:>5}  got {got!s:>5}")
    print(f"\n{title}: {report['conversations']} conversations, handoff precision "
          f"{report['precision']}, recall {report['recall']}, F1 {report['f1']}; of the right "
          f"handoffs {report['on_time']} on time, {report['early']} early, {report['late']} "
          f"late, {report['within_one_turn']} within one turn")


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m router.eval", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    uss = commands.add_parser("uss", help="score USS-format files")
    uss.add_argument("paths", nargs="+", type=Path)
    uss.add_argument("--json", action="store_true", help="print JSON instead of a table")
    uss.add_argument("--no-meaning", action="store_true",
                     help="skip the sentence embeddings (faster; no rephrasing signal)")
    script = commands.add_parser("scripted", help="the team's scripted conversations")
    script.add_argument("paths", nargs="*", type=Path,
                        help="YAML files (default: router/conversations/*.yml)")
    script.add_argument("--json", action="store_true")
    bot = commands.add_parser("bot", help="a split of evaluation/conversations through the "
                                          "real bot")
    bot.add_argument("--split", default="dev", choices=("train", "dev", "test", "fresh"))
    bot.add_argument("--model", type=Path, default=Path("models/pinecone.tar.gz"))
    bot.add_argument("--replays", type=Path, default=None,
                     help="where to write the transcripts (default results/replays/SPLIT.jsonl)")
    bot.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "bot":
        return run_through_bot(args.split, args.model, args.replays, args.json)
    if args.command == "scripted":
        return run_scripted(args.paths, args.json)
    missing = [str(p) for p in args.paths if not p.is_file()]
    if missing:
        print(f"not found: {', '.join(missing)} (give USS-format files, e.g. "
              "../shared/datasets/uss/SGD.txt)", file=sys.stderr)
        return 2
    try:
        report = run(args.paths, ScorerSettings(), not args.no_meaning)
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
