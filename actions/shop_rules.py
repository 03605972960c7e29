"""The shop's rules as pure functions: what may happen to an order, and how we name things.

Each check returns the name of the response that explains why not, or None when allowed, so
the forms (which stop asking) and the actions (which re-check before changing anything) agree.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Optional

from actions.store import Order

ORDER_ID_PATTERN = re.compile(r"^\d{6}$")
# Digit runs in free text; used to notice order numbers of the wrong length.
DIGIT_RUN = re.compile(r"#?\d+")


def normalise_order_id(raw: str) -> str:
    """'#482 913' -> '482913': customers add hashes and spaces our ids don't have."""
    return re.sub(r"[\s#-]", "", str(raw))


def is_well_formed_order_id(order_id: str) -> bool:
    return bool(ORDER_ID_PATTERN.match(order_id))


def order_number_in_text(text: str) -> Optional[str]:
    """The first number-like token in a free-text reply, so a malformed one can be explained."""
    match = DIGIT_RUN.search(text or "")
    return normalise_order_id(match.group()) if match else None


def why_not_cancel(order: Order) -> Optional[str]:
    if order.status == "cancelled":
        return "utter_cancel_not_possible_cancelled"
    if order.status != "processing":
        return "utter_cancel_not_possible_shipped"
    return None


def why_not_change_address(order: Order) -> Optional[str]:
    if order.status == "cancelled":
        return "utter_cancel_not_possible_cancelled"
    if order.status != "processing":
        return "utter_address_not_possible"
    return None


def why_not_return(order: Order, today: date, window_days: int) -> Optional[str]:
    if order.status != "delivered" or order.delivered_on is None:
        return "utter_return_not_delivered"
    if today - order.delivered_on > timedelta(days=window_days):
        return "utter_return_window_closed"
    return None


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def day(value: Optional[date]) -> str:
    """'Tuesday, 24 November'; customers think in weekdays for deliveries."""
    return value.strftime("%A, %d %B").replace(" 0", " ") if value else "unknown"


def items_summary(order: Order) -> str:
    return ", ".join(order.items) if order.items else "no items"


# Long enough for "1 A St, 12345 Town", short enough that a pasted essay is not an address.
ADDRESS_LENGTH = (12, 200)


def looks_like_address(text: str) -> bool:
    """A street number and some words: enough to catch "yes" or "the old one" as answers."""
    shortest, longest = ADDRESS_LENGTH
    has_number = any(ch.isdigit() for ch in text)
    has_words = sum(ch.isalpha() for ch in text) >= 4
    return shortest <= len(text) <= longest and has_number and has_words
