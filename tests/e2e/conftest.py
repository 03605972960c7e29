"""The end-to-end stack: the real action server and Rasa server on the trained model, our web
service, and the session's real Redis, all on free ports."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
import redis
import requests
import socketio
from redis import asyncio as aioredis

from actions.seed import seed
from router.handoff.queue import RESOLVED, HandoffQueue
from router.relay.outbox import resume_command
from stack.mail_sink import EmbeddedMailSink
from stack.processes import Service
from stack.redis_server import EmbeddedRedis, free_port
from stack.run import RASA_START_TIMEOUT, SMALL_START_TIMEOUT, Stack
from stack.settings import RedisAddress, StackSettings

MODEL = Path(__file__).resolve().parents[2] / "models" / "pinecone.tar.gz"
TOKEN = "e2e-token"
# What the shop's server would sign customer tokens with (router/customer_token.py).
CUSTOMER_TOKEN_SECRET = "e2e-shop-secret"


@dataclass
class RunningBot:
    stack: Stack
    services: Dict[str, Service]
    shop_db: Path

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.stack.settings.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.stack.settings.web_port}"

    def restart_rasa(self) -> None:
        rasa = self.services["Rasa server"]
        rasa.stop()
        rasa.start().wait_until_healthy(RASA_START_TIMEOUT)

    def append_events(self, conversation_id: str, events: List[Dict[str, Any]]) -> None:
        reply = requests.post(
            f"{self.rasa_url}/conversations/{conversation_id}/tracker/events",
            params={"token": TOKEN}, json=events, timeout=10)
        reply.raise_for_status()

    def tracker(self, conversation_id: str) -> Dict[str, Any]:
        reply = requests.get(f"{self.rasa_url}/conversations/{conversation_id}/tracker",
                             params={"token": TOKEN}, timeout=10)
        reply.raise_for_status()
        return reply.json()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """The end-to-end stack's own Redis. Its web service works in the background (relaying,
    telling waiting customers their place, returning lost agents' conversations) until the
    session ends; the unit tests' Redis, which they empty and inspect, must not meet that."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("e2e-redis"), free_port()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mail_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedMailSink]:
    """Where the stack's mail goes. The Stack alone sends to SMTP_URL and starts no sink (only
    `make run` does, in stack/run.py), so without this every answer's mail would fail with "not
    sent"; tests read the kept mails in its folder."""
    sink = EmbeddedMailSink(tmp_path_factory.mktemp("e2e-mail") / "mail", free_port()).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def bot(redis_server: EmbeddedRedis, mail_sink: EmbeddedMailSink,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: run `make model` (make test does it for you).")
    data_dir = tmp_path_factory.mktemp("stack")
    settings = StackSettings(rasa_port=free_port(), actions_port=free_port(),
                             web_port=free_port(), data_dir=data_dir, model_path=MODEL)
    # People answer around the clock in tests, so the outcome never depends on the hour; every
    # test's customer comes from 127.0.0.1, so one address may start many conversations, and
    # be handed to a person many times, here.
    stack = Stack(settings, RedisAddress.from_url(redis_server.url), TOKEN,
                  smtp_url=mail_sink.url, mail_sink_dir=mail_sink.directory,
                  extra_env={"SUPPORT_HOURS": "always", "CONVERSATIONS_PER_HOUR": "100000",
                             "HANDOFFS_PER_HOUR": "100000", "TICKETS_PER_HOUR": "100000",
                             "ADDRESS_LINES_PER_MINUTE": "100000",
                             "CUSTOMER_TOKEN_SECRET": CUSTOMER_TOKEN_SECRET})
    services = {service.name: service for service in stack.services()}
    seed(data_dir / "shop.db", date.today())
    try:
        for service in services.values():
            timeout = RASA_START_TIMEOUT if service.name == "Rasa server" else SMALL_START_TIMEOUT
            service.start().wait_until_healthy(timeout)
        yield RunningBot(stack, services, data_dir / "shop.db")
    finally:
        for service in reversed(list(services.values())):
            service.stop()


@pytest.fixture(autouse=True)
def nobody_left_waiting(redis_server: EmbeddedRedis) -> Iterator[None]:
    """Afterwards (and after the test's agents signed out, which puts their customers back in
    line), every customer the test queued lets go, so the next test finds an empty line."""
    yield

    async def let_go() -> None:
        client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
        queue = HandoffQueue(client)
        for waiting in await queue.waiting():
            await queue.release(waiting.conversation_id, time.time(), RESOLVED,
                                resume_command(RESOLVED, "the team"), by_agent=None)
        await client.close()
    asyncio.run(let_go())


@pytest.fixture
def store(redis_server: EmbeddedRedis) -> Iterator[redis.Redis]:
    """The stack's Redis, to look at what the servers stored."""
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def fresh_shop(bot: RunningBot) -> RunningBot:
    """Each conversation starts from the same sample orders (cancels and returns change it)."""
    seed(bot.shop_db, date.today())
    return bot


class RestCustomer:
    """A customer on Rasa's REST channel: send a line, get the bot's lines back."""

    channel = "rest"

    def __init__(self, bot: RunningBot) -> None:
        self.url = f"{bot.rasa_url}/webhooks/rest/webhook"
        self.id = f"rest-{uuid.uuid4().hex[:10]}"

    def say(self, text: str) -> List[str]:
        reply = requests.post(self.url, json={"sender": self.id, "message": text},
                              headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        reply.raise_for_status()
        return [m["text"] for m in reply.json() if m.get("text")]

    def close(self) -> None:
        pass


class SocketCustomer:
    """A customer on the socket.io channel, as the web chat page is."""

    channel = "socketio"
    # The bot's replies to one message arrive as separate events; after this long with none,
    # the reply is complete.
    QUIET_SECONDS = 0.6

    def __init__(self, bot: RunningBot, session_id: Optional[str] = None,
                 session_key: Optional[str] = None) -> None:
        """A new conversation, or the one `session_id` names, proved by `session_key`."""
        self.received: List[str] = []
        self.payloads: List[Dict[str, Any]] = []
        self.confirmed: Optional[Dict[str, str]] = None
        self.client = socketio.Client(reconnection=False)
        self.client.on("bot_uttered", self._on_bot)
        self.client.on("session_confirm", self._on_confirm)
        self.client.connect(bot.rasa_url, transports=["websocket"])
        self.client.emit("session_request", {"session_id": session_id,
                                             "session_key": session_key})
        self._wait_for(lambda: self.confirmed is not None, 10)
        assert self.confirmed is not None
        self.id: str = self.confirmed["session_id"]
        self.key: str = self.confirmed["session_key"]

    def _on_bot(self, payload: Dict[str, Any]) -> None:
        self.payloads.append(payload)
        if payload.get("text"):
            self.received.append(payload["text"])

    def _on_confirm(self, session: Dict[str, str]) -> None:
        self.confirmed = session

    def _wait_for(self, condition: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting on the socket")
            time.sleep(0.02)

    def say(self, text: str) -> List[str]:
        start = len(self.received)
        self.client.emit("user_uttered", {"message": text})
        self._wait_for(lambda: len(self.received) > start, 30)
        count = len(self.received)
        while True:
            time.sleep(self.QUIET_SECONDS)
            if len(self.received) == count:
                return self.received[start:]
            count = len(self.received)

    def wait_for_payload(self, matches: Callable[[Dict[str, Any]], bool], since: int = 0,
                         timeout: float = 20) -> Dict[str, Any]:
        """The first line pushed to this customer (from index `since`) that `matches`."""
        def found() -> Optional[Dict[str, Any]]:
            return next((p for p in self.payloads[since:] if matches(p)), None)
        self._wait_for(lambda: found() is not None, timeout)
        return found()  # type: ignore[return-value]

    def wait_for_line(self, fragment: str, timeout: float = 20) -> Dict[str, Any]:
        """The first line pushed to this customer containing `fragment` (waits for it)."""
        return self.wait_for_payload(lambda p: fragment in (p.get("text") or ""),
                                     timeout=timeout)

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture(params=["rest", "socketio"])
def customer(request: pytest.FixtureRequest, fresh_shop: RunningBot) -> Iterator[Any]:
    made = RestCustomer(fresh_shop) if request.param == "rest" else SocketCustomer(fresh_shop)
    yield made
    made.close()
