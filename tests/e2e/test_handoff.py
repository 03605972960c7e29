"""The router in the real bot: hand off on the right turn with a complete packet in Redis,
never hand off a satisfied customer, and stay silent once a person has the conversation."""

import json
import time
from typing import Dict, Iterator, List, Tuple

import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from router import keys
from stack.redis_server import EmbeddedRedis
from tests.e2e.conftest import RestCustomer, RunningBot


@pytest.fixture
def store(redis_server: EmbeddedRedis) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    client.delete(keys.AGENTS_ONLINE)
    client.close()


@pytest.fixture
def agent_online(store: redis.Redis) -> None:
    store.zadd(keys.AGENTS_ONLINE, {"agent-ana": time.time()})


def assessments(bot: RunningBot, conversation_id: str) -> List[dict]:
    return [e["value"] for e in bot.tracker(conversation_id)["events"]
            if e["event"] == "slot" and e["name"] == "frustration"]


# The handoff a customer asks for, as the Rasa process and the action server count it.
ASKED_DECIDED = ("pinecone_handoff_decisions_total",
                 (("mode", "live"), ("reason", "asked_for_a_person")))
ASKED_QUEUED = ("pinecone_handoffs_total", (("outcome", "queued"),
                                            ("reason", "asked_for_a_person")))


def scraped(bot: RunningBot) -> Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]:
    """The web service's /metrics, as Prometheus parses it."""
    reply = requests.get(f"{bot.web_url}/metrics", timeout=10)
    reply.raise_for_status()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(reply.text)
            for sample in family.samples}


def counts_after(bot: RunningBot, expected: Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float],
                 timeout: float = 10.0) -> Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]:
    """The scraped values of `expected`'s series once they reach it (they are written in the
    background, off the customer's turn), or as they are at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        samples = scraped(bot)
        found = {series: samples.get(series, 0.0) for series in expected}
        if found == expected or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_asking_for_a_person_queues_the_whole_story(
    fresh_shop: RunningBot, store: redis.Redis, agent_online: None
) -> None:
    before = scraped(fresh_shop)
    customer = RestCustomer(fresh_shop)
    customer.say("where is order 482913")
    reply = "\n".join(customer.say("I want to talk to a person"))
    assert "You're number 1 in line" in reply
    packet = json.loads(store.get(keys.handoff_packet(customer.id)))
    assert packet["reason"] == "customer asked for a person"
    assert packet["channel"] == "rest"
    assert packet["slots"]["order_id"] == "482913"
    said = [line["text"] for line in packet["transcript"] if line["from"] == "customer"]
    assert said == ["where is order 482913", "I want to talk to a person"]
    first = packet["transcript"][0]
    assert first["intent"] == "order_status" and 0 < first["confidence"] <= 1
    assert first["assessment"]["handoff"] is False
    assert packet["summary"]["customer_wants"] == "order_status"
    assert store.get(keys.conversation_owner(customer.id)) == "queue"
    assert store.zrank(keys.HANDOFF_QUEUE, customer.id) is not None
    # The person has it now: the bot stays silent.
    assert customer.say("hello? is anyone there?") == []
    # Counted where it happened (the policy in Rasa, the action server), exported by the web
    # service.
    expected = {series: before.get(series, 0.0) + 1 for series in (ASKED_DECIDED, ASKED_QUEUED)}
    assert counts_after(fresh_shop, expected) == expected


def test_a_frustrated_customer_is_handed_off_on_the_turn_it_boils_over(
    fresh_shop: RunningBot, store: redis.Redis, agent_online: None
) -> None:
    customer = RestCustomer(fresh_shop)
    customer.say("where is my order")
    customer.say("12345")
    customer.say("999999")
    reply = "\n".join(customer.say("THIS IS USELESS, I ALREADY TOLD YOU!!!"))
    assert "bring in a person" in reply
    timeline = assessments(fresh_shop, customer.id)
    assert [a["handoff"] for a in timeline] == [False, False, False, True]
    packet = json.loads(store.get(keys.handoff_packet(customer.id)))
    assert packet["reason"].startswith("frustration")
    assert "not helping" in packet["reason"]
    assert all(line["assessment"] for line in packet["transcript"] if line["from"] == "customer")


def test_a_satisfied_customer_is_never_handed_off(fresh_shop: RunningBot,
                                                 store: redis.Redis) -> None:
    customer = RestCustomer(fresh_shop)
    for line in ["hi", "where is order 482913", "how much is shipping?",
                 "is the tent in stock?", "great, thanks a lot!", "bye"]:
        assert customer.say(line), f"no reply to {line!r}"
    timeline = assessments(fresh_shop, customer.id)
    assert len(timeline) == 6
    assert not any(a["handoff"] for a in timeline)
    assert store.get(keys.handoff_packet(customer.id)) is None


def test_a_one_off_curse_at_a_late_parcel_is_not_a_handoff(fresh_shop: RunningBot,
                                                            store: redis.Redis) -> None:
    customer = RestCustomer(fresh_shop)
    customer.say("where the hell is my parcel, order 482913")
    customer.say("ok thanks")
    assert not any(a["handoff"] for a in assessments(fresh_shop, customer.id))


def test_a_settings_change_applies_on_the_next_turn(fresh_shop: RunningBot,
                                                    store: redis.Redis,
                                                    redis_server: EmbeddedRedis,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from router.settings_cli import main as settings_cli

    monkeypatch.setenv("REDIS_URL", redis_server.url)
    complaint = "your delivery service is really bad"
    before = "\n".join(RestCustomer(fresh_shop).say(complaint))
    assert "not the experience you should have had" in before  # a complaint, answered
    try:
        assert settings_cli(["set", "immediate_handoff_intents", "[request_human, complain]"]) == 0
        time.sleep(0.5)  # the announcement reaches the Rasa process
        # A new customer saying the same first line: only the setting differs.
        after = "\n".join(RestCustomer(fresh_shop).say(complaint))
        assert "nobody from our team is free" in after  # now a complaint hands off
    finally:
        settings_cli(["reset"])
