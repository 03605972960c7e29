"""Messages the English pipeline cannot read become nlu_fallback, whatever was predicted."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.unreadable_messages import UnreadableMessageGuard, is_readable


def classified(text: str) -> Message:
    message = Message.build(text=text)
    message.set("intent", {"name": "affirm", "confidence": 0.44}, add_to_output=True)
    [result] = UnreadableMessageGuard().process([message])
    return result


@pytest.mark.parametrize("text", ["", "   ", "😀👍", "我的订单在哪里", "где мой заказ", "?!"])
def test_unreadable_messages_are_not_understood(text: str) -> None:
    message = classified(text)
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 1.0}


@pytest.mark.parametrize("text", ["ok", "482913", "wo ist meine bestellung", "yes 👍"])
def test_readable_messages_keep_their_intent(text: str) -> None:
    assert classified(text).get("intent")["name"] == "affirm"


def test_readability() -> None:
    assert is_readable("a") and is_readable("7")
    assert not is_readable("")
    assert not is_readable("ñ")
