"""The scripted-conversation evaluation: loading, first handoff turn, and the figures."""

from pathlib import Path

import pytest

from router.eval.__main__ import main
from router.eval.scripted import ScriptError, evaluate, first_handoff, load
from router.scoring import ScorerSettings

SCRIPTS = """
- name: asks for a person on the second turn
  should_hand_off: true
  hand_off_at: 2
  turns:
    - customer: where is my order
      intent: order_status
      confidence: 0.9
    - bot: utter_ask_order_id
      text: What's the order number?
    - customer: just put me through to a human
      intent: request_human
      confidence: 0.95
- name: a calm question
  should_hand_off: false
  turns:
    - customer: how much is shipping?
      intent: shipping_costs
      confidence: 0.9
    - bot: utter_shipping_costs
    - customer: thanks!
      intent: thanks
      confidence: 0.9
"""


@pytest.fixture
def scripts_file(tmp_path: Path) -> Path:
    path = tmp_path / "few.yml"
    path.write_text(SCRIPTS)
    return path


def test_scripts_load_with_sentiment(scripts_file: Path) -> None:
    handoff, calm = load([scripts_file])
    assert handoff.should_hand_off and handoff.hand_off_at == 2
    assert len(calm.turns) == 3
    assert calm.turns[2].sentiment > 0  # type: ignore[union-attr]


def test_the_first_handoff_turn_and_figures(scripts_file: Path) -> None:
    scripts = load([scripts_file])
    settings = ScorerSettings()
    assert first_handoff(scripts[0].turns, settings) == 2
    assert first_handoff(scripts[1].turns, settings) is None
    report = evaluate(scripts, settings)
    assert (report["precision"], report["recall"], report["on_time"]) == (1.0, 1.0, 1)


def test_a_handoff_script_without_its_turn_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("- name: x\n  should_hand_off: true\n  turns:\n    - customer: hi\n")
    with pytest.raises(ScriptError, match="bad.yml: x: should_hand_off needs hand_off_at"):
        load([path])


def test_a_turn_without_a_speaker_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture
                                             ) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("- name: y\n  should_hand_off: false\n  turns:\n    - robot: hi\n")
    assert main(["scripted", str(path)]) == 2
    assert "needs `customer` or `bot`" in capsys.readouterr().err


def test_the_command_reports(scripts_file: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["scripted", str(scripts_file)]) == 0
    assert "handoff precision 1.0, recall 1.0" in capsys.readouterr().out


def test_the_repository_has_enough_scripted_conversations() -> None:
    scripts = load(sorted((Path(__file__).resolve().parents[2] / "router" / "conversations")
                          .glob("*.yml")))
    assert len(scripts) >= 40
    assert sum(s.should_hand_off for s in scripts) >= 20
    assert sum(not s.should_hand_off for s in scripts) >= 15
