"""The story of a conversation Rasa stored, for an admin reading a what-if result: every line
in order (every session, the lines people wrote included), each customer line numbered as the
customer's message (the number the what-if replay names), with what it asked in plain words
and the assessment the router recorded live on that turn. Pure.

The lines and their assessments are the handoff packet's reading of events
(router/handoff/packet.py) and numbered as an agent's view numbers them
(router/handoff/view.py), so "message 3" means the same line in the console, the what-if
answer and this story.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from router.handoff.packet import transcript
from router.handoff.view import _numbered as numbered_as_the_agent_sees_them
from router.handoff.view import assessment_timeline


def story(conversation_id: str, events: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """The stored conversation as lines, with the live assessments turn by turn."""
    lines = numbered_as_the_agent_sees_them(transcript(list(events)))
    times = [float(e["timestamp"]) for e in events
             if isinstance(e.get("timestamp"), (int, float)) and not isinstance(
                 e.get("timestamp"), bool)]
    return {
        "conversation_id": conversation_id,
        "first_at": min(times, default=None), "last_at": max(times, default=None),
        "messages": sum(1 for line in lines if line.get("message_number")),
        "lines": lines,
        "timeline": assessment_timeline(lines),
        "handed_off_live": live_handoffs(lines),
    }


def live_handoffs(lines: List[Dict[str, Any]]) -> List[int]:
    """The customer messages on which the router brought in a person live."""
    return [line["message_number"] for line in lines if line.get("message_number")
            and (line.get("assessment") or {}).get("handoff")]
