"""What the customer is told while a person is on the way or with them. Pure: wording and the
metadata the web chat uses for its status line (other channels just show the text)."""

from __future__ import annotations

from typing import Any, Dict


def queue_notice(position: int, minutes: int) -> Dict[str, Any]:
    """A better place in line (it is only ever told when it improves). The web chat shows it
    in its status line, not as a new message (`status_update`); other channels show the text."""
    if position == 1:
        text = f"You're next in line: a person should be with you in about {minutes} min."
    else:
        text = f"You're now number {position} in line, about {minutes} min to go."
    return {"text": text, "metadata": {"queue": {"position": position, "minutes": minutes},
                                       "status_update": True}}


def joined_notice(agent_name: str) -> Dict[str, Any]:
    return {"text": f"{agent_name} from our team has joined. They can see everything you've "
                    "told me, so there's no need to repeat it.",
            "metadata": {"handoff": {"state": "with_agent", "agent_name": agent_name}}}


def returned_notice() -> Dict[str, Any]:
    return {"text": "The person helping you lost their connection. You're first in line "
                    "for the next one, and they'll see everything so far.",
            "metadata": {"handoff": {"state": "waiting"}}}
