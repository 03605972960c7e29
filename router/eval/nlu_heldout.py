"""`python -m router.eval.nlu_heldout [--model M]`: the trained bot's intent accuracy and
macro-F1 on evaluation/nlu_heldout.yml, customer lines written blind before the training
examples and never trained on. Entity annotations, if any, are stripped to plain text.

Reports the intent as shipped (a fallback, "I didn't catch that", counts as wrong) and the
best non-fallback intent; `--errors` lists what was confused with what (for the error
analysis of a held-out set that is no longer used for tuning)."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import List, Optional, Tuple

import yaml

from bench.nlu_banking77 import predict, scores

HELDOUT = Path(__file__).resolve().parents[2] / "evaluation" / "nlu_heldout.yml"
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def read_heldout(path: Path = HELDOUT) -> List[Tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU YAML file."""
    pairs = []
    for block in (yaml.safe_load(path.read_text()) or {}).get("nlu", []):
        for line in str(block.get("examples", "")).splitlines():
            text = line.strip()
            if text.startswith("- "):
                pairs.append((_ANNOTATION.sub(r"\1", text[2:].strip()), block["intent"]))
    return pairs


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/pinecone.tar.gz"))
    parser.add_argument("--errors", action="store_true", help="also list the confusions")
    args = parser.parse_args(argv)
    if not args.model.is_file():
        print(f"no trained model at {args.model}: run `make model` first", file=sys.stderr)
        return 2
    pairs = read_heldout()
    truth = [intent for _, intent in pairs]
    shipped, ranked = asyncio.run(predict(args.model, [text for text, _ in pairs]))
    report = {"lines": len(pairs), "intents": len(set(truth)),
              "as_shipped": scores(truth, shipped), "best_intent": scores(truth, ranked)}
    print(json.dumps(report, indent=2))
    if args.errors:
        confusions = Counter((t, p) for t, p in zip(truth, shipped, strict=True) if t != p)
        for (wanted, got), count in confusions.most_common():
            print(f"{count:3}  {wanted} -> {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
