"""How long history is kept (router/history.py): one setting, read by the step that keeps a
case (the queue's release), the search index and the tickets filed in it."""

from __future__ import annotations

import os
from dataclasses import dataclass

# How long Rasa keeps a conversation after its last turn: endpoints.yml's tracker store
# `record_exp` is this in seconds (tests/router/test_analytics.py checks they agree). The
# history keeps handoffs far longer, so for days before this the dashboard knows the
# handoffs but no longer every conversation (router/analytics.py).
RASA_KEEP_DAYS = 30
RASA_KEEP_SECONDS = RASA_KEEP_DAYS * 86400


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
