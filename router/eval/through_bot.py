"""`python -m router.eval bot [--split test]`: a split's customer lines through the real bot.

Starts the whole stack on free ports (embedded Redis, action server, Rasa server on the
trained model, our web service) with a freshly seeded shop, sends every conversation's lines
over Rasa's REST channel, and reads back what the bot did: its real NLU, sentiment, replies and
the router's assessment of every turn, as the policy recorded it in the tracker. The router
runs in shadow mode (it assesses and records, but never hands off), so each conversation is
heard to its end; the turn on which it first said "hand off" is the turn it would have handed
off on. Handoff precision, recall and timing are scored against the labelled turn.

The transcripts are also written (`--replays FILE`, JSON lines) for `python -m router.train`,
which fits and tunes on the train and dev splits' transcripts, never on test's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import uuid
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import requests
from redis import asyncio as aioredis

from router.eval.corpus import Labelled
from router.settings_versions import SettingsVersions
from router.transcript import FRUSTRATION_SLOT, Line, lines_from_events

TOKEN_BYTES = 16


@dataclass(frozen=True)
class Replay:
    name: str
    lines: List[Line]
    # The router's recorded assessment of each customer line, in order.
    assessments: List[Dict[str, Any]]

    def first_handoff(self) -> Optional[int]:
        for number, assessment in enumerate(self.assessments, start=1):
            if assessment.get("handoff"):
                return number
        return None

    def as_json(self) -> str:
        return json.dumps({"name": self.name, "lines": [asdict(line) for line in self.lines],
                           "assessments": self.assessments})

    @classmethod
    def from_json(cls, text: str) -> Replay:
        raw = json.loads(text)
        return cls(raw["name"], [Line(**line) for line in raw["lines"]], raw["assessments"])


def load_replays(path: Path) -> Dict[str, Replay]:
    replays = [Replay.from_json(row) for row in path.read_text().splitlines() if row.strip()]
    return {replay.name: replay for replay in replays}


@dataclass(frozen=True)
class BotEndpoint:
    rasa_url: str
    token: str

    def say(self, sender: str, text: str) -> None:
        reply = requests.post(f"{self.rasa_url}/webhooks/rest/webhook",
                              json={"sender": sender, "message": text},
                              headers={"Authorization": f"Bearer {self.token}"}, timeout=60)
        reply.raise_for_status()

    def events(self, sender: str) -> List[Dict[str, Any]]:
        reply = requests.get(f"{self.rasa_url}/conversations/{sender}/tracker",
                             params={"token": self.token}, timeout=30)
        reply.raise_for_status()
        return list(reply.json()["events"])


def replay(bot: BotEndpoint, conversation: Labelled) -> Replay:
    sender = f"eval-{uuid.uuid4().hex[:12]}"
    for text in conversation.lines:
        bot.say(sender, text)
    events = bot.events(sender)
    assessments = [event["value"] for event in events
                   if event.get("event") == "slot" and event.get("name") == FRUSTRATION_SLOT
                   and event.get("value")]
    return Replay(conversation.name, lines_from_events(events), assessments)


async def _shadow_mode(redis_url: str) -> None:
    """The router scores but never hands off, saved as a settings version like any change."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        await SettingsVersions(client).save({"shadow_mode": True}, "eval",
                                            "the evaluation watches the router, no handoffs")
    finally:
        await client.close()


@contextlib.contextmanager
def running_stack(model: Path) -> Iterator[tuple[BotEndpoint, Path]]:
    """The stack on free ports with its own Redis and shop, the router in shadow mode."""
    from actions.seed import seed
    from stack.processes import Service
    from stack.redis_server import EmbeddedRedis, free_port
    from stack.run import RASA_START_TIMEOUT, SMALL_START_TIMEOUT, Stack
    from stack.settings import RedisAddress, StackSettings

    with tempfile.TemporaryDirectory(prefix="eval-bot-") as folder:
        data_dir = Path(folder)
        embedded = EmbeddedRedis(data_dir / "redis", free_port()).start()
        asyncio.run(_shadow_mode(embedded.url))
        settings = StackSettings(rasa_port=free_port(), actions_port=free_port(),
                                 web_port=free_port(), data_dir=data_dir, model_path=model)
        token = uuid.uuid4().hex
        stack = Stack(settings, RedisAddress.from_url(embedded.url), token)
        services: List[Service] = stack.services()
        seed(data_dir / "shop.db", date.today())
        try:
            for service in services:
                timeout = RASA_START_TIMEOUT if service.name == "Rasa server" \
                    else SMALL_START_TIMEOUT
                service.start().wait_until_healthy(timeout)
            yield BotEndpoint(f"http://127.0.0.1:{settings.rasa_port}", token), data_dir
        finally:
            for service in reversed(services):
                service.stop()
            embedded.stop()


def replay_all(bot: BotEndpoint, shop_db: Path, conversations: List[Labelled]) -> List[Replay]:
    from actions.seed import seed

    replays = []
    for conversation in conversations:
        seed(shop_db, date.today())  # every conversation meets the same sample orders
        replays.append(replay(bot, conversation))
    return replays


def report(conversations: List[Labelled], replays: Dict[str, Replay]) -> Dict[str, Any]:
    from router.eval.scripted import score

    return score(conversations, {c.name: replays[c.name].first_handoff()
                                 for c in conversations})
