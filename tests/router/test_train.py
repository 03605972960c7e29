"""The learned combiner's training data: one example per customer turn, labelled by whether a
person should have the conversation by then."""

from router.eval.scripted import Script
from router.scoring import BotTurn, ScorerSettings, UserTurn
from router.train import NAMES, turn_examples


def test_turns_before_the_handoff_point_are_negative_after_positive() -> None:
    script = Script("x", True, 2, [UserTurn("where is it", "order_status"), BotTurn("utter_a"),
                                   UserTurn("THIS IS USELESS", "complain", 0.9, -0.6)], "t")
    (first, label1, asked1), (second, label2, asked2) = turn_examples(script, ScorerSettings())
    assert (label1, label2) == (0, 1)
    assert len(first) == len(NAMES)
    assert second[NAMES.index("frustration_phrase")] == 1.0
    assert not asked1 and not asked2


def test_a_conversation_that_should_stay_with_the_bot_is_all_negative() -> None:
    script = Script("y", False, None, [UserTurn("a person please", "request_human")], "t")
    [(_, label, asked)] = turn_examples(script, ScorerSettings())
    assert label == 0 and asked
