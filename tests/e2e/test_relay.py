"""A person takes over through the real bot: handed off, claimed, messages both ways through
the customer's own channel, the bot silent all along, then handed back; and a restart of our
web service in the middle loses and duplicates nothing."""

from __future__ import annotations

import json
import time
import uuid
from typing import Iterator

import pytest
import redis

from router import keys
from router.relay.outbox import line_command
from stack.redis_server import EmbeddedRedis
from tests.e2e.agents import AgentClient, create_agent
from tests.e2e.conftest import SMALL_START_TIMEOUT, RunningBot, SocketCustomer


@pytest.fixture
def sam(fresh_shop: RunningBot, redis_server: EmbeddedRedis) -> Iterator[AgentClient]:
    create_agent(redis_server.url, "sam", "Sam")
    agent = AgentClient(fresh_shop.web_url, "sam")
    yield agent
    agent.call("POST", "/api/auth/logout", {})


def bot_lines_after(bot: RunningBot, conversation_id: str, timestamp: float) -> list:
    return [e for e in bot.tracker(conversation_id)["events"]
            if e["event"] == "bot" and e["timestamp"] > timestamp
            and not (e.get("metadata") or {}).get("agent_name")]


def test_a_person_takes_over_and_hands_back(
    fresh_shop: RunningBot, sam: AgentClient, store: redis.Redis,
) -> None:
    customer = SocketCustomer(fresh_shop)
    try:
        customer.say("where is order 482913")
        reply = customer.say("this is useless, I want to talk to a human")
        queued = next(p for p in customer.payloads if "bring in a person" in (p.get("text") or ""))
        place = queued["metadata"]["queue"]  # the web chat's status line
        assert f"number {place['position']} in line, about {place['minutes']} min" in \
            queued["text"], reply
        conversation_id = customer.id
        assert store.get(keys.conversation_owner(conversation_id)) == "queue"

        # The agent sees the whole story before saying a word.
        story = sam.view(conversation_id)
        assert [line["text"] for line in story["transcript"] if line["from"] == "customer"][:2] \
            == ["where is order 482913", "this is useless, I want to talk to a human"]
        assert story["summary"]["known_facts"]["order_id"] == "482913"

        sam.claim(conversation_id)
        joined = customer.wait_for_line("Sam from our team has joined")
        assert joined["metadata"]["handoff"] == {"state": "with_agent", "agent_name": "Sam"}
        human_stretch_started = time.time()

        sent = time.monotonic()
        sam.say(conversation_id, "Hi, I'm Sam. I can see order 482913 is stuck; one moment.")
        line = customer.wait_for_line("I'm Sam")
        assert line["metadata"]["agent_name"] == "Sam"
        print(f"agent to customer: {(time.monotonic() - sent) * 1000:.0f} ms")

        for text in ("ok thanks", "hello?", "where is my order"):  # "where is my order": the bot
            customer.client.emit("user_uttered", {"message": text, "session_id": customer.id})
            sam.wait_for_line(conversation_id, text)  # would answer this, if it were not quiet
        time.sleep(1.0)
        assert bot_lines_after(fresh_shop, conversation_id, human_stretch_started) == []
        [agent_event] = [e for e in fresh_shop.tracker(conversation_id)["events"]
                         if e["event"] == "bot" and (e.get("metadata") or {}).get("agent_name")]
        assert agent_event["metadata"]["agent_id"] == "sam"  # recorded as coming from Sam

        sam.call("POST", f"/api/conversations/{conversation_id}/hand-back", {})
        back = customer.wait_for_line("handed our conversation back")
        assert back["metadata"]["handoff"]["state"] == "with_bot"
        assert store.get(keys.conversation_owner(conversation_id)) is None
        # The bot answers again, and still knows the order (no need to repeat it).
        answer = " ".join(customer.say("can you track my parcel"))
        assert "482913" in answer
    finally:
        customer.close()


