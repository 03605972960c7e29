"""History: every handoff that ended, kept as a case an agent can find and read again.

When a person lets go of a conversation (resolved, handed back, or it became a ticket after
waiting too long), the step that ends it (router/handoff/lua/release.lua) also copies the
story into a numbered case: the handoff packet, the lines since the handoff, who had it, how
it ended. The customer's rating, given a moment later, is added to their latest case.

Cases and tickets are filed under the terms their stories mention (router/search_terms.py):
an agent searches by order number, email or conversation id, and by date; a conversation
shows the customer's earlier cases and tickets beside it. A case is kept for
`HISTORY_KEEP_DAYS` (365 by default) and then expires on its own; index entries that point at
an expired case are dropped when a search meets them.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from redis import asyncio as aioredis

from router import keys
from router.handoff.view import conversation_view
from router.history_index import file_under
from router.history_settings import HistorySettings
from router.plain_words import channel_name, handoff_sentence, outcome_sentence, rating_words
from router.redis_values import text, text_map
from router.relay.feed import FeedEntry, decoded_line
from router.search_terms import story_terms
from router.tickets import STATUSES, Ticket, TicketStore, is_reference

log = logging.getLogger(__name__)

CASE, TICKET = "case", "ticket"
RESOLVED = "resolved"  # the outcome a rating is asked after (router/handoff/queue.py)
# The most results one search returns (newest first): a person reads a page, not thousands.
MAX_RESULTS = 100
# Earlier cases and tickets shown beside a conversation.
MAX_EARLIER = 20


def case_lines(raw: str) -> List[FeedEntry]:
    """The lines release.lua kept: XRANGE's reply as JSON ([[id, [name, value, ...]], ...];
    Lua's JSON writes an empty list as {})."""
    entries = json.loads(raw or "[]")
    if not isinstance(entries, list):
        return []
    return [(entry_id, decoded_line(dict(zip(fields[::2], fields[1::2], strict=True))))
            for entry_id, fields in entries]


def case_summary(fields: Dict[str, str]) -> Dict[str, Any]:
    """One case in a list of results."""
    packet = json.loads(fields.get("packet") or "{}")
    summary = packet.get("summary") or {}
    return {
        "kind": CASE, "case_id": fields["case_id"],
        "conversation_id": fields.get("conversation_id"),
        "at": _number(fields.get("ended_at")),
        "handed_off_at": _number(fields.get("enqueued_at")),
        "ended_at": _number(fields.get("ended_at")),
        "outcome": fields.get("outcome"), "agent_id": fields.get("agent_id") or None,
        "reason_sentence": handoff_sentence(packet.get("reason"), packet.get("assessment")),
        "channel_name": channel_name(packet.get("channel")),
        "first_message": summary.get("first_message") or "",
        "rating": fields.get("rating") or None,
        "rating_words": rating_words(fields.get("rating")),
    }


def ticket_summary(ticket: Ticket) -> Dict[str, Any]:
    """One ticket in a list of results."""
    return {"kind": TICKET, **ticket.summary(), "at": ticket.created_at}


def case_view(fields: Dict[str, str], agent_name: Optional[str]) -> Dict[str, Any]:
    """A case to read again: the whole story as the console showed it, how it ended, and the
    rating. Read-only: nobody owns it now."""
    packet = json.loads(fields.get("packet") or "{}")
    view = conversation_view(fields["conversation_id"], packet, None, fields,
                             case_lines(fields.get("lines", "")))
    return {**view, **case_summary(fields), "status": "ended",
            "agent_id": fields.get("agent_id") or None,
            "claimed_at": _number(fields.get("claimed_at")),
            "outcome_sentence": outcome_sentence(fields.get("outcome"), agent_name),
            "rated_at": _number(fields.get("rated_at")),
            # Whether bringing in a person was right, as an agent labelled it
            # (router/handoff_labels.py).
            "label": fields.get("label") or None,
            "labelled_by": fields.get("labelled_by") or None,
            "labelled_at": _number(fields.get("labelled_at"))}


def _number(value: Optional[str]) -> Optional[float]:
    return float(value) if value not in (None, "") else None


def _member(kind: str, value: str) -> str:
    return f"{kind}:{value}"


# A rating answers "how did it go with them?", asked right after a person resolved the
# conversation: a click a day later (a stale button, another handoff since) rates nobody.
RATING_WINDOW_SECONDS = 24 * 3600


async def rate_latest_case(redis: aioredis.Redis, conversation_id: str, rating: str,
                           at: float) -> bool:
    """The customer's rating goes with their latest case if a person resolved it within the
    last day and it has no rating yet (the first answer counts); False otherwise."""
    latest = await redis.zrevrange(keys.history_of_conversation(conversation_id), 0, 0)
    if not latest:
        return False
    case_key = keys.history_case(text(latest[0]))
    async with redis.pipeline(transaction=True) as tx:
        await tx.watch(case_key)
        outcome, ended_at, rated = await tx.hmget(case_key, ["outcome", "ended_at", "rating"])
        if text(outcome or "") != RESOLVED or rated or not ended_at or \
                not 0 <= at - float(ended_at) <= RATING_WINDOW_SECONDS:
            return False
        tx.multi()
        tx.hset(case_key, mapping={"rating": rating, "rated_at": repr(at)})
        await tx.execute()
    return True


