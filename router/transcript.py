"""One reading of a conversation: Rasa's events (as plain dicts, the way Rasa serialises,
publishes and stores them) turned into the lines people said.

The router's policy scores these lines, the handoff packet shows them to the agent, and the
live feed streams them to the console: all three read events here, so a field added or a rule
changed (who counts as a person, which events start afresh) changes them together.
Pure Python: no Rasa, Redis or web imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional

CUSTOMER, BOT, AGENT = "customer", "bot", "agent"
# Where Rasa begins a new session of the same customer (after their time away).
SESSION_STARTED = "session_started"
# Events after which the router starts afresh: a new session, or a person handing the
# conversation back (what happened before is settled and must not trigger another handoff).
FRESH_START_EVENTS = (SESSION_STARTED, "resume")
FRUSTRATION_SLOT = "frustration"


@dataclass(frozen=True)
class Line:
    """One line of the conversation. Customer lines carry what the NLU read in them; bot
    lines the response that was said; agent lines (a person's, relayed through Rasa) who."""

    speaker: str
    text: str
    timestamp: Optional[float] = None
    intent: Optional[str] = None
    confidence: Optional[float] = None
    sentiment: Optional[float] = None
    # The sentence embedding the NLU pipeline stored, encoded (router/scoring/meaning.py).
    meaning: Optional[str] = None
    # Why the NLU could not read the message at all ("not_latin", "emoji", ...), if so.
    unreadable: Optional[str] = None
    response: Optional[str] = None
    agent_name: Optional[str] = None
    agent_id: Optional[str] = None
    relay_id: Optional[str] = None
    # An agent's line the customer's channel could not receive, and why (router/relay/outbox.py).
    undelivered: Optional[str] = None


def line_from_event(event: Dict[str, Any]) -> Optional[Line]:
    """The line an event says, or None for events that are not lines (slots, actions...)."""
    kind = event.get("event")
    if kind == "user":
        parse = event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        sentiment = (parse.get("sentiment") or {}).get("score")
        return Line(CUSTOMER, event.get("text") or "", event.get("timestamp"),
                    intent=intent.get("name"),
                    confidence=_number(intent.get("confidence")),
                    sentiment=_number(sentiment), meaning=parse.get("meaning"),
                    unreadable=parse.get("unreadable"))
    if kind == "bot":
        metadata = event.get("metadata") or {}
        if metadata.get("agent_name"):  # a person's line, relayed through Rasa
            return Line(AGENT, event.get("text") or "", event.get("timestamp"),
                        agent_name=metadata["agent_name"],
                        agent_id=metadata.get("agent_id") or "",
                        relay_id=metadata.get("relay_id") or "",
                        undelivered=metadata.get("undelivered") or None)
        return Line(BOT, event.get("text") or "", event.get("timestamp"),
                    response=metadata.get("utter_action"))
    return None


def lines_from_events(events: Iterable[Dict[str, Any]], since_fresh_start: bool = False
                      ) -> List[Line]:
    """Every line in order; with `since_fresh_start`, only those after the latest new session
    or hand back (what the router scores)."""
    lines: List[Line] = []
    for event in events:
        if since_fresh_start and event.get("event") in FRESH_START_EVENTS:
            lines = []
            continue
        line = line_from_event(event)
        if line is not None:
            lines.append(line)
    return lines


def assessments_by_line(events: Iterable[Dict[str, Any]]) -> Dict[int, Dict[str, Any]]:
    """The router's assessment of each customer line, keyed by the line's index in
    `lines_from_events(events)`: the policy sets the frustration slot right after the line."""
    found: Dict[int, Dict[str, Any]] = {}
    index = -1
    last_customer: Optional[int] = None
    for event in events:
        if line_from_event(event) is not None:
            index += 1
            if event.get("event") == "user":
                last_customer = index
        elif (event.get("event") == "slot" and event.get("name") == FRUSTRATION_SLOT
              and event.get("value") and last_customer is not None):
            found[last_customer] = event["value"]
    return found


def _number(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None
