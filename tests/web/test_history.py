"""History through the agents' API on the real Redis: a resolved conversation is found by its
order number, email, id and date, opens read-only with the person's part and the rating, and
shows beside the customer's next conversation; bad searches get a 400 that says what to fix."""

from __future__ import annotations

import time
from typing import Dict

import pytest
from aiohttp.test_utils import TestClient
from redis import asyncio as aioredis

from router.history import rate_latest_case
from router.relay.feed import ConversationFeed
from tests.web.conftest import make_agent, sign_in, waiting_customer
from webapp.services import SERVICES


@pytest.fixture
async def ana(api: TestClient, redis: aioredis.Redis) -> Dict[str, str]:
    await make_agent(redis, "ana")
    return await sign_in(api, "ana")


async def resolved_by_ana(api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
                          conversation_id: str, said: str) -> None:
    await waiting_customer(redis, conversation_id)
    reply = await api.post("/api/queue/claim", json={"conversation_id": conversation_id},
                           headers=ana)
    assert reply.status == 200, await reply.text()
    await ConversationFeed(redis).append(conversation_id, {
        "from": "customer", "text": said, "timestamp": time.time() + 1, "intent": "inform"})
    reply = await api.post(f"/api/conversations/{conversation_id}/resolve", json={},
                           headers=ana)
    assert reply.status == 200, await reply.text()


async def test_a_resolved_conversation_is_found_and_read_again(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
) -> None:
    before = time.time() - 1
    await resolved_by_ana(api, redis, ana, "web-7", "my email is jo@example.org")
    await rate_latest_case(redis, "web-7", "1", time.time())
    # waiting_customer's packet has order 482913; the email was said to Ana after the handoff.
    for query in ("482913", "jo@example.org", "web-7"):
        reply = await api.get("/api/history", params={"q": query}, headers=ana)
        assert reply.status == 200
        [found] = (await reply.json())["results"]
        assert (found["kind"], found["conversation_id"]) == ("case", "web-7"), query
        assert (found["agent_name"], found["rating_words"]) == ("Ana", "Not good")
    reply = await api.get("/api/history", params={"since": str(before)}, headers=ana)
    assert [r["conversation_id"] for r in (await reply.json())["results"]] == ["web-7"]
    reply = await api.get("/api/history", params={"until": str(before)}, headers=ana)
    assert (await reply.json())["results"] == []

    reply = await api.get(f"/api/history/cases/{found['case_id']}", headers=ana)
    assert reply.status == 200
    case = (await reply.json())["case"]
    assert case["status"] == "ended" and case["outcome_sentence"] == "Resolved by Ana."
    assert [line["text"] for line in case["transcript"]] == [
        "where is my parcel?", "my email is jo@example.org"]
    assert case["reason_sentence"] == "The customer asked for a person."


async def test_the_customers_earlier_conversation_shows_beside_the_new_one(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
) -> None:
    await resolved_by_ana(api, redis, ana, "first-visit", "thanks")
    await waiting_customer(redis, "second-visit")  # the same order number in its packet
    reply = await api.get("/api/conversations/second-visit/earlier", headers=ana)
    assert reply.status == 200
    [earlier] = (await reply.json())["earlier"]
    assert (earlier["conversation_id"], earlier["outcome"]) == ("first-visit", "resolved")


async def test_a_ticket_reference_finds_that_ticket(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
) -> None:
    packet = await waiting_customer(redis, "left-word")
    ticket = await api.server.app[SERVICES].tickets.create(packet, "call me", now=time.time())
    reply = await api.get("/api/history", params={"q": ticket.reference.lower()},
                          headers=ana)
    [found] = (await reply.json())["results"]
    assert (found["kind"], found["reference"]) == ("ticket", ticket.reference)


@pytest.mark.parametrize("params, says", [
    ({"q": "x" * 300}, "at most 254"),
    ({"since": "yesterday"}, "'since' is a number"),
    ({"until": "nan"}, "'until' is a number"),
    ({"since": "1e9"}, "'since' is a number"),
    ({"since": "5"}, "'since' is a number from"),
    ({"limit": "0"}, "'limit' is a whole number from 1 to 100"),
    ({"limit": "2.5"}, "'limit' is a whole number"),
    ({"limit": "²"}, "'limit' is a whole number"),
    ({"since": "1700000000", "until": "1600000000"}, "swap them"),
])
async def test_a_search_that_cannot_be_answered_says_what_to_fix(
    api: TestClient, ana: Dict[str, str], params: Dict[str, str], says: str,
) -> None:
    reply = await api.get("/api/history", params=params, headers=ana)
    assert reply.status == 400
    assert says in (await reply.json())["error"]


async def test_history_is_for_signed_in_agents_and_unknown_cases_are_404(
    api: TestClient, ana: Dict[str, str],
) -> None:
    api.session.cookie_jar.clear()  # signed out: neither a cookie nor a token
    assert (await api.get("/api/history")).status == 401
    assert (await api.get("/api/history/cases/1")).status == 401
    reply = await api.get("/api/history/cases/999", headers=ana)
    assert reply.status == 404 and "No case 999" in (await reply.json())["error"]
    reply = await api.get("/api/history/cases/not-a-number", headers=ana)
    assert reply.status == 404 and "case number" in (await reply.json())["error"]
    reply = await api.get("/api/conversations/nobody/earlier", headers=ana)
    assert reply.status == 404