def test_waiting_customers_hear_their_new_place_when_it_changes(
    fresh_shop: RunningBot, sam: AgentClient, store: redis.Redis,
) -> None:
    first, second = SocketCustomer(fresh_shop), SocketCustomer(fresh_shop)
    try:
        first.say("I want to talk to a human")
        second.say("can I speak to a real person")
        ahead = store.zrank(keys.HANDOFF_QUEUE, second.id)
        assert ahead is not None and ahead >= 1  # the first customer is in front
        told_before = len(second.payloads)
        sam.claim(first.id)
        notice = second.wait_for_payload(lambda p: bool((p.get("metadata") or {}).get("queue")),
                                         since=told_before)
        place = notice["metadata"]["queue"]
        assert "You're" in notice["text"] and "in line" in notice["text"]
        assert notice["metadata"]["status_update"] is True  # the page's status line, no bubble
        assert place["position"] == store.zrank(keys.HANDOFF_QUEUE, second.id) + 1
        assert place["position"] == ahead  # one place up
        sam.claim(second.id)
    finally:
        first.close()
        second.close()


def test_resolving_asks_the_customer_how_it_went(
    fresh_shop: RunningBot, sam: AgentClient, store: redis.Redis,
) -> None:
    customer = SocketCustomer(fresh_shop)
    try:
        customer.say("I want to speak to a person")
        sam.claim(customer.id)
        customer.wait_for_line("has joined")
        sam.call("POST", f"/api/conversations/{customer.id}/resolve", {})
        asked = customer.wait_for_line("how did it go")
        assert [b["title"] for b in asked["quick_replies"]] == ["Great", "Okay", "Not good"]
        great = asked["quick_replies"][0]["payload"]
        customer.client.emit("user_uttered", {"message": great, "session_id": customer.id})
        customer.wait_for_line("Thank you for telling us")
        ratings = [f for _, f in store.xrange(keys.HANDOFF_RATINGS)
                   if f["conversation_id"] == customer.id]
        assert [(r["rating"], r["agent"]) for r in ratings] == [("5", "Sam")]
    finally:
        customer.close()


def test_the_bot_stays_quiet_after_a_new_session_starts(
    fresh_shop: RunningBot, sam: AgentClient,
) -> None:
    """Rasa starts a new (un-paused) session after an hour of quiet; a person still has it."""
    customer = SocketCustomer(fresh_shop)
    try:
        customer.say("get me a human please")
        sam.claim(customer.id)
        customer.wait_for_line("has joined")
        # Pretend the customer's last line was two hours ago.
        old = {"event": "user", "text": "(earlier)", "timestamp": time.time() - 7200,
               "parse_data": {"intent": {"name": "greet", "confidence": 1.0}, "entities": []}}
        fresh_shop.append_events(customer.id, [old])
        start = time.time()
        customer.client.emit("user_uttered", {"message": "where is order 482913",
                                              "session_id": customer.id})
        sam.wait_for_line(customer.id, "where is order 482913")
        time.sleep(1.0)
        events = fresh_shop.tracker(customer.id)["events"]
        assert any(e["event"] == "session_started" and e["timestamp"] > start for e in events)
        assert bot_lines_after(fresh_shop, customer.id, start) == []
        assert fresh_shop.tracker(customer.id)["paused"] is True
    finally:
        customer.close()


def test_a_web_service_restart_loses_and_duplicates_nothing(
    fresh_shop: RunningBot, sam: AgentClient, store: redis.Redis,
) -> None:
    customer = SocketCustomer(fresh_shop)
    web = fresh_shop.services["web service"]
    try:
        customer.say("I need a real person")
        sam.claim(customer.id)
        customer.wait_for_line("has joined")
        before = sam.view(customer.id)["feed_last_id"]

        web.stop()
        # Said while our service is down: Rasa keeps them for the console.
        for text in ("are you still there?", "my parcel never came"):
            customer.client.emit("user_uttered", {"message": text, "session_id": customer.id})
        # Accepted by the service just before it went down, not yet delivered:
        accepted = uuid.uuid4().hex
        store.xadd(keys.RELAY_OUTBOX, {"conversation_id": customer.id, **line_command(
            "Still here! Checking the courier now.",
            {"agent_name": "Sam", "agent_id": "sam", "relay_id": accepted})})
        # Delivered by the service, which died before acknowledging it:
        delivered = uuid.uuid4().hex
        store.xadd(keys.RELAY_OUTBOX, {"conversation_id": customer.id, **line_command(
            "Your parcel is at the depot.",
            {"agent_name": "Sam", "agent_id": "sam", "relay_id": delivered})})
        store.xreadgroup(keys.RELAY_GROUP, "web-1", {keys.RELAY_OUTBOX: ">"})
        fresh_shop.append_events(customer.id, [{
            "event": "bot", "text": "Your parcel is at the depot.",
            "metadata": {"agent_name": "Sam", "agent_id": "sam", "relay_id": delivered}}])
        time.sleep(0.5)

        web.start().wait_until_healthy(SMALL_START_TIMEOUT)
        customer.wait_for_line("Checking the courier")
        sam.wait_for_line(customer.id, "my parcel never came")
        time.sleep(2.0)  # time for any duplicate to show up

        relay_ids = [(e.get("metadata") or {}).get("relay_id")
                     for e in fresh_shop.tracker(customer.id)["events"] if e["event"] == "bot"]
        assert relay_ids.count(accepted) == 1 and relay_ids.count(delivered) == 1
        assert [p["text"] for p in customer.payloads].count(
            "Still here! Checking the courier now.") == 1
        assert all("Your parcel is at the depot" not in (p.get("text") or "")
                   for p in customer.payloads)  # it was sent before: not again
        feed_texts = [e["line"]["text"] for e in _drain(sam, customer.id, before)]
        for text in ("are you still there?", "my parcel never came"):
            assert feed_texts.count(text) == 1, feed_texts
        assert store.xpending(keys.RELAY_OUTBOX, keys.RELAY_GROUP)["pending"] == 0
    finally:
        customer.close()
        if web.process is None or web.process.poll() is not None:
            web.start().wait_until_healthy(SMALL_START_TIMEOUT)


