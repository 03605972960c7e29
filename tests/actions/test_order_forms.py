"""The forms' order-number steps: extraction from free text, validation, giving up, and
confirming a remembered order before changing it; then, before an order is changed, the email
address on it."""

from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from redis import asyncio as aioredis

from actions.order_forms import (
    ActionAskOrderId,
    ValidateCancelForm,
    ValidateChangeAddressForm,
    ValidateOrderIdForm,
    ValidateReturnForm,
)
from actions.settings import shop_settings
from router import keys
from stack.settings import PROJECT_ROOT
from tests.factories import domain, entity, responses, slot_events, tracker


async def run(action, t):  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, domain())
    return responses(dispatcher), slot_events(events)


def asks_next(t, slots):  # type: ignore[no-untyped-def]
    """The slot the form asks for next, as Rasa decides it: the validator's choice when it
    made one, else the first required slot still empty."""
    if "requested_slot" in slots:
        return slots["requested_slot"]
    merged = {**t.slots, **slots}
    form = t.active_loop["name"]
    required = domain()["forms"][form]["required_slots"]
    return next((name for name in required if merged.get(name) is None), None)


async def test_a_known_order_number_is_accepted(shop_db: Path) -> None:
    t = tracker("order 482913", entities=[entity("order_id", "482913")],
                just_set={"order_id": "482913"}, active_loop="order_id_form")
    said, slots = await run(ValidateOrderIdForm(), t)
    assert said == []
    assert slots["order_id"] == "482913"
    assert asks_next(t, slots) is None  # nothing more to ask: the form is done


async def test_a_number_with_the_wrong_length_is_explained(shop_db: Path) -> None:
    t = tracker("it's 12345", slots={"requested_slot": "order_id"}, active_loop="order_id_form")
    said, slots = await run(ValidateOrderIdForm(), t)
    assert said == ["utter_order_id_malformed"]
    assert slots["order_id"] is None
    assert slots["order_id_attempts"] == 1
    assert asks_next(t, slots) == "order_id"


async def test_an_unknown_order_number_is_explained(shop_db: Path) -> None:
    t = tracker("999999", entities=[entity("order_id", "999999")],
                just_set={"order_id": "999999"}, active_loop="order_id_form")
    said, slots = await run(ValidateOrderIdForm(), t)
    assert said == ["utter_order_id_unknown"]
    assert slots["order_id"] is None


async def test_a_hash_before_the_number_is_ignored(shop_db: Path) -> None:
    t = tracker("it's #482913", intent="inform", slots={"requested_slot": "order_id"},
                active_loop="order_id_form")
    said, slots = await run(ValidateOrderIdForm(), t)
    assert said == []
    assert slots["order_id"] == "482913"


async def test_an_answer_without_a_number_counts_as_a_try(shop_db: Path) -> None:
    t = tracker("I don't know it", intent="deny", slots={"requested_slot": "order_id"},
                active_loop="order_id_form")
    said, slots = await run(ValidateOrderIdForm(), t)
    assert said == ["utter_order_id_missing"]
    assert slots["order_id_attempts"] == 1


async def test_a_new_question_during_the_form_is_left_to_the_rules(shop_db: Path) -> None:
    t = tracker("how much is shipping?", intent="shipping_costs",
                slots={"requested_slot": "order_id"}, active_loop="order_id_form")
    said, slots = await run(ValidateOrderIdForm(), t)
    assert said == []
    assert "order_id" not in slots  # nothing extracted: Rasa lets the FAQ rule answer


async def test_after_three_failed_tries_the_form_stops_asking(shop_db: Path) -> None:
    t = tracker("1234", slots={"requested_slot": "order_id", "order_id_attempts": 2},
                active_loop="order_id_form")
    said, slots = await run(ValidateOrderIdForm(), t)
    assert said == ["utter_order_id_malformed"]
    assert slots["order_id_attempts"] == 3
    assert asks_next(t, slots) is None


async def test_a_remembered_order_is_confirmed_before_a_return(shop_db: Path) -> None:
    t = tracker("I want to return it", intent="start_return",
                just_set={"order_id": "551204"}, active_loop="return_form")
    said, slots = await run(ValidateReturnForm(), t)
    assert slots["order_id"] is None
    assert slots["remembered_order_id"] == "551204"
    assert asks_next(t, slots) == "order_id"


