"""Filing in the history's search index (router/history.py): cases and tickets are members of
a sorted set per term (router/search_terms.py), by time."""

from __future__ import annotations

import time
from typing import Any, Iterable

from router import keys


def file_under(tx: Any, terms: Iterable[str], member: str, at: float, keep_seconds: int
               ) -> None:
    """Files `member` (case:<n> or ticket:<reference>) under each term in the caller's
    transaction. What is older than history is kept leaves the term then, so a term met often
    (a popular order number) does not keep pointers to expired cases forever."""
    for term in terms:
        name = keys.history_term(term)
        tx.zremrangebyscore(name, "-inf", time.time() - keep_seconds)
        tx.zadd(name, {member: at})
        tx.expire(name, keep_seconds)
