"""Answers about one order (status, tracking, refund) and cancelling it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import ownership, shop_rules
from actions.conversation import records_person_offer
from actions.shop import shop, today
from actions.store import Order

# Banks take up to this many business days to post an approved refund.
REFUND_POSTING_DAYS = 5

# What every order form's submit action clears. Wrong emails stay counted for the whole
# conversation (actions/ownership.py), so they are not reset here.
FORM_RESET = [SlotSet("order_id_attempts", 0), SlotSet("remembered_order_id", None),
              SlotSet(ownership.EMAIL_SLOT, None)]


async def order_or_apology(dispatcher: CollectingDispatcher, tracker: Tracker) -> Order | None:
    """The order the conversation is about, or None after telling the customer why not."""
    order_id = tracker.get_slot("order_id")
    if not order_id:
        dispatcher.utter_message(response="utter_order_id_gave_up")
        return None
    order = await shop().order(order_id)
    if order is None:
        dispatcher.utter_message(response="utter_order_id_unknown", order_id=order_id)
    return order


def status_reply(order: Order) -> Dict[str, Any]:
    details = {"order_id": order.id, "items": shop_rules.items_summary(order)}
    if order.status == "processing":
        return {"response": "utter_order_status_processing",
                "placed_on": shop_rules.day(order.placed_on), **details}
    if order.status == "delivered":
        return {"response": "utter_order_status_delivered",
                "delivered_on": shop_rules.day(order.delivered_on), **details}
    if order.status == "cancelled":
        return {"response": "utter_order_status_cancelled",
                "cancelled_on": shop_rules.day(order.cancelled_on), **details}
    return {"response": "utter_order_status_shipped",
            "shipped_on": shop_rules.day(order.shipped_on), **details}


class ActionAnswerOrderQuestion(Action):
    """Runs when the order number form completes; answers the question that started it."""

    def name(self) -> str:
        return "action_answer_order_question"

    @records_person_offer
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        order = await order_or_apology(dispatcher, tracker)
        if order is not None:
            topic = tracker.get_slot("order_topic") or "status"
            reply = await _reply_for(topic, order)
            dispatcher.utter_message(**reply)
        return FORM_RESET


async def _reply_for(topic: str, order: Order) -> Dict[str, Any]:
    if topic == "tracking":
        return await _tracking_reply(order)
    if topic == "refund":
        return await _refund_reply(order)
    # Order status also carries the tracking details the customer will ask for next.
    if order.status == "shipped":
        return await _tracking_reply(order) | status_reply(order)
    return status_reply(order)


async def _tracking_reply(order: Order) -> Dict[str, Any]:
    shipment = await shop().shipment(order.id)
    if order.status in ("processing", "cancelled") or shipment is None:
        return status_reply(order) if order.status == "cancelled" else {
            "response": "utter_tracking_not_shipped", "order_id": order.id}
    details = {
        "order_id": order.id,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "last_event": shipment.last_event,
        "last_location": shipment.last_location,
        "eta": shop_rules.day(shipment.eta),
    }
    if order.status == "delivered":
        return {"response": "utter_tracking_delivered",
                "delivered_on": shop_rules.day(order.delivered_on), **details}
    return {"response": "utter_tracking_in_transit", **details}


async def _refund_reply(order: Order) -> Dict[str, Any]:
    refund = await shop().refund(order.id)
    if refund is None:
        return {"response": "utter_refund_none", "order_id": order.id}
    details = {"order_id": order.id, "amount": shop_rules.money(refund.amount_cents)}
    if refund.status == "paid":
        return {"response": "utter_refund_paid", "paid_on": shop_rules.day(refund.paid_on),
                **details}
    expected = refund.approved_on + timedelta(days=REFUND_POSTING_DAYS + 2)
    return {"response": "utter_refund_pending",
            "requested_on": shop_rules.day(refund.approved_on),
            "expected_by": shop_rules.day(expected), **details}


class ActionCancelOrder(Action):
    """Runs when the cancel form completes: cancels if the customer said yes and it is allowed."""

    def name(self) -> str:
        return "action_cancel_order"

    @records_person_offer
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        events = FORM_RESET + [SlotSet("cancel_confirmed", None)]
        order = await order_or_apology(dispatcher, tracker)
        if order is None:
            return events
        blocker = shop_rules.why_not_cancel(order)
        if blocker:
            dispatcher.utter_message(response=blocker, order_id=order.id)
            return events
        if not await ownership.confirmed_or_refused(dispatcher, tracker, order):
            return events
        if not tracker.get_slot("cancel_confirmed"):
            dispatcher.utter_message(response="utter_cancel_kept", order_id=order.id)
        elif await shop().cancel(order.id, today()):
            dispatcher.utter_message(response="utter_cancel_done", order_id=order.id,
                                     amount=shop_rules.money(order.total_cents))
        else:
            # It shipped between the question and the answer.
            dispatcher.utter_message(response="utter_cancel_not_possible_shipped",
                                     order_id=order.id)
        return events