async def test_yes_confirms_the_remembered_order(shop_db: Path) -> None:
    t = tracker("yes", intent="affirm",
                slots={"requested_slot": "order_id", "remembered_order_id": "551204"},
                active_loop="return_form")
    said, slots = await run(ValidateReturnForm(), t)
    assert slots["order_id"] == "551204"
    assert asks_next(t, slots) == "order_email"


async def test_no_forgets_the_remembered_order_and_asks_plainly(shop_db: Path) -> None:
    t = tracker("no, another one", intent="deny",
                slots={"requested_slot": "order_id", "remembered_order_id": "551204"},
                active_loop="return_form")
    said, slots = await run(ValidateReturnForm(), t)
    assert said == []
    assert slots["remembered_order_id"] is None
    assert slots["order_id"] is None
    assert asks_next(t, slots) == "order_id"


async def test_an_order_named_in_the_message_needs_no_confirmation(shop_db: Path) -> None:
    t = tracker("cancel order 730155", intent="cancel_order",
                entities=[entity("order_id", "730155")],
                just_set={"order_id": "730155"}, active_loop="cancel_form")
    said, slots = await run(ValidateCancelForm(), t)
    assert slots["order_id"] == "730155"
    assert asks_next(t, slots) == "order_email"


async def test_a_shipped_order_ends_the_cancel_form_without_asking(shop_db: Path) -> None:
    t = tracker("cancel order 482913", intent="cancel_order",
                entities=[entity("order_id", "482913")],
                just_set={"order_id": "482913"}, active_loop="cancel_form")
    said, slots = await run(ValidateCancelForm(), t)
    assert slots["order_id"] == "482913"
    assert asks_next(t, slots) is None  # the submit action explains why not


async def test_an_order_past_the_window_ends_the_return_form(shop_db: Path) -> None:
    t = tracker("return 318274", intent="start_return",
                entities=[entity("order_id", "318274")],
                just_set={"order_id": "318274"}, active_loop="return_form")
    _, slots = await run(ValidateReturnForm(), t)
    assert asks_next(t, slots) is None


async def test_an_incomplete_address_is_refused(shop_db: Path) -> None:
    t = tracker("the old one", slots={"order_id": "117450", "requested_slot": "new_address",
                                      "verified_order_ids": ["117450"]},
                just_set={"new_address": "the old one"}, active_loop="change_address_form")
    said, slots = await run(ValidateChangeAddressForm(), t)
    assert said == ["utter_address_too_short"]
    assert slots["new_address"] is None
    assert asks_next(t, slots) == "new_address"


async def test_a_full_address_is_accepted_and_tidied(shop_db: Path) -> None:
    text = "22  Oak Street,\n97205 Portland"
    t = tracker(text, slots={"order_id": "117450", "requested_slot": "new_address",
                             "verified_order_ids": ["117450"]},
                just_set={"new_address": text}, active_loop="change_address_form")
    said, slots = await run(ValidateChangeAddressForm(), t)
    assert said == []
    assert slots["new_address"] == "22 Oak Street, 97205 Portland"
    assert asks_next(t, slots) is None


async def test_asking_for_the_order_offers_the_remembered_one(shop_db: Path) -> None:
    with_memory = tracker(slots={"remembered_order_id": "551204"})
    said, _ = await run(ActionAskOrderId(), with_memory)
    assert said == ["utter_ask_order_id_remembered"]
    said, _ = await run(ActionAskOrderId(), tracker())
    assert said == ["utter_ask_order_id"]


# --- The email on the order, before cancelling, returning or re-addressing it ---------------

def at_email_question(text: str, intent: str = "inform", email: Optional[str] = None,
                      form: str = "cancel_form", order_id: str = "730155",
                      **slots: Any) -> Tracker:
    """The customer answers "what's the email address you used for order N?"."""
    entities = [entity("email", email)] if email else []
    just_set = {"order_email": email} if email else {}
    return tracker(text, intent=intent, entities=entities, just_set=just_set,
                   slots={"order_id": order_id, "requested_slot": "order_email", **slots},
                   active_loop=form)


