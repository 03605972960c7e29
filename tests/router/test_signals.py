"""Every frustration signal, alone: when it fires, how strongly, and when it stays quiet."""

from typing import List

import pytest

from router.scoring.conversation import BotTurn, Turn, UserTurn
from router.scoring.settings import ScorerSettings
from router.scoring.signals import SIGNALS, sentiment_ema

S = ScorerSettings()


def user(text: str = "hello", intent: str = "greet", confidence: float = 0.9,
         sentiment: float = 0.0) -> UserTurn:
    return UserTurn(text, intent, confidence, sentiment)


def bot(action: str = "utter_greet", text: str = "Hi!") -> BotTurn:
    return BotTurn(action, text)


def strength(name: str, conversation: List[Turn]) -> float:
    return SIGNALS[name](conversation, S).strength


def test_sentiment_follows_negative_wording_only() -> None:
    assert strength("sentiment", [user(sentiment=-0.8)]) == pytest.approx(0.8)
    assert strength("sentiment", [user(sentiment=0.6)]) == 0.0
    assert strength("sentiment", [user(sentiment=-0.02)]) == 0.0


def test_sentiment_drop_compares_with_the_moving_average() -> None:
    steady = [user(sentiment=-0.5), bot(), user(sentiment=-0.5)]
    dropping = [user(sentiment=0.5), bot(), user(sentiment=0.5), bot(), user(sentiment=-0.3)]
    assert strength("sentiment_drop", steady) == 0.0
    assert strength("sentiment_drop", dropping) == pytest.approx(1.0)
    assert sentiment_ema([1.0, 0.0], 0.5) == 0.5


def test_asking_the_same_thing_again_after_an_answer() -> None:
    once = [user("where is my order", "order_status"), bot("action_answer_order_question")]
    twice = once + [user("where is my order??", "order_status")]
    thrice = twice + [bot("action_answer_order_question"), user("WHERE IS IT", "order_status")]
    assert strength("repeated_intent", once + [user("thanks", "thanks")]) == 0.0
    assert strength("repeated_intent", twice) == pytest.approx(0.5)
    assert strength("repeated_intent", thrice) == 1.0


def test_answers_are_not_repeated_requests() -> None:
    yes_yes = [user("yes", "affirm"), bot(), user("yes", "affirm")]
    assert strength("repeated_intent", yes_yes) == 0.0


def test_a_new_topic_resets_the_repeat_count() -> None:
    talk = [user("where is my order", "order_status"), bot(),
            user("how much is shipping", "shipping_costs"), bot(),
            user("and my order?", "order_status")]
    assert strength("repeated_intent", talk) == 0.0


def test_fallbacks_in_a_row_and_low_confidence_turns() -> None:
    talk = [user("asdf", "nlu_fallback"), bot("utter_default"),
            user("blah", "greet", confidence=0.2)]
    assert strength("fallbacks", talk) == pytest.approx(2 / 3)
    recovered = talk + [bot("utter_default"), user("where is my order", "order_status")]
    assert strength("fallbacks", recovered) == 0.0


def test_scattered_fallbacks_add_up_at_half_the_rate() -> None:
    talk: List[Turn] = []
    for _ in range(4):
        talk += [user("asdf", "nlu_fallback"), bot("utter_default"),
                 user("where is my order", "order_status"), bot("utter_ask_order_id")]
    talk += [user("qwer", "nlu_fallback")]
    assert strength("fallbacks", talk) == pytest.approx(5 / 6)  # 5 in total, 1 in a row


def test_the_bot_repeating_itself_is_a_loop() -> None:
    loop = [user(), bot("utter_ask_order_id", "What's the number?"), user("x"),
            bot("utter_ask_order_id", "What's the number?"), user("y")]
    varied = [user(), bot("utter_greet"), user("x"), bot("utter_ask_order_id"), user("y")]
    assert strength("bot_loop", loop) == 1.0
    assert strength("bot_loop", varied) == 0.0


