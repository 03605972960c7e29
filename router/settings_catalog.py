"""What each of the router's settings is, said for the admins who change it: a label, a
sentence on what it does, and the values it takes. The admins' form is built from this (served
by webapp/settings_admin.py), so the page copies no range or label; the checks here add what
ScorerSettings (router/scoring/settings.py) does not check itself: upper bounds of counts, the
range of the sentiment cut-offs, what an intent or response name looks like, and that it is
one the bot has (domain.yml, read once by router/bot_domain.py). Pure but for that read.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, fields
from typing import Any, Dict, List, Optional

from router import bot_domain
from router.plain_words import SIGNALS
from router.scoring.settings import COMBINERS, ScorerSettings

# Rasa intent and response names are snake_case words ("request_human", "utter_default").
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
# More names than the bot has intents and responses together: a list longer is a mistake.
MAX_NAMES = 100


@dataclass(frozen=True)
class Field:
    """One setting as the form shows it. `kind`: share (a number from 0 to 1), number,
    whole (a whole number), flag (true or false), choice (one of `choices`), names (a list of
    intent or response names)."""

    name: str
    label: str
    description: str
    kind: str
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    choices: tuple = ()
    # For names: "intent" or "response", what the names must be among (router/bot_domain.py).
    names_of: str = ""

    def public(self) -> Dict[str, Any]:
        described: Dict[str, Any] = {"name": self.name, "label": self.label,
                                     "description": self.description, "kind": self.kind}
        if self.minimum is not None:
            described["minimum"] = self.minimum
        if self.maximum is not None:
            described["maximum"] = self.maximum
        if self.choices:
            described["choices"] = list(self.choices)
        return described

    def problem(self, value: Any) -> Optional[str]:
        """What is wrong with `value` beyond ScorerSettings' own checks, or None."""
        if self.kind == "names":
            return _names_problem(self.name, value) or _unknown_names(self, value)
        if self.minimum is None or self.maximum is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None  # ScorerSettings names the wrong type
        if math.isnan(value) or not self.minimum <= value <= self.maximum:
            return (f"{self.name} must be between {_plain(self.minimum)} and "
                    f"{_plain(self.maximum)}, got {value!r}")
        return None


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _names_problem(name: str, value: Any) -> Optional[str]:
    if not isinstance(value, (list, tuple)):
        return None
    if len(value) > MAX_NAMES:
        return f"{name} can list at most {MAX_NAMES} names, got {len(value)}"
    bad = [item for item in value if isinstance(item, str) and not NAME_PATTERN.fullmatch(item)]
    if bad:
        return (f"{name} must list names like request_human (lowercase letters, digits and _, "
                f"starting with a letter, at most 64 characters), got {bad[0][:70]!r}")
    return None


