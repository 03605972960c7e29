"""When a person lets go of a conversation: the bot greets the customer again with the story
intact, asks how it went after a resolution, and keeps the bot quiet while a person has it,
even across a new Rasa session."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import handoff_queue, redis_client
from actions.ownership import VERIFIED_ORDERS_SLOT
from router import keys
from router.history import rate_latest_case
from router.plain_words import RATINGS


def rating_buttons() -> List[Dict[str, Any]]:
    return [{"title": title, "payload": "/rate_handoff" + json.dumps({"handoff_rating": value})}
            for value, title in RATINGS.items()]


class ActionWelcomeBack(Action):
    """Run by the relay (router/relay/outbox.py) right after it resumed the bot."""

    def name(self) -> str:
        return "action_welcome_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        agent = tracker.get_slot("handoff_agent") or "Our team"
        outcome = tracker.get_slot("handoff_outcome")
        if outcome == "expired":
            reference = tracker.get_slot("handoff_ticket")
            if reference:
                dispatcher.utter_message(response="utter_welcome_back_expired_with_reference",
                                         ticket_id=reference, handoff={"state": "with_bot"})
            else:
                dispatcher.utter_message(response="utter_welcome_back_expired",
                                         handoff={"state": "with_bot"})
        elif outcome == "resolved":
            dispatcher.utter_message(response="utter_welcome_back_resolved", agent=agent,
                                     buttons=rating_buttons(),
                                     handoff={"state": "with_bot", "agent_name": agent})
        else:
            dispatcher.utter_message(response="utter_welcome_back_handed_back", agent=agent,
                                     handoff={"state": "with_bot", "agent_name": agent})
        # Rasa's `execute` runs this action and stops; ending on action_listen in the same
        # tracker update (under the conversation's lock) means the customer's next message,
        # even a click on a rating button a moment later, meets a bot that is listening.
        return [SlotSet("handoff_unavailable", False), ActionExecuted("action_listen")]


class ActionRecordHandoffRating(Action):
    def name(self) -> str:
        return "action_record_handoff_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        rating = next(tracker.get_latest_entity_values("handoff_rating"), None)
        now = time.time()
        # Beside the story in the team's history (router/history.py): only the first answer
        # to the question asked after a resolution counts.
        if isinstance(rating, str) and rating in RATINGS and \
                await rate_latest_case(redis_client(), tracker.sender_id, rating, now):
            await redis_client().xadd(keys.HANDOFF_RATINGS, {
                "conversation_id": tracker.sender_id, "rating": rating,
                "agent": tracker.get_slot("handoff_agent") or "", "at": now},
                maxlen=100_000, approximate=True)
        dispatcher.utter_message(response="utter_handoff_rating_thanks")
        return []


NOT_CARRIED_OVER = {"session_started_metadata", VERIFIED_ORDERS_SLOT}


class ActionSessionStart(Action):
    """Rasa starts a new session after an hour of quiet, and a new session is not paused. If a
    person still has the conversation (Redis says so), pause again at once, so the bot never
    talks over them."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        # Carry slots over (domain: carry_over_slots_to_new_session), as Rasa's own one does,
        # but not a proof of owning an order: after an hour away, the person at the keyboard
        # may be someone else (a shared computer), so they show it again.
        events += [SlotSet(name, value) for name, value in tracker.slots.items()
                   if value is not None and name not in NOT_CARRIED_OVER]
        metadata = tracker.get_slot("session_started_metadata")
        if metadata is not None:
            events.append(SlotSet("session_started_metadata", metadata))
        events.append(ActionExecuted("action_listen"))
        if await handoff_queue().owner(tracker.sender_id) is not None:
            events.append(ConversationPaused())
        return events
