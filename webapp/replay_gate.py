"""A bound on replays running at once (the what-if over many conversations, one stored
conversation message by message): when the bound is reached, a request is refused at once
with 429 and when to try again, rather than queued behind the running one with its connection
open (queued requests would pile up without limit, each holding a connection and memory).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

from aiohttp import web


@dataclass(frozen=True)
class ReplayLimits:
    # A what-if over thousands of conversations takes both cores for seconds: a second one
    # beside it would slow both and the people waiting on them.
    whatif_at_once: int = 1
    # One conversation replays in well under a second; one at a time keeps a burst of clicks
    # from filling the thread pool other requests use.
    conversation_replays_at_once: int = 1
    # What Retry-After says: about how long a typical replay of the last few hundred takes.
    retry_after_seconds: int = 5


class ReplayGate:
    """At most `at_once` of one kind of replay in this process (the event loop runs one
    coroutine at a time, so the count needs no lock)."""

    def __init__(self, what: str, at_once: int, retry_after_seconds: int) -> None:
        self.what = what
        self.at_once = at_once
        self.retry_after_seconds = retry_after_seconds
        self._running = 0

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """A place among the running replays, or HTTPTooManyRequests saying one is running."""
        if self._running >= self.at_once:
            raise web.HTTPTooManyRequests(
                text=f"A {self.what} is already running (yours or another admin's); try "
                     f"again in a few seconds.",
                headers={"Retry-After": str(self.retry_after_seconds)})
        self._running += 1
        try:
            yield
        finally:
            self._running -= 1
