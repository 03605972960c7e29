"""A real bot for a benchmark: action server and Rasa server on one model, with a fresh
embedded Redis and sample shop, all in a temporary directory that is gone afterwards."""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterator

from actions.seed import seed
from stack.processes import Service
from stack.redis_server import EmbeddedRedis, free_port
from stack.run import RASA_START_TIMEOUT, SMALL_START_TIMEOUT, Stack
from stack.settings import RedisAddress, StackSettings

TOKEN = "bench"


@dataclass(frozen=True)
class RunningBot:
    rasa: Service
    rasa_port: int
    start_seconds: float  # how long the Rasa server took to answer

    @property
    def rest_url(self) -> str:
        """Our REST channel, with the token it asks of trusted callers."""
        return f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook?token={TOKEN}"


@contextmanager
def running_bot(model: Path) -> Iterator[RunningBot]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        redis = EmbeddedRedis(data_dir / "redis", free_port()).start()
        settings = StackSettings(rasa_port=free_port(), actions_port=free_port(),
                                 web_port=free_port(), data_dir=data_dir, model_path=model)
        seed(data_dir / "shop.db", date.today())
        actions, rasa = Stack(settings, RedisAddress.from_url(redis.url), TOKEN).services()[:2]
        try:
            actions.start().wait_until_healthy(SMALL_START_TIMEOUT)
            started = time.monotonic()
            rasa.start().wait_until_healthy(RASA_START_TIMEOUT)
            yield RunningBot(rasa, settings.rasa_port, time.monotonic() - started)
        finally:
            rasa.stop()
            actions.stop()
            redis.stop()
