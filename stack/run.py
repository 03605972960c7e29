"""`make run`: start Redis (embedded unless REDIS_URL is set), a mail sink (unless SMTP_URL
is set), the action server, the Rasa server and our web service; print the chat page's URL;
stop everything on Ctrl-C.

All of it is private to this machine and this user: the servers listen on BIND_HOST (loopback
unless set), secrets travel in the environment (never a command line, which `ps` shows to
everyone), and every file written is readable by this user alone."""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Dict, List, Optional

from actions.server import SECRET_ENV as ACTION_SECRET_ENV
from bot.webchat import ORIGINS_VARIABLE as CHAT_ORIGINS_ENV
from router.customer_limits import CustomerLimits
from router.webchat_keys import SECRET_VARIABLE as WEBCHAT_SECRET_ENV
from stack.mail_sink import EmbeddedMailSink, MailSinkDidNotStart
from stack.private_files import PRIVATE_UMASK, make_private_dir, read_or_make_secret
from stack.processes import Service, ServiceDidNotStart, base_env, python_module, tail
from stack.rasa_server import TOKEN_ENV as RASA_TOKEN_ENV
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
    # Where mail goes: SMTP_URL, or the embedded sink (then its folder is shown at /mail).
    smtp_url: str = ""
    mail_sink_dir: Optional[Path] = None
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

    @property
    def action_server_secret(self) -> str:
        return read_or_make_secret(self.settings.data_dir / "action_server_secret")

    @property
    def webchat_secret(self) -> str:
        """Signs the key of each web chat conversation: kept, so a page resumes after a
        restart."""
        return read_or_make_secret(self.settings.data_dir / "webchat_secret")

    def services(self) -> List[Service]:
        s = self.settings
        logs = s.data_dir / "logs"
        here = s.local_host
        env = base_env({
            **self.redis.rasa_env(),
            "REDIS_URL": self.redis.url,
            # endpoints.yml: where Rasa calls the action server, and the secret it sends.
            "ACTIONS_HOST": here,
            "ACTIONS_PORT": str(s.actions_port),
            ACTION_SECRET_ENV: self.action_server_secret,
            "RASA_PORT": str(s.rasa_port),
            "RASA_URL": f"http://{here}:{s.rasa_port}",
            RASA_TOKEN_ENV: self.rasa_token,
            # The web chat channel: who proves a conversation, which pages may open a socket.
            WEBCHAT_SECRET_ENV: self.webchat_secret,
            # (Non-browser socket.io clients name the server itself as their origin.)
            CHAT_ORIGINS_ENV: ",".join([*s.cors_origins, f"http://{here}:{s.rasa_port}",
                                        f"http://localhost:{s.rasa_port}"]),
            # Sanic reads SANIC_* settings from the environment: Rasa's body size limit.
            "SANIC_REQUEST_MAX_SIZE": str(CustomerLimits.from_env().max_request_bytes),
            "WEB_HOST": s.bind_host,
            "SHOP_DB_PATH": str(s.data_dir / "shop.db"),
            "FIRST_ADMIN_PASSWORD_FILE": str(self.admin_password_file),
            # A stable name: after a restart the web service finishes what it had started.
            "RELAY_CONSUMER": "web-1",
            "SMTP_URL": self.smtp_url,
            **({"MAIL_SINK_DIR": str(self.mail_sink_dir)} if self.mail_sink_dir else {}),
            **self.extra_env,
        })
        return [
            Service(
                "action server",
                python_module("actions.server", "--host", s.bind_host,
                              "--port", str(s.actions_port)),
                f"http://{here}:{s.actions_port}/health",
                logs / "actions.log", env,
            ),
            Service(
                "Rasa server",
                # The launcher adds --auth-token from RASA_TOKEN inside its own process.
                python_module(
                    "stack.rasa_server", "run", "--enable-api", "--interface", s.bind_host,
                    "--cors", *s.cors_origins, "--port", str(s.rasa_port),
                    "--model", str(s.model_path),
                    "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
                ),
                f"http://{here}:{s.rasa_port}/status?token={self.rasa_token}",
                logs / "rasa.log", env,
                fatal_log_line="Could not load model",
            ),
            Service(
                "web service",
                python_module("webapp", "--port", str(s.web_port)),
                f"http://{here}:{s.web_port}/health",
                logs / "web.log", env,
            ),
        ]


def open_redis(settings: StackSettings) -> tuple[RedisAddress, Optional[EmbeddedRedis]]:
    if settings.redis_url:
        return RedisAddress.from_url(settings.redis_url), None
    embedded = EmbeddedRedis(settings.data_dir / "redis", settings.embedded_redis_port).start()
    return RedisAddress.from_url(embedded.url), embedded


def open_mail(settings: StackSettings) -> tuple[str, Optional[EmbeddedMailSink]]:
    """SMTP_URL if set; else a mail sink of our own that keeps every mail in var/mail/."""
    if settings.smtp_url:
        return settings.smtp_url, None
    sink = EmbeddedMailSink(settings.data_dir / "mail", settings.embedded_mail_port).start()
    return sink.url, sink


def rasa_token(data_dir: Path) -> str:
    """A token for Rasa's HTTP API, kept in var/ so scripts can read it; made once."""
    return read_or_make_secret(data_dir / "rasa_token")


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


def stop_all(services: List[Service], embedded: Optional[EmbeddedRedis],
             mail_sink: Optional[EmbeddedMailSink] = None) -> None:
    for service in reversed(services):
        service.stop()
    if mail_sink:
        mail_sink.stop()
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
    # Before anything is written: the shop, the logs, Redis's files are this user's alone.
    os.umask(PRIVATE_UMASK)
    try:
        settings = StackSettings.from_env()
        make_private_dir(settings.data_dir)
        redis, embedded = open_redis(settings)
    except (BadSetting, RedisDidNotStart) as error:
        say(str(error))
        return 2
    where = f"embedded, data in {embedded.data_dir}" if embedded else "from REDIS_URL"
    say(f"Redis at {redis.host}:{redis.port}/{redis.db} ({where})")
    try:
        smtp_url, mail_sink = open_mail(settings)
    except MailSinkDidNotStart as error:
        say(str(error))
        stop_all([], embedded)
        return 2
    say(f"mail: kept in {shown(mail_sink.directory)}, shown at "
        f"http://localhost:{settings.web_port}/mail (embedded sink)" if mail_sink
        else "mail: sent through SMTP_URL")
    seed_shop(settings.data_dir)
    stack = Stack(settings, redis, rasa_token(settings.data_dir), embedded, smtp_url=smtp_url,
                  mail_sink_dir=mail_sink.directory if mail_sink else None)
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
        stop_all(services, embedded, mail_sink)
        say("all stopped")


if __name__ == "__main__":
    sys.exit(main())
