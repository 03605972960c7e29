"""Odd input gets a sensible reply, never a crash or silence, on both channels."""

from typing import Any

import pytest

NOT_UNDERSTOOD = "I didn't catch that"
ENGLISH_ONLY = "I can only chat in English"
# Said both by the bot's offer and by the router's handoff, which may come first.
A_PERSON = "bring in a person"


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀"])
def test_unreadable_messages_get_an_honest_reply(customer: Any, text: str) -> None:
    reply = "\n".join(customer.say(text))
    assert NOT_UNDERSTOOD in reply
    assert "English" not in reply  # an empty line or an emoji says nothing about language


@pytest.mark.parametrize("text", ["我的订单在哪里", "где мой заказ",
                                  "wo ist meine Bestellung, bitte?"])
def test_another_language_hears_that_the_bot_chats_in_english(customer: Any, text: str) -> None:
    assert ENGLISH_ONLY in "\n".join(customer.say(text))


def test_a_second_miss_brings_up_a_person_instead_of_asking_again(customer: Any) -> None:
    customer.say("😀")
    reply = "\n".join(customer.say("👍👍"))
    assert A_PERSON in reply and NOT_UNDERSTOOD not in reply


def test_a_10000_character_message_is_answered(customer: Any) -> None:
    reply = customer.say("where is my order " + "please " * 1430)
    assert reply, "the bot went silent"


def test_markup_is_treated_as_text(customer: Any) -> None:
    reply = customer.say("<script>alert('x')</script> where is my order")
    assert reply
    assert all("<script>" not in line for line in reply)


def test_a_malformed_order_number_in_the_first_message(customer: Any) -> None:
    customer.say("where is order 4829")
    reply = "\n".join(customer.say("4829"))
    assert "doesn't look like one of our order numbers" in reply


def test_the_conversation_goes_on_after_bad_input(customer: Any) -> None:
    customer.say("")
    customer.say("😀")
    reply = "\n".join(customer.say("how much is shipping?"))
    assert "$4.95" in reply
