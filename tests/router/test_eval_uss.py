"""The USS evaluation command: parsing, majority ratings, figures and bad files."""

import json
from pathlib import Path

import pytest

from router.eval.__main__ import Tally, main
from router.eval.uss import (
    UssFormatError,
    dialogues,
    dissatisfied,
    intent_for,
    majority_rating,
)

SAMPLE = (
    "USER\tI need a hotel in the north.\tINFORM\t3,3,3\n"
    "SYSTEM\tThere are 3 hotels. Any price range?\tREQUEST\t\n"
    "USER\tNo, I said the NORTH, this is useless!!\tINFORM\t1,2,2\n"
    "SYSTEM\tSorry. The Acorn is in the north.\tOFFER\t\n"
    "USER\tThanks, that's all.\tTHANK_YOU\t4,4,5\n"
    "USER\tOVERALL\t\t2,3,2\n"
    "\n"
)


def test_majority_rating_breaks_ties_downwards() -> None:
    assert majority_rating((3, 2, 3)) == 3
    assert majority_rating((2, 4)) == 2
    assert dissatisfied((1, 2, 2))


def test_overall_lines_are_not_turns(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text(SAMPLE)
    [dialogue] = list(dialogues(path))
    assert [line.role for line in dialogue] == ["USER", "SYSTEM", "USER", "SYSTEM", "USER"]


def test_domain_prefixed_acts_map_to_intents() -> None:
    assert intent_for("hotel-inform") == "inform"
    assert intent_for("negate") == "deny"
    assert intent_for("request_alts") is None  # asking for a detail is not one of our intents


def test_json_report_has_the_documented_shape(tmp_path: Path, capsys: pytest.CaptureFixture
                                             ) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text(SAMPLE)
    assert main(["uss", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    figures = report["files"]["tiny"]
    assert figures["turns"] == 3
    for who in ("router", "baseline"):
        assert set(figures[who]) == {"precision", "recall", "f1", "flag_rate"}
    assert figures["router"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0,
                                 "flag_rate": round(1 / 3, 4)}
    assert report["overall"]["turns"] == 3


def test_a_file_in_another_format_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture
                                            ) -> None:
    path = tmp_path / "notuss.csv"
    path.write_text("text,category\nhello,greet\n")
    assert main(["uss", str(path)]) == 2
    assert "notuss.csv:1" in capsys.readouterr().err


def test_a_missing_file_is_named(capsys: pytest.CaptureFixture) -> None:
    assert main(["uss", "/nowhere/SGD.txt"]) == 2
    assert "/nowhere/SGD.txt" in capsys.readouterr().err


def test_a_user_line_without_ratings_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("USER\thello\tGREET\n")
    with pytest.raises(UssFormatError, match="needs ratings"):
        list(dialogues(path))


def test_figures() -> None:
    tally = Tally()
    for flagged, unhappy in [(True, True), (True, False), (False, True), (False, False)]:
        tally.add(flagged, unhappy)
    assert tally.figures() == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "flag_rate": 0.5}


def test_the_bot_evaluation_without_a_trained_model_says_how_to_make_one(
        capsys: pytest.CaptureFixture) -> None:
    assert main(["bot", "--split", "dev", "--model", "/nowhere/model.tar.gz"]) == 2
    assert "run `make model` first" in capsys.readouterr().err


def test_the_nlu_evaluation_without_a_trained_model_says_how_to_make_one(
        capsys: pytest.CaptureFixture) -> None:
    from router.eval.nlu_heldout import main as nlu_main

    assert nlu_main(["--model", "/nowhere/model.tar.gz"]) == 2
    assert "run `make model` first" in capsys.readouterr().err


def test_the_held_out_lines_are_read_without_their_annotations() -> None:
    from router.eval.nlu_heldout import read_heldout

    pairs = read_heldout()
    assert len(pairs) >= 300
    assert not any("](" in text for text, _ in pairs)
    assert len({intent for _, intent in pairs}) == 34