def test_a_customer_typing_restart_does_not_wake_the_bot(
    fresh_shop: RunningBot, sam: AgentClient,
) -> None:
    """Rasa's built-in /restart clears the pause; the new session pauses again at once."""
    customer = SocketCustomer(fresh_shop)
    try:
        customer.say("I'd like a human please")
        sam.claim(customer.id)
        customer.wait_for_line("has joined")
        start = time.time()
        for text in ("/restart", "where is order 482913"):
            customer.client.emit("user_uttered", {"message": text, "session_id": customer.id})
            time.sleep(0.5)
        sam.wait_for_line(customer.id, "where is order 482913")
        time.sleep(1.0)
        assert bot_lines_after(fresh_shop, customer.id, start) == []
        sam.say(customer.id, "Still with you: checking 482913 now.")
        customer.wait_for_line("Still with you")
    finally:
        customer.close()


def test_a_rasa_restart_keeps_the_bot_quiet_and_the_relay_working(
    fresh_shop: RunningBot, sam: AgentClient,
) -> None:
    customer = SocketCustomer(fresh_shop)
    customer.say("put me through to a person")
    sam.claim(customer.id)
    customer.wait_for_line("has joined")
    customer.close()
    fresh_shop.restart_rasa()
    start = time.time()
    back = SocketCustomer(fresh_shop, session_id=customer.id,  # the page reconnects
                          session_key=customer.key)
    try:
        back.client.emit("user_uttered", {"message": "what is your return policy",
                                          "session_id": back.id})
        sam.wait_for_line(back.id, "what is your return policy")
        sam.say(back.id, "Returns are free within 30 days; I'll set one up for you.")
        back.wait_for_line("Returns are free")
        assert bot_lines_after(fresh_shop, back.id, start) == []
    finally:
        back.close()


def _drain(agent: AgentClient, conversation_id: str, after: str) -> list:
    """Everything in the live feed after `after`, as the console's reconnect would get it."""
    latest = agent.view(conversation_id)["feed_last_id"]
    events = []
    for event in agent.feed(conversation_id, after):
        events.append(event)
        if event["id"] == latest:
            break
    return events


def test_customer_messages_reach_the_console_live(
    fresh_shop: RunningBot, sam: AgentClient,
) -> None:
    customer = SocketCustomer(fresh_shop)
    try:
        customer.say("let me talk to someone")
        sam.claim(customer.id)
        customer.wait_for_line("has joined")
        after = sam.view(customer.id)["feed_last_id"]
        sent = time.monotonic()
        customer.client.emit("user_uttered", {"message": "<b>hi</b> it's me",
                                              "session_id": customer.id})
        event = next(sam.feed(customer.id, after))
        assert event["line"]["from"] == "customer" and event["line"]["text"] == "<b>hi</b> it's me"
        print(f"customer to agent: {(time.monotonic() - sent) * 1000:.0f} ms")
        assert json.dumps(event["line"])  # plain data: the console renders it as text
    finally:
        customer.close()
