"""Settings of our web service, read once at start-up and passed to `create_app`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional


@dataclass(frozen=True)
class WebSettings:
    port: int = 8080
    host: str = "0.0.0.0"
    redis_url: str = "redis://127.0.0.1:6390/0"
    # Where browsers reach Rasa's socket.io channel. None: the same host as the page, on
    # `rasa_port`; set RASA_PUBLIC_URL when Rasa sits behind a proxy or another host name.
    rasa_public_url: Optional[str] = None
    rasa_port: int = 5005

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> WebSettings:
        return cls(
            port=int(env.get("WEB_PORT", cls.port)),
            host=env.get("WEB_HOST", cls.host),
            redis_url=env.get("REDIS_URL", cls.redis_url),
            rasa_public_url=env.get("RASA_PUBLIC_URL") or None,
            rasa_port=int(env.get("RASA_PORT", cls.rasa_port)),
        )