FORMS_THAT_CHANGE_ORDERS = [(ValidateCancelForm, "cancel_form", "730155", "cancel_confirmed"),
                            (ValidateReturnForm, "return_form", "551204", "return_reason"),
                            (ValidateChangeAddressForm, "change_address_form", "117450",
                             "new_address")]


@pytest.mark.parametrize(("validator", "form", "order_id", "after"), FORMS_THAT_CHANGE_ORDERS)
async def test_the_forms_that_change_an_order_ask_for_its_email_first(
    shop_db: Path, validator: Any, form: str, order_id: str, after: str
) -> None:
    t = tracker(f"order {order_id}", entities=[entity("order_id", order_id)],
                just_set={"order_id": order_id}, active_loop=form)
    said, slots = await run(validator(), t)
    assert said == []
    assert slots["order_id"] == order_id
    assert asks_next(t, slots) == "order_email"


async def test_status_questions_never_ask_for_the_email(shop_db: Path) -> None:
    t = tracker("order 730155", entities=[entity("order_id", "730155")],
                just_set={"order_id": "730155"}, active_loop="order_id_form")
    said, slots = await run(ValidateOrderIdForm(), t)
    assert asks_next(t, slots) is None
    assert "order_email" not in domain()["forms"]["order_id_form"]["required_slots"]


async def test_the_right_email_confirms_the_order_however_it_is_typed(
    action_redis: aioredis.Redis,
) -> None:
    t = at_email_question("it's  Jon.Ortiz@EXAMPLE.org ", email=" Jon.Ortiz@EXAMPLE.org ")
    said, slots = await run(ValidateCancelForm(), t)
    assert said == []
    assert slots["verified_order_ids"] == ["730155"]
    assert slots["order_email"] is None  # checked, never kept
    assert asks_next(t, slots) == "cancel_confirmed"


async def test_a_wrong_email_is_refused_without_revealing_anything(
    action_redis: aioredis.Redis,
) -> None:
    t = at_email_question("jon.ortis@example.org", email="jon.ortis@example.org")
    dispatcher = CollectingDispatcher()
    events = await ValidateCancelForm().run(dispatcher, t, domain())
    slots = slot_events(events)
    assert responses(dispatcher) == ["utter_order_email_mismatch"]
    assert "jon.ortiz" not in str(dispatcher.messages)  # nothing of the real email
    assert "verified_order_ids" not in slots
    assert slots["order_email"] is None
    assert slots["order_email_attempts"] == 1
    assert asks_next(t, slots) == "order_email"  # they may try again


async def test_an_email_of_another_order_does_not_confirm_this_one(
    action_redis: aioredis.Redis,
) -> None:
    t = at_email_question("maria.k@example.com", email="maria.k@example.com")
    said, slots = await run(ValidateCancelForm(), t)
    assert said == ["utter_order_email_mismatch"]
    assert "verified_order_ids" not in slots


async def test_an_answer_without_an_email_is_explained_and_counted(
    action_redis: aioredis.Redis,
) -> None:
    t = at_email_question("I don't remember", intent="deny")
    said, slots = await run(ValidateCancelForm(), t)
    assert said == ["utter_order_email_missing"]
    assert slots["order_email_attempts"] == 1
    assert asks_next(t, slots) == "order_email"


async def test_the_last_wrong_email_ends_the_form_with_the_order_untouched(
    action_redis: aioredis.Redis,
) -> None:
    limit = shop_settings().max_order_email_attempts
    t = at_email_question("sam@example.com", email="sam@example.com",
                          order_email_attempts=limit - 1)
    said, slots = await run(ValidateCancelForm(), t)
    assert said == []  # the submit action explains, and offers a person
    assert slots["order_email_attempts"] == limit
    assert "verified_order_ids" not in slots
    assert asks_next(t, slots) is None


