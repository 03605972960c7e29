"""Forgetting a customer's conversation: everything kept of it goes in one step (Rasa's stored
conversation, the history's cases and their search entries, tickets, ratings, the person's
lines), nothing of anyone else's; refused while the team has it. Against a real Redis."""

from __future__ import annotations

import json
import time

import pytest
from redis import asyncio as aioredis

from router import keys
from router.erasure import StillWithPeople, forget
from router.handoff.queue import HandoffQueue
from router.history import History, rate_latest_case
from router.search_terms import query_terms
from router.tickets import OPEN, TicketStore
from tests.router.test_history import handed_off_and_resolved, packet


async def test_forgetting_a_conversation_leaves_nothing_of_it_and_everything_else(
    redis: aioredis.Redis,
) -> None:
    now = time.time()
    history = History(redis, TicketStore(redis, 2000))
    for conversation_id in ("forget-me", "keep-me"):
        await handed_off_and_resolved(redis, conversation_id, now - 100, said="order 730155",
                                      email=f"{conversation_id}@example.com")
        await rate_latest_case(redis, conversation_id, "5", now)
        await redis.xadd(keys.HANDOFF_RATINGS, {"conversation_id": conversation_id,
                                                "rating": "5"})
        await redis.set(keys.rasa_tracker(conversation_id), json.dumps({"events": []}))
        await history.tickets.create(packet(conversation_id, now), "call me", now=now)
    await history.index_pending()

    forgotten = await forget(redis, "forget-me")
    assert forgotten.as_dict() == {"cases": 1, "tickets": 1, "conversation": True,
                                   "ratings": 1}
    assert not await redis.exists(keys.rasa_tracker("forget-me"),
                                  keys.history_of_conversation("forget-me"),
                                  keys.conversation_feed("forget-me"),
                                  keys.handoff_packet("forget-me"))
    # Searched by anything it said, only the other customer is found.
    for query in ("730155", "forget-me@example.com", "forget-me"):
        found = await history.search(query_terms(query))
        assert all(r["conversation_id"] == "keep-me" for r in found), query
    assert [t.conversation_id for t in await history.tickets.with_status(OPEN, 10)] == \
        ["keep-me"]
    ratings = [f["conversation_id"] for _, f in await redis.xrange(keys.HANDOFF_RATINGS)]
    assert ratings == ["keep-me"]
    assert await redis.exists(keys.rasa_tracker("keep-me"))
    assert len(await history.search(query_terms("keep-me"))) == 2  # its case and ticket
    # Forgetting twice finds nothing more to forget.
    assert (await forget(redis, "forget-me")).as_dict() == {
        "cases": 0, "tickets": 0, "conversation": False, "ratings": 0}


async def test_a_conversation_the_team_has_is_not_forgotten(redis: aioredis.Redis) -> None:
    await HandoffQueue(redis).enqueue(packet("waiting", time.time()))
    with pytest.raises(StillWithPeople):
        await forget(redis, "waiting")
    assert await redis.exists(keys.handoff_packet("waiting"))
