"""Opening returns and changing addresses change the database, and refuse when they must."""

import sqlite3
from pathlib import Path
from typing import Any, Dict, List

from rasa_sdk.executor import CollectingDispatcher

from actions.address import ActionChangeAddress
from actions.returns import ActionSubmitReturn
from tests.factories import domain, slot_events, tracker


async def run(action: Any, **slots: Any) -> tuple[List[Dict[str, Any]], Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker(slots=slots), domain())
    return dispatcher.messages, slot_events(events)


def query(db: Path, sql: str, *args: str) -> List[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


async def test_a_return_is_opened_and_stored(shop_db: Path) -> None:
    [message], slots = await run(ActionSubmitReturn(), order_id="551204",
                                 return_reason="too small", verified_order_ids=["551204"])
    assert message["response"] == "utter_return_created"
    assert message["carrier"] == "UPS"
    assert query(shop_db, "SELECT rma, reason FROM returns WHERE order_id = ?", "551204") == [
        (message["rma"], "too small")]
    assert slots["return_reason"] is None  # the next return starts with a fresh question
    assert slots["person_offered"] is False


async def test_a_second_return_points_to_the_open_one(shop_db: Path) -> None:
    [message], _ = await run(ActionSubmitReturn(), order_id="389915", return_reason="chipped")
    assert message["response"] == "utter_return_already_open"
    assert message["rma"] == "R-389915-001"


async def test_returns_are_refused_outside_the_window_or_before_delivery(shop_db: Path) -> None:
    [late], slots = await run(ActionSubmitReturn(), order_id="318274", return_reason="broken")
    assert late["response"] == "utter_return_window_closed"
    assert slots["person_offered"] is True  # the warranty is a person's call: "yes" brings one
    [early], slots = await run(ActionSubmitReturn(), order_id="730155",
                               return_reason="changed mind")
    assert early["response"] == "utter_return_not_delivered"
    assert slots["person_offered"] is False
    assert query(shop_db, "SELECT count(*) FROM returns") == [(1,)]


async def test_the_address_of_an_unshipped_order_changes(shop_db: Path) -> None:
    [message], slots = await run(ActionChangeAddress(), order_id="117450",
                                 new_address="22 Oak Street, 97205 Portland",
                                 verified_order_ids=["117450"])
    assert message["response"] == "utter_address_changed"
    assert query(shop_db, "SELECT address FROM orders WHERE id = ?", "117450") == [
        ("22 Oak Street, 97205 Portland",)]
    assert slots["new_address"] is None


async def test_a_shipped_order_keeps_its_address_and_the_customer_learns_how_to_redirect(
    shop_db: Path,
) -> None:
    [message], _ = await run(ActionChangeAddress(), order_id="482913",
                             new_address="22 Oak Street, 97205 Portland")
    assert message["response"] == "utter_address_not_possible"
    assert message["tracking_number"] == "1Z84F2930412"
    assert query(shop_db, "SELECT address FROM orders WHERE id = ?", "482913") == [
        ("18 Cedar Court, 97201 Portland",)]


async def test_no_return_is_opened_for_an_order_whose_email_was_not_given(
    shop_db: Path,
) -> None:
    messages, slots = await run(ActionSubmitReturn(), order_id="551204",
                                return_reason="too small")
    assert [m["response"] for m in messages] == ["utter_order_email_gave_up", "utter_contact"]
    assert query(shop_db, "SELECT count(*) FROM returns WHERE order_id = ?", "551204") == [(0,)]
    assert slots["person_offered"] is True


async def test_no_address_changes_on_an_order_whose_email_was_not_given(
    shop_db: Path,
) -> None:
    messages, slots = await run(ActionChangeAddress(), order_id="117450",
                                new_address="22 Oak Street, 97205 Portland")
    assert [m["response"] for m in messages] == ["utter_order_email_gave_up", "utter_contact"]
    assert query(shop_db, "SELECT address FROM orders WHERE id = ?", "117450") == [
        ("87 Maple Drive, 30301 Atlanta",)]
    assert slots["person_offered"] is True


async def test_after_too_many_wrong_emails_the_address_form_ends_without_a_false_excuse(
    shop_db: Path,
) -> None:
    # The form ended with no new address: the customer hears why, not "it has shipped".
    messages, _ = await run(ActionChangeAddress(), order_id="117450", order_email_attempts=3)
    assert messages[0]["response"] == "utter_order_email_gave_up"
