"""Validation of the forms that need an order number: status questions, cancel, return, address.

They share one way of getting an order number: take the regex entity, or any number-like reply
while the form asks for it (so a wrongly sized number gets an explanation rather than a
repeated question), and give up politely after a few failed tries.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import shop_rules
from actions.settings import shop_settings
from actions.shop import shop, today
from actions.store import Order

# Intents that, while we wait for an order number, mean "this was my answer" rather than
# "I have a new question": only these count as a failed try.
ANSWER_INTENTS = {"inform", "affirm", "deny", "nlu_fallback", "out_of_scope"}


class _OrderNumberSteps:
    """Shared extraction and validation of `order_id`; mixed into each form's validator."""

    async def blocker(self, order: Order) -> Optional[str]:
        """The response explaining why this form cannot go on for this order, if any."""
        return None

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        # An empty list completes the form, and its submit action explains what happened.
        if (tracker.get_slot("order_id_attempts") or 0) >= shop_settings().max_order_id_attempts:
            return []
        order_id = tracker.get_slot("order_id")
        if order_id and "order_id" in domain_slots:
            order = await shop().order(order_id)
            if order is not None and await self.blocker(order):
                return ["order_id"]
        return domain_slots

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "order_id":
            return {}
        if next(tracker.get_latest_entity_values("order_id"), None):
            return {}  # the domain's entity mapping already fills it
        text = tracker.latest_message.get("text") or ""
        candidate = shop_rules.order_number_in_text(text)
        if candidate:
            return {"order_id": candidate}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in ANSWER_INTENTS:
            # Counted here because no number means validate_order_id never runs.
            return {"order_id_attempts": _attempts(tracker) + 1}
        return {}

    async def validate_order_id(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        order_id = shop_rules.normalise_order_id(slot_value)
        if not shop_rules.is_well_formed_order_id(order_id):
            dispatcher.utter_message(response="utter_order_id_malformed", order_id=slot_value)
            return _failed_try(tracker)
        order = await shop().order(order_id)
        if order is None:
            dispatcher.utter_message(response="utter_order_id_unknown", order_id=order_id)
            return _failed_try(tracker)
        return {"order_id": order_id, "order_id_attempts": 0}


def _attempts(tracker: Tracker) -> int:
    return int(tracker.get_slot("order_id_attempts") or 0)


def _failed_try(tracker: Tracker) -> Dict[Text, Any]:
    return {"order_id": None, "order_id_attempts": _attempts(tracker) + 1}


class ValidateOrderIdForm(_OrderNumberSteps, FormValidationAction):
    def name(self) -> Text:
        return "validate_order_id_form"


class ValidateCancelForm(_OrderNumberSteps, FormValidationAction):
    def name(self) -> Text:
        return "validate_cancel_form"

    async def blocker(self, order: Order) -> Optional[str]:
        return shop_rules.why_not_cancel(order)


class ValidateReturnForm(_OrderNumberSteps, FormValidationAction):
    def name(self) -> Text:
        return "validate_return_form"

    async def blocker(self, order: Order) -> Optional[str]:
        if await shop().open_return(order.id):
            return "utter_return_already_open"
        return shop_rules.why_not_return(
            order, today(), shop_settings().return_window_days
        )


class ValidateChangeAddressForm(_OrderNumberSteps, FormValidationAction):
    def name(self) -> Text:
        return "validate_change_address_form"

    async def blocker(self, order: Order) -> Optional[str]:
        return shop_rules.why_not_change_address(order)

    async def validate_new_address(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        address = " ".join(str(slot_value or "").split())
        if not shop_rules.looks_like_address(address):
            dispatcher.utter_message(response="utter_address_too_short")
            return {"new_address": None}
        return {"new_address": address}
