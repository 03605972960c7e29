"""The embedded Redis is a real server that keeps its data on disk across restarts."""

import socket
from pathlib import Path

import pytest
import redis

from stack.redis_server import EmbeddedRedis, RedisDidNotStart, free_port


def test_data_survives_a_restart(tmp_path: Path) -> None:
    port = free_port()
    server = EmbeddedRedis(tmp_path, port).start()
    try:
        redis.Redis.from_url(server.url).set("conversation:1", "kept")
    finally:
        server.stop()
    again = EmbeddedRedis(tmp_path, port).start()
    try:
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
