"""Typing indicators both ways: the customer sees "Sam is typing…", the agent sees "The
customer is typing…". Each side signals at most every `SIGNAL_EVERY_SECONDS` while typing;
the other side shows the indicator for `SHOWN_FOR_SECONDS` after the last signal (longer than
the signal interval, so it does not flicker, and short enough that a customer who stopped is
not shown as typing for long). There is no "stopped" signal to lose: silence ends it. A line
from that side ends it at once.

Signals go over Redis pub/sub (never stored) between the web chat channel in Rasa
(bot/typing_relay.py) and the agents' console (webapp/console.py). Both pages read the two
durations from the API, so this module is their one source.
"""

from __future__ import annotations

import json
from typing import Any, Dict

from redis import asyncio as aioredis

from router import keys

SIGNAL_EVERY_SECONDS = 3.0
SHOWN_FOR_SECONDS = 6.0


def timing() -> Dict[str, float]:
    """What the chat page and the console follow."""
    return {"signal_every_seconds": SIGNAL_EVERY_SECONDS,
            "shown_for_seconds": SHOWN_FOR_SECONDS}


async def agent_is_typing(redis: aioredis.Redis, conversation_id: str, agent_name: str) -> None:
    await redis.publish(keys.agent_typing(conversation_id), json.dumps(
        {"conversation_id": conversation_id, "agent_name": agent_name}))


async def customer_is_typing(redis: aioredis.Redis, conversation_id: str) -> None:
    await redis.publish(keys.customer_typing(conversation_id), "1")


def agent_typing_message(data: Any) -> Dict[str, str]:
    """The conversation and agent of an agent_typing message; ValueError if it is not one."""
    message = json.loads(data)
    if not isinstance(message, dict) or not isinstance(message.get("conversation_id"), str) \
            or not isinstance(message.get("agent_name"), str):
        raise ValueError(f"not a typing signal: {str(data)[:80]}")
    return {"conversation_id": message["conversation_id"], "agent_name": message["agent_name"]}
