"""The relay's parts against a real Redis: the outbox delivered in order and once (to a
stand-in for Rasa's HTTP API that records what it gets), the feed written from Rasa's events,
and the housekeeping that tells customers their place and returns lost agents' customers."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, AsyncIterator, Dict, List

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from redis import asyncio as aioredis
from redis.exceptions import ResponseError

from bot.relay_broker import RelayEventBroker
from router import keys
from router.agents.directory import AgentDirectory
from router.handoff.queue import HandoffQueue
from router.relay import feed as feed_module
from router.relay import housekeeping
from router.relay.feed import ConversationFeed, DeadLetters, feed_line
from router.relay.outbox import (
    DeliveryWorker,
    Outbox,
    already_welcomed_back,
    line_command,
    resume_command,
)
from router.relay.rasa_api import RasaClient
from router.tickets import OPEN, TicketStore


class FakeRasa:
    """Records the API calls; `failures` makes the next calls answer 503."""

    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.tracker_events: List[Dict[str, Any]] = []
        self.failures = 0

    async def handle(self, request: web.Request) -> web.Response:
        if self.failures:
            self.failures -= 1
            return web.json_response({"error": "busy"}, status=503)
        body = await request.json() if request.can_read_body else None
        self.calls.append({"method": request.method, "path": request.path,
                           "query": dict(request.query), "body": body})
        if request.path.endswith("/tracker") and request.method == "GET":
            # As Rasa answers: the state always, the events unless asked for none.
            users = [e for e in self.tracker_events if e.get("event") == "user"]
            state = {"latest_input_channel": users[-1].get("input_channel") if users else None}
            if request.query.get("include_events") == "NONE":
                return web.json_response(state)
            return web.json_response({**state, "events": self.tracker_events})
        return web.json_response({})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app


@pytest.fixture
async def rasa() -> AsyncIterator[tuple]:
    fake = FakeRasa()
    server = TestServer(fake.app())
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield fake, RasaClient(session, str(server.make_url("")), "secret")
    await server.close()


def posted_texts(fake: FakeRasa) -> List[str]:
    return [call["body"][0]["text"] for call in fake.calls
            if call["path"].endswith("/tracker/events") and call["body"][0].get("event") == "bot"]


async def test_lines_are_pushed_to_the_customers_channel_in_order(
    redis: aioredis.Redis, rasa: tuple,
) -> None:
    fake, client = rasa
    fake.tracker_events = [{"event": "user", "text": "hi", "input_channel": "socketio"}]
    outbox = Outbox(redis)
    for text in ("one", "two", "three"):
        await outbox.put("c1", line_command(text, {"agent_name": "Ana"}))
    worker = DeliveryWorker(redis, client, "web-1", retry_seconds=0.01, block_ms=10)
    await worker.ensure_group()
    fake.failures = 2  # Rasa is briefly away: "one" waits, nothing overtakes it
    while len(posted_texts(fake)) < 3:
        await worker.run_once()
    assert posted_texts(fake) == ["one", "two", "three"]
    call = next(c for c in fake.calls if c["method"] == "POST")
    assert call["path"] == "/conversations/c1/tracker/events"
    assert call["query"] == {"execute_side_effects": "true", "output_channel": "socketio",
                             "token": "secret"}
    assert call["body"][0]["metadata"] == {"agent_name": "Ana"}
    assert (await redis.xpending(keys.RELAY_OUTBOX, keys.RELAY_GROUP))["pending"] == 0


async def test_a_rest_line_does_not_take_an_agents_words_away_from_the_web_chat(
    redis: aioredis.Redis, rasa: tuple,
) -> None:
    fake, client = rasa
    fake.tracker_events = [{"event": "user", "text": "hi", "input_channel": "socketio"},
                           {"event": "user", "text": "from a script", "input_channel": "rest"}]
    await Outbox(redis).put("c1", line_command("Hello, I'm Ana", {"agent_name": "Ana"}))
    worker = DeliveryWorker(redis, client, "web-1", retry_seconds=0.01, block_ms=10)
    await worker.ensure_group()
    await worker.run_once()
    [post] = [c for c in fake.calls if c["method"] == "POST"]
    assert post["query"]["output_channel"] == "socketio"
    assert "undelivered" not in post["body"][0]["metadata"]


async def test_the_usual_line_reads_the_trackers_state_not_its_whole_history(
    redis: aioredis.Redis, rasa: tuple,
) -> None:
    fake, client = rasa
    fake.tracker_events = [{"event": "user", "text": "hi", "input_channel": "socketio"}] * 500
    await Outbox(redis).put("c1", line_command("Hello", {"agent_name": "Ana"}))
    worker = DeliveryWorker(redis, client, "web-1", retry_seconds=0.01, block_ms=10)
    await worker.ensure_group()
    await worker.run_once()
    reads = [c["query"]["include_events"] for c in fake.calls if c["method"] == "GET"]
    assert reads == ["NONE"]


async def test_a_line_no_channel_can_deliver_is_kept_and_marked_undelivered(
    redis: aioredis.Redis, rasa: tuple,
) -> None:
    fake, client = rasa
    fake.tracker_events = [{"event": "user", "text": "hi", "input_channel": "rest"}]
    await Outbox(redis).put("c1", line_command("Hello, I'm Ana", {"agent_name": "Ana"}))
    worker = DeliveryWorker(redis, client, "web-1", retry_seconds=0.01, block_ms=10)
    await worker.ensure_group()
    await worker.run_once()
    [post] = [c for c in fake.calls if c["method"] == "POST"]
    assert "output_channel" not in post["query"]  # recorded, not pushed into the void
    assert "only receives replies" in post["body"][0]["metadata"]["undelivered"]
    line = feed_line({"event": "bot", "text": "Hello", "metadata": post["body"][0]["metadata"]})
    assert line is not None and "only receives replies" in line["undelivered"]


async def test_a_line_delivered_before_a_crash_is_not_sent_again(
    redis: aioredis.Redis, rasa: tuple,
) -> None:
    fake, client = rasa
    worker = DeliveryWorker(redis, client, "web-1", retry_seconds=0.01, block_ms=10)
    await worker.ensure_group()
    outbox = Outbox(redis)
    await outbox.put("c1", line_command("sent already", {"relay_id": "r1"}))
    await outbox.put("c1", line_command("not yet", {"relay_id": "r2"}))
    # The previous run read both, delivered the first, and died before acknowledging.
    await redis.xreadgroup(keys.RELAY_GROUP, "web-1", {keys.RELAY_OUTBOX: ">"})
    fake.tracker_events = [{"event": "bot", "text": "sent already",
                            "metadata": {"relay_id": "r1"}}]
    await worker.run_once()
    assert posted_texts(fake) == ["not yet"]
    assert (await redis.xpending(keys.RELAY_OUTBOX, keys.RELAY_GROUP))["pending"] == 0


async def test_a_refused_command_is_dropped_not_retried_forever(
    redis: aioredis.Redis, rasa: tuple,
) -> None:
    fake, client = rasa
    worker = DeliveryWorker(redis, client, "web-1", retry_seconds=0.01, block_ms=10)
    await worker.ensure_group()
    await redis.xadd(keys.RELAY_OUTBOX, {"conversation_id": "c1", "kind": "teleport"})
    await Outbox(redis).put("c1", line_command("after it", {}))
    await worker.run_once()
    assert posted_texts(fake) == ["after it"]


async def test_resume_un_pauses_and_greets(redis: aioredis.Redis, rasa: tuple) -> None:
    fake, client = rasa
    fake.tracker_events = [{"event": "user", "text": "hi", "input_channel": "socketio"},
                           {"event": "user", "text": "a script", "input_channel": "rest"}]
    worker = DeliveryWorker(redis, client, "web-1", block_ms=10)
    await worker.ensure_group()
    await Outbox(redis).put("c1", resume_command("handed_back", "Ana"))
    await worker.run_once()
    resume, execute = [c for c in fake.calls if c["method"] == "POST"]
    assert [e["event"] for e in resume["body"]][0] == "resume"
    assert {"event": "slot", "name": "handoff_agent", "value": "Ana"} in resume["body"]
    assert {"event": "slot", "name": "handoff_ticket", "value": None} in resume["body"]
    assert execute["path"] == "/conversations/c1/execute"
    assert execute["body"] == {"name": "action_welcome_back"}
    # The welcome back goes where the customer can read it, as agents' lines do.
    assert execute["query"]["output_channel"] == "socketio"


def test_a_resume_is_done_once_the_bot_greeted_after_the_last_pause() -> None:
    paused = [{"event": "pause"}]
    greeted = paused + [{"event": "resume"},
                        {"event": "action", "name": "action_welcome_back"}]
    assert already_welcomed_back(greeted)
    assert not already_welcomed_back(paused)
    assert not already_welcomed_back(greeted + [{"event": "pause"}])


def test_feed_lines_say_who_spoke() -> None:
    user = feed_line({"event": "user", "text": "hi", "timestamp": 3.0, "parse_data": {
        "intent": {"name": "greet", "confidence": 0.9}, "sentiment": {"score": 0.4}}})
    assert user == {"from": "customer", "text": "hi", "timestamp": 3.0, "intent": "greet",
                    "confidence": 0.9, "sentiment": 0.4}
    agent = feed_line({"event": "bot", "text": "Sam here", "timestamp": 4.0,
                       "metadata": {"agent_name": "Sam", "agent_id": "sam", "relay_id": "r"}})
    assert agent is not None and agent["from"] == "agent" and agent["agent_name"] == "Sam"
    assert feed_line({"event": "bot", "text": "Pine here"})["from"] == "bot"  # type: ignore
    assert feed_line({"event": "slot", "name": "x"}) is None


async def test_rasas_events_reach_the_feed_only_while_a_person_has_it(
    redis: aioredis.Redis, redis_server: Any,
) -> None:
    broker = RelayEventBroker(redis_server.url)
    await redis.set(keys.conversation_owner("human"), "agent:ana")
    for sender in ("human", "bot-only"):
        broker.publish({"sender_id": sender, "event": "user", "text": f"to {sender}",
                        "timestamp": time.time(), "parse_data": {}})
    broker.publish({"sender_id": "human", "event": "action", "name": "action_listen"})
    for _ in range(100):
        if await redis.xlen(keys.conversation_feed("human")):
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    lines = await ConversationFeed(redis).since("human")
    assert [line["text"] for _, line in lines] == ["to human"]
    assert not await redis.exists(keys.conversation_feed("bot-only"))
    await broker.close()


async def _feed_texts(redis: aioredis.Redis, conversation_id: str) -> List[str]:
    for _ in range(150):
        if await redis.exists(keys.conversation_feed(conversation_id)):
            break
        await asyncio.sleep(0.02)
    return [line["text"] for _, line in await ConversationFeed(redis).since(conversation_id)]


def _customer_line(sender: str, text: str) -> Dict[str, Any]:
    return {"sender_id": sender, "event": "user", "text": text, "timestamp": time.time(),
            "parse_data": {}}


async def test_a_lone_surrogate_reaches_the_console_as_a_replacement_character(
    redis: aioredis.Redis, redis_server: Any,
) -> None:
    """Valid JSON, but no valid UTF-8: Redis's Lua decoder refused it and the broker retried
    it forever, holding up every other conversation's lines."""
    broker = RelayEventBroker(redis_server.url)
    for sender in ("poison", "other"):
        await redis.set(keys.conversation_owner(sender), "agent:ana")
    broker.publish(_customer_line("poison", "hi \ud800 there"))
    broker.publish(_customer_line("other", "my parcel is late"))
    assert await _feed_texts(redis, "other") == ["my parcel is late"]
    assert await _feed_texts(redis, "poison") == ["hi \ufffd there"]
    await broker.close()