def _unknown_names(field: Field, value: Any) -> Optional[str]:
    """The first name the bot does not have, with the ones it has: a typo would otherwise
    never match, and switch its rule off without a word."""
    if not isinstance(value, (list, tuple)):
        return None
    known = bot_domain.intents() if field.names_of == "intent" else bot_domain.responses()
    unknown = [item for item in value if isinstance(item, str) and item not in known]
    if not unknown:
        return None
    close = difflib.get_close_matches(unknown[0], known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (f"{field.name} lists '{unknown[0][:70]}', which is not one of the bot's "
            f"{field.names_of}s{hint}; the bot's {field.names_of}s are "
            f"{', '.join(sorted(known))}")


def _share(name: str, label: str, description: str) -> Field:
    return Field(name, label, description, "share", 0, 1)


def _whole(name: str, label: str, description: str, least: int, most: int) -> Field:
    return Field(name, label, description, "whole", least, most)


def _intents(name: str, label: str, description: str) -> Field:
    return Field(name, label, description, "names", names_of="intent")


def _responses(name: str, label: str, description: str) -> Field:
    return Field(name, label, description, "names", names_of="response")


FIELDS: Dict[str, Field] = {f.name: f for f in (
    _share("handoff_threshold", "Hand off at score",
           "A person is brought in when the frustration score reaches this. Lower brings "
           "people in sooner and more often."),
    _share("concern_threshold", "Flag a turn at",
           "A customer turn whose own evidence reaches this is marked in the console. It "
           "cannot be above the handoff score."),
    Field("combiner", "How signals combine",
          "hand_set: the weights below. learned: the model fitted by `make train-router` "
          "(the weights are used when it is missing).", "choice", choices=COMBINERS),
    Field("shadow_mode", "Shadow mode (never hand off)",
          "Score and record every turn but never hand off: to watch what a change would do "
          "before letting it act.", "flag"),
    _intents("immediate_handoff_intents", "Hand off at once on",
           "Intents that bring in a person whatever the score."),
    _intents("accept_intents", "Accepting an offer of a person",
           "Intents that say yes to the bot's offer of a person."),
    _intents("decline_intents", "Declining an offer",
           "Intents that decline an offer or close the topic."),
    _responses("person_offer_responses", "Replies that offer a person",
           "Bot replies after which a yes means the customer wants a person."),
    _responses("unsolved_offer_responses", "Replies that admit defeat",
           "Bot replies saying it cannot solve the problem; going on about it brings a person."),
    _responses("done_responses", "Replies that finish a task",
           "Bot replies after which the conversation counts as having made progress."),
    _intents("complaint_intents", "Complaint intents", "Intents that count as a complaint."),
    _intents("stop_intents", "Giving-up intents", "Intents that drop the task at hand."),
    _intents("person_only_intents", "Problems only a person can solve",
           "Said clearly, these bring in a person at once (a broken item, a lost parcel)."),
    _share("person_only_confidence", "Sure enough of a person-only problem",
           "How sure the bot must be of one of those problems to hand off at once; less "
           "sure, it offers a person instead."),
    _intents("fallback_intents", "Not-understood intents",
           "Intents that mean the bot did not understand the line."),
    _intents("non_request_intents", "Intents that are not requests",
           "Answers and small talk: saying them twice is not repeating a request."),
    _share("low_confidence", "Below this the bot guessed",
           "NLU confidence under which a turn counts as not understood."),
    _share("retention", "Evidence kept per turn",
           "The share of each signal's evidence carried to the next customer turn."),
    _share("progress_retention", "Evidence kept after progress",
           "The share kept when the conversation made progress (a task done, thanks)."),
    Field("evidence_cap", "Evidence cap",
          "A signal's evidence stops growing here (about this many recent turns).",
          "number", 1, 10),
    _whole("restate_window", "Restatements looked for in",
           "How many earlier customer turns a restatement is looked for in.", 1, 10),
    _share("rephrase_from", "Same meaning from",
           "Similarity of two customer lines from which they say the same thing."),
    _share("rephrase_full", "Same meaning, full strength",
           "Similarity at which a restatement counts in full; above the previous one."),
    _whole("rephrase_min_words", "Shortest line compared",
           "Lines with fewer words are not compared by meaning (\"ok\", \"yes please\").",
           1, 20),
    _whole("bot_repeat_window", "Bot repeats looked for in",
           "How many earlier bot replies a repeated reply is looked for in.", 1, 10),
    _responses("failure_responses", "Replies that admit failure",
           "Bot replies in which it says it could not do what was asked."),
    _share("sentiment_ema_alpha", "Weight of the newest mood",
           "The moving average of sentiment's weight on the newest turn."),
    Field("sentiment_drop_for_full_strength", "Mood drop at full strength",
          "A fall of sentiment (from the average to the newest turn) that counts in full; "
          "sentiment goes from -1 to 1, so a drop is at most 2.", "number", 0.01, 2),
    Field("sentiment_neutral_above", "Not negative from",
          "Sentiment (from -1 to 1) at or above which a line is not negative at all.",
          "number", -1, 1),
    Field("delighted_from", "Delight from",
          "Swearing in a line at least this positive (-1 to 1) is delight, not anger.",
          "number", -1, 1),
    _whole("shouting_min_letters", "Shouting: fewest letters",
           "A line needs at least this many letters to count as shouting.", 1, 200),
    _share("shouting_capital_share", "Shouting: share of capitals",
           "The share of capital letters from which a line is shouting."),
    _whole("long_conversation_from", "Long conversation from",
           "Customer turns after which length itself starts to count.", 1, 200),
    _whole("long_conversation_full", "Long conversation in full",
           "Customer turns at which length counts in full; above the previous one.", 2, 500),
)}

WEIGHT = _share("weights", "Signal weights",
                "How much each signal, at full strength, raises the score (0 turns it off).")


def signal_fields(weights: Dict[str, float], defaults: Dict[str, float]) -> List[Dict[str, Any]]:
    """Each signal's weight for the form, labelled as people say the signal."""
    return [{"signal": signal, "label": SIGNALS.get(signal, signal.replace("_", " ")),
             "value": weights[signal], "default": defaults[signal],
             "minimum": WEIGHT.minimum, "maximum": WEIGHT.maximum}
            for signal in defaults]


def setting_fields(settings: ScorerSettings, overrides: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Every setting but the weights, with its value now, its default and whether it is
    changed, in the order of ScorerSettings."""
    defaults = ScorerSettings()
    described = []
    for field in fields(ScorerSettings):
        if field.name == "weights":
            continue
        entry = FIELDS[field.name].public()
        entry.update(value=_json(getattr(settings, field.name)),
                     default=_json(getattr(defaults, field.name)),
                     changed=field.name in overrides)
        described.append(entry)
    return described


def _json(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def problem(name: str, value: Any) -> Optional[str]:
    """The catalog's own check of one setting (None for names it does not know: ScorerSettings
    refuses those)."""
    described = FIELDS.get(name)
    return described.problem(value) if described else None
