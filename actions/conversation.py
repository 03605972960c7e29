"""Housekeeping between tasks, and remembering that the bot just offered a person."""

from __future__ import annotations

import functools
from typing import Awaitable, Callable, List, Optional, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from router.scoring.settings import ScorerSettings

# Answers that belong to one run of a form; the order number itself is kept on purpose, so
# the customer never has to give it twice.
FORM_ANSWER_SLOTS = ("return_reason", "new_address", "cancel_confirmed")

# Set after every action that may offer a person: the rules read the next "yes" by it.
PERSON_OFFERED_SLOT = "person_offered"
# Replies that end by offering to bring in a person (one list, shared with the router).
PERSON_OFFERS = frozenset(ScorerSettings().person_offer_responses)

ActionT = TypeVar("ActionT", bound=Action)
RunMethod = Callable[[ActionT, CollectingDispatcher, Tracker, DomainDict],
                     Awaitable[List[EventType]]]


def person_offered(dispatcher: CollectingDispatcher) -> EventType:
    """`person_offered` for what the action just said: did it offer a person?"""
    offered = any(message.get("response") in PERSON_OFFERS for message in dispatcher.messages)
    return SlotSet(PERSON_OFFERED_SLOT, offered)


def records_person_offer(run: RunMethod[ActionT]) -> RunMethod[ActionT]:
    """For an action's `run` that sometimes offers a person (e.g. after giving up on an order
    number): also sets `person_offered`, so a "yes" to the offer brings one in."""

    @functools.wraps(run)
    async def run_and_record(self: ActionT, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[EventType]:
        events = await run(self, dispatcher, tracker, domain)
        return [*events, person_offered(dispatcher)]

    return run_and_record


class ActionResetOrderForms(Action):
    """After a customer abandons a form: forget half-given answers so the next form starts clean."""

    def name(self) -> str:
        return "action_reset_order_forms"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        resets = [SlotSet(slot, None) for slot in FORM_ANSWER_SLOTS]
        return resets + [SlotSet("order_id_attempts", 0), SlotSet("remembered_order_id", None)]


def latest_intent(tracker: Tracker) -> Optional[str]:
    """The intent the NLU read in the customer's latest message, if any."""
    return (tracker.latest_message.get("intent") or {}).get("name")
