"""Where everything runs: ports, Redis, paths. Read once from the environment."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional
from urllib.parse import urlparse

from router.mail import BadSmtpUrl, SmtpAddress

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class BadSetting(ValueError):
    """An environment variable has a value we cannot use; the message names it."""


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    if not re.fullmatch(r"[0-9]{1,5}", raw) or not 0 < int(raw) < 65536:
        raise BadSetting(f"{name} must be a port number between 1 and 65535, got {raw!r}.")
    return int(raw)


def _bind_host(env: Mapping[str, str], default: str) -> str:
    raw = env.get("BIND_HOST", default)
    try:
        ipaddress.IPv4Address(raw)
    except ValueError:
        raise BadSetting(
            "BIND_HOST must be the IPv4 address our servers listen on: 127.0.0.1 for this "
            f"machine only, 0.0.0.0 for every network; got {raw!r}."
        ) from None
    return raw


def _smtp_url(env: Mapping[str, str]) -> Optional[str]:
    """SMTP_URL, checked now: a typo should stop `make run`, not the first answer mailed."""
    raw = env.get("SMTP_URL") or None
    if raw is not None:
        try:
            SmtpAddress.from_url(raw)
        except BadSmtpUrl as error:
            raise BadSetting(str(error)) from None
    return raw


def _origin(env: Mapping[str, str], name: str) -> Optional[str]:
    raw = env.get(name) or None
    if raw is None:
        return None
    parsed = urlparse(raw)
    has_path = parsed.path not in ("", "/") or parsed.query or parsed.fragment
    if parsed.scheme not in ("http", "https") or not parsed.hostname or has_path:
        raise BadSetting(
            f"{name} must be a web origin like https://chat.example.com (scheme, host and an "
            f"optional port, no path), got {raw!r}."
        )
    return raw.rstrip("/")


@dataclass(frozen=True)
class RedisAddress:
    host: str
    port: int
    db: int
    password: str

    @classmethod
    def from_url(cls, url: str) -> RedisAddress:
        parsed = urlparse(url)
        if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
            raise BadSetting(
                f"REDIS_URL must look like redis://[:password@]host:port/db, got {url!r}."
            )
        db_part = parsed.path.lstrip("/") or "0"
        if not db_part.isdigit():
            raise BadSetting(f"REDIS_URL's database must be a number, got {db_part!r}.")
        return cls(parsed.hostname, parsed.port or 6379, int(db_part), parsed.password or "")

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/{self.db}"

    def rasa_env(self) -> Dict[str, str]:
        """The variables endpoints.yml reads for Rasa's tracker and lock stores."""
        return {
            "REDIS_HOST": self.host,
            "REDIS_PORT": str(self.port),
            "REDIS_DB": str(self.db),
            "REDIS_PASSWORD": self.password,
        }


@dataclass(frozen=True)
class StackSettings:
    rasa_port: int = 5005
    actions_port: int = 5055
    web_port: int = 8080
    # Used only when we start our own Redis (no REDIS_URL).
    embedded_redis_port: int = 6390
    redis_url: Optional[str] = None
    # Used only when we start our own mail sink (no SMTP_URL).
    embedded_mail_port: int = 2525
    # Where mail goes (ticket answers); None: the embedded sink keeps it in var/mail/.
    smtp_url: Optional[str] = None
    data_dir: Path = PROJECT_ROOT / "var"
    model_path: Path = PROJECT_ROOT / "models" / "pinecone.tar.gz"
    # Where our servers listen: this machine only, unless someone decides to expose them
    # (0.0.0.0, behind a proxy that authenticates, for instance).
    bind_host: str = "127.0.0.1"
    # A page on another origin that may call Rasa's HTTP API from a browser (a public chat
    # page); our own web service's origins are always allowed.
    public_chat_origin: Optional[str] = None

    @property
    def local_host(self) -> str:
        """The address we reach our own servers on: any interface includes loopback."""
        return "127.0.0.1" if self.bind_host == "0.0.0.0" else self.bind_host

    @property
    def cors_origins(self) -> List[str]:
        """The browser origins Rasa answers: our web service's pages, and the public page."""
        ours = [f"http://localhost:{self.web_port}", f"http://127.0.0.1:{self.web_port}"]
        return ours + ([self.public_chat_origin] if self.public_chat_origin else [])

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> StackSettings:
        return cls(
            rasa_port=_port(env, "RASA_PORT", cls.rasa_port),
            actions_port=_port(env, "ACTIONS_PORT", cls.actions_port),
            web_port=_port(env, "WEB_PORT", cls.web_port),
            embedded_redis_port=_port(env, "EMBEDDED_REDIS_PORT", cls.embedded_redis_port),
            redis_url=env.get("REDIS_URL") or None,
            embedded_mail_port=_port(env, "EMBEDDED_MAIL_PORT", cls.embedded_mail_port),
            smtp_url=_smtp_url(env),
            data_dir=Path(env.get("DATA_DIR", str(cls.data_dir))),
            model_path=Path(env.get("MODEL_PATH", str(cls.model_path))),
            bind_host=_bind_host(env, cls.bind_host),
            public_chat_origin=_origin(env, "PUBLIC_CHAT_ORIGIN"),
        )
