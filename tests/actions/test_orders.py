"""Answers about an order (status, tracking, refund) and cancelling it, on the sample shop."""

import sqlite3
from pathlib import Path
from typing import Any, Dict, List, Tuple

from rasa_sdk.executor import CollectingDispatcher

from actions.orders import ActionAnswerOrderQuestion, ActionCancelOrder
from tests.factories import domain, slot_events, tracker


async def answer(**slots: Any) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerOrderQuestion().run(dispatcher, tracker(slots=slots), domain())
    return dispatcher.messages, slot_events(events)


async def cancel(**slots: Any) -> List[Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    await ActionCancelOrder().run(dispatcher, tracker(slots=slots), domain())
    return dispatcher.messages


def status_of(db: Path, order_id: str) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT status FROM orders WHERE id = ?", (order_id,)).fetchone()[0]


async def test_status_of_a_shipped_order_includes_its_tracking(shop_db: Path) -> None:
    [message], slots = await answer(order_id="482913", order_topic="status")
    assert message["response"] == "utter_order_status_shipped"
    assert message["tracking_number"] == "1Z84F2930412"
    assert message["carrier"] == "UPS"
    assert message["items"] == "tent"
    assert slots["order_id_attempts"] == 0


async def test_status_of_each_kind_of_order(shop_db: Path) -> None:
    expected = {"730155": "utter_order_status_processing",
                "551204": "utter_order_status_delivered",
                "661820": "utter_order_status_cancelled"}
    for order_id, response in expected.items():
        [message], _ = await answer(order_id=order_id)
        assert message["response"] == response, order_id


async def test_items_list_quantities(shop_db: Path) -> None:
    [message], _ = await answer(order_id="730155")
    assert message["items"] == "headlamp, 2 x merino socks"


async def test_tracking_answers(shop_db: Path) -> None:
    [moving], _ = await answer(order_id="640072", order_topic="tracking")
    assert moving["response"] == "utter_tracking_in_transit"
    assert moving["last_location"] == "Reno, NV"
    [not_yet], _ = await answer(order_id="730155", order_topic="tracking")
    assert not_yet["response"] == "utter_tracking_not_shipped"
    [arrived], _ = await answer(order_id="551204", order_topic="tracking")
    assert arrived["response"] == "utter_tracking_delivered"


async def test_refund_answers(shop_db: Path) -> None:
    [pending], _ = await answer(order_id="204876", order_topic="refund")
    assert pending["response"] == "utter_refund_pending"
    assert pending["amount"] == "$119.00"
    [paid], _ = await answer(order_id="905311", order_topic="refund")
    assert paid["response"] == "utter_refund_paid"
    [none], _ = await answer(order_id="482913", order_topic="refund")
    assert none["response"] == "utter_refund_none"


async def test_no_usable_order_number_gives_other_routes(shop_db: Path) -> None:
    [message], slots = await answer(order_id=None, order_id_attempts=3)
    assert message["response"] == "utter_order_id_gave_up"
    assert slots["order_id_attempts"] == 0
    assert slots["person_offered"] is True  # so "yes" to the offer brings in a person


async def test_confirmed_cancel_cancels_in_the_database(shop_db: Path) -> None:
    [message] = await cancel(order_id="730155", cancel_confirmed=True,
                             verified_order_ids=["730155"])
    assert message["response"] == "utter_cancel_done"
    assert message["amount"] == "$70.00"
    assert status_of(shop_db, "730155") == "cancelled"


async def test_saying_no_keeps_the_order(shop_db: Path) -> None:
    [message] = await cancel(order_id="730155", cancel_confirmed=False,
                             verified_order_ids=["730155"])
    assert message["response"] == "utter_cancel_kept"
    assert status_of(shop_db, "730155") == "processing"


async def test_a_shipped_order_cannot_be_cancelled(shop_db: Path) -> None:
    [message] = await cancel(order_id="482913", cancel_confirmed=None)
    assert message["response"] == "utter_cancel_not_possible_shipped"
    assert status_of(shop_db, "482913") == "shipped"


async def test_cancelling_twice_says_it_is_already_cancelled(shop_db: Path) -> None:
    await cancel(order_id="730155", cancel_confirmed=True, verified_order_ids=["730155"])
    [message] = await cancel(order_id="730155", cancel_confirmed=True)
    assert message["response"] == "utter_cancel_not_possible_cancelled"


async def test_an_order_whose_email_was_not_given_is_never_cancelled(shop_db: Path) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionCancelOrder().run(
        dispatcher, tracker(slots={"order_id": "730155", "cancel_confirmed": True}), domain())
    assert [m["response"] for m in dispatcher.messages] == ["utter_order_email_gave_up",
                                                           "utter_contact"]
    assert status_of(shop_db, "730155") == "processing"
    assert slot_events(events)["person_offered"] is True  # "yes" brings in a person


async def test_an_email_given_for_another_order_of_the_same_customer_counts(
    shop_db: Path, second_order_of_jon: str
) -> None:
    [message] = await cancel(order_id=second_order_of_jon, cancel_confirmed=True,
                             verified_order_ids=["730155"])
    assert message["response"] == "utter_cancel_done"
    assert status_of(shop_db, second_order_of_jon) == "cancelled"


async def test_an_email_given_for_someone_elses_order_does_not_count(shop_db: Path) -> None:
    messages = await cancel(order_id="730155", cancel_confirmed=True,
                            verified_order_ids=["117450"])
    assert messages[0]["response"] == "utter_order_email_gave_up"
    assert status_of(shop_db, "730155") == "processing"
