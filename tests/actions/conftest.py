"""Fixtures of the action tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import AsyncIterator

import pytest
from redis import asyncio as aioredis

from actions import handoff
from actions.settings import shop_settings
from stack.redis_server import EmbeddedRedis


@pytest.fixture
async def action_redis(redis_server: EmbeddedRedis, redis: aioredis.Redis,
                       monkeypatch: pytest.MonkeyPatch, shop_db: Path
                       ) -> AsyncIterator[aioredis.Redis]:
    """The actions' Redis client on the session's Redis (emptied), people around the clock."""
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("SUPPORT_HOURS", "always")
    shop_settings.cache_clear()
    handoff.redis_client.cache_clear()
    yield redis
    await handoff.redis_client().close()
    handoff.redis_client.cache_clear()
    shop_settings.cache_clear()


@pytest.fixture
def second_order_of_jon(shop_db: Path) -> str:
    """Another unshipped order with the same email as 730155 (jon.ortiz@example.org)."""
    with sqlite3.connect(shop_db) as db:
        db.execute("INSERT INTO orders SELECT '730999', email, status, placed_on, shipped_on, "
                   "delivered_on, cancelled_on, address, total_cents FROM orders "
                   "WHERE id = '730155'")
    return "730999"
