"""An agent using our web service's API over HTTP, as the console does."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any, Dict, Iterator, List, Optional

import requests
from redis import asyncio as aioredis

from router.agents.directory import AgentDirectory

PASSWORD = "a long password"


def create_agent(redis_url: str, agent_id: str, name: str, role: str = "agent") -> None:
    """An account straight in Redis (as an admin would make it), signed in as online."""
    async def make() -> None:
        redis = aioredis.Redis.from_url(redis_url)
        directory = AgentDirectory(redis)
        if await directory.get(agent_id) is None:
            await directory.create(agent_id, name, PASSWORD, role=role)
        await redis.close()
    asyncio.run(make())


class AgentClient:
    def __init__(self, web_url: str, agent_id: str) -> None:
        self.web_url = web_url
        self.http = requests.Session()
        reply = self.http.post(f"{web_url}/api/auth/login",
                               json={"agent_id": agent_id, "password": PASSWORD}, timeout=10)
        reply.raise_for_status()
        self.presence("online")

    def call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        reply = self.http.request(method, f"{self.web_url}{path}", json=body, timeout=10)
        if reply.status_code >= 400:
            raise AssertionError(f"{method} {path}: {reply.status_code} {reply.text}")
        return reply.json()

    def presence(self, presence: str) -> None:
        self.call("POST", "/api/me/presence", {"presence": presence})

    def claim(self, conversation_id: str) -> None:
        self.call("POST", "/api/queue/claim", {"conversation_id": conversation_id})

    def say(self, conversation_id: str, text: str, request_id: Optional[str] = None) -> str:
        request_id = request_id or uuid.uuid4().hex
        self.call("POST", f"/api/conversations/{conversation_id}/messages",
                  {"text": text, "request_id": request_id})
        return request_id

    def view(self, conversation_id: str) -> Dict[str, Any]:
        result: Dict[str, Any] = self.call("GET", f"/api/conversations/{conversation_id}")
        return result

    def lines(self, conversation_id: str) -> List[Dict[str, Any]]:
        return list(self.view(conversation_id)["transcript"])

    def wait_for_line(self, conversation_id: str, text: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not any(line["text"] == text for line in self.lines(conversation_id)):
            if time.monotonic() > deadline:
                raise AssertionError(f"the console never showed {text!r}")
            time.sleep(0.1)

    def feed(self, conversation_id: str, after: str = "0") -> Iterator[Dict[str, Any]]:
        """The live feed (server-sent events), line by line."""
        with self.http.get(f"{self.web_url}/api/conversations/{conversation_id}/events",
                           params={"after": after}, stream=True, timeout=30) as reply:
            reply.raise_for_status()
            event: Dict[str, Any] = {}
            for raw in reply.iter_lines(decode_unicode=True):
                if raw.startswith("id: "):
                    event["id"] = raw[4:]
                elif raw.startswith("data: "):
                    event["line"] = json.loads(raw[6:])
                elif raw == "" and "line" in event:
                    yield event
                    event = {}
