"""What one customer may send, in one place: the chat channels (bot/) enforce it, the web
service tells the chat page (so its text box stops where the bot would), docs/SECURITY.md
explains it.

A customer line longer than `max_message_chars` never reaches the NLU: reading a 1 MB line
once kept the bot busy for 17 s, for every customer. Rates are counted per client in each Rasa
process (bot/rate_limits.py), so one client cannot crowd out the others or fill the queue with
new conversations.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Mapping


class BadLimit(ValueError):
    """A limit set in the environment is not a positive whole number."""


@dataclass(frozen=True)
class CustomerLimits:
    # A long email's worth of text; agents' lines have the same limit (webapp/console.py).
    max_message_chars: int = 2000
    # The socket.io transport refuses bigger frames before anything is decoded. JSON escapes
    # can make 2,000 characters up to ~12 bytes each, and a line carries a little metadata.
    max_frame_bytes: int = 32 * 1024
    # Rasa's HTTP server refuses bigger request bodies (Sanic's default is 100 MB): a REST line
    # of the longest text fits many times over, and so does a batch of tracker events.
    max_request_bytes: int = 256 * 1024
    # Messages one conversation may send per minute (typing fast is ~10; pasting, a few more).
    messages_per_minute: int = 30
    # Lines per minute from one address (or IPv6 /64), all its conversations together.
    address_lines_per_minute: int = 120
    # New conversations one address may start per hour: a family or an office shares one,
    # a script filling the queue with "get me a human" does not get far.
    conversations_per_hour: int = 20
    # Times one address may be put in the queue for a person per hour (counted in Redis, for
    # every Rasa process): a real customer needs one or two; more are offered a message.
    handoffs_per_hour: int = 5
    # Messages for the team (tickets) one address may leave per hour, for the same reason.
    tickets_per_hour: int = 5

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> CustomerLimits:
        return cls(
            max_message_chars=_positive(env, "MAX_MESSAGE_CHARS", cls.max_message_chars),
            max_frame_bytes=_positive(env, "MAX_FRAME_BYTES", cls.max_frame_bytes),
            messages_per_minute=_positive(env, "MESSAGES_PER_MINUTE", cls.messages_per_minute),
            address_lines_per_minute=_positive(env, "ADDRESS_LINES_PER_MINUTE",
                                               cls.address_lines_per_minute),
            conversations_per_hour=_positive(env, "CONVERSATIONS_PER_HOUR",
                                             cls.conversations_per_hour),
            handoffs_per_hour=_positive(env, "HANDOFFS_PER_HOUR", cls.handoffs_per_hour),
            tickets_per_hour=_positive(env, "TICKETS_PER_HOUR", cls.tickets_per_hour),
        )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < 1:
        raise BadLimit(f"{name} must be a whole number of at least 1, got {raw!r}.")
    return int(raw)
