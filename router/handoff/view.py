"""What an agent sees of one handed-off conversation: the whole story (the packet's transcript
up to the handoff, then the live lines since), sentiment over time, which signals fired on
which turn, the summary and the facts the bot collected. Pure."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from router.plain_words import channel_name, handoff_sentence, intent_phrase

FeedEntry = Tuple[str, Dict[str, Any]]


def status_of(owner: Optional[str]) -> Dict[str, Optional[str]]:
    if owner is None:
        return {"status": "with_bot", "agent_id": None}
    if owner.startswith("agent:"):
        return {"status": "with_agent", "agent_id": owner[len("agent:"):]}
    return {"status": "waiting", "agent_id": None}


def assessment_timeline(lines: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Per customer turn of the bot's stretch: the score and the signals that fired."""
    timeline = []
    for turn, line in enumerate(lines):
        assessment = line.get("assessment")
        if line.get("from") != "customer" or not assessment:
            continue
        fired = {name: round(value, 3) for name, value in
                 (assessment.get("contributions") or {}).items() if value}
        timeline.append({"turn": turn, "message": line.get("message_number"),
                         "text": line.get("text"),
                         "score": assessment.get("score"), "signals": fired,
                         "reasons": assessment.get("reasons") or [],
                         "handoff": bool(assessment.get("handoff"))})
    return timeline


def conversation_view(conversation_id: str, packet: Dict[str, Any], owner: Optional[str],
                      state: Dict[str, str], feed: List[FeedEntry]) -> Dict[str, Any]:
    handed_off_at = float(packet.get("created_at") or 0.0)
    before = [dict(line, id=None) for line in packet.get("transcript") or []]
    # The feed starts as the handoff is recorded: drop what the packet already holds.
    since = [dict(line, id=entry_id) for entry_id, line in feed
             if float(line.get("timestamp") or 0.0) > handed_off_at]
    transcript = _numbered(before + since)
    before = transcript[:len(before)]
    sentiment = [{"turn": index, "message": line.get("message_number"),
                  "sentiment": line.get("sentiment")}
                 for index, line in enumerate(transcript)
                 if line.get("from") == "customer" and line.get("sentiment") is not None]
    return {
        "conversation_id": conversation_id, **status_of(owner),
        "team": state.get("team") or None, "enqueued_at": _number(state.get("enqueued_at")),
        "claimed_at": _number(state.get("claimed_at")),
        "reason": packet.get("reason"), "channel": packet.get("channel"),
        "reason_sentence": handoff_sentence(packet.get("reason"), packet.get("assessment")),
        "channel_name": channel_name(packet.get("channel")),
        "customer_priority": packet.get("customer_priority", 0),
        "assessment": packet.get("assessment"), "summary": packet.get("summary"),
        "slots": packet.get("slots") or {}, "transcript": transcript,
        "sentiment": sentiment, "timeline": assessment_timeline(before),
        "feed_last_id": feed[-1][0] if feed else "0",
    }


def _numbered(transcript: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Customer lines numbered as the customer's messages (1, 2, 3: not the turns of both
    sides), with what they asked for in plain words."""
    count = 0
    numbered = []
    for line in transcript:
        if line.get("from") == "customer":
            count += 1
            line = dict(line, message_number=count,
                        intent_phrase=intent_phrase(line.get("intent")))
        numbered.append(line)
    return numbered


def _number(value: Optional[str]) -> Optional[float]:
    return float(value) if value not in (None, "") else None
