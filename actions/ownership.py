"""Proof that whoever changes an order owns it: the email address on the order.

An order number alone is not proof: it is printed on parcels, invoices and screenshots. So the
forms that cancel, return or re-address an order ask for the order's email first, once per
conversation. An order counts as confirmed when the customer gave its email in this
conversation, or gave that same email for another order: they have already shown they know
that address, so asking again would prove nothing more and only cost the real customer a step.

Wrong emails are counted per conversation, not per form, so "never mind" and starting again
buys no extra guesses, and per order in Redis across conversations, so a new conversation
does not either. The email itself is never kept in a slot, only which orders it unlocked.
"""

from __future__ import annotations

from typing import List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from redis import asyncio as aioredis

from actions.settings import shop_settings
from actions.shop import shop
from actions.store import Order
from router import keys
from router.counting import count_in_window

EMAIL_SLOT = "order_email"
EMAIL_ATTEMPTS_SLOT = "order_email_attempts"
VERIFIED_ORDERS_SLOT = "verified_order_ids"
GUESS_WINDOW_SECONDS = 3600


def normalise_email(email: str) -> str:
    """' Jon.Ortiz@Example.org ' -> 'jon.ortiz@example.org': people type emails loosely."""
    return str(email).strip().lower()


def emails_match(given: str, on_file: str) -> bool:
    given = normalise_email(given)
    return bool(given) and given == normalise_email(on_file)


def verified_order_ids(tracker: Tracker) -> List[str]:
    return list(tracker.get_slot(VERIFIED_ORDERS_SLOT) or [])


def email_attempts(tracker: Tracker) -> int:
    """Wrong (or missing) emails given so far in this conversation."""
    return int(tracker.get_slot(EMAIL_ATTEMPTS_SLOT) or 0)


def out_of_attempts(tracker: Tracker) -> bool:
    return email_attempts(tracker) >= shop_settings().max_order_email_attempts


async def guessed_too_often(redis: aioredis.Redis, order_id: str) -> bool:
    """Have too many wrong emails been given for this order lately, anywhere?"""
    guesses = int(await redis.get(keys.order_email_guesses(order_id)) or 0)
    return guesses >= shop_settings().max_order_email_guesses_per_hour


async def count_wrong_guess(redis: aioredis.Redis, order_id: str) -> None:
    await count_in_window(redis, keys.order_email_guesses(order_id), GUESS_WINDOW_SECONDS)


async def is_confirmed(tracker: Tracker, order: Order) -> bool:
    """Has the customer shown, in this conversation, that they know this order's email?"""
    verified = verified_order_ids(tracker)
    if order.id in verified:
        return True
    for other_id in verified:
        other = await shop().order(other_id)
        if other is not None and emails_match(other.email, order.email):
            return True
    return False


async def confirmed_or_refused(
    dispatcher: CollectingDispatcher, tracker: Tracker, order: Order
) -> bool:
    """For the actions that change an order: True when its owner is confirmed; otherwise
    tell the customer the order stays as it is and offer a person who can check another way."""
    if await is_confirmed(tracker, order):
        return True
    dispatcher.utter_message(response="utter_order_email_gave_up", order_id=order.id)
    # utter_contact ends by offering a person, so `person_offered` is set and "yes" brings one.
    dispatcher.utter_message(response="utter_contact")
    return False
