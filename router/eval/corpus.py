"""The team's evaluation conversations (evaluation/conversations/): customer lines only, each
conversation labelled with whether a person should take over and on which customer turn.

Written blind (by people who never saw the router) and split once, before any tuning, into
train / dev / test by conversation. `train` fits and tunes, `dev` chooses between options, and
`test` is frozen: its hash is in evaluation/conversations/test.sha256 and a test fails if it
changes; it is only ever used for the reported figures.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml

CORPUS_DIR = Path(__file__).resolve().parents[2] / "evaluation" / "conversations"
SPLITS = ("train", "dev", "test")
# Written after the router was tuned, by a writer with other personas, used once to check that
# the figures carry over to someone else's conversations: reported like test (totals only).
FRESH = "fresh"
# Shares of each writer's conversations, per label, that go to train and dev (test: the rest).
SPLIT_SHARES = (0.45, 0.20)
SPLIT_SEED = 20261129


class CorpusError(ValueError):
    """A conversation that does not follow the format; names the file and conversation."""


@dataclass(frozen=True)
class Labelled:
    name: str
    should_hand_off: bool
    hand_off_at: Optional[int]  # 1-based customer turn; None when no person is needed
    lines: Tuple[str, ...]
    persona: str = ""
    why: str = ""
    source: str = ""


def parse_conversation(raw: Dict[str, Any], source: str) -> Labelled:
    where = f"{source}: {raw.get('name', '?')}"
    try:
        lines = tuple(str(turn["customer"]) for turn in raw["turns"])
        item = Labelled(str(raw["name"]), bool(raw["should_hand_off"]), raw.get("hand_off_at"),
                        lines, str(raw.get("persona") or ""), str(raw.get("why") or ""),
                        str(raw.get("source") or source))
    except (KeyError, TypeError) as error:
        raise CorpusError(f"{where}: {error!r} (needs name, should_hand_off, turns with "
                          "`customer` lines)") from error
    if item.should_hand_off and not (isinstance(item.hand_off_at, int)
                                     and 1 <= item.hand_off_at <= len(lines)):
        raise CorpusError(f"{where}: should_hand_off needs hand_off_at between 1 and "
                          f"{len(lines)}, got {item.hand_off_at!r}")
    return item


def load_file(path: Path) -> List[Labelled]:
    items = [parse_conversation(raw, path.name) for raw in yaml.safe_load(path.read_text()) or []]
    names = [item.name for item in items]
    twice = {name for name in names if names.count(name) > 1}
    if twice:
        raise CorpusError(f"{path.name}: names used twice: {sorted(twice)}")
    return items


def load_split(split: str, corpus_dir: Path = CORPUS_DIR) -> List[Labelled]:
    if split not in SPLITS + (FRESH,):
        raise CorpusError(f"unknown split {split!r}; the splits are {', '.join(SPLITS)} "
                          f"(and {FRESH})")
    return load_file(corpus_dir / f"{split}.yml")


def fingerprint(items: Iterable[Labelled]) -> str:
    """SHA-256 of the conversations' content, independent of YAML formatting."""
    canonical = json.dumps([asdict(item) for item in items], sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def split(items: List[Labelled]) -> Dict[str, List[Labelled]]:
    """Train / dev / test by conversation, stratified by writer and label, reproducibly."""
    groups: Dict[Tuple[str, bool], List[Labelled]] = {}
    for item in sorted(items, key=lambda i: (i.source, i.name)):
        groups.setdefault((item.source, item.should_hand_off), []).append(item)
    chosen: Dict[str, List[Labelled]] = {name: [] for name in SPLITS}
    rng = random.Random(SPLIT_SEED)
    for _key, group in sorted(groups.items()):
        rng.shuffle(group)
        n_train = round(len(group) * SPLIT_SHARES[0])
        n_dev = round(len(group) * SPLIT_SHARES[1])
        chosen["train"] += group[:n_train]
        chosen["dev"] += group[n_train:n_train + n_dev]
        chosen["test"] += group[n_train + n_dev:]
    return chosen


def as_yaml(items: List[Labelled]) -> str:
    rows = []
    for item in items:
        row: Dict[str, Any] = {"name": item.name, "persona": item.persona,
                               "should_hand_off": item.should_hand_off}
        if item.should_hand_off:
            row["hand_off_at"] = item.hand_off_at
        row.update(why=item.why, source=item.source,
                   turns=[{"customer": line} for line in item.lines])
        rows.append(row)
    return yaml.safe_dump(rows, sort_keys=False, allow_unicode=True, width=100)
