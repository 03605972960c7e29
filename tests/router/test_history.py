"""History: a handoff that ends is kept as a case with its whole story, filed under the order
numbers, emails and ids it mentions, found by them and by date, rated, and forgotten when
history's time is up. Against a real Redis."""

from __future__ import annotations

import time
from typing import Any, Dict

import pytest
from redis import asyncio as aioredis

from router import keys
from router.agents.directory import AgentDirectory
from router.handoff.queue import EXPIRED, HANDED_BACK, RESOLVED, HandoffQueue
from router.history import History, case_view, rate_latest_case
from router.history_settings import HistorySettings
from router.relay.feed import ConversationFeed
from router.search_terms import query_terms, story_terms, terms_in_text
from router.tickets import TicketStore

RESUME = {"kind": "resume"}


def packet(conversation_id: str, at: float, **slots: Any) -> Dict[str, Any]:
    return {"conversation_id": conversation_id, "created_at": at, "channel": "socketio",
            "reason": "customer asked for a person", "assessment": {"score": 0.7},
            "summary": {"first_message": "where is my tent"}, "slots": slots,
            "transcript": [{"from": "customer", "text": "where is my tent", "timestamp": at - 5,
                            "intent": "order_status", "confidence": 0.9, "sentiment": -0.2}]}


@pytest.fixture
def history(redis: aioredis.Redis) -> History:
    return History(redis, TicketStore(redis, 2000))


async def handed_off_and_resolved(redis: aioredis.Redis, conversation_id: str, at: float,
                                  said: str = "", outcome: str = RESOLVED,
                                  **slots: Any) -> None:
    """A handoff that an agent (Ana) takes, talks in, and lets go of."""
    queue = HandoffQueue(redis)
    await queue.enqueue(packet(conversation_id, at, **slots))
    directory = AgentDirectory(redis)
    if await directory.get("ana") is None:
        await directory.create("ana", "Ana", "a long password", capacity=20)
    await directory.heartbeat("ana", at, "online")
    await queue.claim("ana", at, conversation_id)
    feed = ConversationFeed(redis)
    await feed.append(conversation_id, {"from": "agent", "text": "Hi, Ana here.",
                                        "timestamp": at + 1, "agent_name": "Ana"})
    if said:
        await feed.append(conversation_id, {"from": "customer", "text": said,
                                            "timestamp": at + 2, "intent": "inform"})
    await queue.release(conversation_id, at + 3, outcome, RESUME, by_agent="ana")


def test_a_story_is_filed_under_what_it_mentions() -> None:
    terms = story_terms("Conv-1", packet("Conv-1", 0, order_id="482913",
                                         email="Maria.K@example.com"),
                        [{"text": "it's order 730155, mail me at jo+x@mail.example.org"}])
    assert terms == {"conversation:conv-1", "order:482913", "email:maria.k@example.com",
                     "order:730155", "email:jo+x@mail.example.org"}
    # Prices, times, part numbers and versions are not order numbers.
    assert terms_in_text("paid 49.99 at 10:30 for TNT-14, v1.2.3, 2024-05-01") == set()


def test_what_an_agent_types_is_searched_as_people_mean_it() -> None:
    assert query_terms(" Maria.K@Example.com ") == ["email:maria.k@example.com"]
    assert query_terms("#482913") == ["order:482913", "conversation:482913"]
    assert query_terms("a1b2c3") == ["conversation:a1b2c3"]
    assert query_terms("   ") == []


async def test_an_ended_handoff_is_kept_whole_and_found_by_order_email_id_and_date(
    redis: aioredis.Redis, history: History,
) -> None:
    now = time.time()
    await handed_off_and_resolved(redis, "c-one", now - 100, said="it was order 730155",
                                  order_id="482913", email="maria.k@example.com")
    assert await history.index_pending() == 1
    assert await history.index_pending() == 0  # filed once

    for query in ("482913", "730155", "MARIA.K@example.com", "c-one"):
        [found] = await history.search(query_terms(query))
        assert (found["kind"], found["conversation_id"], found["outcome"]) == \
            ("case", "c-one", RESOLVED), query
        assert found["agent_id"] == "ana"
        assert found["first_message"] == "where is my tent"
    assert await history.search(query_terms("999999")) == []
    # By date: the handoff ended at now - 97.
    assert len(await history.search([], since=now - 200, until=now)) == 1
    assert await history.search([], since=now - 50) == []
    assert await history.search(query_terms("482913"), until=now - 150) == []

    fields = await history.case(found["case_id"])
    assert fields is not None
    view = case_view(fields, "Ana")
    assert view["status"] == "ended" and view["outcome_sentence"] == "Resolved by Ana."
    # The whole story: the bot's part from the packet, then the person's part from the feed.
    assert [(line["from"], line["text"]) for line in view["transcript"]] == [
        ("customer", "where is my tent"), ("agent", "Hi, Ana here."),
        ("customer", "it was order 730155")]
    assert [line.get("message_number") for line in view["transcript"]] == [1, None, 2]
    assert view["claimed_at"] is not None and view["ended_at"] == pytest.approx(now - 97)


async def test_each_handoff_of_one_conversation_is_its_own_case_with_its_own_lines(
    redis: aioredis.Redis, history: History,
) -> None:
    now = time.time()
    await handed_off_and_resolved(redis, "again", now - 300, said="first time")
    await handed_off_and_resolved(redis, "again", now - 100, said="second time",
                                  outcome=HANDED_BACK)
    await history.index_pending()
    newest, oldest = await history.search(query_terms("again"))
    assert (newest["outcome"], oldest["outcome"]) == (HANDED_BACK, RESOLVED)
    for summary, said in ((newest, "second time"), (oldest, "first time")):
        fields = await history.case(summary["case_id"])
        assert fields is not None
        texts = [line["text"] for line in case_view(fields, "Ana")["transcript"]]
        assert said in texts and len(texts) == 3  # not the other handoff's lines


