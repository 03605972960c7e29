"""Settings of our web service, read once at start-up and passed to `create_app`."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from router.handoff.ordering import QueueSettings
from router.mail import SmtpAddress
from router.webchat_keys import SECRET_VARIABLE as WEBCHAT_SECRET_VARIABLE


@dataclass(frozen=True)
class WebSettings:
    port: int = 8080
    # This machine only, unless WEB_HOST says otherwise (`make run` passes its BIND_HOST).
    host: str = "127.0.0.1"
    redis_url: str = "redis://127.0.0.1:6390/0"
    # Where browsers reach Rasa's socket.io channel. None: the same host as the page, on
    # `rasa_port`; set RASA_PUBLIC_URL when Rasa sits behind a proxy or another host name.
    rasa_public_url: Optional[str] = None
    rasa_port: int = 5005
    # Where this service reaches Rasa's HTTP API (agent lines, resume), and its token.
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = ""
    # Checks the key a returning chat page proves its conversation with (router/webchat_keys.py).
    webchat_secret: str = ""
    # A signed-in agent stays signed in this long after their last request.
    session_ttl_seconds: int = 8 * 3600
    # Mark the cookie Secure (send it over HTTPS only): on whenever the console is public.
    secure_cookies: bool = False
    # With no agent accounts yet, an "admin" account is made and its password written here.
    first_admin_password_file: Optional[Path] = None
    # This process's name in the relay's consumer group: keep it stable across restarts so
    # what it had not finished is picked up again.
    relay_consumer: str = field(default_factory=socket.gethostname)
    # Background work (relay, queue notices, lost agents); tests of handlers alone turn it off.
    background_tasks: bool = True
    # How often waiting customers' places and agents' heartbeats are checked (also at once
    # on any queue change); also the longest a shutdown waits for it.
    housekeeping_seconds: float = 1.0
    queue: QueueSettings = field(default_factory=QueueSettings)
    # Where ticket answers are mailed through (SMTP_URL); None: mail is not set up, and an
    # answer is still recorded and put in the customer's chat.
    smtp: Optional[SmtpAddress] = None
    # The sender customers see, and reply to.
    mail_from: str = "Pinecone Supply <support@pinecone.example>"
    # A mail server slower than this is treated as down: the agent is not kept waiting.
    mail_timeout_seconds: float = 10.0
    # The embedded mail sink's folder (MAIL_SINK_DIR, set by `make run` when it starts one):
    # admins read its mails at /mail. None: mail really leaves, and there is nothing to show.
    mail_sink_dir: Optional[Path] = None
    # A scraper elsewhere than this machine reads /metrics with this bearer token
    # (METRICS_TOKEN); empty: only from loopback (webapp/metrics.py).
    metrics_token: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> WebSettings:
        admin_file = env.get("FIRST_ADMIN_PASSWORD_FILE")
        sink_dir = env.get("MAIL_SINK_DIR")
        return cls(
            port=int(env.get("WEB_PORT", cls.port)),
            host=env.get("WEB_HOST", cls.host),
            redis_url=env.get("REDIS_URL", cls.redis_url),
            rasa_public_url=env.get("RASA_PUBLIC_URL") or None,
            rasa_port=int(env.get("RASA_PORT", cls.rasa_port)),
            rasa_url=env.get("RASA_URL", cls.rasa_url),
            rasa_token=env.get("RASA_TOKEN", ""),
            webchat_secret=env.get(WEBCHAT_SECRET_VARIABLE, ""),
            session_ttl_seconds=int(env.get("AGENT_SESSION_TTL", cls.session_ttl_seconds)),
            secure_cookies=env.get("SECURE_COOKIES", "") in ("1", "true", "yes"),
            first_admin_password_file=Path(admin_file) if admin_file else None,
            relay_consumer=env.get("RELAY_CONSUMER") or socket.gethostname(),
            queue=QueueSettings.from_env(env),
            smtp=SmtpAddress.from_url(env["SMTP_URL"]) if env.get("SMTP_URL") else None,
            mail_from=env.get("MAIL_FROM") or cls.mail_from,
            mail_sink_dir=Path(sink_dir) if sink_dir else None,
            metrics_token=env.get("METRICS_TOKEN", ""),
        )
