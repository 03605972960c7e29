"""Stock answers, bare answers outside a form, and clearing a dropped form's answers."""

from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionResetOrderForms
from actions.products import ActionCheckAvailability, ActionHandleInform
from tests.factories import domain, entity, tracker


async def run(action: Any, t: Any) -> tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, domain())
    return dispatcher.messages, events


async def stock_reply(product: str) -> Dict[str, Any]:
    t = tracker(f"is the {product} in stock", intent="product_availability",
                entities=[entity("product", product)])
    [message], _ = await run(ActionCheckAvailability(), t)
    return message


async def test_stock_levels(shop_db: Path) -> None:
    plenty = await stock_reply("headlamp")
    assert plenty["response"] == "utter_product_in_stock"
    assert (plenty["stock"], plenty["price"]) == (40, "$34.00")
    assert (await stock_reply("tent"))["response"] == "utter_product_low_stock"
    sold_out = await stock_reply("camping stove")
    assert sold_out["response"] == "utter_product_out_of_stock"
    assert sold_out["restock_on"] != "unknown"


async def test_names_are_matched_without_case(shop_db: Path) -> None:
    assert (await stock_reply("Rain Jacket"))["response"] == "utter_product_in_stock"


async def test_an_unknown_product_is_said_plainly(shop_db: Path) -> None:
    assert (await stock_reply("kayak"))["response"] == "utter_product_unknown"


async def test_a_stock_question_without_a_product_asks_which(shop_db: Path) -> None:
    [message], events = await run(ActionCheckAvailability(),
                                  tracker("is it in stock?", intent="product_availability"))
    assert message["response"] == "utter_ask_product"
    assert events == []


async def test_a_product_mentioned_earlier_is_used(shop_db: Path) -> None:
    t = tracker("is it in stock?", intent="product_availability", slots={"product": "daypack"})
    [message], _ = await run(ActionCheckAvailability(), t)
    assert message["product"] == "daypack"


async def test_a_bare_product_gets_its_stock(shop_db: Path) -> None:
    t = tracker("the yoga mat", entities=[entity("product", "yoga mat")])
    [message], events = await run(ActionHandleInform(), t)
    assert message["response"] == "utter_product_out_of_stock"
    assert {"event": "slot", "timestamp": None, "name": "product", "value": "yoga mat"} in events


async def test_a_bare_order_number_starts_the_order_lookup(shop_db: Path) -> None:
    t = tracker("482913", entities=[entity("order_id", "482913")])
    messages, events = await run(ActionHandleInform(), t)
    assert messages == []
    assert events[0]["event"] == "followup" and events[0]["name"] == "order_id_form"


@pytest.mark.parametrize("text", ["4829", "where is order 4829", "it's 12345678"])
async def test_a_bare_number_of_the_wrong_length_is_explained(shop_db: Path, text: str) -> None:
    [message], _ = await run(ActionHandleInform(), tracker(text))
    assert message["response"] == "utter_order_id_malformed"
    assert message["order_id"] == text.split()[-1]


async def test_a_small_number_is_not_taken_for_an_order(shop_db: Path) -> None:
    [message], _ = await run(ActionHandleInform(), tracker("the size I ordered was a 42"))
    assert message["response"] == "utter_default"


async def test_a_bare_answer_with_nothing_usable_is_not_understood(shop_db: Path) -> None:
    [message], _ = await run(ActionHandleInform(), tracker("that one"))
    assert message["response"] == "utter_default"


async def test_dropping_a_form_clears_its_answers_but_keeps_the_order(shop_db: Path) -> None:
    t = tracker(slots={"order_id": "551204", "return_reason": "too big",
                       "order_id_attempts": 2, "remembered_order_id": "551204"})
    _, events = await run(ActionResetOrderForms(), t)
    cleared = {e["name"]: e["value"] for e in events}
    assert cleared["return_reason"] is None
    assert cleared["order_id_attempts"] == 0
    assert cleared["remembered_order_id"] is None
    assert "order_id" not in cleared
