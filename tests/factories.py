"""Builders for rasa-sdk trackers and the domain, so action tests read like conversations."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Optional

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from stack.settings import PROJECT_ROOT


@lru_cache(maxsize=1)
def domain() -> Dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())


def tracker(
    text: str = "",
    intent: str = "inform",
    entities: Optional[List[Dict[str, Any]]] = None,
    slots: Optional[Dict[str, Any]] = None,
    just_set: Optional[Dict[str, Any]] = None,
    active_loop: Optional[str] = None,
    earlier: Optional[List[Dict[str, Any]]] = None,
    parse: Optional[Dict[str, Any]] = None,
) -> Tracker:
    """A tracker whose latest user message is `text`; `just_set` are slots set after it,
    which is what form validation looks at. `earlier` are the events before that message
    (`said`, `bot_said`), `parse` more of its parse data (e.g. sentiment)."""
    entities = entities or []
    all_slots = {name: None for name in domain()["slots"]}
    all_slots.update({"order_id_attempts": 0})
    all_slots.update(slots or {})
    all_slots.update(just_set or {})
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9},
              "entities": entities, **(parse or {})}
    events: List[Dict[str, Any]] = [
        *(earlier or []),
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest},
    ]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (just_set or {}).items()]
    return Tracker(
        sender_id="test-customer",
        slots=all_slots,
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def entity(name: str, value: str) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": len(value)}


def responses(dispatcher: CollectingDispatcher) -> List[Optional[str]]:
    return [message.get("response") for message in dispatcher.messages]


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def said(text: str, intent: str = "inform") -> Dict[str, Any]:
    """A customer's earlier line, as a tracker event."""
    return {"event": "user", "text": text,
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": 0.9}}}


def bot_said(response: str) -> Dict[str, Any]:
    """The bot's earlier line, as a tracker event: Rasa records the response's name."""
    return {"event": "bot", "text": f"({response})", "metadata": {"utter_action": response}}
