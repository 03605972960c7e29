"""Fixtures of the action tests."""

from __future__ import annotations

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
