"""Every frustration signal, alone: when it fires, how strongly, and when it stays quiet."""

from typing import List

import numpy as np
import pytest

from router.scoring import meaning
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
    assert strength("repeated_request", once + [user("thanks", "thanks")]) == 0.0
    assert strength("repeated_request", twice) == 1.0


def test_answers_are_not_repeated_requests() -> None:
    yes_yes = [user("yes", "affirm"), bot(), user("yes", "affirm")]
    assert strength("repeated_request", yes_yes) == 0.0


def test_a_request_long_ago_is_not_a_repeat() -> None:
    talk: List[Turn] = [user("where is my order", "order_status"), bot()]
    for topic in ("shipping_costs", "return_policy", "store_hours", "contact"):
        talk += [user("x", topic), bot()]
    talk += [user("and my order?", "order_status")]
    assert strength("repeated_request", talk) == 0.0


def said(text: str, vector: List[float], intent: str = "order_status") -> UserTurn:
    return UserTurn(text, intent, 0.9, 0.0, meaning=meaning.encode(np.array(vector)))


def test_saying_the_same_thing_in_other_words_whatever_the_intent() -> None:
    talk = [said("my stove is missing from the box", [1.0, 0.1, 0.0], "change_address"), bot(),
            said("the box came without the stove", [0.95, 0.2, 0.05], "order_status")]
    assert strength("rephrased", talk) == 1.0
    other = talk[:2] + [said("how much is express shipping", [0.0, 0.1, 1.0])]
    assert strength("rephrased", other) == 0.0


def test_short_answers_are_not_compared_by_meaning() -> None:
    talk = [said("yes please", [1.0, 0.0], "affirm"), bot(), said("yes please", [1.0, 0.0])]
    assert strength("rephrased", talk) == 0.0


def test_lines_without_a_known_meaning_are_not_compared() -> None:
    talk = [user("where is my parcel today", "order_status"), bot(),
            user("where is my parcel today", "order_status")]
    assert strength("rephrased", talk) == 0.0


def test_not_understood_and_low_confidence_turns() -> None:
    assert strength("not_understood", [user("asdf", "nlu_fallback")]) == 1.0
    assert strength("not_understood", [user("blah", "greet", confidence=0.2)]) == 1.0
    assert strength("not_understood", [user("where is my order", "order_status")]) == 0.0


def test_the_bot_repeating_a_recent_reply() -> None:
    loop = [user(), bot("utter_ask_order_id", "What's the number?"), user("x"),
            bot("utter_greet"), user("z"), bot("utter_ask_order_id", "What's the number?"),
            user("y")]
    varied = [user(), bot("utter_greet"), user("x"), bot("utter_ask_order_id"), user("y")]
    assert strength("bot_repeated", loop) == 1.0
    assert strength("bot_repeated", varied) == 0.0


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


@pytest.mark.parametrize("text", ["this is stupid", "you idiots", "worst service ever"])
def test_insults_aimed_at_the_shop_or_the_bot(text: str) -> None:
    assert strength("insult", [user(text)]) == 1.0


@pytest.mark.parametrize("text", ["what the fuck", "damn it, still nothing"])
def test_swearing_alone_counts_half(text: str) -> None:
    assert strength("insult", [user(text)]) == 0.5


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
    assert 0 < strength("long_conversation", talk(14)) < 1
    assert strength("long_conversation", talk(40)) == 1.0


def test_the_bot_admitting_it_could_not_help() -> None:
    talk = [user("where is it", "order_status"), bot("utter_ask_order_id"), user("12", "inform"),
            bot("utter_order_id_malformed"), user("34", "inform")]
    assert strength("bot_failed", talk) == 1.0
    fine = [user("hi"), bot("utter_greet"), user("where", "order_status"),
            bot("utter_order_status_shipped"), user("ok")]
    assert strength("bot_failed", fine) == 0.0


def test_the_same_response_with_other_values_is_still_a_repeat() -> None:
    loop = [user(), bot("utter_tracking_in_transit", "order 111111 is in Reno"), user("x"),
            bot("utter_tracking_in_transit", "order 111111 is in Elko"), user("y")]
    assert strength("bot_repeated", loop) == 1.0


def test_unnamed_replies_are_compared_by_their_words() -> None:
    loop = [user(), bot("bot", "Which city?"), user("x"), bot("bot", "which city? "), user("y")]
    assert strength("bot_repeated", loop) == 1.0


@pytest.mark.parametrize("text", [
    "I'm filing a chargeback", "I'll dispute it with my bank", "leaving a 1-star review",
    "never ordering from you again", "I'll shop somewhere else", "close my account",
])
def test_threats_to_leave(text: str) -> None:
    assert strength("threat_to_leave", [user(text)]) == 1.0


@pytest.mark.parametrize("text", ["my bank declined the card", "cancel my membership"])
def test_ordinary_requests_are_not_threats(text: str) -> None:
    assert strength("threat_to_leave", [user(text)]) == 0.0


def test_praise_right_after_a_failure_is_sarcasm() -> None:
    failed = [user("my stove never came", "nlu_fallback", 0.3), bot("utter_default")]
    sarcastic = failed + [user("wonderful, so helpful, thanks a lot for nothing", "thanks")]
    sincere = [user("where is 482913", "order_status"), bot("utter_order_status_shipped"),
               user("wonderful, thanks a lot", "thanks", sentiment=0.8)]
    assert strength("sarcasm", sarcastic) == 1.0
    assert strength("sarcasm", sincere) == 0.0


def test_delighted_profanity_is_not_an_insult() -> None:
    assert strength("insult", [user("holy shit that was fast", sentiment=0.6)]) == 0.0
    assert strength("insult", [user("this shit is broken", sentiment=-0.7)]) == 1.0


def test_dropping_a_task_after_the_bot_failed_is_giving_up() -> None:
    failed = [user("where is 12", "order_status"), bot("utter_order_id_malformed"),
              user("ok forget it, I'll call my bank", "nevermind")]
    changed_mind = [user("change the address of 730155", "change_address"),
                    bot("utter_ask_new_address"),
                    user("hmm actually forget it, I'll be home anyway", "nevermind")]
    assert strength("gave_up", failed) == 1.0
    assert strength("gave_up", changed_mind) == 0.0
    assert strength("correction", changed_mind) == 0.0  # their own mind, not the bot's error
    assert strength("frustration_phrase", changed_mind) == 0.0


def test_a_task_resumed_after_a_side_question_is_not_a_repeat() -> None:
    talk = [user("cancel my order", "cancel_order"), bot("utter_ask_order_id"),
            user("which payment methods?", "payment_methods"), bot("utter_payment_methods"),
            bot("utter_ask_order_id"), user("never mind", "nevermind")]
    assert strength("bot_repeated", talk) == 0.0
    assert strength("gave_up", talk) == 0.0


def test_delighted_swearing_that_vader_reads_as_negative_is_not_an_insult() -> None:
    answered = [user("where is 482913", "track_package"), bot("utter_tracking_in_transit"),
                user("holy shit that was fast, thanks", "thanks", sentiment=-0.4)]
    failed = [user("where is 482913", "track_package"), bot("utter_default"),
              user("holy shit, thanks for nothing", "thanks", sentiment=-0.4)]
    assert strength("insult", answered) == 0.0
    assert strength("insult", failed) == 0.5
