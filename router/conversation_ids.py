"""What a conversation id may be, wherever one comes in. Our channels issue or accept only
these, so the agents' console can always address a conversation that reaches it
(webapp/requests.py refuses any other id before Redis is touched). The characters cover
our web chat's hex ids and the ids of Telegram, Twilio and Slack."""

from __future__ import annotations

import re
from typing import Any

CONVERSATION_ID = re.compile(r"[A-Za-z0-9_.:@+=-]{1,128}")
CONVERSATION_ID_RULE = "a conversation id is 1-128 letters, digits or . _ : @ + = -"


def is_conversation_id(value: Any) -> bool:
    return isinstance(value, str) and CONVERSATION_ID.fullmatch(value) is not None
