"""Forgetting a customer: when a customer asks the shop to erase what it keeps of their
conversation, an admin removes it everywhere we keep it, in one step: Rasa's stored
conversation, the history's cases (and their place in every search index), the tickets left
in it, the lines a person's console read, and the customer's ratings. Aggregated counts (the
metrics) hold nothing of theirs and stay.

Refused while a person has the conversation or it is waiting for one: the team would lose
what it is working on (let it end first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List

from redis import asyncio as aioredis
from redis.exceptions import WatchError

from router import keys
from router.history import case_lines
from router.redis_values import text, text_map
from router.search_terms import story_terms
from router.tickets import STATUSES

# Ratings are read back this many at a time to find the customer's among them.
RATINGS_PAGE = 1000
MAX_ATTEMPTS = 5


class StillWithPeople(Exception):
    """A person has the conversation, or it waits for one."""


@dataclass(frozen=True)
class Forgotten:
    cases: int
    tickets: int
    conversation: bool  # Rasa's stored conversation was there
    ratings: int

    def as_dict(self) -> Dict[str, Any]:
        return {"cases": self.cases, "tickets": self.tickets,
                "conversation": self.conversation, "ratings": self.ratings}


async def forget(redis: aioredis.Redis, conversation_id: str) -> Forgotten:
    """Erases the conversation's data (see the module's docstring); StillWithPeople while a
    person has it or it waits. Retried when something is written to it meanwhile."""
    for _attempt in range(MAX_ATTEMPTS):
        try:
            return await _forget_once(redis, conversation_id)
        except WatchError:
            continue
    raise RuntimeError(f"Conversation {conversation_id} kept changing; try again.")


async def _forget_once(redis: aioredis.Redis, conversation_id: str) -> Forgotten:
    owner_key = keys.conversation_owner(conversation_id)
    cases_key = keys.history_of_conversation(conversation_id)
    tickets = await _tickets_of(redis, conversation_id)
    async with redis.pipeline(transaction=True) as tx:
        await tx.watch(owner_key, cases_key, keys.rasa_tracker(conversation_id))
        if await tx.exists(owner_key):
            raise StillWithPeople(conversation_id)
        case_ids = [text(c) for c in await tx.zrange(cases_key, 0, -1)]
        cases = {case_id: text_map(await tx.hgetall(keys.history_case(case_id)))
                 for case_id in case_ids}
        had_conversation = bool(await tx.exists(keys.rasa_tracker(conversation_id)))
        ratings = await _ratings_of(tx, conversation_id)
        tx.multi()
        for case_id, fields in cases.items():
            _unfile(tx, f"case:{case_id}", _case_terms(conversation_id, fields))
            tx.delete(keys.history_case(case_id))
            tx.zrem(keys.HISTORY_CASES, case_id)
            tx.srem(keys.HISTORY_UNINDEXED, case_id)
            tx.zrem(keys.HISTORY_LABELLED, case_id)
        for reference, fields in tickets.items():
            packet = json.loads(fields.get("packet") or "{}")
            _unfile(tx, f"ticket:{reference}", story_terms(
                conversation_id, packet, (), fields.get("message"), fields.get("email")))
            tx.delete(keys.ticket(reference))
            for status in STATUSES:
                tx.zrem(keys.tickets_with_status(status), reference)
        if ratings:
            tx.xdel(keys.HANDOFF_RATINGS, *ratings)
        tx.delete(cases_key, keys.rasa_tracker(conversation_id),
                  keys.conversation_feed(conversation_id), keys.handoff_packet(conversation_id),
                  keys.handoff_state(conversation_id))
        await tx.execute()
    return Forgotten(len(cases), len(tickets), had_conversation, len(ratings))


def _case_terms(conversation_id: str, fields: Dict[str, str]) -> set:
    packet = json.loads(fields.get("packet") or "{}")
    lines = [line for _id, line in case_lines(fields.get("lines", ""))]
    return story_terms(conversation_id, packet, lines)


def _unfile(tx: Any, member: str, terms: set) -> None:
    for term in terms:
        tx.zrem(keys.history_term(term), member)


async def _tickets_of(redis: aioredis.Redis, conversation_id: str
                      ) -> Dict[str, Dict[str, str]]:
    """Every ticket left in the conversation, whatever its status or age (read through the
    status lists, in one round trip per status, not the search index, whose entries expire)."""
    found = {}
    for status in STATUSES:
        references = [text(r) for r in await redis.zrange(keys.tickets_with_status(status),
                                                            0, -1)]
        async with redis.pipeline(transaction=False) as pipe:
            for reference in references:
                pipe.hgetall(keys.ticket(reference))
            replies = await pipe.execute() if references else []
        for reference, fields in zip(references, replies, strict=True):
            fields = text_map(fields)
            if fields.get("conversation_id") == conversation_id:
                found[reference] = fields
    return found


async def _ratings_of(tx: Any, conversation_id: str) -> List[str]:
    """The ids of the customer's entries in the ratings stream."""
    found: List[str] = []
    start = "-"
    while True:
        page = await tx.xrange(keys.HANDOFF_RATINGS, start, "+", count=RATINGS_PAGE)
        found += [text(entry_id) for entry_id, fields in page
                  if text_map(fields).get("conversation_id") == conversation_id]
        if len(page) < RATINGS_PAGE:
            return found
        start = "(" + text(page[-1][0])
