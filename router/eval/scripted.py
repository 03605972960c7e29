"""The team's scripted conversations (router/conversations/*.yml): who should be handed off,
and on which customer turn. Format in router/conversations/README.md."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Protocol, Sequence

import yaml
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from router.scoring import BotTurn, ScorerSettings, UserTurn, assess_all
from router.scoring.combiner import LearnedModel
from router.scoring.conversation import Turn

CONVERSATIONS_DIR = Path(__file__).resolve().parent.parent / "conversations"


class ScriptError(ValueError):
    """A scripted conversation that does not follow the format; names the file and script."""


@dataclass(frozen=True)
class Script:
    name: str
    should_hand_off: bool
    hand_off_at: Optional[int]  # 1-based customer turn
    turns: List[Turn]
    source: str


def _turn(raw: Dict[str, Any], vader: SentimentIntensityAnalyzer) -> Turn:
    if "customer" in raw:
        text = str(raw["customer"])
        return UserTurn(text=text, intent=raw.get("intent"),
                        confidence=float(raw.get("confidence", 0.9)),
                        sentiment=vader.polarity_scores(text)["compound"])
    if "bot" in raw:
        return BotTurn(action=str(raw["bot"]), text=str(raw.get("text", "")))
    raise ValueError(f"a turn needs `customer` or `bot`, got {raw!r}")


def load(paths: Iterable[Path]) -> List[Script]:
    vader = SentimentIntensityAnalyzer()
    scripts: List[Script] = []
    for path in paths:
        for raw in yaml.safe_load(path.read_text()) or []:
            where = f"{path.name}: {raw.get('name', '?')}"
            try:
                turns = [_turn(t, vader) for t in raw["turns"]]
                script = Script(str(raw["name"]), bool(raw["should_hand_off"]),
                                raw.get("hand_off_at"), turns, path.name)
            except (KeyError, TypeError, ValueError) as error:
                raise ScriptError(f"{where}: {error}") from error
            if script.should_hand_off and not script.hand_off_at:
                raise ScriptError(f"{where}: should_hand_off needs hand_off_at")
            scripts.append(script)
    return scripts


def default_paths() -> List[Path]:
    return sorted(CONVERSATIONS_DIR.glob("*.yml"))


def first_handoff(turns: Sequence[Turn], settings: ScorerSettings,
                  learned: Optional[LearnedModel] = None) -> Optional[int]:
    """The customer turn (1-based) on which the scorer hands off, if any."""
    for number, assessment in enumerate(assess_all(turns, settings, learned), start=1):
        if assessment.handoff:
            return number
    return None


def evaluate(scripts: List[Script], settings: ScorerSettings) -> Dict[str, Any]:
    """Run the scorer over every script and report `score`'s figures."""
    return score(scripts, {script.name: first_handoff(script.turns, settings)
                           for script in scripts})


class LabelledConversation(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def should_hand_off(self) -> bool: ...
    @property
    def hand_off_at(self) -> Optional[int]: ...


def score(scripts: Sequence[LabelledConversation], handed_off_at: Dict[str, Optional[int]]
          ) -> Dict[str, Any]:
    """Handoff precision and recall over conversations, and how early or late the right
    handoffs came, given the turn each conversation was handed off on (None: never)."""
    true_pos = false_pos = false_neg = 0
    offsets: List[int] = []
    details = []
    for script in scripts:
        at = handed_off_at[script.name]
        if script.should_hand_off and at is not None:
            true_pos += 1
            offsets.append(at - int(script.hand_off_at or 0))
        elif at is not None:
            false_pos += 1
        elif script.should_hand_off:
            false_neg += 1
        details.append({"name": script.name, "should_hand_off": script.should_hand_off,
                        "expected_turn": script.hand_off_at, "handed_off_at": at})
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 0.0
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "conversations": len(scripts),
        "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
        "on_time": sum(1 for o in offsets if o == 0),
        "early": sum(1 for o in offsets if o < 0),
        "late": sum(1 for o in offsets if o > 0),
        # Handoffs on the labelled turn or one either side, of all the right handoffs.
        "within_one_turn": round(sum(1 for o in offsets if abs(o) <= 1) / len(offsets), 3)
        if offsets else None,
        "mean_turns_off": _mean_abs(offsets),
        "details": details,
    }


def _mean_abs(values: List[int]) -> Optional[float]:
    return round(sum(abs(v) for v in values) / len(values), 2) if values else None
