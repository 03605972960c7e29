"""The embedded Redis is a real server that keeps its data on disk across restarts, and only
this user can reach it or read its files."""

import socket
import stat
from pathlib import Path
from typing import Iterator

import pytest
import redis

from stack.redis_server import EmbeddedRedis, RedisDidNotStart, free_port


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    running = EmbeddedRedis(tmp_path / "redis data", free_port()).start()
    yield running
    running.stop()


def test_data_survives_a_restart(tmp_path: Path) -> None:
    port = free_port()
    server = EmbeddedRedis(tmp_path, port).start()
    try:
        redis.Redis.from_url(server.url).set("conversation:1", "kept")
    finally:
        server.stop()
    again = EmbeddedRedis(tmp_path, port).start()
    try:
        assert again.password == server.password
        assert redis.Redis.from_url(again.url).get("conversation:1") == b"kept"
    finally:
        again.stop()
    assert (tmp_path / "appendonly.aof").exists()


def test_a_taken_port_is_reported_with_the_log_to_read(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(RedisDidNotStart, match="redis.log"):
            EmbeddedRedis(tmp_path, port).start(timeout=5)


def test_a_client_without_the_password_is_refused(server: EmbeddedRedis) -> None:
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(port=server.port).set("order:1", "cancelled")
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(port=server.port, password="guessed").ping()
    assert redis.Redis.from_url(server.url).get("order:1") is None


def test_the_url_carries_the_password_every_client_needs(server: EmbeddedRedis) -> None:
    assert f":{server.password}@" in server.url
    assert len(server.password) >= 32
    assert redis.Redis.from_url(server.url).ping()


def test_its_files_are_private(server: EmbeddedRedis) -> None:
    redis.Redis.from_url(server.url).set("conversation:1", "private")
    redis.Redis.from_url(server.url).save()
    assert mode(server.data_dir) == 0o700
    files = [path for path in server.data_dir.iterdir() if path.is_file()]
    names = {path.name for path in files}
    assert {"appendonly.aof", "dump.rdb", "redis.conf", "redis.log", "redis_password"} <= names
    assert {path.name: mode(path) for path in files} == {name: 0o600 for name in names}


def test_an_existing_open_data_dir_is_made_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "old"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    server = EmbeddedRedis(data_dir, free_port()).start()
    try:
        assert mode(data_dir) == 0o700
    finally:
        server.stop()


def test_the_password_is_not_on_the_command_line(server: EmbeddedRedis) -> None:
    assert server.process is not None
    cmdline = Path(f"/proc/{server.process.pid}/cmdline").read_bytes()
    assert server.password.encode() not in cmdline
    # redis-server rewrites its process title, so check what we started it with as well.
    assert not any(server.password in arg for arg in server.process.args)


def test_memory_has_a_ceiling_and_nothing_is_forgotten_at_it(server: EmbeddedRedis) -> None:
    client = redis.Redis.from_url(server.url, decode_responses=True)
    assert int(client.config_get("maxmemory")["maxmemory"]) == 1024**3
    assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
