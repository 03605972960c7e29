"""Not understood and thanks: the reply depends on what the bot said before and on the
message itself; a reply that offers a person sets `person_offered` for the rules."""

from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import PERSON_OFFERS
from actions.fallback import ActionNotUnderstood, ActionReplyThanks
from actions.products import ActionHandleInform
from tests.factories import bot_said, domain, responses, said, slot_events, tracker


async def run(action: Any, t: Tracker) -> Tuple[List[Optional[str]], Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, domain())
    return responses(dispatcher), slot_events(events)


def fallback(text: str = "asdf qwer", earlier: Optional[List[Dict[str, Any]]] = None,
             unreadable: Optional[str] = None) -> Tracker:
    parse = {"unreadable": unreadable} if unreadable else {}
    return tracker(text, intent="nlu_fallback", earlier=earlier, parse=parse)


def thanks(text: str = "thanks", score: float = 0.4,
           earlier: Optional[List[Dict[str, Any]]] = None) -> Tracker:
    return tracker(text, intent="thanks", earlier=earlier, parse={"sentiment": {"score": score}})


async def test_a_first_miss_asks_to_rephrase_without_offering_a_person() -> None:
    said_now, slots = await run(ActionNotUnderstood(), fallback())
    assert said_now == ["utter_default"]
    assert slots == {"person_offered": False}


async def test_a_miss_after_an_answer_is_a_first_miss() -> None:
    earlier = [said("shipping?", "shipping_costs"), bot_said("utter_shipping_costs")]
    said_now, _ = await run(ActionNotUnderstood(), fallback(earlier=earlier))
    assert said_now == ["utter_default"]


@pytest.mark.parametrize("previous", ["utter_default", "utter_default_offer_person",
                                      "utter_not_english", "utter_default_repeat_offer"])
async def test_a_second_miss_in_a_row_offers_a_person(previous: str) -> None:
    earlier = [said("zzz", "nlu_fallback"), bot_said(previous)]
    said_now, slots = await run(ActionNotUnderstood(), fallback(earlier=earlier))
    assert said_now == ["utter_default_offer_person"]
    assert slots == {"person_offered": True}


@pytest.mark.parametrize("offer", ["utter_item_damaged", "utter_billing_problem",
                                   "utter_return_window_closed"])
async def test_a_miss_right_after_a_person_was_offered_for_a_problem_asks_again(
        offer: str) -> None:
    earlier = [said("my stove came broken", "item_damaged"), bot_said(offer)]
    said_now, slots = await run(ActionNotUnderstood(), fallback(earlier=earlier))
    assert said_now == ["utter_default_repeat_offer"]
    assert slots == {"person_offered": True}


@pytest.mark.parametrize("reason", ["not_latin", "not_english"])
async def test_another_language_is_told_the_bot_chats_in_english(reason: str) -> None:
    said_now, slots = await run(ActionNotUnderstood(),
                                fallback("wo ist meine bestellung", unreadable=reason))
    assert said_now == ["utter_not_english"]
    assert slots == {"person_offered": False}


async def test_another_language_after_a_plain_miss_still_hears_why() -> None:
    earlier = [said("??", "nlu_fallback"), bot_said("utter_default")]
    said_now, _ = await run(ActionNotUnderstood(),
                            fallback("где мой заказ", earlier, unreadable="not_latin"))
    assert said_now == ["utter_not_english"]


async def test_another_language_twice_offers_a_person_rather_than_english_again() -> None:
    earlier = [said("где мой заказ", "nlu_fallback"), bot_said("utter_not_english")]
    said_now, slots = await run(ActionNotUnderstood(),
                                fallback("где моя посылка", earlier, unreadable="not_latin"))
    assert said_now == ["utter_default_offer_person"]
    assert slots == {"person_offered": True}


@pytest.mark.parametrize("reason", ["empty", "emoji"])
async def test_empty_or_emoji_messages_are_not_taken_for_another_language(reason: str) -> None:
    said_now, _ = await run(ActionNotUnderstood(), fallback("😀", unreadable=reason))
    assert said_now == ["utter_default"]


