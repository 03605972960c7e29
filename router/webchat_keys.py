"""The key that proves a web chat conversation is yours: an HMAC of its id with WEBCHAT_SECRET.
The chat channel (bot/webchat.py) issues and checks it; the web service checks it too, when a
returning page asks for the lines a person sent while it was closed. Pure."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

SECRET_VARIABLE = "WEBCHAT_SECRET"


def session_key(secret: str, conversation_id: str) -> str:
    """The key that proves a conversation is yours: only the server can make it."""
    return hmac.new(secret.encode(), b"webchat-conversation:" + conversation_id.encode(),
                    hashlib.sha256).hexdigest()


def owns(secret: str, conversation_id: Any, key: Any) -> bool:
    return (bool(secret) and isinstance(conversation_id, str) and isinstance(key, str)
            and 0 < len(key) <= 128
            and hmac.compare_digest(key.encode(), session_key(secret, conversation_id).encode()))