async def test_the_feed_of_an_ended_handoff_expires_but_lives_again_on_a_new_one(
    redis: aioredis.Redis,
) -> None:
    now = time.time()
    await handed_off_and_resolved(redis, "ttl", now, said="hello")
    assert 0 < await redis.ttl(keys.conversation_feed("ttl")) <= 7 * 86400
    await HandoffQueue(redis).enqueue(packet("ttl", now + 10))
    assert await redis.ttl(keys.conversation_feed("ttl")) == -1


async def test_earlier_cases_and_tickets_of_the_same_customer_are_found(
    redis: aioredis.Redis, history: History,
) -> None:
    now = time.time()
    await handed_off_and_resolved(redis, "web-1", now - 5000, email="priya.s@example.com")
    await handed_off_and_resolved(redis, "someone-else", now - 4000, email="li@example.org")
    ticket = await history.tickets.create(packet("web-2", now - 3000), "Still no refund",
                                          email="Priya.S@example.com", now=now - 3000)
    await history.index_pending()
    # A new conversation on another device, same email: both earlier contacts show.
    earlier = await history.earlier("web-3", packet("web-3", now, email="priya.s@example.com"))
    assert [(e["kind"], e.get("reference") or e["conversation_id"]) for e in earlier] == [
        ("ticket", ticket.reference), ("case", "web-1")]
    # A ticket's email added later by an agent files it under that email too.
    other = await history.tickets.create(packet("web-4", now - 2000), "hello", now=now - 2000)
    await history.tickets.set_email(other.reference, "new@example.com")
    [found] = await history.search(query_terms("new@example.com"))
    assert found["reference"] == other.reference


async def test_a_rating_goes_with_the_latest_case(redis: aioredis.Redis,
                                                  history: History) -> None:
    now = time.time()
    assert not await rate_latest_case(redis, "rated", "5", now)  # no case yet
    await handed_off_and_resolved(redis, "rated", now - 100)
    assert await rate_latest_case(redis, "rated", "5", now)
    await history.index_pending()
    [found] = await history.search(query_terms("rated"))
    assert (found["rating"], found["rating_words"]) == ("5", "Great")


async def test_a_case_whose_time_is_up_leaves_the_index_when_a_search_meets_it(
    redis: aioredis.Redis,
) -> None:
    now = time.time()
    queue = HandoffQueue(redis, history=HistorySettings(keep_days=1))
    await queue.enqueue(packet("old", now))
    await queue.release("old", now, EXPIRED, RESUME, by_agent=None)
    [case_id] = await redis.zrange(keys.HISTORY_CASES, 0, -1)
    assert 0 < await redis.ttl(keys.history_case(case_id)) <= 86400
    history = History(redis, TicketStore(redis, 2000))
    await history.index_pending()
    await redis.delete(keys.history_case(case_id))  # as its expiry will
    assert await history.search(query_terms("old")) == []
    assert await redis.zcard(keys.history_term("conversation:old")) == 0
    assert await redis.zcard(keys.HISTORY_CASES) == 0


def test_history_keep_days_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HISTORY_KEEP_DAYS", "30")
    assert HistorySettings.from_env().keep_seconds == 30 * 86400
    for wrong in ("0", "forever", "-3", "99999"):
        monkeypatch.setenv("HISTORY_KEEP_DAYS", wrong)
        with pytest.raises(ValueError, match="HISTORY_KEEP_DAYS"):
            HistorySettings.from_env()


def test_the_bots_own_examples_file_nobody_under_a_real_order() -> None:
    story = packet("stranger", 0.0)
    story["transcript"].append({"from": "bot", "text": "What's the order number? It's six "
                                "digits, like 482913. Or write to help@pineconesupply.example"})
    assert story_terms("stranger", story) == {"conversation:stranger"}


async def test_old_entries_leave_the_indexes_as_new_ones_come(redis: aioredis.Redis,
                                                             history: History) -> None:
    now = time.time()
    old = now - 400 * 86400  # older than the 365 days history is kept
    await redis.set(keys.HISTORY_NEXT_CASE, 41)  # case 41 ended long ago (it expired)
    await redis.zadd(keys.HISTORY_CASES, {"41": old})
    await redis.zadd(keys.history_term("order:482913"), {"case:41": old})
    await handed_off_and_resolved(redis, "fresh", now - 10, order_id="482913")
    await history.index_pending()
    assert await redis.zrange(keys.HISTORY_CASES, 0, -1) == ["42"]
    assert await redis.zrange(keys.history_term("order:482913"), 0, -1) == ["case:42"]


async def test_a_damaged_case_does_not_hold_up_the_others(redis: aioredis.Redis,
                                                          history: History) -> None:
    await redis.hset(keys.history_case("99"), mapping={"case_id": "99", "packet": "{oops"})
    await redis.sadd(keys.HISTORY_UNINDEXED, "99")
    await handed_off_and_resolved(redis, "fine", time.time() - 10)
    assert await history.index_pending() == 2
    assert [r["conversation_id"] for r in await history.search(query_terms("fine"))] == ["fine"]
    assert await redis.scard(keys.HISTORY_UNINDEXED) == 0
