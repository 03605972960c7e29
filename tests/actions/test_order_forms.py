"""The forms' order-number steps: extraction from free text, validation, giving up, and
confirming a remembered order before changing it."""

from pathlib import Path

from rasa_sdk.executor import CollectingDispatcher

from actions.order_forms import (
    ActionAskOrderId,
    ValidateCancelForm,
    ValidateChangeAddressForm,
    ValidateOrderIdForm,
    ValidateReturnForm,
)
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
    assert asks_next(t, slots) == "return_reason"


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
    assert asks_next(t, slots) == "cancel_confirmed"


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
    t = tracker("the old one", slots={"order_id": "117450", "requested_slot": "new_address"},
                just_set={"new_address": "the old one"}, active_loop="change_address_form")
    said, slots = await run(ValidateChangeAddressForm(), t)
    assert said == ["utter_address_too_short"]
    assert slots["new_address"] is None
    assert asks_next(t, slots) == "new_address"


async def test_a_full_address_is_accepted_and_tidied(shop_db: Path) -> None:
    text = "22  Oak Street,\n97205 Portland"
    t = tracker(text, slots={"order_id": "117450", "requested_slot": "new_address"},
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
