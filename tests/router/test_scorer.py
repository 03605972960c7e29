"""The combined assessment: a state that builds up and fades, the score, its reasons, and the
decision to hand off."""

from typing import List

import pytest

from router.scoring import BotTurn, FrustrationState, ScorerSettings, UserTurn, assess, assess_all
from router.scoring.combiner import LearnedModel, hand_set, noisy_or
from router.scoring.conversation import Turn
from router.scoring.scorer import (
    ACCEPTED_OFFER,
    ASKED_FOR_A_PERSON,
    ONLY_A_PERSON,
    STILL_ON_IT,
    as_state,
)


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
    assert set(result.contributions) >= {"repeated_request", "frustration_phrase", "shouting"}
    assert result.reasons[0].startswith("says the bot is not helping")
    assert result.handoff_reason and "reached" in result.handoff_reason


def stuck_politely(times: int) -> List[Turn]:
    """The customer restates one need; the bot keeps giving the same unhelpful reply."""
    talk: List[Turn] = []
    for _ in range(times):
        talk += [UserTurn("can you ship it to Canada please", "shipping_costs", 0.6, 0.3),
                 BotTurn("utter_shipping_costs")]
    return talk[:-1]


def test_a_stuck_conversation_builds_up_turn_by_turn() -> None:
    scores = [a.score for a in assess_all(stuck_politely(4))]
    assert scores == sorted(scores) and scores[-1] > scores[1] > scores[0]
    assert assess(stuck_politely(4)).handoff


def test_progress_makes_evidence_fade() -> None:
    stuck = stuck_politely(2)
    moved_on = stuck + [BotTurn("utter_shipping_costs"),
                        UserTurn("is the tent in stock?", "product_availability", 0.95, 0.0)]
    kept = stuck + [BotTurn("utter_shipping_costs"), UserTurn("hm", "inform", 0.9, 0.0)]
    faded, waiting = assess(moved_on), assess(kept)
    assert faded.state.progress == "the customer moved on to something new"
    assert faded.score < assess(stuck).score < waiting.score


def test_thanks_after_a_task_done_is_progress_but_not_after_a_failure() -> None:
    done = [UserTurn("cancel 730155", "cancel_order", 0.9), BotTurn("utter_cancel_done"),
            UserTurn("great, thanks", "thanks", 0.9, 0.6)]
    failed = [UserTurn("cancel 730155", "cancel_order", 0.9), BotTurn("utter_default"),
              UserTurn("great, thanks", "thanks", 0.9, 0.6)]
    assert assess(done).state.progress is not None
    assert assess(failed).state.progress is None
    assert "sarcasm" in assess(failed).contributions


def test_the_incremental_state_gives_the_same_result_as_rebuilding() -> None:
    talk = stuck_politely(3) + [BotTurn("utter_shipping_costs"),
                                UserTurn("THIS IS USELESS", "complain", 0.9, -0.6)]
    rebuilt = assess(talk)
    before = assess(talk[:-2])
    stored = as_state(before.as_dict())
    assert stored == before.state
    assert assess(talk, previous=stored) == rebuilt


def test_a_state_from_another_turn_is_not_used() -> None:
    talk = stuck_politely(3)
    stale = FrustrationState(turn=7, evidence={"insult": 1.0})
    assert assess(talk, previous=stale) == assess(talk)


def test_a_damaged_stored_state_is_ignored() -> None:
    assert as_state({"state": {"turn": "x"}}) is None
    assert as_state("nonsense") is None
    assert FrustrationState.from_dict({"turn": 1, "evidence": {"no_such": 1}, "reasons": {}}
                                      ) == FrustrationState(1, {}, {}, None)


def test_asking_for_a_person_hands_off_at_once() -> None:
    result = assess([UserTurn("can I talk to a human", "request_human", 0.95, 0.0)])
    assert result.handoff and result.handoff_reason == ASKED_FOR_A_PERSON


def test_yes_to_the_offer_of_a_person_is_kept() -> None:
    talk = [UserTurn("are you a bot", "bot_challenge", 0.9), BotTurn("utter_bot_challenge"),
            UserTurn("yes please", "affirm", 0.9, 0.3)]
    assert assess(talk).handoff_reason == ACCEPTED_OFFER
    elsewhere = [UserTurn("cancel 730155", "cancel_order"), BotTurn("utter_ask_cancel_confirmed"),
                 UserTurn("yes please", "affirm", 0.9, 0.3)]
    assert not assess(elsewhere).handoff


