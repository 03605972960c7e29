"""Which team a handed-off conversation goes to (router/routing.yml). Optional: a conversation
with no team can be taken by any agent, and agents without teams take any.

First by what the customer wanted (the summary's intent), else by why the bot handed off: the
strongest signal of the router's assessment (e.g. insults to a senior team)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

ROUTES_FILE = Path(__file__).parent.parent / "routing.yml"


@dataclass(frozen=True)
class Routes:
    by_intent: Dict[str, str] = field(default_factory=dict)
    by_signal: Dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1)
def routes(path: Path = ROUTES_FILE) -> Routes:
    data = yaml.safe_load(path.read_text()) or {}
    return Routes({str(k): str(v) for k, v in (data.get("by_intent") or {}).items()},
                  {str(k): str(v) for k, v in (data.get("by_signal") or {}).items()})


def strongest_signal(packet: Dict[str, Any]) -> Optional[str]:
    contributions: Dict[str, float] = (packet.get("assessment") or {}).get("contributions") or {}
    return max(contributions, key=lambda name: contributions[name]) if contributions else None


def team_for(packet: Dict[str, Any], table: Optional[Routes] = None) -> Optional[str]:
    table = table or routes()
    wants = (packet.get("summary") or {}).get("customer_wants")
    if wants in table.by_intent:
        return table.by_intent[wants]
    return table.by_signal.get(strongest_signal(packet) or "")
