"""The customer's channels on the real Rasa server, probed as an intruder and a careless client
would: nobody listens in or speaks for someone else, no line stalls the relay or the bot, and
only what the shop signed moves anyone up the queue."""

from __future__ import annotations

import time
from typing import Any, Dict, Iterator

import pytest
import redis
import requests
import socketio
import websocket

from router import keys
from router.customer_token import sign
from stack.redis_server import EmbeddedRedis
from tests.e2e.agents import AgentClient, create_agent
from tests.e2e.conftest import CUSTOMER_TOKEN_SECRET, TOKEN, RunningBot, SocketCustomer

ASK_FOR_PERSON = "this is useless, I want to talk to a human"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def ana(fresh_shop: RunningBot, redis_server: EmbeddedRedis) -> Iterator[AgentClient]:
    create_agent(redis_server.url, "ana", "Ana")
    agent = AgentClient(fresh_shop.web_url, "ana")
    yield agent
    agent.call("POST", "/api/auth/logout", {})


def handed_to(agent: AgentClient, customer: SocketCustomer, store: redis.Redis) -> None:
    customer.say(ASK_FOR_PERSON)
    assert store.get(keys.conversation_owner(customer.id)) == "queue"
    agent.claim(customer.id)
    customer.wait_for_line("has joined")


def user_texts(bot: RunningBot, conversation_id: str) -> list:
    return [e["text"] for e in bot.tracker(conversation_id)["events"] if e["event"] == "user"]


def rest(bot: RunningBot, body: Any, headers: Dict[str, str] = AUTH) -> requests.Response:
    return requests.post(f"{bot.rasa_url}/webhooks/rest/webhook", json=body, headers=headers,
                         timeout=30)


def test_knowing_a_conversation_id_is_not_enough_to_listen_in_or_speak(
    fresh_shop: RunningBot, ana: AgentClient, store: redis.Redis,
) -> None:
    victim = SocketCustomer(fresh_shop)
    handed_to(ana, victim, store)
    intruder = SocketCustomer(fresh_shop, session_id=victim.id)  # the id, without its key
    try:
        assert intruder.id != victim.id
        intruder.client.emit("user_uttered", {"message": "cancel order 482913",
                                              "session_id": victim.id})
        ana.say(victim.id, "Hi, I'm Ana. I'll look at your order now.")
        victim.wait_for_line("I'm Ana")
        time.sleep(0.5)
        assert not any("I'm Ana" in text for text in intruder.received)
        assert "cancel order 482913" not in user_texts(fresh_shop, victim.id)
        assert rest(fresh_shop, {"sender": victim.id, "message": "hi"}, headers={}
                    ).status_code == 401
    finally:
        victim.close()
        intruder.close()


def test_the_rest_channel_answers_only_holders_of_the_token_and_says_what_is_wrong(
    bot: RunningBot,
) -> None:
    for headers in ({}, {"Authorization": "Bearer not-the-token"}):
        reply = rest(bot, {"sender": "r1", "message": "hi"}, headers)
        assert reply.status_code == 401 and "token" in reply.json()["error"]
    bad_bodies = ([1, 2], {"message": "hi"}, {"sender": "", "message": "hi"},
                  {"sender": "x" * 500, "message": "hi"}, {"sender": "user 42", "message": "hi"},
                  {"sender": "r\ud800", "message": "hi"}, {"sender": "r1", "message": ["a"]},
                  {"sender": "r1", "message": "hi", "metadata": "vip"},
                  {"sender": "r1", "message": "hi", "metadata": {"client": 7}})
    for body in bad_bodies:
        reply = rest(bot, body)
        assert reply.status_code == 400, body
        assert reply.json()["error"]
    raw = requests.post(f"{bot.rasa_url}/webhooks/rest/webhook", data=b'{"sender": "\xff',
                        headers={**AUTH, "Content-Type": "application/json"}, timeout=10)
    assert raw.status_code == 400 and "JSON" in raw.json()["error"]


def test_a_rest_caller_cannot_pretend_to_be_another_channel(bot: RunningBot) -> None:
    reply = rest(bot, {"sender": "rest-pretender", "message": "hello",
                       "input_channel": "socketio"})
    assert reply.status_code == 200
    assert bot.tracker("rest-pretender")["latest_input_channel"] == "rest"


def test_an_over_long_line_is_answered_at_once_and_never_stored(bot: RunningBot) -> None:
    reply = rest(bot, {"sender": "long-line", "message": "word " * 20_000})
    assert reply.status_code == 200
    [answer] = reply.json()
    assert "100,000 characters" in answer["text"]
    assert user_texts(bot, "long-line") == []
    # Bodies beyond any line's size are refused by Rasa's HTTP server before they are read.
    huge = rest(bot, {"sender": "long-line", "message": "x" * 1_000_000})
    assert huge.status_code == 413
    # Over the socket, a megabyte is cut off by the transport before anything reads it.
    sender = socketio.Client(reconnection=False)
    sender.connect(bot.rasa_url, transports=["websocket"])
    sender.emit("session_request", {})
    time.sleep(0.3)
    sender.emit("user_uttered", {"message": "x" * 1_000_000})
    deadline = time.monotonic() + 10
    while sender.connected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not sender.connected
    other = SocketCustomer(bot)
    try:
        assert other.say("what is your return policy")
    finally:
        other.close()


