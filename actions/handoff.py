"""Bringing in a person: queue the conversation with its whole story, or say honestly why not
and take a message instead."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from redis import asyncio as aioredis

from actions.conversation import FORM_ANSWER_SLOTS, latest_intent
from actions.settings import shop_settings
from bot.customer_input import CLIENT_KEY
from router import keys, metrics, service_settings
from router.customer_limits import CustomerLimits
from router.handoff.availability import Availability, check
from router.handoff.ordering import QueueSettings
from router.handoff.packet import build_packet
from router.handoff.queue import HandoffQueue, QueueError
from router.handoff.routing import team_for
from router.tickets import BadTicketInput, TicketStore, checked_email

ASKED_FOR_A_PERSON = "customer asked for a person"
# The slot a form asking for the customer's email fills (when the domain has one): the
# ticket's answer is mailed there.
TICKET_EMAIL_SLOT = "ticket_email"
# Set by ticket_form when there is no email for the answer (the customer said no, or no
# usable address after the tries allowed): the team can then answer only in the chat.
TICKET_WITHOUT_EMAIL_SLOT = "ticket_without_email"
TICKET_EMAIL_ATTEMPTS_SLOT = "ticket_email_attempts"
# The key in the session's metadata under which a channel may name the customer's email.
CUSTOMER_EMAIL_KEY = "customer_email"
# Outcomes of a handoff, counted: queued, why nobody could take over, or a person has it.
CLIENT_LIMIT = "client_limit"
ALREADY_WITH_PERSON = "already_with_person"
# Availability's reasons are the responses the bot says ("utter_handoff_closed"); the outcome
# is the rest of the name ("closed", "nobody_online", "queue_full").
UNAVAILABLE_RESPONSE_PREFIX = "utter_handoff_"


@lru_cache(maxsize=1)
def redis_client() -> aioredis.Redis:
    return aioredis.Redis.from_url(shop_settings().redis_url)


def handoff_queue() -> HandoffQueue:
    return HandoffQueue(redis_client(), QueueSettings.from_env())


def ticket_store() -> TicketStore:
    return TicketStore(redis_client(), CustomerLimits.from_env().max_message_chars)


def trusted_customer_email(tracker: Tracker) -> Optional[str]:
    """The customer's email as the channel knows it, from the session's metadata.

    Only a signed customer token may put it there (a channel that has verified who the
    customer is); today no channel sets it, so this is read if present and nothing more."""
    metadata = tracker.get_slot("session_started_metadata") or {}
    email = metadata.get(CUSTOMER_EMAIL_KEY) if isinstance(metadata, dict) else None
    return _usable_email(email)


def reply_email(tracker: Tracker) -> Optional[str]:
    """Where the team's answer to a left message is mailed: the address the channel knows,
    else the one the customer gave; None when neither is usable (the answer stays in chat)."""
    return trusted_customer_email(tracker) or _usable_email(tracker.get_slot(TICKET_EMAIL_SLOT))


def _usable_email(email: Any) -> Optional[str]:
    if not isinstance(email, str) or not email.strip():
        return None
    try:
        return checked_email(email)
    except BadTicketInput:
        return None


def customer_priority(tracker: Tracker) -> int:
    """0 normal, 1 high, 2 urgent: a channel may say so in the session's metadata (e.g. a
    signed-in shop page for a business account). Anything else counts as normal."""
    metadata = tracker.get_slot("session_started_metadata") or {}
    value = metadata.get("customer_priority") if isinstance(metadata, dict) else None
    return value if isinstance(value, int) and 0 <= value <= 2 else 0


def _client(tracker: Tracker) -> Optional[str]:
    """The client the channel named (a keyed hash of its address), if any."""
    metadata = tracker.get_slot("session_started_metadata") or {}
    client = metadata.get(CLIENT_KEY) if isinstance(metadata, dict) else None
    return client if isinstance(client, str) and client else None


async def _within_client_budget(queue: HandoffQueue, tracker: Tracker) -> bool:
    """One client may be queued only so often an hour."""
    client = _client(tracker)
    return client is None or await queue.within_client_budget(
        client, CustomerLimits.from_env().handoffs_per_hour)


async def _may_leave_a_ticket(queue: HandoffQueue, tracker: Tracker) -> bool:
    """One client may leave only so many messages for the team an hour."""
    client = _client(tracker)
    return client is None or await queue.within_client_budget(
        client, CustomerLimits.from_env().tickets_per_hour, counter=keys.tickets_by_client)


def packet_for(tracker: Tracker, reason: str) -> Dict[str, Any]:
    assessment = tracker.get_slot("frustration")
    return build_packet(tracker.sender_id, list(tracker.events), dict(tracker.slots),
                        tracker.get_latest_input_channel(), reason, assessment, time.time(),
                        customer_priority(tracker))


def _stop_any_task(tracker: Tracker) -> List[EventType]:
    if not tracker.active_loop_name:
        return []
    return [ActiveLoop(None), SlotSet("requested_slot", None)] + [
        SlotSet(slot, None) for slot in FORM_ANSWER_SLOTS]


# A problem only a person can solve gets an honest word on why before the handoff's own
# message: "utter_handoff_intro_<intent>" where the domain has one.
HANDOFF_INTRO_PREFIX = "utter_handoff_intro_"


def _say_why_a_person(dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: DomainDict) -> None:
    intent = latest_intent(tracker)
    intro = f"{HANDOFF_INTRO_PREFIX}{intent}"
    if intent and intro in (domain.get("responses") or {}):
        dispatcher.utter_message(response=intro)


def _why_not(availability: Availability) -> str:
    return (availability.reason or "").removeprefix(UNAVAILABLE_RESPONSE_PREFIX)


def _count_handoff(reason: str, outcome: str) -> None:
    metrics.count_soon(redis_client(), metrics.HANDOFFS, metrics.reason_kind(reason), outcome)


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        settings = shop_settings()
        queue = handoff_queue()
        assessment = tracker.get_slot("frustration") or {}
        reason = assessment.get("handoff_reason") or ASKED_FOR_A_PERSON
        # When people can take over, as an admin set it (router/service_settings.py).
        service = await service_settings.live(queue.redis, settings.service)
        availability = check(service.open_at(service.now(time.time())),
                             await queue.agents_online(time.time()), await queue.length(),
                             service.queue_limit)
        events = _stop_any_task(tracker)
        _say_why_a_person(dispatcher, tracker, domain)
        why_not = _why_not(availability)
        if availability.available and not await _within_client_budget(queue, tracker):
            # Said as the queue being busy: the message (a ticket) is the honest way on.
            availability, why_not = Availability(False, "utter_handoff_queue_full"), CLIENT_LIMIT
        if not availability.available:
            _count_handoff(reason, why_not)
            dispatcher.utter_message(response=availability.reason, hours=service.said())
            return events + [SlotSet("handoff_unavailable", True)]
        packet = packet_for(tracker, reason)
        try:
            position = await queue.enqueue(packet, team=team_for(packet, service.routing))
        except QueueError:  # a person has it already: stay quiet, they will answer
            _count_handoff(reason, ALREADY_WITH_PERSON)
            return events + [ConversationPaused()]
        _count_handoff(reason, metrics.QUEUED)
        minutes = await queue.estimated_wait(position, time.time())
        # `queue` travels as message metadata: the web chat shows it as a status line.
        dispatcher.utter_message(response="utter_handoff_started", position=position,
                                 minutes=minutes,
                                 queue={"position": position, "minutes": minutes})
        return events + [SlotSet("handoff_unavailable", False), ConversationPaused()]


class ActionCreateTicket(Action):
    def name(self) -> str:
        return "action_create_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        message = tracker.get_slot("ticket_message") or ""
        queue = handoff_queue()
        done = [SlotSet("ticket_message", None), SlotSet("handoff_unavailable", False),
                SlotSet(TICKET_EMAIL_SLOT, None), SlotSet(TICKET_WITHOUT_EMAIL_SLOT, None),
                SlotSet(TICKET_EMAIL_ATTEMPTS_SLOT, 0)]
        if not await _may_leave_a_ticket(queue, tracker):
            dispatcher.utter_message(response="utter_ticket_too_many")
            return done
        packet = packet_for(tracker, "left a message: no person was available")
        email = reply_email(tracker)
        # The channel already refuses lines over the same limit, so the store accepts it.
        ticket = await ticket_store().create(packet, message, email=email)
        metrics.count_soon(redis_client(), metrics.TICKETS_OPENED, metrics.LEFT_A_MESSAGE)
        dispatcher.utter_message(response="utter_ticket_created", ticket_id=ticket.reference)
        if email:
            dispatcher.utter_message(response="utter_ticket_reply_by_email", email=email)
        else:
            dispatcher.utter_message(response="utter_ticket_reply_in_chat")
        return done
