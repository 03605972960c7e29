"""Which team a handed-off conversation goes to, by what the customer wants. Optional: a
conversation with no team can be taken by any agent, and agents without teams take any."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

ROUTES_FILE = Path(__file__).parent.parent / "routing.yml"


@lru_cache(maxsize=1)
def routes(path: Path = ROUTES_FILE) -> Dict[str, str]:
    data = yaml.safe_load(path.read_text()) or {}
    return {str(intent): str(team) for intent, team in (data.get("teams") or {}).items()}


def team_for(packet: Dict[str, Any], table: Optional[Dict[str, str]] = None) -> Optional[str]:
    wants = (packet.get("summary") or {}).get("customer_wants")
    return (routes() if table is None else table).get(wants or "")
