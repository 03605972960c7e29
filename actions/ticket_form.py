"""Validation of ticket_form: the message for the team, then where their answer should go.

After the message the form asks for an email address to reply to, saying what it is for, so
giving it is consent to that one use. "No" is a fair answer: the ticket then has no email and
the team can answer only in the chat. An answer without a usable address is explained once;
after that the message goes without an email rather than keep the customer at the question.
When the channel already knows the customer's email (actions/handoff.py), nothing is asked.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.conversation import latest_intent
from actions.handoff import (
    TICKET_EMAIL_ATTEMPTS_SLOT,
    TICKET_EMAIL_SLOT,
    TICKET_WITHOUT_EMAIL_SLOT,
    trusted_customer_email,
)
from actions.order_forms import ANSWER_INTENTS, NO_EMAIL
from router.tickets import BadTicketInput, checked_email

# Answers without a usable address before the message goes without one: one explanation,
# one more try.
MAX_EMAIL_TRIES = 2
# A word that was meant as an email address (it has an @) but that the email entity did not
# take, e.g. "jo@example": worth explaining what is wrong with it rather than asking again.
_EMAIL_LIKE_WORD = re.compile(r"\S+@\S*|\S*@\S+")


class ValidateTicketForm(FormValidationAction):
    def name(self) -> str:
        return "validate_ticket_form"

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        if trusted_customer_email(tracker) or tracker.get_slot(TICKET_WITHOUT_EMAIL_SLOT):
            return [slot for slot in domain_slots if slot != TICKET_EMAIL_SLOT]
        return domain_slots

    async def extract_ticket_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != TICKET_EMAIL_SLOT:
            return {}
        if next(tracker.get_latest_entity_values("email"), None):
            return {}  # the domain's entity mapping already fills it
        text = tracker.latest_message.get("text") or ""
        intent = latest_intent(tracker)
        meant_as_email = _EMAIL_LIKE_WORD.search(text)
        if meant_as_email and intent not in ("nevermind", "request_human"):
            return {TICKET_EMAIL_SLOT: meant_as_email.group()}
        if intent in ANSWER_INTENTS:
            return {TICKET_EMAIL_SLOT: NO_EMAIL}  # validation explains, or takes "no"
        # A new question, "never mind" or a request for a person: the form steps aside.
        return {}

    async def validate_ticket_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        given = str(slot_value or "").strip()
        if given:
            try:
                return {TICKET_EMAIL_SLOT: checked_email(given), TICKET_EMAIL_ATTEMPTS_SLOT: 0}
            except BadTicketInput:
                return _failed_try(dispatcher, tracker, "utter_ticket_email_malformed", given)
        if latest_intent(tracker) == "deny":
            return {TICKET_EMAIL_SLOT: None, TICKET_WITHOUT_EMAIL_SLOT: True}
        return _failed_try(dispatcher, tracker, "utter_ticket_email_missing", given)


def _failed_try(dispatcher: CollectingDispatcher, tracker: Tracker, response: str,
                given: str) -> Dict[str, Any]:
    """Explain what was wrong, unless the tries are used up: then the message goes without
    an email, and the confirmation says the team will answer in the chat."""
    attempts = int(tracker.get_slot(TICKET_EMAIL_ATTEMPTS_SLOT) or 0) + 1
    if attempts >= MAX_EMAIL_TRIES:
        return {TICKET_EMAIL_SLOT: None, TICKET_WITHOUT_EMAIL_SLOT: True,
                TICKET_EMAIL_ATTEMPTS_SLOT: attempts}
    dispatcher.utter_message(response=response, email=given)
    return {TICKET_EMAIL_SLOT: None, TICKET_EMAIL_ATTEMPTS_SLOT: attempts}
