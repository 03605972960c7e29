"""`python -m bench.whatif`: how long a what-if replay of 10,000 stored conversations takes
(target: under 10 s on this machine), on a real (embedded) Redis holding them as Rasa's tracker
store does.

The conversations are synthetic but shaped like ours: 1-14 customer lines (most short), the
events Rasa stores around each (the listen action, the parse data with its intent ranking,
sentiment and sentence embedding, the bot's replies, the router's `frustration` slot as the
policy records it), a new session in some, and in those the router hands off, the pause, the
customer and the agent talking, and the hand back. Measured from the request to the answer:
finding the newest conversations, fetching them, replaying, summing up.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from redis import asyncio as aioredis

from bench.embedded import with_embedded_redis
from bench.machine import describe
from router import keys
from router.agents.directory import AgentDirectory
from router.scoring import ScorerSettings, assess, meaning
from router.scoring.conversation import Turn, turns_from_lines
from router.scoring.scorer import as_state
from router.settings_versions import validate
from router.transcript import lines_from_events
from router.whatif_run import Selection, what_if

CONVERSATIONS = 10_000
TARGET_SECONDS = 10.0
RESULTS = Path("results/bench/whatif.txt")

# (text, intent, sentiment, the bot's reply): calm requests, restated needs, the angry and
# the ones only a person can help.
CALM = [("where is my order 482913", "order_status", 0.0, "utter_order_status_shipped"),
        ("how much is shipping to Canada", "shipping_costs", 0.0, "utter_shipping_costs"),
        ("is the tent in stock?", "product_availability", 0.0, "utter_product_low_stock"),
        ("I want to return something", "return_item", 0.0, "utter_ask_order_id"),
        ("thanks, that helps", "thanks", 0.6, "utter_welcome"),
        ("hi", "greet", 0.0, "utter_greet")]
STUCK = [("where is my parcel, it should be here", "track_package", -0.1, "utter_ask_order_id"),
         ("I told you, where is the parcel", "track_package", -0.3, "utter_ask_order_id"),
         ("no, I said the other order!!", "inform", -0.4, "utter_order_id_unknown"),
         ("THIS IS USELESS", "complain", -0.7, "utter_complain"),
         ("asdf qwer", "nlu_fallback", 0.0, "utter_default")]
PERSON = [("can I talk to a human", "request_human", 0.0, "utter_handoff_started"),
          ("my tent arrived broken", "item_damaged", -0.5, "utter_item_damaged"),
          ("yes please", "affirm", 0.2, "utter_handoff_started")]
INTENTS = sorted({line[1] for line in CALM + STUCK + PERSON})


class Writer:
    """Events of one conversation, the way Rasa 3.6 serialises them."""

    def __init__(self, rng: random.Random, vectors: np.random.Generator, start: float) -> None:
        self.rng, self.vectors, self.clock = rng, vectors, start
        self.events: List[Dict[str, Any]] = []
        self.topic = vectors.normal(size=384)

    def _stamp(self, gap: float = 1.0) -> float:
        self.clock += gap * self.rng.uniform(0.5, 1.5)
        return round(self.clock, 6)

    def event(self, kind: str, gap: float = 0.05, **fields: Any) -> None:
        self.events.append({"event": kind, "timestamp": self._stamp(gap),
                            "metadata": {"model_id": "b6f1c2e0", "assistant_id": "pinecone"},
                            **fields})

    def action(self, name: str) -> None:
        self.event("action", name=name, policy="RulePolicy", confidence=1.0, action_text=None,
                   hide_rule_turn=False)

    def customer(self, text: str, intent: str, sentiment: float, restated: bool) -> None:
        # A restated need means about the same; anything else, something new.
        vector = self.topic + self.vectors.normal(size=384) * (0.6 if restated else 3.0)
        # Mostly sure; now and then a guess (below the scorer's low_confidence).
        confidence = round(self.rng.uniform(0.35, 0.6) if self.rng.random() < 0.1
                           else self.rng.uniform(0.6, 0.99), 4)
        ranking = [{"name": intent, "confidence": confidence}] + [
            {"name": other, "confidence": round((1 - confidence) / 9, 4)}
            for other in self.rng.sample([i for i in INTENTS if i != intent], 9)]
        message_id = uuid.uuid4().hex
        self.event("user", gap=self.rng.uniform(5, 60), text=text, input_channel="socketio",
                   message_id=message_id, parse_data={
                       "intent": {"name": intent, "confidence": confidence}, "entities": [],
                       "text": text, "message_id": message_id, "metadata": {},
                       "text_tokens": [[0, len(text)]], "intent_ranking": ranking,
                       "sentiment": {"score": sentiment, "label": "neutral",
                                     "negative": 0.1, "neutral": 0.8, "positive": 0.1},
                       "meaning": meaning.encode(vector)})
        self.event("user_featurization", use_text_for_featurization=False)

    def bot(self, response: str, agent: Optional[str] = None) -> None:
        metadata: Dict[str, Any] = {"utter_action": response}
        if agent:
            metadata = {"agent_name": agent.title(), "agent_id": agent, "relay_id": "r"}
        self.events.append({"event": "bot", "timestamp": self._stamp(1.0), "metadata": metadata,
                            "text": f"({response})", "data": {
                                "elements": None, "quick_replies": None, "buttons": None,
                                "attachment": None, "image": None, "custom": None}})

    def assess(self, settings: ScorerSettings) -> Dict[str, Any]:
        """The policy's assessment of the newest line, recorded as the frustration slot."""
        since = self.events
        for index in range(len(self.events) - 1, -1, -1):
            if self.events[index]["event"] in ("session_started", "resume"):
                since = self.events[index + 1:]
                break
        turns: List[Turn] = turns_from_lines(lines_from_events(since))
        previous = next((as_state(e["value"]) for e in reversed(since)
                         if e["event"] == "slot" and e["name"] == "frustration"), None)
        assessment = assess(turns, settings, previous).as_dict()
        self.event("slot", name="frustration", value=assessment)
        return assessment