def test_a_line_no_store_can_hold_reaches_the_agent_cleaned_and_the_next_lines_follow(
    fresh_shop: RunningBot, ana: AgentClient, store: redis.Redis,
) -> None:
    customer = SocketCustomer(fresh_shop)
    try:
        handed_to(ana, customer, store)
        customer.client.emit("user_uttered", {"message": "hi \ud800 there"})
        ana.wait_for_line(customer.id, "hi \ufffd there")
        customer.client.emit("user_uttered", {"message": "are you still there?"})
        ana.wait_for_line(customer.id, "are you still there?")
        assert store.xlen(keys.RELAY_DEAD_LETTERS) == 0
    finally:
        customer.close()


def test_stored_conversations_expire(bot: RunningBot, store: redis.Redis) -> None:
    rest(bot, {"sender": "expiring", "message": "hello"})
    [key] = [k for k in store.keys("*expiring*") if "router" not in k]
    assert 0 < store.ttl(key) <= 30 * 24 * 3600


def test_a_rest_caller_names_its_customer_but_cannot_set_a_priority(
    fresh_shop: RunningBot, ana: AgentClient, store: redis.Redis,
) -> None:
    sender = "rest-priority"
    rest(fresh_shop, {"sender": sender, "message": "hello",
                      "metadata": {"customer_priority": 2, "client": "shop-customer-17"}})
    rest(fresh_shop, {"sender": sender, "message": ASK_FOR_PERSON})
    assert store.hget(keys.handoff_state(sender), "customer_priority") == "0"
    assert store.get(keys.handoffs_by_client("shop-customer-17")) == "1"


def _handoff_priority(bot: RunningBot, store: redis.Redis, metadata: Dict[str, Any]) -> int:
    customer = SocketCustomer(bot)
    try:
        customer.client.emit("user_uttered", {"message": "hello", "metadata": metadata})
        customer._wait_for(lambda: len(customer.received) > 0, 30)
        customer.say(ASK_FOR_PERSON)
        state = store.hgetall(keys.handoff_state(customer.id))
        return int(state["customer_priority"])
    finally:
        customer.close()


def test_only_a_token_the_shop_signed_moves_a_customer_up_the_queue(
    fresh_shop: RunningBot, ana: AgentClient, store: redis.Redis,
) -> None:
    """(Ana is online, so the customers are queued rather than offered a ticket.)"""
    assert _handoff_priority(fresh_shop, store, {"customer_priority": 2}) == 0
    forged = sign("a guess", 2, time.time() + 600)
    assert _handoff_priority(fresh_shop, store, {"customer_token": forged}) == 0
    signed = sign(CUSTOMER_TOKEN_SECRET, 2, time.time() + 600)
    assert _handoff_priority(fresh_shop, store, {"customer_token": signed}) == 2


def test_pages_of_other_sites_cannot_open_the_chat_socket(bot: RunningBot) -> None:
    url = bot.rasa_url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    ours = websocket.create_connection(url, origin=bot.web_url, timeout=10)
    assert ours.recv().startswith("0")  # Engine.IO's "open" packet
    ours.close()
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(url, origin="http://evil.example", timeout=10)


def test_agent_lines_go_to_the_channel_that_can_deliver_them_and_say_when_none_can(
    fresh_shop: RunningBot, ana: AgentClient, store: redis.Redis,
) -> None:
    web = SocketCustomer(fresh_shop)
    try:
        handed_to(ana, web, store)
        # A trusted script writes on the same conversation over REST: the web chat keeps
        # receiving the agent's lines.
        assert rest(fresh_shop, {"sender": web.id, "message": "note from the shop"}).ok
        ana.wait_for_line(web.id, "note from the shop")
        ana.say(web.id, "Still here, looking at it.")
        web.wait_for_line("Still here")
    finally:
        web.close()
    only_rest = "rest-only-customer"
    rest(fresh_shop, {"sender": only_rest, "message": ASK_FOR_PERSON})
    assert store.get(keys.conversation_owner(only_rest)) == "queue"
    ana.claim(only_rest)
    ana.say(only_rest, "Hello from Ana")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        lines = [line for line in ana.lines(only_rest) if line["text"] == "Hello from Ana"]
        if lines:
            break
        time.sleep(0.1)
    assert "only receives replies" in lines[0]["undelivered"]
