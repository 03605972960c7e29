"""The ticket store against a real Redis: short references, the story kept, listing by
status, one winner of two answers, closed means closed, limits with their numbers."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Dict

import pytest
from redis import asyncio as aioredis

from router import keys
from router import tickets as tickets_module
from router.tickets import (
    ANSWERED,
    CLOSED,
    OPEN,
    REFERENCE_ALPHABET,
    BadTicketInput,
    TicketConflict,
    TicketNotFound,
    TicketStore,
    is_reference,
)

LIMIT = 2000


def packet(conversation_id: str = "c1") -> Dict[str, Any]:
    return {"conversation_id": conversation_id, "created_at": 1.0, "reason": "left a message",
            "slots": {"order_id": "482913"},
            "transcript": [{"from": "customer", "text": "my parcel never came"}]}


@pytest.fixture
def store(redis: aioredis.Redis) -> TicketStore:
    return TicketStore(redis, LIMIT)


async def test_a_ticket_has_a_short_readable_reference_and_keeps_the_story(
    store: TicketStore,
) -> None:
    ticket = await store.create(packet(), "please call me", email="jo@example.org", now=5.0)
    assert is_reference(ticket.reference) and len(ticket.reference) == 8
    assert not set(ticket.reference[3:]) & set("0O1IL")
    stored = await store.get(ticket.reference)
    assert (stored.conversation_id, stored.message, stored.email, stored.status,
            stored.created_at) == ("c1", "please call me", "jo@example.org", OPEN, 5.0)
    assert stored.packet["slots"]["order_id"] == "482913"
    assert stored.as_dict()["packet"]["transcript"][0]["text"] == "my parcel never came"


async def test_a_reference_read_out_in_lowercase_is_found(store: TicketStore) -> None:
    ticket = await store.create(packet(), "hello")
    assert (await store.get(f" {ticket.reference.lower()} ")).reference == ticket.reference


async def test_tickets_never_expire(store: TicketStore, redis: aioredis.Redis) -> None:
    ticket = await store.create(packet(), "hello")
    assert await redis.ttl(keys.ticket(ticket.reference)) == -1
    assert await redis.ttl(keys.tickets_with_status(OPEN)) == -1


async def test_a_taken_reference_is_never_reused(
    store: TicketStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn = iter(["PC-22222", "PC-22222", "PC-33333"])
    monkeypatch.setattr(tickets_module, "new_reference", lambda: next(drawn))
    first = await store.create(packet("c1"), "first")
    second = await store.create(packet("c2"), "second")
    assert (first.reference, second.reference) == ("PC-22222", "PC-33333")
    assert (await store.get("PC-22222")).message == "first"


def test_references_use_only_letters_people_do_not_confuse() -> None:
    drawn = {tickets_module.new_reference()[3:] for _ in range(300)}
    assert set("".join(drawn)) <= set(REFERENCE_ALPHABET)
    assert not set(REFERENCE_ALPHABET) & set("0O1IL")


async def test_text_a_channel_let_through_is_made_valid(store: TicketStore) -> None:
    """A lone surrogate from a channel we did not write cannot stop a ticket."""
    ticket = await store.create(packet(), "call me \udfff please")
    assert (await store.get(ticket.reference)).message == "call me \ufffd please"


async def test_a_huge_message_is_refused_with_the_limit(
    store: TicketStore, redis: aioredis.Redis,
) -> None:
    with pytest.raises(BadTicketInput, match=f"limit is {LIMIT}"):
        await store.create(packet(), "x" * (LIMIT + 1))
    assert await redis.keys("*") == []


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two@@example.org", "a b@example.org",
                                   "x@example.org\r\nBcc: evil@example.org",
                                   "<a@example.org>", "a@" + "e" * 260 + ".org"])
async def test_an_email_that_is_not_one_is_refused(
    store: TicketStore, redis: aioredis.Redis, email: str,
) -> None:
    with pytest.raises(BadTicketInput, match="not an email address"):
        await store.create(packet(), "hello", email=email)
    assert await redis.keys("*") == []


async def test_listing_by_status_is_oldest_first(store: TicketStore) -> None:
    late = await store.create(packet("c1"), "late", now=300.0)
    early = await store.create(packet("c2"), "early", now=100.0)
    middle = await store.create(packet("c3"), "middle", now=200.0)
    await store.answer(middle.reference, "done", "ana")
    assert [t.reference for t in await store.with_status(OPEN, 10)] == [early.reference,
                                                                        late.reference]
    assert [t.reference for t in await store.with_status(ANSWERED, 10)] == [middle.reference]
    assert [t.reference for t in await store.with_status(OPEN, 1)] == [early.reference]
    with pytest.raises(BadTicketInput, match="open, answered, closed"):
        await store.with_status("pending", 10)


async def test_an_answer_is_recorded_with_who_and_when(store: TicketStore) -> None:
    ticket = await store.create(packet(), "where is it?")
    answered = await store.answer(ticket.reference, " It left today. ", "ana", now=50.0)
    assert (answered.status, answered.answer, answered.answered_by, answered.answered_at) == (
        ANSWERED, "It left today.", "ana", 50.0)
    assert await store.count(OPEN) == 0 and await store.count(ANSWERED) == 1


async def test_of_two_agents_answering_at_once_exactly_one_wins(
    store: TicketStore, redis: aioredis.Redis,
) -> None:
    ticket = await store.create(packet(), "where is it?")
    # Separate connections, so the two transactions really interleave.
    other = TicketStore(aioredis.Redis(connection_pool=redis.connection_pool), LIMIT)
    results = await asyncio.gather(
        *[(store if n % 2 else other).answer(ticket.reference, f"answer {n}", f"agent{n}")
          for n in range(12)], return_exceptions=True)
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1 and len(losers) == 11
    assert all(isinstance(e, TicketConflict) for e in losers)
    winner = winners[0].answered_by
    assert all(f"already answered by {winner}" in str(e) for e in losers)
    stored = await store.get(ticket.reference)
    assert stored.answered_by == winner and stored.answer == winners[0].answer


async def test_a_closed_ticket_cannot_be_answered_or_closed_again(store: TicketStore) -> None:
    ticket = await store.create(packet(), "hello")
    closed = await store.close(ticket.reference, "ben", now=9.0)
    assert (closed.status, closed.closed_by, closed.closed_at) == (CLOSED, "ben", 9.0)
    with pytest.raises(TicketConflict, match="closed .by ben.*cannot be answered"):
        await store.answer(ticket.reference, "too late", "ana")
    with pytest.raises(TicketConflict, match="already closed"):
        await store.close(ticket.reference, "ana")
    with pytest.raises(TicketConflict, match="closed"):
        await store.set_email(ticket.reference, "jo@example.org")
    stored = await store.get(ticket.reference)
    assert stored.answer is None and stored.closed_by == "ben"
    assert [t.reference for t in await store.with_status(CLOSED, 10)] == [ticket.reference]
    assert await store.count(OPEN) == 0


async def test_an_answered_ticket_can_be_closed(store: TicketStore) -> None:
    ticket = await store.create(packet(), "hello")
    await store.answer(ticket.reference, "hi", "ana")
    assert (await store.close(ticket.reference, "ana")).answer == "hi"
    assert await store.count(ANSWERED) == 0 and await store.count(CLOSED) == 1


@pytest.mark.parametrize("answer, message", [("", "empty"), ("   ", "empty"),
                                             ("x" * (LIMIT + 1), f"limit is {LIMIT}")])
async def test_an_empty_or_huge_answer_is_refused_and_changes_nothing(
    store: TicketStore, answer: str, message: str,
) -> None:
    ticket = await store.create(packet(), "hello")
    with pytest.raises(BadTicketInput, match=message):
        await store.answer(ticket.reference, answer, "ana")
    assert (await store.get(ticket.reference)).status == OPEN


@pytest.mark.parametrize("reference", ["PC-00000", "PC-ZZZZZ", "nope", "", "PC-2222\n"])
async def test_an_unknown_reference_is_not_found(store: TicketStore, reference: str) -> None:
    for attempt in (store.get(reference), store.answer(reference, "hi", "ana"),
                    store.close(reference, "ana"), store.set_email(reference, "a@example.org")):
        with pytest.raises(TicketNotFound, match="PC-7K3Q9"):
            await attempt


async def test_an_email_can_be_added_later(store: TicketStore) -> None:
    ticket = await store.create(packet(), "hello")
    assert ticket.email is None
    assert (await store.set_email(ticket.reference, " jo@example.org ")).email == "jo@example.org"


async def test_the_stored_packet_is_json(store: TicketStore, redis: aioredis.Redis) -> None:
    ticket = await store.create(packet(), "hello", now=time.time())
    raw = await redis.hget(keys.ticket(ticket.reference), "packet")
    assert json.loads(raw)["conversation_id"] == "c1"
