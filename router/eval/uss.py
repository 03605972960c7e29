"""Read USS-format dialogues (Sun et al., 2021) and score every user turn with its context.

Format: tab-separated `ROLE<TAB>text<TAB>dialogue act<TAB>ratings`, one turn a line, dialogues
separated by blank lines; ratings (one per annotator) on USER lines; a closing
`USER<TAB>OVERALL<TAB><TAB>ratings` line per dialogue, which is not a turn.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

from router.scoring.conversation import BotTurn, Turn, UserTurn

# USS dialogue acts standing in for our intents, where one means the same thing.
ACT_TO_INTENT = {
    "inform": "inform", "affirm": "affirm", "negate": "deny", "thank_you": "thanks",
    "goodbye": "goodbye", "greeting": "greet", "bye": "goodbye", "thank": "thanks",
}


class UssFormatError(ValueError):
    """A line that is not USS format; the message gives the file and line number."""


def majority_rating(ratings: Tuple[int, ...]) -> int:
    """The most frequent rating; a tie goes to the lowest, as in Sun et al.'s code."""
    counts = Counter(ratings)
    top = max(counts.values())
    return min(rating for rating, count in counts.items() if count == top)


def dissatisfied(ratings: Tuple[int, ...]) -> bool:
    return majority_rating(ratings) <= 2


@dataclass(frozen=True)
class Line:
    role: str
    text: str
    act: str
    ratings: Tuple[int, ...]


def _parse_line(raw: str, where: str) -> Optional[Line]:
    parts = raw.rstrip("\n").split("\t")
    if len(parts) < 3 or parts[0] not in ("USER", "SYSTEM"):
        raise UssFormatError(f"{where}: expected ROLE<TAB>text<TAB>act[<TAB>ratings], got {raw!r}")
    ratings: Tuple[int, ...] = ()
    if parts[0] == "USER":
        if len(parts) < 4 or not parts[3].strip():
            raise UssFormatError(f"{where}: a USER line needs ratings, got {raw!r}")
        try:
            ratings = tuple(int(r) for r in parts[3].split(","))
        except ValueError as error:
            raise UssFormatError(f"{where}: ratings must be whole numbers: {raw!r}") from error
    if parts[0] == "USER" and parts[1] == "OVERALL":
        return None
    return Line(parts[0], parts[1], parts[2].split(",")[0].strip().lower(), ratings)


def dialogues(path: Path) -> Iterator[List[Line]]:
    current: List[Line] = []
    with path.open(encoding="utf-8") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                if current:
                    yield current
                current = []
                continue
            line = _parse_line(raw, f"{path.name}:{number}")
            if line is not None:
                current.append(line)
    if current:
        yield current


def intent_for(act: str) -> Optional[str]:
    """Our intent for a dialogue act, where one means the same thing; else None. MultiWOZ
    prefixes acts with a domain ("hotel-inform"); the act itself is what matters. Acts such as
    "request" (asking for a detail) are not requests in our intents' sense: a user asking
    three details in a row is not repeating themselves, so they are left unnamed."""
    return ACT_TO_INTENT.get(act.rsplit("-", 1)[-1])


def as_turn(line: Line, sentiment: float, meaning: Optional[str] = None) -> Turn:
    if line.role == "SYSTEM":
        # A dialogue act ("request", "offer") is not a response name: two different questions
        # share one. Unnamed, the bot's turns are compared by their text.
        return BotTurn(action="bot", text=line.text)
    return UserTurn(text=line.text, intent=intent_for(line.act), confidence=1.0,
                    sentiment=sentiment, meaning=meaning)