async def test_a_line_redis_refuses_is_set_aside_and_the_others_flow_on(
    redis: aioredis.Redis, redis_server: Any,
) -> None:
    broker = RelayEventBroker(redis_server.url)
    for sender in ("broken", "other"):
        await redis.set(keys.conversation_owner(sender), "agent:ana")
    # Something that is not a stream under the feed's key: XADD answers WRONGTYPE every time.
    await redis.set(keys.conversation_feed("broken"), "not a stream")
    broker.publish(_customer_line("broken", "first"))
    broker.publish(_customer_line("other", "second"))
    broker.publish(_customer_line("other", "third"))
    for _ in range(150):
        if await redis.xlen(keys.conversation_feed("other")) == 2:
            break
        await asyncio.sleep(0.02)
    assert await _feed_texts(redis, "other") == ["second", "third"]
    letters = await DeadLetters(redis).recent()
    assert len(letters) == 1
    assert letters[0]["conversation_id"] == "broken"
    assert "WRONGTYPE" in letters[0]["reason"]
    assert json.loads(letters[0]["line"])["text"] == "first"
    await broker.close()


async def test_a_full_redis_is_waited_for_not_mistaken_for_a_bad_line(
    redis: aioredis.Redis, redis_server: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    broker = RelayEventBroker(redis_server.url)
    monkeypatch.setattr("bot.relay_broker.RETRY_SECONDS", 0.01)
    await redis.set(keys.conversation_owner("c1"), "agent:ana")
    real_append = broker.feed.append
    refusals = [ResponseError("OOM command not allowed when used memory > 'maxmemory'.")] * 2

    async def full_then_fine(conversation_id: str, line: Dict[str, Any]) -> Any:
        if refusals:
            raise refusals.pop()
        return await real_append(conversation_id, line)

    monkeypatch.setattr(broker.feed, "append", full_then_fine)
    broker.publish(_customer_line("c1", "still here"))
    assert await _feed_texts(redis, "c1") == ["still here"]
    assert await DeadLetters(redis).count() == 0
    await broker.close()


async def test_customers_are_told_their_new_place_once(redis: aioredis.Redis) -> None:
    queue, outbox = HandoffQueue(redis), Outbox(redis)
    now = time.time()
    for index, conversation_id in enumerate(["a", "b", "c"]):
        await queue.enqueue({"conversation_id": conversation_id, "created_at": now + index})
    await AgentDirectory(redis).create("ana", "Ana", "a long password")
    await AgentDirectory(redis).heartbeat("ana", now, "online")
    await queue.claim("ana", now)
    assert await housekeeping.tell_positions(queue, outbox, now) == 2
    assert await housekeeping.tell_positions(queue, outbox, now) == 0
    notices = {f["conversation_id"]: f for _, f in await redis.xrange(keys.RELAY_OUTBOX)}
    assert notices["b"]["text"].startswith("You're next in line")
    assert json.loads(notices["c"]["metadata"])["queue"]["position"] == 2


async def test_a_lost_agents_customers_hear_they_are_first_in_line(
    redis: aioredis.Redis,
) -> None:
    queue, outbox = HandoffQueue(redis), Outbox(redis)
    now = time.time()
    await queue.enqueue({"conversation_id": "a", "created_at": now})
    await AgentDirectory(redis).create("ana", "Ana", "a long password")
    await AgentDirectory(redis).heartbeat("ana", now - 120, "online")
    await AgentDirectory(redis).heartbeat("ana", now - 120)
    await redis.zadd(keys.AGENTS_ONLINE, {"ana": now})  # online a moment ago, to claim
    await queue.claim("ana", now)
    assert await housekeeping.return_lost_agents(queue, outbox, now) == 1
    [(_, notice)] = await redis.xrange(keys.RELAY_OUTBOX)
    assert "lost their connection" in notice["text"]
    assert await queue.owner("a") == "queue"


async def test_customers_waiting_too_long_become_tickets_and_hear_so(
    redis: aioredis.Redis,
) -> None:
    queue = HandoffQueue(redis)
    now = time.time()
    await queue.enqueue({"conversation_id": "ghost", "created_at": now - 3 * 3600,
                         "assessment": {"score": 0.9}})
    await queue.enqueue({"conversation_id": "recent", "created_at": now - 600})
    tickets = TicketStore(redis, 2000)
    assert await housekeeping.expire_waiting(queue, tickets, now, 2 * 3600) == 1
    assert [w.conversation_id for w in await queue.waiting()] == ["recent"]
    assert await queue.owner("ghost") is None
    [ticket] = await tickets.with_status(OPEN, 10)
    assert (ticket.conversation_id, ticket.message) == ("ghost", housekeeping.WAITED_TOO_LONG)
    assert ticket.packet["assessment"] == {"score": 0.9}  # the whole story
    assert ticket.created_at == now
    [(_, resume)] = await redis.xrange(keys.RELAY_OUTBOX)
    assert (resume["kind"], resume["outcome"]) == ("resume", "expired")
    assert resume["ticket"] == ticket.reference  # the bot tells the customer what to quote


async def test_a_customer_claimed_while_their_ticket_is_made_keeps_the_agent_and_no_ticket(
    redis: aioredis.Redis,
) -> None:
    queue = HandoffQueue(redis)
    now = time.time()
    await queue.enqueue({"conversation_id": "late", "created_at": now - 3 * 3600})
    await AgentDirectory(redis).create("ana", "Ana", "a long password")
    await AgentDirectory(redis).heartbeat("ana", now, "online")

    class ClaimedMeanwhile(TicketStore):
        async def create(self, *args: Any, **kwargs: Any) -> Any:
            ticket = await super().create(*args, **kwargs)
            await queue.claim("ana", now, "late")  # an agent takes it at that very moment
            return ticket

    tickets = ClaimedMeanwhile(redis, 2000)
    assert await housekeeping.expire_waiting(queue, tickets, now, 2 * 3600) == 0
    assert await queue.owner("late") == "agent:ana"
    assert await tickets.count(OPEN) == 0  # nobody was told of it: it is gone
    assert not await redis.keys(keys.ticket("*"))
    assert await redis.xlen(keys.RELAY_OUTBOX) == 0


async def _announced(changes: Any) -> List[str]:
    """Everything published on the subscribed channels within a short while."""
    heard = []
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        # None also stands for a subscribe confirmation skipped: keep listening till the end.
        message = await changes.get_message(ignore_subscribe_messages=True, timeout=0.05)
        if message is not None:
            heard.append(f"{message['channel']} {message['data']}")
    return heard


async def test_a_customer_line_is_counted_and_announced_to_the_owner_only(
    redis: aioredis.Redis,
) -> None:
    await redis.set(keys.conversation_owner("c1"), "agent:ana")
    feed = ConversationFeed(redis)
    async with redis.pubsub() as changes:
        await changes.subscribe(keys.agent_customer_lines("ana"),
                                keys.agent_customer_lines("bo"), keys.QUEUE_CHANGED)
        await feed.append("c1", {"from": "agent", "text": "Ana here", "timestamp": 5.0})
        first = await feed.append("c1", {"from": "customer", "text": "hi", "timestamp": 6.0})
        last = await feed.append("c1", {"from": "customer", "text": "hello?",
                                        "timestamp": 7.5})
        await feed.append("c1", {"from": "bot", "text": "Pine here", "timestamp": 8.0})
        heard = await _announced(changes)
    # Only the agent who has it hears (the queue's own channel wakes housekeeping: not here).
    assert heard == [f"{keys.agent_customer_lines('ana')} c1"] * 2 and first != last
    state = await redis.hgetall(keys.handoff_state("c1"))
    assert state["customer_lines"] == "2"
    assert state["last_customer_line_id"] == last
    assert float(state["last_customer_line_at"]) == 7.5


async def test_a_waiting_customers_lines_count_but_wake_no_agent(redis: aioredis.Redis) -> None:
    await HandoffQueue(redis).enqueue({"conversation_id": "c1", "created_at": 1.0})
    async with redis.pubsub() as changes:
        await changes.psubscribe(keys.agent_customer_lines("*"))
        await ConversationFeed(redis).append("c1", {"from": "customer", "text": "anyone?",
                                                   "timestamp": 2.0})
        assert await _announced(changes) == []
    assert await redis.hget(keys.handoff_state("c1"), "customer_lines") == "1"


async def test_a_line_without_a_person_or_a_time_changes_nothing_it_should_not(
    redis: aioredis.Redis,
) -> None:
    feed = ConversationFeed(redis)
    assert await feed.append("bot-only", {"from": "customer", "text": "hi"}) is None
    assert not await redis.exists(keys.handoff_state("bot-only"))
    await redis.set(keys.conversation_owner("c1"), "agent:ana")
    entry = await feed.append("c1", {"from": "customer", "text": "no clock"})
    state = await redis.hgetall(keys.handoff_state("c1"))
    assert state == {"customer_lines": "1", "last_customer_line_id": entry,
                     "last_customer_line_at": ""}


async def test_a_new_handoff_starts_the_count_again(redis: aioredis.Redis) -> None:
    queue, feed = HandoffQueue(redis), ConversationFeed(redis)
    await queue.enqueue({"conversation_id": "c1", "created_at": 1.0})
    await feed.append("c1", {"from": "customer", "text": "one", "timestamp": 2.0})
    await redis.delete(keys.conversation_owner("c1"))  # the bot has it again
    await queue.enqueue({"conversation_id": "c1", "created_at": 3.0})
    assert await redis.hget(keys.handoff_state("c1"), "customer_lines") is None


async def test_the_feed_is_capped_by_the_modules_limit(
    redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(feed_module, "FEED_MAX_LINES", 1)
    await redis.set(keys.conversation_owner("c1"), "agent:ana")
    feed = ConversationFeed(redis)
    for number in range(300):  # XADD's "~" trims whole nodes (100 entries) at a time
        await feed.append("c1", {"from": "customer", "text": str(number), "timestamp": 1.0})
    assert await redis.xlen(keys.conversation_feed("c1")) < 300
    assert await redis.hget(keys.handoff_state("c1"), "customer_lines") == "300"


async def test_a_customer_whose_handoff_could_not_end_gets_one_ticket_not_two(
    redis: aioredis.Redis,
) -> None:
    queue = HandoffQueue(redis)
    now = time.time()
    await queue.enqueue({"conversation_id": "flaky", "created_at": now - 3 * 3600})
    tickets = TicketStore(redis, 2000)
    real_release = queue.release
    calls = []

    async def release_fails_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 1:
            raise ResponseError("as if Redis refused this once")
        return await real_release(*args, **kwargs)

    queue.release = release_fails_once  # type: ignore[method-assign]
    with pytest.raises(ResponseError):
        await housekeeping.expire_waiting(queue, tickets, now, 2 * 3600)
    assert await housekeeping.expire_waiting(queue, tickets, now + 5, 2 * 3600) == 1
    [ticket] = await tickets.with_status(OPEN, 10)
    [(_, resume)] = await redis.xrange(keys.RELAY_OUTBOX)
    assert resume["ticket"] == ticket.reference


async def test_the_housekeeping_keeps_going_after_a_round_that_failed(
    redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue = HandoffQueue(redis)
    rounds = []
    real = housekeeping.tell_positions

    async def fails_first(*args: Any, **kwargs: Any) -> int:
        rounds.append(1)
        if len(rounds) == 1:
            raise KeyError("a record no code expected")
        return await real(*args, **kwargs)

    monkeypatch.setattr(housekeeping, "tell_positions", fails_first)
    stop = asyncio.Event()
    task = asyncio.create_task(housekeeping.run(redis, queue, Outbox(redis), 0.02, stop))
    for _ in range(100):
        if len(rounds) >= 3:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await task
    assert len(rounds) >= 3
