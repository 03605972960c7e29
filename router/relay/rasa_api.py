"""The few calls of Rasa's HTTP API the relay needs (Rasa runs with --enable-api and a token)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional
from urllib.parse import quote

import aiohttp


class RasaUnavailable(Exception):
    """Rasa did not answer, or answered with a server error: try again later."""


class RasaRefused(Exception):
    """Rasa answered with a client error: retrying the same request will not help."""


class RasaClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str,
                 timeout_seconds: float = 10.0) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    def _url(self, conversation_id: str, path: str) -> str:
        return f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/{path}"

    async def _call(self, method: str, url: str, params: Dict[str, str],
                    body: Optional[Any] = None) -> Any:
        params = {**params, "token": self.token}
        try:
            async with self.session.request(method, url, params=params, json=body,
                                            timeout=self.timeout) as reply:
                if reply.status >= 500:
                    raise RasaUnavailable(f"Rasa answered {reply.status} to {method} {url}")
                if reply.status >= 400:
                    raise RasaRefused(f"Rasa refused {method} {url}: {reply.status} "
                                      f"{(await reply.text())[:300]}")
                return await reply.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RasaUnavailable(f"Rasa is unreachable at {self.base_url}: {error}") from error

    async def tracker(self, conversation_id: str, include_events: str = "ALL"
                      ) -> Dict[str, Any]:
        """The conversation's tracker; `include_events="NONE"` for its state alone (cheap:
        a long conversation's events are not sent)."""
        return await self._call("GET", self._url(conversation_id, "tracker"),
                                {"include_events": include_events})

    async def append_events(self, conversation_id: str, events: List[Dict[str, Any]],
                            push_to: Optional[str] = None) -> None:
        """Record events; with `push_to` (an input channel's name, or "latest"), bot lines
        also go out on that channel (for channels that can push: socket.io, Slack, ...)."""
        params = {"execute_side_effects": "true", "output_channel": push_to} if push_to else {}
        await self._call("POST", self._url(conversation_id, "tracker/events"), params, events)

    async def execute(self, conversation_id: str, action: str,
                      output_channel: Optional[str]) -> None:
        """Run an action now, its messages going out on `output_channel` (None: recorded
        only, for a customer whose channel cannot receive them)."""
        params = {"output_channel": output_channel} if output_channel else {}
        await self._call("POST", self._url(conversation_id, "execute"), params,
                         {"name": action})
