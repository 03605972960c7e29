"""Internal names as people say them, for the agents' console."""

from __future__ import annotations

import yaml

from router.handoff.view import conversation_view
from router.plain_words import (
    INTENTS,
    SIGNALS,
    channel_name,
    handoff_sentence,
    intent_phrase,
)
from router.scoring.scorer import ACCEPTED_OFFER, ASKED_FOR_A_PERSON, ONLY_A_PERSON
from router.scoring.settings import ScorerSettings
from stack.settings import PROJECT_ROOT


def test_every_intent_of_the_bot_has_a_plain_phrase() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    assert set(domain["intents"]) <= set(INTENTS)


def test_every_signal_has_a_plain_phrase() -> None:
    assert set(ScorerSettings().weights) <= set(SIGNALS)


def test_channels_as_people_say_them() -> None:
    assert channel_name("socketio") == "web chat"
    assert channel_name("rest") == "the shop's own system"
    assert channel_name("whatsapp_business") == "Whatsapp business"
    assert channel_name(None) == "unknown channel"
    assert intent_phrase("order_status") == "asked where an order is"
    assert intent_phrase("some_new_intent") == "some new intent"
    assert intent_phrase(None) is None


def test_the_handoff_reason_in_a_sentence() -> None:
    assert handoff_sentence(ASKED_FOR_A_PERSON, None) == "The customer asked for a person."
    assert handoff_sentence(f"{ONLY_A_PERSON} (item_damaged)", None) == \
        "Only a person can solve this: the customer received something damaged."
    assert "said yes" in handoff_sentence(ACCEPTED_OFFER, None)
    frustrated = handoff_sentence(
        "frustration 0.81 reached 0.60: the bot could not help; ...",
        {"contributions": {"bot_failed": 0.3, "repeated_request": 0.4, "shouting": 0.0,
                           "sentiment": 0.1, "punctuation": 0.05}})
    assert frustrated == ("The customer was getting frustrated: asking for the same thing "
                          "again, the bot failing to help, negative words.")
    assert "0.81" not in frustrated
    assert handoff_sentence("left a message", None) == "Left a message."


def test_the_story_numbers_the_customers_own_messages() -> None:
    packet = {"created_at": 10.0, "reason": ASKED_FOR_A_PERSON, "channel": "socketio",
              "transcript": [
                  {"from": "customer", "text": "where is my order", "intent": "order_status"},
                  {"from": "bot", "text": "Which order?"},
                  {"from": "customer", "text": "a person please", "intent": "request_human"}]}
    feed = [("5-0", {"from": "customer", "text": "hello?", "timestamp": 11.0})]
    view = conversation_view("c1", packet, "queue", {}, feed)
    customer = [line for line in view["transcript"] if line["from"] == "customer"]
    assert [line["message_number"] for line in customer] == [1, 2, 3]
    assert customer[0]["intent_phrase"] == "asked where an order is"
    assert view["channel_name"] == "web chat"
    assert view["reason_sentence"] == "The customer asked for a person."


def test_the_timeline_names_turns_by_the_customers_message_number() -> None:
    scored = {"score": 0.2, "contributions": {"sentiment": 0.2}, "reasons": ["negative"]}
    packet = {"created_at": 10.0, "reason": ASKED_FOR_A_PERSON, "channel": "rest",
              "transcript": [
                  {"from": "customer", "text": "hi", "sentiment": 0.1, "assessment": scored},
                  {"from": "bot", "text": "Hello!"},
                  {"from": "customer", "text": "ugh", "sentiment": -0.5, "assessment": scored}]}
    view = conversation_view("c1", packet, "queue", {}, [])
    assert [turn["message"] for turn in view["timeline"]] == [1, 2]
    assert [point["message"] for point in view["sentiment"]] == [1, 2]
