"""The accounts command line, against the session's Redis."""

from __future__ import annotations

import asyncio
import io

import pytest
from redis import asyncio as aioredis

from router.agents.directory import AgentDirectory
from router.agents_cli import main
from stack.redis_server import EmbeddedRedis, free_port


async def test_add_list_and_reset_a_password(
    redis: aioredis.Redis, redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:

    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setattr("sys.stdin", io.StringIO("first password\n"))
    code = await asyncio.to_thread(main, ["add", "sam", "Sam Lee", "--teams", "billing"])
    assert code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("second password\n"))
    assert await asyncio.to_thread(main, ["password", "sam"]) == 0
    assert await AgentDirectory(redis).authenticate("sam", "second password") is not None
    assert await AgentDirectory(redis).authenticate("sam", "first password") is None
    assert await asyncio.to_thread(main, ["list"]) == 0
    assert "Sam Lee" in capsys.readouterr().out

async def test_mistakes_are_explained(
    redis: aioredis.Redis, redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:

    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert await asyncio.to_thread(main, ["add", "sam", "Sam"]) == 2
    assert "at least 12" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert await asyncio.to_thread(main, ["password", "nobody"]) == 2
    assert "No agent" in capsys.readouterr().err
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert await asyncio.to_thread(main, ["list"]) == 2
    assert "Cannot reach Redis" in capsys.readouterr().err
