"""The intents and responses the bot has, as domain.yml declares them (with the ones Rasa
itself adds: `nlu_fallback`, `action_default_fallback`, ...), so settings that name them can be
checked against the bot itself: a typo like `request_humen` would otherwise never match and
silently switch a rule off. Read once per process (the domain changes only with a new model).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, FrozenSet

import yaml
from rasa.shared.core.constants import DEFAULT_ACTION_NAMES, DEFAULT_INTENTS

DOMAIN_PATH = Path(__file__).resolve().parents[1] / "domain.yml"


@cache
def _domain(path: Path) -> Any:
    with path.open(encoding="utf-8") as file:
        return yaml.safe_load(file) or {}


def _names(entries: Any) -> FrozenSet[str]:
    """Names from a domain list, whose entries are a name or {name: {...options}}."""
    return frozenset(str(next(iter(entry))) if isinstance(entry, dict) else str(entry)
                     for entry in entries or [])


def intents(path: Path = DOMAIN_PATH) -> FrozenSet[str]:
    """Every intent the bot can recognise."""
    return _names(_domain(path).get("intents")) | frozenset(DEFAULT_INTENTS)


def responses(path: Path = DOMAIN_PATH) -> FrozenSet[str]:
    """Every reply the bot can give, by the name its turn records: a response (utter_...),
    or an action of the domain or of Rasa that answers itself (action_default_fallback)."""
    domain = _domain(path)
    return (frozenset(domain.get("responses") or {}) | _names(domain.get("actions"))
            | frozenset(DEFAULT_ACTION_NAMES))