async def test_misses_before_a_person_handed_back_do_not_count() -> None:
    earlier = [said("zzz", "nlu_fallback"), bot_said("utter_default"), {"event": "resume"},
               bot_said("utter_welcome_back_handed_back")]
    said_now, _ = await run(ActionNotUnderstood(), fallback(earlier=earlier))
    assert said_now == ["utter_default"]


async def test_a_bare_answer_not_understood_twice_offers_a_person() -> None:
    earlier = [said("that one"), bot_said("utter_default")]
    said_now, slots = await run(ActionHandleInform(), tracker("the other one", earlier=earlier))
    assert said_now == ["utter_default_offer_person"]
    assert slots == {"person_offered": True}


async def test_thanks_after_a_real_answer_is_taken_at_its_word() -> None:
    earlier = [said("shipping?", "shipping_costs"), bot_said("utter_shipping_costs")]
    said_now, slots = await run(ActionReplyThanks(), thanks(earlier=earlier))
    assert said_now == ["utter_thanks"]
    assert slots == {"person_offered": False}


@pytest.mark.parametrize("previous", ["utter_default", "utter_order_id_gave_up",
                                      "utter_product_unknown", "utter_default_offer_person",
                                      "utter_not_english"])
async def test_thanks_right_after_a_failure_gets_an_apology_and_a_person(previous: str) -> None:
    earlier = [said("hmm"), bot_said(previous)]
    said_now, slots = await run(ActionReplyThanks(), thanks("thanks a lot", earlier=earlier))
    assert said_now == ["utter_thanks_after_failure"]
    assert slots == {"person_offered": True}


async def test_thanks_in_a_negative_tone_gets_an_apology_and_a_person() -> None:
    earlier = [said("shipping?", "shipping_costs"), bot_said("utter_shipping_costs")]
    said_now, _ = await run(ActionReplyThanks(),
                            thanks("thanks for nothing, useless", -0.4, earlier))
    assert said_now == ["utter_thanks_after_failure"]


async def test_a_slightly_negative_thanks_is_still_negative_and_neutral_is_not() -> None:
    assert (await run(ActionReplyThanks(), thanks(score=-0.06)))[0] == [
        "utter_thanks_after_failure"]
    assert (await run(ActionReplyThanks(), thanks(score=-0.05)))[0] == ["utter_thanks"]


async def test_thanks_without_sentiment_is_taken_at_its_word() -> None:
    said_now, _ = await run(ActionReplyThanks(), tracker("thanks", intent="thanks"))
    assert said_now == ["utter_thanks"]


def test_every_reply_the_actions_pick_exists_and_offers_a_person_when_it_says_so() -> None:
    replies = domain()["responses"]
    for name in ("utter_default_offer_person", "utter_thanks_after_failure"):
        [variant] = replies[name]
        assert [b["payload"] for b in variant["buttons"]] == ["/affirm", "/deny"]
        assert variant["text"].endswith("?")
    assert "English" in replies["utter_not_english"][0]["text"]
    assert "English" not in replies["utter_default"][0]["text"]


def test_every_offer_of_a_person_is_a_yes_no_question_the_rules_and_router_know() -> None:
    """A reply with the "bring in a person" buttons ends on its question, so a "yes" can only
    mean "yes, a person"; the same replies are the ones `person_offered` and the router's
    policy count as offers."""
    replies = domain()["responses"]
    with_buttons = {name for name, variants in replies.items() for variant in variants
                    if any(b["title"] == "Yes, bring in a person"
                           for b in variant.get("buttons", []))}
    assert with_buttons == set(PERSON_OFFERS)
    for name in with_buttons:
        for variant in replies[name]:
            assert variant["text"].endswith("?"), name
            assert [(b["title"], b["payload"]) for b in variant["buttons"]] == [
                ("Yes, bring in a person", "/affirm"), ("No thanks", "/deny")], name


async def test_delighted_thanks_after_a_real_answer_is_taken_as_thanks() -> None:
    earlier = [said("where is 482913", "track_package"), bot_said("utter_tracking_in_transit")]
    said_now, _ = await run(ActionReplyThanks(),
                            thanks("holy crap that was fast, thanks", score=-0.4,
                                   earlier=earlier))
    assert said_now == ["utter_thanks"]
