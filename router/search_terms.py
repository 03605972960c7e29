"""What a past conversation or a ticket can be found by, and what an agent's search asks for.

Agents look a customer up by what the customer quotes: an order number, an email address,
or an id the console showed them. Each becomes a term ("order:482913",
"email:maria.k@example.com", "conversation:<id>"); a case or a ticket is filed under every term
its story mentions (router/history.py), so a search is one lookup, not a scan. Pure.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Set

from router.transcript import BOT

# An email as people write one inside a sentence (the ticket's stricter check is for
# addresses we mail; here a looser match only means one more way to be found).
EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}")
# Order numbers are digits (the shop's are six); any run of 5 to 12 digits standing alone in
# what was said is filed, so a number quoted to the customer or by them finds the story.
NUMBER_IN_TEXT = re.compile(r"(?<![\w.-])\d{5,12}(?![\w-])")
# Slots that hold who the customer is or which order they mean (domain.yml).
EMAIL_SLOTS = ("email", "ticket_email", "customer_email")
ORDER_SLOTS = ("order_id", "remembered_order_id")
# The longest search an agent can type; longer is no id, email or order number of ours.
MAX_QUERY_CHARS = 254

ORDER, EMAIL, CONVERSATION = "order", "email", "conversation"


def term(kind: str, value: str) -> str:
    return f"{kind}:{value.strip().lower()}"


def terms_in_text(text: str) -> Set[str]:
    found = {term(EMAIL, email) for email in EMAIL_IN_TEXT.findall(text)}
    found |= {term(ORDER, number) for number in NUMBER_IN_TEXT.findall(text)}
    return found


def story_terms(conversation_id: str, packet: Dict[str, Any],
                lines: Iterable[Dict[str, Any]] = (), *more_text: Optional[str]) -> Set[str]:
    """Every term a handed-off conversation (its packet, the lines since, and `more_text`
    such as a ticket's message and email) can be found by."""
    found = {term(CONVERSATION, conversation_id)}
    slots = packet.get("slots") or {}
    found |= {term(EMAIL, str(slots[name])) for name in EMAIL_SLOTS if slots.get(name)}
    found |= {term(ORDER, str(slots[name])) for name in ORDER_SLOTS if slots.get(name)}
    # What the customer and the team said: the bot's own lines quote examples ("like 482913",
    # name@example.com) that would file strangers under a real customer's order.
    said = [str(line.get("text") or "") for line in packet.get("transcript") or []
            if line.get("from") != BOT]
    said += [str(line.get("text") or "") for line in lines if line.get("from") != BOT]
    said += [text for text in more_text if text]
    for text in said:
        found |= terms_in_text(text)
    return found


def query_terms(query: str) -> List[str]:
    """The terms an agent's search asks for (any of them matches): an email, an order number
    (digits may also be a conversation id: Telegram's are numbers), else a conversation id;
    none for an empty search (a search by date only)."""
    query = query.strip()
    if not query:
        return []
    if "@" in query:
        return [term(EMAIL, query)]
    digits = query.lstrip("#")
    if digits.isdigit():
        return [term(ORDER, digits), term(CONVERSATION, digits)]
    return [term(CONVERSATION, query)]