class History:
    def __init__(self, redis: aioredis.Redis, tickets: TicketStore,
                 settings: Optional[HistorySettings] = None) -> None:
        self.redis = redis
        self.tickets = tickets
        self.settings = settings or HistorySettings.from_env()

    # --- Filing ---------------------------------------------------------------------------
    async def index_pending(self) -> int:
        """Files every case not yet in the search index; returns how many. Safe to repeat
        (a case filed twice stays filed once)."""
        pending = [text(c) for c in await self.redis.smembers(keys.HISTORY_UNINDEXED)]
        for case_id in pending:
            try:
                await self._index_case(case_id)
            except (ValueError, KeyError, TypeError) as error:
                # A case no search can read (damaged by hand?): it stays readable by number,
                # and must not hold up every case after it.
                log.error("History: case %s cannot be filed for search (%r); skipped.",
                          case_id, error)
                await self.redis.srem(keys.HISTORY_UNINDEXED, case_id)
        return len(pending)

    async def _index_case(self, case_id: str) -> None:
        fields = text_map(await self.redis.hgetall(keys.history_case(case_id)))
        async with self.redis.pipeline(transaction=True) as tx:
            if fields:
                packet = json.loads(fields.get("packet") or "{}")
                lines = [line for _id, line in case_lines(fields.get("lines", ""))]
                terms = story_terms(fields["conversation_id"], packet, lines)
                self._file(tx, terms, _member(CASE, case_id), float(fields["ended_at"]))
            tx.srem(keys.HISTORY_UNINDEXED, case_id)
            await tx.execute()

    def _file(self, tx: Any, terms: Iterable[str], member: str, at: float) -> None:
        file_under(tx, terms, member, at, self.settings.keep_seconds)

    # --- Reading --------------------------------------------------------------------------
    async def case(self, case_id: str) -> Optional[Dict[str, str]]:
        fields = text_map(await self.redis.hgetall(keys.history_case(case_id)))
        return fields or None

    async def search(self, terms: Sequence[str], since: Optional[float] = None,
                     until: Optional[float] = None, limit: int = MAX_RESULTS
                     ) -> List[Dict[str, Any]]:
        """Cases and tickets filed under any of `terms` (all of them without terms), ended or
        left between `since` and `until`, newest first."""
        low = "-inf" if since is None else since
        high = "+inf" if until is None else until
        if terms:
            found: Dict[str, float] = {}
            for term in terms:
                for member, at in await self.redis.zrevrangebyscore(
                        keys.history_term(term), high, low, start=0, num=limit,
                        withscores=True):
                    found[text(member)] = float(at)
            members = sorted(found.items(), key=lambda item: -item[1])[:limit]
        else:
            members = await self._everything_between(low, high, limit)
        return await self._summaries([member for member, _at in members], terms)

    async def _everything_between(self, low: Any, high: Any, limit: int
                                  ) -> List[Tuple[str, float]]:
        found = [(_member(CASE, text(case_id)), float(at)) for case_id, at in
                 await self.redis.zrevrangebyscore(keys.HISTORY_CASES, high, low, start=0,
                                                   num=limit, withscores=True)]
        for status_key in map(keys.tickets_with_status, STATUSES):
            found += [(_member(TICKET, text(ref)), float(at)) for ref, at in
                      await self.redis.zrevrangebyscore(status_key, high, low, start=0,
                                                        num=limit, withscores=True)]
        return sorted(found, key=lambda item: -item[1])[:limit]

    async def _summaries(self, members: List[str], terms: Sequence[str]
                         ) -> List[Dict[str, Any]]:
        """The results, in order, read in two round trips (cases, tickets); what has expired
        or was withdrawn is forgotten in the index as it is met."""
        found = await self._found(members)
        gone = [member for member in members if member not in found]
        if gone:
            async with self.redis.pipeline(transaction=False) as pipe:
                for member in gone:
                    for term in terms:
                        pipe.zrem(keys.history_term(term), member)
                    kind, _, value = member.partition(":")
                    if kind == CASE:
                        pipe.zrem(keys.HISTORY_CASES, value)
                await pipe.execute()
        return [found[member] for member in members if member in found]

    async def _found(self, members: List[str]) -> Dict[str, Dict[str, Any]]:
        case_ids = [m.partition(":")[2] for m in members if m.startswith(CASE + ":")]
        references = [m.partition(":")[2] for m in members if m.startswith(TICKET + ":")]
        async with self.redis.pipeline(transaction=False) as pipe:
            for case_id in case_ids:
                pipe.hgetall(keys.history_case(case_id))
            cases = await pipe.execute() if case_ids else []
        found = {_member(CASE, case_id): case_summary(text_map(fields))
                 for case_id, fields in zip(case_ids, cases, strict=True) if fields}
        tickets = await self.tickets.many(references)
        found.update({_member(TICKET, reference): ticket_summary(ticket)
                      for reference, ticket in tickets.items()})
        return found

    async def _summary(self, kind: str, value: str) -> Optional[Dict[str, Any]]:
        return (await self._found([_member(kind, value)])).get(_member(kind, value))

    async def earlier(self, conversation_id: str, packet: Dict[str, Any]
                      ) -> List[Dict[str, Any]]:
        """The customer's earlier cases and tickets: the same conversation (a channel that
        keeps the customer's id), or the same email or order number in this story."""
        terms = sorted(story_terms(conversation_id, {**packet, "transcript": []}))
        return await self.search(terms, limit=MAX_EARLIER)

    async def ticket_by_reference(self, reference: str) -> Optional[Dict[str, Any]]:
        if not is_reference(reference.strip().upper()):
            return None
        return await self._summary(TICKET, reference.strip().upper())