def test_going_on_about_a_problem_the_bot_cannot_solve_brings_the_person_offered() -> None:
    # Less than sure it is a damaged item, the bot offered a person instead of bringing one.
    offer = [UserTurn("my stove came broken", "item_damaged", 0.7, -0.4),
             BotTurn("utter_item_damaged")]
    still = offer + [UserTurn("it's cracked, can't you just send a new one", "wrong_item", 0.6,
                              -0.3)]
    declined = offer + [UserTurn("no thanks, I'll sort it later", "deny", 0.9)]
    new_topic = offer + [UserTurn("how long does express take", "shipping_times", 0.95)]
    assert assess(still).handoff_reason == STILL_ON_IT
    assert not assess(declined).handoff
    assert not assess(new_topic).handoff
    shrugged = offer + [UserTurn("yeah figured, fair enough", "nlu_fallback", 0.45, 0.3)]
    assert not assess(shrugged).handoff


def test_a_clearly_told_problem_only_a_person_can_solve_hands_off_at_once() -> None:
    clear = [UserTurn("the parcel says delivered but it's not here", "parcel_not_received",
                      0.97, -0.2)]
    unsure = [UserTurn("the parcel says delivered", "parcel_not_received", 0.6, 0.0)]
    assert assess(clear).handoff_reason == f"{ONLY_A_PERSON} (parcel_not_received)"
    assert not assess(unsure).handoff


def test_one_clear_cue_concerns_but_does_not_hand_off() -> None:
    talk = [UserTurn("cancel order 730155", "cancel_order", 0.9, 0.0), BotTurn("utter_x"),
            UserTurn("no, I said 117450", "inform", 0.9, -0.3)]
    result = assess(talk)
    assert result.concerned and not result.handoff


def test_shadow_mode_is_a_setting_the_scorer_still_reports_handoffs_in() -> None:
    # The policy, not the scorer, holds back in shadow mode: the assessment says what it
    # would do, so an admin can watch a change's effect.
    talk = [UserTurn("can I talk to a human", "request_human", 0.95, 0.0)]
    assert assess(talk, ScorerSettings(shadow_mode=True)).handoff


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
    assert noisy_or({}) == 0.0
    assert noisy_or({"a": 1.0, "b": 0.5}) == 1.0
    assert 0.3 < noisy_or({"a": 0.3, "b": 0.3}) < 0.6
    assert hand_set({"insult": 1.0}, ScorerSettings())[1] == {"insult": 0.45}


def learned(threshold: float = 0.5) -> LearnedModel:
    from router.scoring.signals import SIGNALS

    coefficients = {name: 0.0 for name in SIGNALS}
    coefficients.update(insult=3.0, complaint=1.0)
    return LearnedModel(-2.0, coefficients, "test", threshold)


def test_the_learned_combiner_explains_in_log_odds_and_uses_its_threshold() -> None:
    talk = [UserTurn("this is stupid", "complain", 0.9, 0.0)]
    settings = ScorerSettings(combiner="learned")
    result = assess(talk, settings, learned=learned())
    assert result.combiner == "learned test"
    assert result.contributions == {"insult": 3.0, "complaint": 1.0}
    assert result.score == pytest.approx(1 / (1 + 2.718281828 ** -2.0), abs=1e-3)
    assert result.handoff
    assert not assess(talk, settings, learned=learned(0.95)).handoff


def test_without_a_learned_model_the_hand_set_weights_decide() -> None:
    talk = [UserTurn("this is stupid", "complain", 0.9, 0.0)]
    assert assess(talk, ScorerSettings(combiner="learned")).combiner == "hand_set"


def test_no_user_turn_yet() -> None:
    assert assess([BotTurn("utter_greet")]).score == 0.0


def test_a_long_conversation_can_still_make_progress() -> None:
    talk: List[Turn] = []
    for topic in ["shipping_costs", "return_policy", "store_hours", "contact",
                  "payment_methods", "shipping_times"] * 2:
        talk += [UserTurn("a question", topic, 0.95), BotTurn("utter_" + topic)]
    talk += [UserTurn("and is the tent in stock?", "product_availability", 0.95)]
    result = assess(talk)  # 13 turns: the length counts from 12
    assert result.state.progress == "the customer moved on to something new"
