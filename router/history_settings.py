"""How long history is kept (router/history.py): one setting, read by the step that keeps a
case (the queue's release), the search index and the tickets filed in it."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class HistorySettings:
    keep_days: int = 365
    # The most lines of a person's part a case keeps (the feed holds more): far beyond any
    # conversation with a person, while one runaway sender cannot make a case of megabytes,
    # nor make the step that keeps it hold Redis up.
    max_lines: int = 1000

    @property
    def keep_seconds(self) -> int:
        return self.keep_days * 86400

    @classmethod
    def from_env(cls) -> HistorySettings:
        raw = os.environ.get("HISTORY_KEEP_DAYS", "").strip()
        if not raw:
            return cls()
        if not raw.isdigit() or not 1 <= int(raw) <= 3650:
            raise ValueError(f"HISTORY_KEEP_DAYS must be a whole number of days from 1 to "
                             f"3650, got {raw[:20]!r}.")
        return cls(keep_days=int(raw))
