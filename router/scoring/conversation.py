"""The scorer's view of a conversation: user and bot turns, nothing framework-specific."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Union

from router.transcript import BOT, CUSTOMER, Line


@dataclass(frozen=True)
class UserTurn:
    text: str
    intent: Optional[str] = None
    confidence: float = 1.0
    # VADER's compound score in [-1, 1], as the sentiment component stores it.
    sentiment: float = 0.0
    timestamp: float = 0.0
    # The line's sentence embedding, encoded (router/scoring/meaning.py); None when unknown.
    meaning: Optional[str] = None


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


def turns_from_lines(lines: Iterable[Line]) -> List[Turn]:
    """The transcript's customer and bot lines as turns (a person's lines are not the bot's
    doing, and the router does not score while a person has the conversation)."""
    turns: List[Turn] = []
    for line in lines:
        if line.speaker == CUSTOMER:
            turns.append(UserTurn(text=line.text, intent=line.intent,
                                  confidence=line.confidence or 0.0,
                                  sentiment=line.sentiment or 0.0,
                                  timestamp=line.timestamp or 0.0, meaning=line.meaning))
        elif line.speaker == BOT:
            turns.append(BotTurn(action=line.response or "bot", text=line.text,
                                 timestamp=line.timestamp or 0.0))
    return turns
