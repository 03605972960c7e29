"""`make bench-nlu DATA=../shared/datasets`: our NLU pipeline (config.yml, unchanged) trained on
BANKING77's train split and scored on its test split, beside the published figures.

The dataset is for evaluation only; nothing from it is kept in the project.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

from bench.machine import describe

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = {"bag-of-words Naive Bayes": 0.859, "fine-tuned BERT-large": 0.937}


def read_split(path: Path) -> List[Tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as rows:
        return [(row["text"].strip(), row["category"]) for row in csv.DictReader(rows)]


def write_rasa_nlu(examples: List[Tuple[str, str]], path: Path) -> None:
    by_intent: Dict[str, List[str]] = {}
    for text, intent in examples:
        by_intent.setdefault(intent, []).append(" ".join(text.split()))
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in sorted(by_intent.items()):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in texts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def train(config: Path, nlu_file: Path, out_dir: Path) -> Path:
    from rasa.model_training import train_nlu

    model = train_nlu(config=str(config), nlu_data=str(nlu_file), output=str(out_dir),
                      fixed_model_name="banking77")
    if not model:
        raise SystemExit("training failed; see the output above")
    return Path(model)


async def predict(model: Path, texts: List[str]) -> Tuple[List[str], List[str]]:
    """Top intent as shipped (a fallback counts as wrong) and the best non-fallback intent."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    shipped, ranked = [], []
    for text in texts:
        parsed = await agent.parse_message(text)
        shipped.append(parsed["intent"]["name"])
        ranking = [r["name"] for r in parsed.get("intent_ranking", [])
                   if r["name"] != "nlu_fallback"]
        ranked.append(ranking[0] if ranking else "nlu_fallback")
    return shipped, ranked


def scores(truth: List[str], predicted: List[str]) -> Dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    macro_f1 = f1_score(truth, predicted, average="macro", labels=sorted(set(truth)))
    return {"accuracy": round(accuracy_score(truth, predicted), 4), "macro_f1": round(macro_f1, 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding banking77/")
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    args = parser.parse_args()
    folder = args.data / "banking77"
    if not (folder / "train.csv").exists() or not (folder / "test.csv").exists():
        print(f"BANKING77 not found: expected {folder}/train.csv and test.csv. "
              "Pass the datasets folder with DATA=/path/to/datasets.", file=sys.stderr)
        return 2
    train_set, test_set = read_split(folder / "train.csv"), read_split(folder / "test.csv")
    with tempfile.TemporaryDirectory() as tmp:
        nlu_file = Path(tmp) / "banking77.yml"
        write_rasa_nlu(train_set, nlu_file)
        started = time.perf_counter()
        model = train(args.config, nlu_file, Path(tmp))
        train_seconds = time.perf_counter() - started
        started = time.perf_counter()
        shipped, ranked = asyncio.run(predict(model, [text for text, _ in test_set]))
        parse_ms = (time.perf_counter() - started) / len(test_set) * 1000
    truth = [intent for _, intent in test_set]
    report = {
        "config": str(args.config),
        "train_examples": len(train_set), "test_examples": len(test_set),
        "top_intent": scores(truth, ranked),
        "as_shipped_fallback_counts_wrong": scores(truth, shipped),
        "fallback_rate": round(shipped.count("nlu_fallback") / len(shipped), 4),
        "train_seconds": round(train_seconds, 1),
        "parse_ms_per_message": round(parse_ms, 2),
        "published_accuracy": PUBLISHED,
        "machine": describe(),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
