"""The learned combiner's training: one example per customer turn (the accumulated evidence
after it), labelled by whether a person should have the conversation by then; fitted on
transcripts, thresholded on dev, written as a file the scorer can load."""

import json
from pathlib import Path

import pytest

from router import train
from router.eval.corpus import Labelled
from router.eval.through_bot import Replay
from router.scoring import ScorerSettings
from router.scoring.combiner import LearnedModel, load_learned_model
from router.scoring.conversation import BotTurn, UserTurn
from router.transcript import BOT, CUSTOMER, Line

NAMES = train.NAMES


def test_turns_before_the_handoff_point_are_negative_after_positive() -> None:
    item = Labelled("x", True, 2, ("where is it", "THIS IS USELESS"))
    turns = [UserTurn("where is it", "order_status"), BotTurn("utter_a"),
             UserTurn("THIS IS USELESS", "complain", 0.9, -0.6)]
    (first, label1, asked1), (second, label2, asked2) = train.turn_examples(
        turns, item, ScorerSettings())
    assert (label1, label2) == (0, 1)
    assert len(first) == len(NAMES)
    assert second[NAMES.index("frustration_phrase")] == 1.0
    assert not asked1 and not asked2


def test_a_conversation_that_should_stay_with_the_bot_is_all_negative() -> None:
    item = Labelled("y", False, None, ("a person please",))
    [(_, label, asked)] = train.turn_examples([UserTurn("a person please", "request_human")],
                                              item, ScorerSettings())
    assert label == 0 and asked


def replay(name: str, angry: bool) -> Replay:
    lines = [Line(CUSTOMER, "where is my order", intent="order_status", confidence=0.9,
                  sentiment=0.0),
             Line(BOT, "What's the number?", response="utter_ask_order_id")]
    last = ("THIS IS USELESS, you idiots!!", "complain", -0.8) if angry else \
        ("thanks, it's 482913", "inform", 0.4)
    lines.append(Line(CUSTOMER, last[0], intent=last[1], confidence=0.9, sentiment=last[2]))
    return Replay(name, lines, [])


def test_fit_pick_a_threshold_and_write_a_file_the_scorer_loads(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    items = [Labelled(f"c{i}", i % 2 == 0, 2 if i % 2 == 0 else None, ("a", "b"))
             for i in range(12)]
    replays = {item.name: replay(item.name, item.should_hand_off) for item in items}
    for split in ("train", "dev"):
        (tmp_path / f"{split}.jsonl").write_text(
            "".join(r.as_json() + "\n" for r in replays.values()))
    monkeypatch.setattr(train, "load_split", lambda split: items)
    target = tmp_path / "model.json"
    monkeypatch.setattr(train, "LEARNED_MODEL_PATH", target)
    assert train.main(["--replays", str(tmp_path), "--write"]) == 0
    written = json.loads(target.read_text())
    assert written["dev"]["learned"]["recall"] == 1.0
    assert written["dev"]["learned"]["precision"] == 1.0
    model = load_learned_model(target)
    assert isinstance(model, LearnedModel) and 0 < model.handoff_threshold < 1
    assert model.coefficients["frustration_phrase"] > 0


def test_missing_transcripts_say_which_command_makes_them(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    assert train.main(["--replays", str(tmp_path)]) == 2
    assert "python -m router.eval bot --split train" in capsys.readouterr().err


def test_a_model_fitted_on_other_signals_is_refused(tmp_path: Path) -> None:
    stale = tmp_path / "old.json"
    stale.write_text(json.dumps({"format": 1, "intercept": 0.0, "handoff_threshold": 0.5,
                                 "coefficients": {"moon_phase": 1.0}}))
    assert load_learned_model(stale) is None
    assert load_learned_model(tmp_path / "missing.json") is None
