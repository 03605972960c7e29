"""Opening a return once the return form has an order and a reason."""

from __future__ import annotations

from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import ownership, shop_rules
from actions.conversation import records_person_offer
from actions.orders import FORM_RESET, order_or_apology
from actions.settings import shop_settings
from actions.shop import shop, today


class ActionSubmitReturn(Action):
    def name(self) -> str:
        return "action_submit_return"

    @records_person_offer
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        events = FORM_RESET + [SlotSet("return_reason", None)]
        order = await order_or_apology(dispatcher, tracker)
        if order is None:
            return events
        existing = await shop().open_return(order.id)
        if existing is not None:
            dispatcher.utter_message(response="utter_return_already_open",
                                     order_id=order.id, rma=existing.rma)
            return events
        blocker = shop_rules.why_not_return(order, today(), shop_settings().return_window_days)
        if blocker:
            dispatcher.utter_message(response=blocker, order_id=order.id,
                                     delivered_on=shop_rules.day(order.delivered_on))
            return events
        if not await ownership.confirmed_or_refused(dispatcher, tracker, order):
            return events
        reason = tracker.get_slot("return_reason") or "not given"
        created = await shop().create_return(order.id, reason, today())
        shipment = await shop().shipment(order.id)
        dispatcher.utter_message(response="utter_return_created", order_id=order.id,
                                 rma=created.rma,
                                 carrier=shipment.carrier if shipment else "carrier")
        return events
