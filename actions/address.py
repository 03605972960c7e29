"""Changing the delivery address of an order that has not shipped yet."""

from __future__ import annotations

from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import ownership, shop_rules
from actions.conversation import records_person_offer
from actions.orders import FORM_RESET, order_or_apology
from actions.shop import shop


class ActionChangeAddress(Action):
    def name(self) -> str:
        return "action_change_address"

    @records_person_offer
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        events = FORM_RESET + [SlotSet("new_address", None)]
        order = await order_or_apology(dispatcher, tracker)
        if order is None:
            return events
        new_address = tracker.get_slot("new_address")
        if shop_rules.why_not_change_address(order):
            await _explain_too_late(dispatcher, order.id)
            return events
        if not await ownership.confirmed_or_refused(dispatcher, tracker, order):
            return events
        if new_address and await shop().change_address(order.id, new_address):
            dispatcher.utter_message(response="utter_address_changed", order_id=order.id,
                                     new_address=new_address)
        else:
            await _explain_too_late(dispatcher, order.id)
        return events


async def _explain_too_late(dispatcher: CollectingDispatcher, order_id: str) -> None:
    order = await shop().order(order_id)
    if order is not None and order.status == "cancelled":
        dispatcher.utter_message(response="utter_cancel_not_possible_cancelled",
                                 order_id=order_id)
        return
    shipment = await shop().shipment(order_id)
    dispatcher.utter_message(
        response="utter_address_not_possible", order_id=order_id,
        carrier=shipment.carrier if shipment else "the carrier",
        tracking_number=shipment.tracking_number if shipment else "in your shipping email")
