"""Counting events in a fixed window in Redis: handoffs and tickets per client, wrong emails
per order. One step (MULTI): the window starts with the first event (SET NX with its expiry)
and INCR keeps that expiry, so a counter can never be left without one."""

from __future__ import annotations

from typing import Any


async def count_in_window(redis: Any, key: str, window_seconds: int) -> int:
    """Counts one event under `key`; returns how many there were in the current window."""
    async with redis.pipeline(transaction=True) as tx:
        tx.set(key, 0, ex=window_seconds, nx=True)
        tx.incr(key)
        _, count = await tx.execute()
    return int(count)