async def test_a_new_conversation_does_not_buy_more_guesses_at_an_orders_email(
    action_redis: aioredis.Redis,
) -> None:
    guesses = shop_settings().max_order_email_guesses_per_hour
    for _ in range(guesses):  # wrong emails from many conversations
        await run(ValidateCancelForm(), at_email_question("x@example.org",
                                                          email="x@example.org"))
    # Now even the right email, in a fresh conversation, waits for a person.
    t = at_email_question("jon.ortiz@example.org", email="jon.ortiz@example.org")
    said, slots = await run(ValidateCancelForm(), t)
    assert "verified_order_ids" not in slots
    assert slots["order_email_attempts"] == shop_settings().max_order_email_attempts
    assert asks_next(t, slots) is None  # the submit action says so and offers a person
    assert 0 < await action_redis.ttl(keys.order_email_guesses("730155")) <= 3600


async def test_out_of_tries_another_order_is_not_asked_about_either(shop_db: Path) -> None:
    limit = shop_settings().max_order_email_attempts
    t = tracker("return 551204", intent="start_return", entities=[entity("order_id", "551204")],
                just_set={"order_id": "551204"}, slots={"order_email_attempts": limit},
                active_loop="return_form")
    _, slots = await run(ValidateReturnForm(), t)
    assert asks_next(t, slots) is None  # no more guesses in this conversation


@pytest.mark.parametrize(("text", "intent"), [("forget it", "nevermind"),
                                              ("stop", "nevermind"),
                                              ("get me a person", "request_human"),
                                              ("how much is shipping?", "shipping_costs")])
async def test_leaving_or_a_new_question_is_not_an_answer_to_the_email_question(
    shop_db: Path, text: str, intent: str
) -> None:
    said, slots = await run(ValidateCancelForm(), at_email_question(text, intent=intent))
    assert said == []
    assert "order_email" not in slots  # nothing extracted: Rasa lets the rules act
    assert "order_email_attempts" not in slots


async def test_another_order_number_at_the_email_question_is_not_a_wrong_email(
    shop_db: Path,
) -> None:
    t = tracker("sorry, it's 117450", entities=[entity("order_id", "117450")],
                just_set={"order_id": "117450"},
                slots={"requested_slot": "order_email"}, active_loop="change_address_form")
    said, slots = await run(ValidateChangeAddressForm(), t)
    assert said == []
    assert "order_email_attempts" not in slots


async def test_a_confirmed_order_is_not_asked_about_again(shop_db: Path) -> None:
    t = tracker("I want to return it", intent="affirm",
                slots={"requested_slot": "order_id", "remembered_order_id": "551204",
                       "verified_order_ids": ["551204"]},
                active_loop="return_form")
    said, slots = await run(ValidateReturnForm(), t)
    assert slots["order_id"] == "551204"
    assert asks_next(t, slots) == "return_reason"


async def test_an_order_with_an_email_already_given_is_not_asked_about(
    shop_db: Path, second_order_of_jon: str
) -> None:
    t = tracker(f"change the address of {second_order_of_jon}",
                entities=[entity("order_id", second_order_of_jon)],
                just_set={"order_id": second_order_of_jon},
                slots={"verified_order_ids": ["730155"]}, active_loop="change_address_form")
    _, slots = await run(ValidateChangeAddressForm(), t)
    assert asks_next(t, slots) == "new_address"


async def test_rasa_fills_the_email_only_while_a_form_asks_for_it() -> None:
    rasa_domain = Domain.load(PROJECT_ROOT / "domain.yml")

    async def extracted(requested: str, text: str, intent: str,
                        entities: List[Dict[str, Any]]) -> Dict[str, Any]:
        events = [ActionExecuted("action_listen"), ActiveLoop("cancel_form"),
                  SlotSet("requested_slot", requested), ActionExecuted("action_listen"),
                  UserUttered(text, {"name": intent, "confidence": 0.9}, entities)]
        t = DialogueStateTracker.from_events("test", events, slots=rasa_domain.slots)
        found = await ActionExtractSlots(None).run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(rasa_domain.responses),
            t, rasa_domain)
        return {e.key: e.value for e in found if isinstance(e, SlotSet)}

    email = [entity("email", "jon.ortiz@example.org")]
    assert (await extracted("order_email", "jon.ortiz@example.org", "inform", email))[
        "order_email"] == "jon.ortiz@example.org"
    assert "order_email" not in await extracted("cancel_confirmed", "jon.ortiz@example.org",
                                                "inform", email)
    assert "order_email" not in await extracted("order_email", "forget it", "nevermind", [])
