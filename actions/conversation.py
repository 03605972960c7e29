"""Housekeeping between tasks."""

from __future__ import annotations

from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# Answers that belong to one run of a form; the order number itself is kept on purpose, so
# the customer never has to give it twice.
FORM_ANSWER_SLOTS = ("return_reason", "new_address", "cancel_confirmed")


class ActionResetOrderForms(Action):
    """After a customer abandons a form: forget half-given answers so the next form starts clean."""

    def name(self) -> str:
        return "action_reset_order_forms"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        resets = [SlotSet(slot, None) for slot in FORM_ANSWER_SLOTS]
        return resets + [SlotSet("order_id_attempts", 0), SlotSet("remembered_order_id", None)]