def conversation(index: int, rng: random.Random, vectors: np.random.Generator, now: float,
                 settings: ScorerSettings) -> Tuple[str, str]:
    """One stored conversation: (its id, its tracker JSON)."""
    writer = Writer(rng, vectors, now - rng.uniform(60, 14 * 86400))
    kind = rng.choices(["calm", "stuck", "person"], weights=[7, 2, 1])[0]
    for _session in range(rng.choice([1, 1, 1, 2])):
        writer.action("action_session_start")
        writer.event("session_started")
        writer.action("action_listen")
        # A calm customer asks one thing after another; a stuck one keeps at the same need.
        calm = rng.sample(CALM, len(CALM))
        for turn in range(min(int(rng.expovariate(1 / 4)) + 1, 14)):
            if kind == "calm" or (kind == "stuck" and turn == 0):
                text, intent, sentiment, reply = calm[turn % len(calm)]
            else:
                text, intent, sentiment, reply = rng.choice(STUCK if kind == "stuck" else PERSON)
            writer.customer(text, intent, sentiment, restated=kind == "stuck" and turn > 0)
            assessment = writer.assess(settings)
            if assessment["handoff"]:
                _handed_off(writer, rng)
                break
            writer.action(reply)
            writer.bot(reply)
            writer.action("action_listen")
    conversation_id = uuid.UUID(int=rng.getrandbits(128)).hex
    return conversation_id, json.dumps({"events": writer.events, "name": conversation_id})


def _handed_off(writer: Writer, rng: random.Random) -> None:
    writer.action("action_handoff")
    writer.bot("utter_handoff_started")
    writer.event("pause")
    for _ in range(rng.randint(1, 4)):
        writer.customer("it's order 482913", "inform", 0.0, restated=False)
        writer.bot("agent_line", agent="sam")
    writer.event("resume")
    writer.action("action_listen")


async def fill(redis: aioredis.Redis, count: int, now: float) -> int:
    rng, vectors, settings = random.Random(12), np.random.default_rng(12), ScorerSettings()
    size = 0
    for start in range(0, count, 500):
        async with redis.pipeline(transaction=False) as pipe:
            for index in range(start, min(start + 500, count)):
                conversation_id, raw = conversation(index, rng, vectors, now, settings)
                size += len(raw)
                pipe.set(keys.rasa_tracker(conversation_id), raw)
            await pipe.execute()
    directory = AgentDirectory(redis)
    for number in range(6):
        await directory.create(f"agent{number}", f"Agent {number}", "a long password 42",
                               capacity=3)
        await directory.heartbeat(f"agent{number}", now - number * 3600, "online")
    return size


async def measure(url: str, count: int) -> List[str]:
    redis = aioredis.Redis.from_url(url, decode_responses=True)
    now = time.time()
    started = time.perf_counter()
    size = await fill(redis, count, now)
    report = [f"machine: {describe()}",
              f"stored {count} synthetic conversations ({size / 1e6:.0f} MB of tracker JSON) "
              f"in {time.perf_counter() - started:.1f} s"]
    print(report[-1], flush=True)
    cases = [("handoff_threshold 0.6 -> 0.7 (one pass serves both)", {"handoff_threshold": 0.7}),
             ("weights.repeated_request 0.35 -> 0.2 (one pass serves both)",
              {"weights": {"repeated_request": 0.2}}),
             ("retention 0.7 -> 0.8 (each side scored on its own)", {"retention": 0.8})]
    for name, change in cases:
        started = time.perf_counter()
        answer = await what_if(redis, validate(change), Selection(last=count), time.time())
        seconds = time.perf_counter() - started
        verdict = "ok" if seconds < TARGET_SECONDS else f"OVER the {TARGET_SECONDS:.0f} s target"
        report.append(
            f"what-if {name}: {answer['conversations']} conversations in {seconds:.2f} s "
            f"({verdict}); handoff rate {answer['handoff_rate_now']} -> "
            f"{answer['handoff_rate_after']} (at most {answer['handoff_rate_after_at_most']}: "
            f"{answer['unknown_after']} taken over by a person before it would have handed "
            f"off), {answer['changed_count']} change; by reason "
            f"{answer['by_reason_now']} -> {answer['by_reason_after']}")
        print(report[-1], flush=True)
    await redis.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.whatif", description=__doc__)
    parser.add_argument("--conversations", type=int, default=CONVERSATIONS)
    args = parser.parse_args()
    print(describe(), flush=True)
    report = with_embedded_redis(lambda url: measure(url, args.conversations))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(report) + "\n")


if __name__ == "__main__":
    main()
