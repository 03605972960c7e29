"""Messages the English pipeline cannot read become nlu_fallback, whatever was predicted, and
the parse data says why."""

from pathlib import Path
from typing import Iterator

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import readability
from bot.unreadable_messages import UnreadableMessageGuard

TRAINING_EXAMPLES = ["where is my order", "refund status please", "wrong size delivered",
                     "track package"]


@pytest.fixture
def guard(tmp_path: Path) -> Iterator[UnreadableMessageGuard]:
    """A guard trained on a few examples, persisted and loaded the way Rasa does it."""
    storage = LocalModelStorage(tmp_path)
    resource = Resource("unreadable_message_guard")
    context = ExecutionContext(GraphSchema({}), "test")
    untrained = UnreadableMessageGuard.create({}, storage, resource, context)
    untrained.train(TrainingData([Message.build(text=text, intent="inform")
                                  for text in TRAINING_EXAMPLES]))
    yield UnreadableMessageGuard.load({}, storage, resource, context)


def classified(guard: UnreadableMessageGuard, text: str) -> Message:
    message = Message.build(text=text)
    message.set("intent", {"name": "affirm", "confidence": 0.44}, add_to_output=True)
    [result] = guard.process([message])
    return result


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty"), ("   ", "empty"), ("😀👍", "emoji"), ("?!", "emoji"),
    ("我的订单在哪里", "not_latin"), ("где мой заказ", "not_latin"),
    ("wo ist meine bestellung", "not_english"),
    ("dónde está mi pedido", "not_english"),
    ("je voudrais annuler ma commande", "not_english"),
    ("il mio ordine non è arrivato", "not_english"),
    ("ñ", "not_english"),
])
def test_unreadable_messages_are_not_understood_and_say_why(
        guard: UnreadableMessageGuard, text: str, reason: str) -> None:
    message = classified(guard, text)
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 1.0}
    assert message.get("unreadable") == reason
    assert message.as_dict_nlu()["unreadable"] == reason  # it reaches the parse data


@pytest.mark.parametrize("text", [
    "ok", "482913", "yes 👍", "gracias amigo",  # too short to tell the language
    "the parcel never came",  # common English words
    "wrong size delivered",  # words of the training examples
    "email jonas.weber@example.org please",  # an address is not a foreign word
    "hola where is my order",
])
def test_readable_messages_keep_their_intent(guard: UnreadableMessageGuard, text: str) -> None:
    message = classified(guard, text)
    assert message.get("intent")["name"] == "affirm"
    assert message.get("unreadable") is None


def test_the_words_of_the_training_examples_count_as_english(
        guard: UnreadableMessageGuard) -> None:
    assert "delivered" in guard.english_words and "the" in guard.english_words
    # Stop words that are everyday Spanish, French or Italian do not make a message English.
    assert "de" not in guard.english_words


def test_reasons_without_rasa() -> None:
    english = frozenset({"where", "is", "my", "order"})
    assert readability.unreadable_reason("where is my order", english) is None
    assert readability.unreadable_reason("a b c", english) == readability.NOT_ENGLISH
    assert readability.unreadable_reason("7", english) is None
    assert readability.words("Where's order #482913? mail me: a@b.com") == [
        "where", "s", "order", "mail", "me"]
