"""Stock questions, and bare answers ("the headlamp", "482913") given outside a form."""

from __future__ import annotations

from typing import List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import shop_rules
from actions.conversation import records_person_offer
from actions.fallback import not_understood_reply
from actions.settings import shop_settings
from actions.shop import shop


def _mentioned_product(tracker: Tracker) -> Optional[str]:
    latest = next(tracker.get_latest_entity_values("product"), None)
    return latest or tracker.get_slot("product")


async def tell_availability(dispatcher: CollectingDispatcher, name: str) -> None:
    product = await shop().product(name)
    if product is None:
        dispatcher.utter_message(response="utter_product_unknown", product=name)
        return
    details = {"product": product.name, "stock": product.stock,
               "price": shop_rules.money(product.price_cents)}
    if product.stock <= 0:
        dispatcher.utter_message(response="utter_product_out_of_stock",
                                 restock_on=shop_rules.day(product.restock_on), **details)
    elif product.stock <= shop_settings().low_stock_threshold:
        dispatcher.utter_message(response="utter_product_low_stock", **details)
    else:
        dispatcher.utter_message(response="utter_product_in_stock", **details)


class ActionCheckAvailability(Action):
    def name(self) -> str:
        return "action_check_availability"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        name = _mentioned_product(tracker)
        if not name:
            dispatcher.utter_message(response="utter_ask_product")
            return []
        await tell_availability(dispatcher, name)
        return [SlotSet("product", name)]


class ActionHandleInform(Action):
    """A bare piece of information: a product means stock, an order number means status."""

    def name(self) -> str:
        return "action_handle_inform"

    @records_person_offer
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        product = next(tracker.get_latest_entity_values("product"), None)
        if product:
            await tell_availability(dispatcher, product)
            return [SlotSet("product", product)]
        if next(tracker.get_latest_entity_values("order_id"), None):
            return [FollowupAction("order_id_form")]
        number = shop_rules.order_number_in_text(tracker.latest_message.get("text") or "")
        if number and 4 <= len(number) <= 8 and not shop_rules.is_well_formed_order_id(number):
            # Most likely an order number with a digit too many or too few: say so plainly.
            dispatcher.utter_message(response="utter_order_id_malformed", order_id=number)
            return []
        dispatcher.utter_message(response=not_understood_reply(tracker))
        return []
