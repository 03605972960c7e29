"""Values as Redis gives them back: bytes from a plain client, str from one made with
`decode_responses=True`. Our code accepts either, so the same classes serve both."""

from __future__ import annotations

from typing import Any, Dict


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def text_map(raw: Dict[Any, Any]) -> Dict[str, str]:
    return {text(name): text(value) for name, value in raw.items()}
