"""ticket_form's email question: asked after the message, consent by answering, "no" is an
answer, one explanation for an unusable answer, and not asked when the channel knows it."""

from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import (
    TICKET_EMAIL_ATTEMPTS_SLOT,
    TICKET_EMAIL_SLOT,
    TICKET_WITHOUT_EMAIL_SLOT,
)
from actions.ticket_form import MAX_EMAIL_TRIES, ValidateTicketForm
from router.tickets import MAX_EMAIL_CHARS
from tests.actions.test_order_forms import asks_next
from tests.factories import domain, entity, responses, slot_events, tracker

MESSAGE = "my parcel never arrived"


async def run(t: Tracker) -> Tuple[List[Optional[str]], Dict[str, Any], CollectingDispatcher]:
    """What the validator says, the slots it sets (with `requested_slot`, the question the form
    asks next, as Rasa decides it), and the dispatcher."""
    dispatcher = CollectingDispatcher()
    events = await ValidateTicketForm().run(dispatcher, t, domain())
    slots = slot_events(events)
    slots["requested_slot"] = asks_next(t, slots)
    return responses(dispatcher), slots, dispatcher


def at_email_question(text: str, intent: str = "inform", email: Optional[str] = None,
                      **slots: Any) -> Tracker:
    """The customer answers "What email address should our team reply to?"."""
    entities = [entity("email", email)] if email else []
    just_set = {TICKET_EMAIL_SLOT: email} if email else {}
    return tracker(text, intent=intent, entities=entities, just_set=just_set,
                   slots={"ticket_message": MESSAGE, "requested_slot": TICKET_EMAIL_SLOT,
                          **slots},
                   active_loop="ticket_form")


def test_the_form_asks_for_the_email_after_the_message() -> None:
    required = domain()["forms"]["ticket_form"]["required_slots"]
    assert required == ["ticket_message", TICKET_EMAIL_SLOT]
    assert "utter_ask_ticket_email" in domain()["responses"]


async def test_after_the_message_the_email_is_asked() -> None:
    t = tracker(MESSAGE, just_set={"ticket_message": MESSAGE},
                slots={"requested_slot": "ticket_message"}, active_loop="ticket_form")
    said, slots, _ = await run(t)
    assert said == []
    assert slots["requested_slot"] == TICKET_EMAIL_SLOT


async def test_a_well_formed_email_is_taken_and_the_form_is_done() -> None:
    said, slots, _ = await run(at_email_question("jo@example.org", email="jo@example.org"))
    assert said == []
    assert slots[TICKET_EMAIL_SLOT] == "jo@example.org"
    assert slots["requested_slot"] is None


async def test_no_is_an_answer_the_message_goes_without_an_email() -> None:
    said, slots, _ = await run(at_email_question("I'd rather not", intent="deny"))
    assert said == []
    assert slots[TICKET_EMAIL_SLOT] is None
    assert slots[TICKET_WITHOUT_EMAIL_SLOT] is True
    assert slots["requested_slot"] is None


async def test_an_answer_without_an_email_is_explained_and_asked_again() -> None:
    said, slots, _ = await run(at_email_question("hmm, let me think"))
    assert said == ["utter_ticket_email_missing"]
    assert slots[TICKET_EMAIL_SLOT] is None
    assert slots[TICKET_EMAIL_ATTEMPTS_SLOT] == 1
    assert slots["requested_slot"] == TICKET_EMAIL_SLOT


@pytest.mark.parametrize("typed", ["jo@example", "jo@", "@example.org", "jo@example.c",
                                   "jo@@example.org"])
async def test_a_malformed_email_is_explained(typed: str) -> None:
    said, slots, dispatcher = await run(at_email_question(f"it's {typed}"))
    assert said == ["utter_ticket_email_malformed"]
    assert dispatcher.messages[0]["email"] == typed
    assert slots[TICKET_EMAIL_SLOT] is None
    assert slots["requested_slot"] == TICKET_EMAIL_SLOT


async def test_an_entity_the_ticket_store_would_refuse_is_explained_too() -> None:
    """The entity regex is looser than what a ticket keeps: the form checks the stricter."""
    too_long = "j" * MAX_EMAIL_CHARS + "@example.org"
    said, slots, _ = await run(at_email_question(too_long, email=too_long))
    assert said == ["utter_ticket_email_malformed"]
    assert slots[TICKET_EMAIL_SLOT] is None


async def test_a_wrong_email_then_a_right_one() -> None:
    said, slots, _ = await run(at_email_question("jo@example"))
    assert said == ["utter_ticket_email_malformed"]
    said, slots, _ = await run(at_email_question(
        "jo@example.org", email="jo@example.org", **{TICKET_EMAIL_ATTEMPTS_SLOT: 1}))
    assert said == []
    assert slots[TICKET_EMAIL_SLOT] == "jo@example.org"
    assert slots[TICKET_EMAIL_ATTEMPTS_SLOT] == 0


async def test_after_the_last_try_the_message_goes_without_an_email() -> None:
    """One explanation, one more try: then no more questions, and the confirmation says the
    answer comes in the chat."""
    t = at_email_question("what?", **{TICKET_EMAIL_ATTEMPTS_SLOT: MAX_EMAIL_TRIES - 1})
    said, slots, _ = await run(t)
    assert said == []
    assert slots[TICKET_WITHOUT_EMAIL_SLOT] is True
    assert slots["requested_slot"] is None


@pytest.mark.parametrize(("text", "intent"), [("forget it", "nevermind"),
                                              ("stop", "nevermind"),
                                              ("a person please", "request_human"),
                                              ("what are your opening hours", "store_hours")])
async def test_never_mind_a_person_or_a_new_question_is_not_an_answer(
    text: str, intent: str
) -> None:
    said, slots, _ = await run(at_email_question(text, intent=intent))
    assert said == []
    assert TICKET_EMAIL_SLOT not in slots
    assert TICKET_WITHOUT_EMAIL_SLOT not in slots


async def test_an_email_typed_into_the_message_is_not_taken_as_the_answer() -> None:
    """Only while the form asks for it: a message that mentions an address stays a message."""
    t = tracker("write to jo@example.org", entities=[entity("email", "jo@example.org")],
                just_set={"ticket_message": "write to jo@example.org"},
                slots={"requested_slot": "ticket_message"}, active_loop="ticket_form")
    said, slots, _ = await run(t)
    assert TICKET_EMAIL_SLOT not in slots
    assert slots["requested_slot"] == TICKET_EMAIL_SLOT


async def test_the_email_the_channel_knows_is_not_asked_for() -> None:
    t = tracker(MESSAGE, just_set={"ticket_message": MESSAGE},
                slots={"requested_slot": "ticket_message",
                       "session_started_metadata": {"customer_email": "jo@example.org"}},
                active_loop="ticket_form")
    said, slots, _ = await run(t)
    assert said == []
    assert slots["requested_slot"] is None


async def test_an_unusable_email_from_the_channel_still_asks() -> None:
    t = tracker(MESSAGE, just_set={"ticket_message": MESSAGE},
                slots={"requested_slot": "ticket_message",
                       "session_started_metadata": {"customer_email": "not an email"}},
                active_loop="ticket_form")
    _, slots, _ = await run(t)
    assert slots["requested_slot"] == TICKET_EMAIL_SLOT
