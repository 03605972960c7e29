"""The accounts command line, against the session's Redis."""

from __future__ import annotations

import asyncio
import io
import time

import pytest
from redis import asyncio as aioredis

from router import keys
from router.agents.directory import AccountDisabled, AgentDirectory
from router.agents.lockout import LIMITS
from router.agents_cli import main
from router.handoff.queue import HandoffQueue
from stack.redis_server import EmbeddedRedis, free_port
from tests.web.conftest import waiting_customer


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


async def test_unlock_disable_and_enable_from_the_shell(
    redis: aioredis.Redis, redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    directory = AgentDirectory(redis)
    await directory.create("boss", "Boss", "a long password", role="admin")
    await directory.create("sam", "Sam", "a long password")
    await directory.heartbeat("sam", time.time(), "online")
    await waiting_customer(redis, "c1")
    assert await HandoffQueue(redis).claim("sam", time.time(), "c1") == "c1"
    for _ in range(LIMITS.per_address):
        await directory.lockout.attempt("sam", "10.0.0.1")
    assert await asyncio.to_thread(main, ["list"]) == 0
    assert "locked" in [line for line in capsys.readouterr().out.splitlines()
                        if line.startswith("sam ")][0]

    assert await asyncio.to_thread(main, ["unlock", "sam"]) == 0
    assert not await directory.lockout.is_locked("sam")
    assert await asyncio.to_thread(main, ["disable", "sam"]) == 0
    assert "sam is disabled" in capsys.readouterr().out
    assert await redis.get(keys.conversation_owner("c1")) == "queue"  # back in line
    with pytest.raises(AccountDisabled):
        await directory.sign_in("sam", "a long password", "10.0.0.1")
    assert await asyncio.to_thread(main, ["list"]) == 0
    assert "disabled" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["enable", "sam"]) == 0
    assert (await directory.sign_in("sam", "a long password", "10.0.0.1")).id == "sam"


@pytest.mark.parametrize("argv, message", [
    (["unlock", "nobody"], "No agent has the id 'nobody'."),
    (["disable", "nobody"], "No agent has the id 'nobody'."),
    (["enable", "nobody"], "No agent has the id 'nobody'."),
    (["disable", "boss"], "last admin"),
])
async def test_unlock_and_disable_mistakes_are_explained(
    redis: aioredis.Redis, redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], argv: list, message: str,
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    await AgentDirectory(redis).create("boss", "Boss", "a long password", role="admin")
    assert await asyncio.to_thread(main, argv) == 2
    assert message in capsys.readouterr().err
    assert await redis.hget(keys.agent("boss"), "disabled") is None


def test_unlock_needs_an_id(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["unlock"])
    assert "id" in capsys.readouterr().err
