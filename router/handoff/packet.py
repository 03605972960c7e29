"""The handoff packet: everything a person needs to take over without asking again.
Built from a tracker's state as Rasa and rasa-sdk serialise it (plain dicts); the format is
documented in docs/handoff_packet.md."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from router.transcript import AGENT, CUSTOMER, Line, assessments_by_line, lines_from_events

PACKET_VERSION = 1
# Slots that are bookkeeping, not facts about the customer's case.
# Intents that say how the conversation goes, not what the customer needs done.
NOT_A_TASK = {"affirm", "deny", "inform", "greet", "thanks", "goodbye", "nevermind",
              "nlu_fallback", "out_of_scope", "request_human", "complain", "bot_challenge"}
INTERNAL_SLOTS = {"frustration", "requested_slot", "order_id_attempts", "handoff_unavailable",
                  "session_started_metadata"}


def transcript(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """User and bot lines in order, each user line with intent, confidence and sentiment,
    and the assessment the router made of it."""
    assessments = assessments_by_line(events)
    return [_packet_line(line, assessments.get(index))
            for index, line in enumerate(lines_from_events(events))]


def _packet_line(line: Line, assessment: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    said = {"from": line.speaker, "text": line.text, "timestamp": line.timestamp}
    if line.speaker == CUSTOMER:
        return {**said, "intent": line.intent, "confidence": line.confidence,
                "sentiment": line.sentiment, "assessment": assessment}
    if line.speaker == AGENT:  # a person's line from an earlier handoff
        return {**said, "agent_name": line.agent_name}
    return {**said, "response": line.response}


def talking_since(events: List[Dict[str, Any]]) -> Optional[float]:
    """When the customer's first line since the latest fresh start (a new session, or the
    bot taking over again after a person) was written: where their time with the bot before
    this handoff began. None if that part has no dated customer line."""
    return next((line.timestamp for line in lines_from_events(events, since_fresh_start=True)
                 if line.speaker == CUSTOMER and line.timestamp is not None), None)


def summary(lines: List[Dict[str, Any]], slots: Dict[str, Any]) -> Dict[str, Any]:
    """What the customer wants and what the bot already tried, in a few words."""
    asked = [line["intent"] for line in lines if line["from"] == "customer" and line["intent"]
             and line["intent"] not in NOT_A_TASK]
    # The task asked about most; on a tie, the latest one.
    wants = max(reversed(asked), key=asked.count) if asked else None
    tried = list(dict.fromkeys(line["response"] for line in lines
                               if line["from"] == "bot" and line.get("response")))
    facts = {k: v for k, v in slots.items() if v not in (None, "", [], {})
             and k not in INTERNAL_SLOTS}
    first = next((line["text"] for line in lines if line["from"] == "customer"), "")
    return {"customer_wants": wants, "first_message": first, "bot_tried": tried,
            "known_facts": facts}


def build_packet(
    conversation_id: str,
    events: List[Dict[str, Any]],
    slots: Dict[str, Any],
    channel: Optional[str],
    reason: str,
    assessment: Optional[Dict[str, Any]],
    now: float,
    customer_priority: int = 0,
) -> Dict[str, Any]:
    lines = transcript(events)
    return {
        "version": PACKET_VERSION,
        "conversation_id": conversation_id,
        "customer_id": conversation_id,
        "channel": channel or "unknown",
        "created_at": now,
        "reason": reason,
        "customer_priority": customer_priority,
        "assessment": assessment,
        "summary": summary(lines, slots),
        "slots": {k: v for k, v in slots.items() if k not in INTERNAL_SLOTS},
        "transcript": lines,
        "talking_since": talking_since(events),
    }
