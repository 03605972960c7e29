"""`make run`: start Redis (embedded unless REDIS_URL is set), the action server, the Rasa
server and our web service; print the chat page's URL; stop everything on Ctrl-C."""

from __future__ import annotations

import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Dict, List, Optional

from stack.processes import Service, ServiceDidNotStart, base_env, python_module, tail
from stack.redis_server import EmbeddedRedis, RedisDidNotStart
from stack.settings import PROJECT_ROOT, BadSetting, RedisAddress, StackSettings

# Rasa imports TensorFlow and loads the model before it answers: ~20 s for our pipeline on two
# cores, ~90 s for a DIET one. Give slow machines plenty of room.
RASA_START_TIMEOUT = 300
SMALL_START_TIMEOUT = 60


@dataclass
class Stack:
    """Everything `make run` starts, in start order."""

    settings: StackSettings
    redis: RedisAddress
    rasa_token: str
    embedded_redis: Optional[EmbeddedRedis] = None
    # More environment for every server (tests use it, e.g. SUPPORT_HOURS=always).
    extra_env: Dict[str, str] = field(default_factory=dict)

    @property
    def chat_url(self) -> str:
        return f"http://localhost:{self.settings.web_port}/"

    @property
    def console_url(self) -> str:
        return f"http://localhost:{self.settings.web_port}/console"

    @property
    def admin_password_file(self) -> Path:
        return self.settings.data_dir / "admin_password"

    def services(self) -> List[Service]:
        s = self.settings
        logs = s.data_dir / "logs"
        env = base_env({
            **self.redis.rasa_env(),
            "REDIS_URL": self.redis.url,
            "ACTIONS_PORT": str(s.actions_port),
            "RASA_PORT": str(s.rasa_port),
            "RASA_URL": f"http://127.0.0.1:{s.rasa_port}",
            "RASA_TOKEN": self.rasa_token,
            "SHOP_DB_PATH": str(s.data_dir / "shop.db"),
            "FIRST_ADMIN_PASSWORD_FILE": str(self.admin_password_file),
            # A stable name: after a restart the web service finishes what it had started.
            "RELAY_CONSUMER": "web-1",
            **self.extra_env,
        })
        return [
            Service(
                "action server",
                python_module("rasa_sdk", "--actions", "actions", "--port", str(s.actions_port)),
                f"http://127.0.0.1:{s.actions_port}/health",
                logs / "actions.log", env,
            ),
            Service(
                "Rasa server",
                python_module(
                    "rasa", "run", "--enable-api", "--auth-token", self.rasa_token,
                    "--cors", "*", "--port", str(s.rasa_port), "--model", str(s.model_path),
                    "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
                ),
                f"http://127.0.0.1:{s.rasa_port}/status?token={self.rasa_token}",
                logs / "rasa.log", env,
                fatal_log_line="Could not load model",
            ),
            Service(
                "web service",
                python_module("router.web", "--port", str(s.web_port)),
                f"http://127.0.0.1:{s.web_port}/health",
                logs / "web.log", env,
            ),
        ]


def open_redis(settings: StackSettings) -> tuple[RedisAddress, Optional[EmbeddedRedis]]:
    if settings.redis_url:
        return RedisAddress.from_url(settings.redis_url), None
    embedded = EmbeddedRedis(settings.data_dir / "redis", settings.embedded_redis_port).start()
    return RedisAddress.from_url(embedded.url), embedded


def rasa_token(data_dir: Path) -> str:
    """A token for Rasa's HTTP API, kept in var/ so scripts can read it; made once."""
    path = data_dir / "rasa_token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def seed_shop(data_dir: Path) -> None:
    from actions.seed import seed

    db_path = data_dir / "shop.db"
    if not db_path.exists():
        from datetime import date

        seed(db_path, date.today())
        say(f"created the sample shop database {db_path}")


def say(message: str) -> None:
    print(f"[run] {message}", flush=True)


def shown(path: Path) -> str:
    """A path as short as it can be: relative to the project when inside it."""
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def start_all(services: List[Service]) -> None:
    for service in services:
        timeout = RASA_START_TIMEOUT if service.name == "Rasa server" else SMALL_START_TIMEOUT
        say(f"starting the {service.name} (log: {shown(service.log_path)}) ")
        service.start()
        seconds = service.wait_until_healthy(timeout, progress=sys.stdout)
        print(flush=True)
        say(f"{service.name} ready in {seconds:.0f} s")


def stop_all(services: List[Service], embedded: Optional[EmbeddedRedis]) -> None:
    for service in reversed(services):
        service.stop()
    if embedded:
        embedded.stop()


def watch(services: List[Service]) -> None:
    """Block until Ctrl-C, or until a server dies (then say which and why)."""
    while True:
        for service in services:
            assert service.process is not None
            if service.process.poll() is not None:
                say(f"the {service.name} stopped (code {service.process.returncode}); "
                    f"last lines of its log:\n{tail(service.log_path)}")
                return
        time.sleep(1)


def main() -> int:
    try:
        settings = StackSettings.from_env()
        redis, embedded = open_redis(settings)
    except (BadSetting, RedisDidNotStart) as error:
        say(str(error))
        return 2
    where = f"embedded, data in {embedded.data_dir}" if embedded else "from REDIS_URL"
    say(f"Redis at {redis.host}:{redis.port}/{redis.db} ({where})")
    seed_shop(settings.data_dir)
    stack = Stack(settings, redis, rasa_token(settings.data_dir), embedded)
    services = stack.services()

    def stop_on_signal(signum: int, frame: Optional[FrameType]) -> None:
        raise KeyboardInterrupt

    # Set explicitly: a shell that starts us in the background leaves SIGINT ignored, and
    # then Ctrl-C (or `kill -INT`) would stop nothing.
    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, stop_on_signal)
    try:
        start_all(services)
        say(f"Agents' console: {stack.console_url}   (first sign-in: admin, password in "
            f"{shown(stack.admin_password_file)}, made on the first run)")
        say(f"Open the chat: {stack.chat_url}   (Ctrl-C stops everything)")
        watch(services)
        return 1
    except ServiceDidNotStart as error:
        say(str(error))
        return 1
    except KeyboardInterrupt:
        say("stopping ...")
        return 0
    finally:
        stop_all(services, embedded)
        say("all stopped")


if __name__ == "__main__":
    sys.exit(main())
