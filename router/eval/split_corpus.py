"""`python -m router.eval.split_corpus RAW.yml...`: split the blind-written conversations into
evaluation/conversations/{train,dev,test}.yml once, and freeze the test split's hash.

Run once, before any tuning; it refuses to overwrite existing splits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

import yaml

from router.eval.corpus import CORPUS_DIR, SPLITS, as_yaml, fingerprint, parse_conversation, split


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if any((CORPUS_DIR / f"{name}.yml").exists() for name in SPLITS):
        print(f"splits already exist in {CORPUS_DIR}: the test split is frozen; not touched",
              file=sys.stderr)
        return 2
    items = [parse_conversation({**raw, "name": f"{path.stem}: {raw['name']}"}, path.stem)
             for path in args.raw for raw in yaml.safe_load(path.read_text())]
    chosen = split(items)
    for name in SPLITS:
        (CORPUS_DIR / f"{name}.yml").write_text(as_yaml(chosen[name]))
        handoffs = sum(item.should_hand_off for item in chosen[name])
        print(f"{name}: {len(chosen[name])} conversations, {handoffs} to hand off")
    (CORPUS_DIR / "test.sha256").write_text(fingerprint(chosen["test"]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
