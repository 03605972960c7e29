"""The evaluation corpus: the frozen test split, the format, and the split itself."""

from pathlib import Path

import pytest

from router.eval.corpus import (
    CORPUS_DIR,
    SPLITS,
    CorpusError,
    Labelled,
    fingerprint,
    load_file,
    load_split,
    split,
)


def test_the_test_split_is_frozen() -> None:
    frozen = (CORPUS_DIR / "test.sha256").read_text().strip()
    assert fingerprint(load_split("test")) == frozen, (
        "evaluation/conversations/test.yml changed: the test split is frozen; put new "
        "conversations in train or dev")


def test_the_splits_do_not_share_a_conversation_and_are_big_enough() -> None:
    names = {name: {item.name for item in load_split(name)} for name in SPLITS}
    assert not names["train"] & names["test"] and not names["dev"] & names["test"]
    assert not names["train"] & names["dev"]
    everything = [item for name in SPLITS for item in load_split(name)]
    assert len(everything) >= 200
    assert sum(item.should_hand_off for item in everything) >= 100


def test_the_split_is_reproducible_and_stratified() -> None:
    items = [Labelled(f"c{i}", i % 3 == 0, 1 if i % 3 == 0 else None, ("x",), source="w")
             for i in range(60)]
    first, second = split(items), split(list(reversed(items)))
    assert first == second
    assert sum(i.should_hand_off for i in first["test"]) == 7  # 20 to hand off, 35% of them


def test_a_handoff_without_a_turn_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("- name: x\n  should_hand_off: true\n  turns:\n    - customer: hi\n")
    with pytest.raises(CorpusError, match="needs hand_off_at between 1 and 1"):
        load_file(bad)


def test_a_conversation_without_lines_says_what_it_needs(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("- name: x\n  should_hand_off: false\n")
    with pytest.raises(CorpusError, match="needs name, should_hand_off, turns"):
        load_file(bad)


def test_an_unknown_split_is_named() -> None:
    with pytest.raises(CorpusError, match="the splits are train, dev, test \\(and fresh\\)"):
        load_split("validation")