def test_complaints_count() -> None:
    assert strength("complaint", [user("my parcel is late again", "complain")]) == 1.0
    assert strength("complaint", [user("where is it", "order_status")]) == 0.0


def test_shouting_needs_enough_capital_letters() -> None:
    assert strength("shouting", [user("WHERE IS MY ORDER")]) == 1.0
    assert strength("shouting", [user("OK")]) == 0.0  # too short to be shouting
    assert strength("shouting", [user("I ordered from UPS")]) == 0.0


def test_repeated_punctuation() -> None:
    assert strength("punctuation", [user("where is it?!?")]) == 1.0
    assert strength("punctuation", [user("where is it?")]) == 0.0


@pytest.mark.parametrize("text", ["this is stupid", "what the fuck", "worst service ever"])
def test_insults_and_profanity(text: str) -> None:
    assert strength("insult", [user(text)]) == 1.0


@pytest.mark.parametrize("text", [
    "this is useless", "you don't understand", "I already told you", "that's not what I asked",
    "how many times do I have to say it",
])
def test_phrases_that_say_the_bot_is_not_helping(text: str) -> None:
    assert strength("frustration_phrase", [user(text)]) == 1.0


def test_understanding_words_alone_are_not_frustration() -> None:
    assert strength("frustration_phrase", [user("I don't understand the return form")]) == 0.0


@pytest.mark.parametrize(
    "text", ["no", "No, I said 730155", "wrong order", "I wanted the blue one instead"])
def test_contradicting_the_bot(text: str) -> None:
    assert strength("correction", [user("hi"), bot(), user(text)]) == 1.0


@pytest.mark.parametrize("text", ["no thanks, that's all", "No, not right now", "nope, bye"])
def test_a_polite_no_is_not_a_correction(text: str) -> None:
    assert strength("correction", [user("hi"), bot(), user(text)]) == 0.0


def test_a_no_before_the_bot_said_anything_is_not_a_correction() -> None:
    assert strength("correction", [user("no")]) == 0.0


def test_length_counts_only_after_many_turns() -> None:
    def talk(n: int) -> List[Turn]:
        turns: List[Turn] = []
        for _ in range(n):
            turns += [user("x", "order_status"), bot()]
        return turns[:-1]
    assert strength("long_conversation", talk(10)) == 0.0
    assert 0 < strength("long_conversation", talk(16)) < 1
    assert strength("long_conversation", talk(40)) == 1.0


def test_the_bot_admitting_failure_counts_within_its_recent_replies() -> None:
    talk = [user("where is it", "order_status"), bot("utter_ask_order_id"), user("12", "inform"),
            bot("utter_order_id_malformed"), user("34", "inform")]
    assert strength("bot_failures", talk) == pytest.approx(0.5)
    worse = talk + [bot("utter_order_id_unknown"), user("56", "inform")]
    assert strength("bot_failures", worse) == 1.0
    fine = [user("hi"), bot("utter_greet"), user("where", "order_status"),
            bot("utter_order_status_shipped"), user("ok")]
    assert strength("bot_failures", fine) == 0.0


def test_a_clear_new_question_leaves_earlier_failures_behind() -> None:
    talk = [user("", "nlu_fallback", 1.0), bot("utter_default"), user("😀", "nlu_fallback", 1.0),
            bot("utter_default"), user("how much is shipping?", "shipping_costs", 0.9)]
    assert strength("bot_failures", talk) == 0.0
    assert strength("bot_loop", talk) == 0.0  # a repeated "didn't catch that" is not a loop


def test_the_same_response_with_other_values_is_still_a_loop() -> None:
    loop = [user(), bot("utter_tracking_in_transit", "order 111111 is in Reno"), user("x"),
            bot("utter_tracking_in_transit", "order 111111 is in Elko"), user("y")]
    assert strength("bot_loop", loop) == 1.0
