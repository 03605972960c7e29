"""The door every customer line passes before Rasa sees it, whichever channel brought it.

It makes the text valid Unicode (router/clean_text.py), refuses a line too long to read, a
conversation sending faster than a person types, or an address starting conversation after
conversation, each with a reply in the bot's voice that says what to do. Only what the shop
vouches for (a signed customer token) becomes trusted metadata; anything else a client puts
in a message's metadata is dropped, so nobody can give themselves a place at the front.
"""

from __future__ import annotations

import ipaddress
import math
import os
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from bot.rate_limits import RateLimiter
from router.clean_text import valid_text
from router.customer_limits import CustomerLimits
from router.customer_token import SECRET_VARIABLE, trusted_priority

TOO_LONG = ("That message is longer than I can read in one go ({length:,} characters; up to "
            "{limit:,} fit). Could you send the main point, or split it into a few messages?")
TOO_FAST = ("You're sending messages faster than I can keep up with, so that last one didn't "
            "reach me. Give me about {seconds} seconds, then send it again.")
TOO_MANY_CONVERSATIONS = ("A lot of new chats have started from your connection, so I can't "
                          "open another one just now. Please try again in about {minutes} "
                          "minutes, or email us and a person will reply.")
# The metadata key a shop page uses to pass its signed token (router/customer_token.py).
CUSTOMER_TOKEN_KEY = "customer_token"
# The trusted metadata key naming the client a line came from (a keyed hash of its address).
CLIENT_KEY = "client"


def client_key(address: str) -> str:
    """The unit a client is counted in: an IPv4 address, or an IPv6 /64 (one household or
    device gets a whole /64, so counting single IPv6 addresses counts nothing)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True)
class Refusal:
    """Why a line was not passed on, and what the customer is told instead."""

    reason: str  # too_long | too_fast | too_many_conversations
    text: str


class CustomerGate:
    def __init__(self, limits: CustomerLimits, token_secret: str = "") -> None:
        self.limits = limits
        self.token_secret = token_secret
        self._messages = RateLimiter(limits.messages_per_minute, 60)
        self._address_lines = RateLimiter(limits.address_lines_per_minute, 60)
        self._conversations = RateLimiter(limits.conversations_per_hour, 3600)

    @classmethod
    def from_env(cls) -> CustomerGate:
        return cls(CustomerLimits.from_env(), os.environ.get(SECRET_VARIABLE, ""))

    def text(self, text: Any) -> Tuple[str, Optional[Refusal]]:
        """The line's text made valid, and the refusal to send back if it is too long."""
        cleaned = valid_text(text if isinstance(text, str) else "")
        if len(cleaned) > self.limits.max_message_chars:
            return cleaned, Refusal("too_long", TOO_LONG.format(
                length=len(cleaned), limit=self.limits.max_message_chars))
        return cleaned, None

    def message(self, conversation_id: str, text: Any, client_address: str = ""
                ) -> Tuple[str, Optional[Refusal]]:
        """`text`, also counted against the conversation's pace and its address's (many
        conversations from one place share one budget)."""
        cleaned, refusal = self.text(text)
        if refusal is None:
            refusal = (_pace(self._messages, conversation_id)
                       or _pace(self._address_lines, client_key(client_address)))
        return cleaned, refusal

    def new_conversation(self, client_address: str) -> Optional[Refusal]:
        key = client_key(client_address)
        if self._conversations.allow(key):
            return None
        minutes = max(1, math.ceil(self._conversations.retry_after(key) / 60))
        return Refusal("too_many_conversations", TOO_MANY_CONVERSATIONS.format(minutes=minutes))

    def trusted_metadata(self, client_metadata: Any, client: str = "") -> Dict[str, Any]:
        """What the bot may believe of a client's metadata: the priority a valid customer
        token vouches for, nothing else; plus who the client is (`client`, from the
        channel), so a handoff can be counted against that client's budget."""
        token = client_metadata.get(CUSTOMER_TOKEN_KEY) if isinstance(client_metadata,
                                                                      dict) else None
        priority = trusted_priority(self.token_secret, token)
        trusted: Dict[str, Any] = {"customer_priority": priority} if priority else {}
        if client:
            trusted[CLIENT_KEY] = client
        return trusted


def _pace(limiter: RateLimiter, key: str) -> Optional[Refusal]:
    if limiter.allow(key):
        return None
    seconds = max(1, math.ceil(limiter.retry_after(key)))
    return Refusal("too_fast", TOO_FAST.format(seconds=seconds))
