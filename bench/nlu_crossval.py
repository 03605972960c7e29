"""`make bench-cv`: k-fold cross-validation of intent classification on the team's own NLU data,
for the shipped pipeline and the rejected ones, with the time each took."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.machine import describe

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {
    "ours (config.yml)": "config.yml",
    "counts only (bench/configs/counts_only.yml)": "bench/configs/counts_only.yml",
    "DIET (bench/configs/diet.yml)": "bench/configs/diet.yml",
}


def cross_validate(config: str, folds: int, out: Path) -> dict:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "rasa", "test", "nlu", "--nlu", "bot/data/nlu",
         "--config", config, "--cross-validation", "--folds", str(folds), "--out", str(out)],
        cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"},
    )
    report = json.loads((out / "intent_report.json").read_text())
    weakest = sorted((v["f1-score"], k) for k, v in report.items()
                     if isinstance(v, dict) and k not in ("macro avg", "weighted avg", "micro avg"))
    return {
        "accuracy": round(report["accuracy"], 4),
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
        "weakest_intents": {name: round(f1, 3) for f1, name in weakest[:5]},
        "seconds": round(time.perf_counter() - started),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()
    report = {"machine": describe(), "folds": args.folds, "pipelines": {}}
    for name, config in CONFIGS.items():
        print(f"cross-validating {name} ({args.folds} folds) ...", flush=True)
        out = PROJECT_ROOT / "results" / "cv" / Path(config).stem
        result = cross_validate(config, args.folds, out)
        report["pipelines"][name] = result
        print(f"  accuracy {result['accuracy']}, macro-F1 {result['macro_f1']}, "
              f"{result['seconds']} s", flush=True)
    out = PROJECT_ROOT / "results" / "bench" / "nlu_crossval.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
