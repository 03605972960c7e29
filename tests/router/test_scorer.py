"""The combined assessment: score, contributions, reasons and the decision."""

from router.scoring import BotTurn, ScorerSettings, UserTurn, assess
from router.scoring.scorer import combine


def test_a_calm_customer_scores_zero() -> None:
    talk = [UserTurn("hi", "greet", 0.95, 0.0), BotTurn("utter_greet"),
            UserTurn("where is order 482913", "order_status", 0.9, 0.0)]
    result = assess(talk)
    assert (result.score, result.concerned, result.handoff) == (0.0, False, False)
    assert result.reasons == []


def test_an_angry_repeat_hands_off_and_says_why() -> None:
    talk = [UserTurn("where is my order", "order_status", 0.9, 0.0),
            BotTurn("action_answer_order_question"),
            UserTurn("I ALREADY TOLD YOU, WHERE IS MY ORDER?!", "order_status", 0.9, -0.6)]
    result = assess(talk)
    assert result.handoff and result.concerned
    assert result.score >= ScorerSettings().handoff_threshold
    assert set(result.contributions) >= {"repeated_intent", "frustration_phrase", "shouting"}
    assert result.reasons[0].startswith("says the bot is not helping")
    assert result.handoff_reason and "reached" in result.handoff_reason


def test_asking_for_a_person_hands_off_at_once() -> None:
    result = assess([UserTurn("can I talk to a human", "request_human", 0.95, 0.0)])
    assert result.handoff and result.handoff_reason == "customer asked for a person"


def test_one_clear_cue_concerns_but_does_not_hand_off() -> None:
    talk = [UserTurn("cancel order 730155", "cancel_order", 0.9, 0.0), BotTurn("utter_x"),
            UserTurn("no, I said 117450", "inform", 0.9, -0.3)]
    result = assess(talk)
    assert result.concerned and not result.handoff


def test_thresholds_come_from_the_settings() -> None:
    talk = [UserTurn("hi", "greet"), BotTurn("utter_greet"),
            UserTurn("this is useless", "complain", 0.9, -0.4)]
    strict = ScorerSettings(concern_threshold=0.1, handoff_threshold=0.2)
    lenient = ScorerSettings(concern_threshold=0.95, handoff_threshold=0.99)
    assert assess(talk, strict).handoff
    assert not assess(talk, lenient).handoff and not assess(talk, lenient).concerned


def test_a_signal_with_zero_weight_contributes_nothing() -> None:
    talk = [UserTurn("this is stupid", "complain", 0.9, -0.5)]
    muted = ScorerSettings(weights={"insult": 0.0})
    assert assess(talk, muted).contributions.get("insult", 0.0) == 0.0
    assert assess(talk).contributions["insult"] > 0


def test_noisy_or_stays_in_range_and_grows() -> None:
    assert combine([]) == 0.0
    assert combine([1.0, 0.5]) == 1.0
    assert combine([0.3, 0.3]) > 0.3
    assert combine([0.3, 0.3]) < 0.6


def test_no_user_turn_yet() -> None:
    assert assess([BotTurn("utter_greet")]).score == 0.0
