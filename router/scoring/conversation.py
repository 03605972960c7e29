"""The scorer's view of a conversation: user and bot turns, nothing framework-specific."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Union


@dataclass(frozen=True)
class UserTurn:
    text: str
    intent: Optional[str] = None
    confidence: float = 1.0
    # VADER's compound score in [-1, 1], as the sentiment component stores it.
    sentiment: float = 0.0
    timestamp: float = 0.0


@dataclass(frozen=True)
class BotTurn:
    # The action or response the bot ran (e.g. "utter_shipping_costs"); text when known.
    action: str
    text: str = ""
    timestamp: float = 0.0


Turn = Union[UserTurn, BotTurn]
Conversation = Sequence[Turn]


def user_turns(conversation: Conversation) -> List[UserTurn]:
    return [turn for turn in conversation if isinstance(turn, UserTurn)]


def bot_turns(conversation: Conversation) -> List[BotTurn]:
    return [turn for turn in conversation if isinstance(turn, BotTurn)]
