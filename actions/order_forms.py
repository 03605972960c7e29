"""Validation of the forms that need an order number: status questions, cancel, return, address.

They share one way of getting an order number: take the regex entity, or any number-like reply
while the form asks for it (so a wrongly sized number gets an explanation rather than a
repeated question), and give up politely after a few failed tries.

The forms that change an order then ask for the email address on it (actions/ownership.py),
unless this conversation already confirmed it. Orders that cannot be changed anyway skip that
question: the reason they give (shipped, past the return window...) is no more than a status
question tells the order number's holder today.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import ownership, shop_rules
from actions.conversation import latest_intent
from actions.handoff import redis_client
from actions.settings import shop_settings
from actions.shop import shop, today
from actions.store import Order

# Intents that, while we wait for an order number, mean "this was my answer" rather than
# "I have a new question": only these count as a failed try.
ANSWER_INTENTS = {"inform", "affirm", "deny", "nlu_fallback", "out_of_scope"}
# What extraction hands to validation for "an answer with no number in it". Extra slots
# returned by an extract_ method are dropped by rasa-sdk, so validation does the bookkeeping.
NO_NUMBER = ""
# The same for "an answer with no email address in it".
NO_EMAIL = ""


class _OrderNumberSteps:
    """Shared extraction and validation of `order_id`; mixed into each form's validator."""

    # Forms that change an order confirm a remembered order number before acting on it.
    confirms_remembered_order = False

    async def blocker(self, order: Order) -> Optional[str]:
        """The response explaining why this form cannot go on for this order, if any."""
        return None

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        # An empty list completes the form, and its submit action explains what happened.
        if (tracker.get_slot("order_id_attempts") or 0) >= shop_settings().max_order_id_attempts:
            return []
        order_id = tracker.get_slot("order_id")
        if not order_id or "order_id" not in domain_slots:
            return domain_slots
        order = await shop().order(order_id)
        if order is None:
            return domain_slots
        if await self.blocker(order):
            return ["order_id"]
        return await self.slots_for_order(order, domain_slots, tracker)

    async def slots_for_order(
        self, order: Order, domain_slots: List[str], tracker: Tracker
    ) -> List[str]:
        """The questions still to ask about an order that exists and may go ahead."""
        return domain_slots

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != "order_id":
            return {}
        if next(tracker.get_latest_entity_values("order_id"), None):
            return {}  # the domain's entity mapping already fills it
        intent = latest_intent(tracker)
        remembered = tracker.get_slot("remembered_order_id")
        if remembered and intent == "affirm":
            return {"order_id": remembered}
        candidate = shop_rules.order_number_in_text(tracker.latest_message.get("text") or "")
        if candidate:
            return {"order_id": candidate}
        if intent in ANSWER_INTENTS:
            # An answer without a number: validation explains, and counts the try.
            return {"order_id": NO_NUMBER}
        return {}  # a new question: let the form step aside so it gets answered

    async def validate_order_id(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        if slot_value == NO_NUMBER:
            return _without_number(dispatcher, tracker)
        order_id = shop_rules.normalise_order_id(slot_value)
        if self.confirms_remembered_order and not _given_just_now(tracker, order_id):
            return {"order_id": None, "remembered_order_id": order_id}
        if not shop_rules.is_well_formed_order_id(order_id):
            dispatcher.utter_message(response="utter_order_id_malformed", order_id=slot_value)
            return _failed_try(tracker)
        order = await shop().order(order_id)
        if order is None:
            dispatcher.utter_message(response="utter_order_id_unknown", order_id=order_id)
            return _failed_try(tracker)
        return {"order_id": order_id, "order_id_attempts": 0}


def _without_number(dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
    if tracker.get_slot("remembered_order_id") and latest_intent(tracker) == "deny":
        # "No, another order": forget the remembered one and ask plainly.
        return {"order_id": None, "remembered_order_id": None}
    dispatcher.utter_message(response="utter_order_id_missing")
    return _failed_try(tracker)


def _given_just_now(tracker: Tracker, order_id: str) -> bool:
    """Did the customer name or confirm this order in their latest message?"""
    text = shop_rules.normalise_order_id(tracker.latest_message.get("text") or "")
    remembered = tracker.get_slot("remembered_order_id")
    confirmed = latest_intent(tracker) == "affirm" and remembered == order_id
    return order_id in text or confirmed


def _attempts(tracker: Tracker) -> int:
    return int(tracker.get_slot("order_id_attempts") or 0)


def _failed_try(tracker: Tracker) -> Dict[str, Any]:
    return {"order_id": None, "order_id_attempts": _attempts(tracker) + 1}


class ValidateOrderIdForm(_OrderNumberSteps, FormValidationAction):
    def name(self) -> str:
        return "validate_order_id_form"


class _OwnerEmailSteps(_OrderNumberSteps):
    """For the forms that change an order: the email address on the order, asked once per
    conversation (actions/ownership.py), before anything is changed."""

    confirms_remembered_order = True

    async def slots_for_order(
        self, order: Order, domain_slots: List[str], tracker: Tracker
    ) -> List[str]:
        if await ownership.is_confirmed(tracker, order):
            return [slot for slot in domain_slots if slot != ownership.EMAIL_SLOT]
        if ownership.out_of_attempts(tracker):
            # Completes the form: the submit action leaves the order alone and offers a person.
            return ["order_id"]
        return domain_slots

    async def extract_order_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != ownership.EMAIL_SLOT:
            return {}
        if next(tracker.get_latest_entity_values("email"), None):
            return {}  # the domain's entity mapping already fills it
        if next(tracker.get_latest_entity_values("order_id"), None):
            return {}  # another order after all: the form asks for that one's email
        if latest_intent(tracker) in ANSWER_INTENTS:
            return {ownership.EMAIL_SLOT: NO_EMAIL}  # validation explains and counts the try
        # A new question, "never mind" or a request for a person: the form steps aside.
        return {}

    async def validate_order_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        order = await shop().order(tracker.get_slot("order_id") or "")
        if order is None:
            return {ownership.EMAIL_SLOT: None}  # no order yet: the form asks for it first
        redis = redis_client()
        if await ownership.guessed_too_often(redis, order.id):
            # Even a right email now: it may be the lucky guess. The form ends; the submit
            # action says the order stays as it is and offers a person.
            return {ownership.EMAIL_SLOT: None,
                    ownership.EMAIL_ATTEMPTS_SLOT: shop_settings().max_order_email_attempts}
        if ownership.emails_match(str(slot_value or ""), order.email):
            verified = [*ownership.verified_order_ids(tracker), order.id]
            return {ownership.EMAIL_SLOT: None, ownership.VERIFIED_ORDERS_SLOT: verified}
        if slot_value:
            await ownership.count_wrong_guess(redis, order.id)
        return _wrong_email(dispatcher, tracker, order.id, given=bool(slot_value))


def _wrong_email(
    dispatcher: CollectingDispatcher, tracker: Tracker, order_id: str, given: bool
) -> Dict[str, Any]:
    """Count the try; say what went wrong unless it was the last try (the submit action then
    explains). Never which part differs, nor anything of the email on the order."""
    attempts = ownership.email_attempts(tracker) + 1
    if attempts < shop_settings().max_order_email_attempts:
        response = "utter_order_email_mismatch" if given else "utter_order_email_missing"
        dispatcher.utter_message(response=response, order_id=order_id)
    return {ownership.EMAIL_SLOT: None, ownership.EMAIL_ATTEMPTS_SLOT: attempts}


class ValidateCancelForm(_OwnerEmailSteps, FormValidationAction):
    def name(self) -> str:
        return "validate_cancel_form"

    async def blocker(self, order: Order) -> Optional[str]:
        return shop_rules.why_not_cancel(order)


class ValidateReturnForm(_OwnerEmailSteps, FormValidationAction):
    def name(self) -> str:
        return "validate_return_form"

    async def blocker(self, order: Order) -> Optional[str]:
        if await shop().open_return(order.id):
            return "utter_return_already_open"
        return shop_rules.why_not_return(
            order, today(), shop_settings().return_window_days
        )


class ValidateChangeAddressForm(_OwnerEmailSteps, FormValidationAction):
    def name(self) -> str:
        return "validate_change_address_form"

    async def blocker(self, order: Order) -> Optional[str]:
        return shop_rules.why_not_change_address(order)

    async def validate_new_address(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        address = " ".join(str(slot_value or "").split())
        if not shop_rules.looks_like_address(address):
            dispatcher.utter_message(response="utter_address_too_short")
            return {"new_address": None}
        return {"new_address": address}


class ActionAskOrderId(Action):
    """Asks for the order number, offering the one from earlier in the conversation if any."""

    def name(self) -> str:
        return "action_ask_order_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("remembered_order_id"):
            dispatcher.utter_message(response="utter_ask_order_id_remembered")
        else:
            dispatcher.utter_message(response="utter_ask_order_id")
        return []
