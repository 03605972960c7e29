"""Tickets: a message a customer left for the team when no person could take over, with the
whole story (the handoff packet), until an agent answers and closes it.

A ticket has a short reference a person can read out on the phone (PC-7K3Q9). Tickets live in
Redis with no expiry (the embedded Redis keeps an append-only file), so they survive restarts.
Answering and closing are WATCH/MULTI transactions: of two agents answering at once, exactly
one wins and the other is told who did.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional

from redis import asyncio as aioredis
from redis.exceptions import WatchError

from router import keys
from router.clean_text import lua_json, valid_text
from router.history_index import file_under
from router.history_settings import HistorySettings
from router.redis_values import text, text_map
from router.search_terms import EMAIL as EMAIL_TERM
from router.search_terms import story_terms, term

OPEN = "open"
ANSWERED = "answered"
CLOSED = "closed"
STATUSES = (OPEN, ANSWERED, CLOSED)

REFERENCE_PREFIX = "PC-"
# Read out loud or copied by hand: no 0/O, 1/I/L that a person would confuse.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 5  # 31^5 = 28 million: a clash is rare, and checked anyway
REFERENCE = re.compile(rf"{REFERENCE_PREFIX}[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}")
# Tries at a fresh reference (or a transaction another writer interrupted) before giving up.
MAX_ATTEMPTS = 20
# RFC 5321 caps an address at 254 characters. The pattern is deliberately plain: one @, a
# dot in the domain, no spaces or angle brackets (which could smuggle a second header).
MAX_EMAIL_CHARS = 254
EMAIL = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[A-Za-z]{2,63}")


class TicketError(Exception):
    """A ticket operation that cannot be done; the message says why and what to do."""


class TicketNotFound(TicketError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"No ticket has the reference '{reference[:20]}': check it "
                         f"(it looks like PC-7K3Q9).")


class TicketConflict(TicketError):
    """The ticket is no longer in a state that allows this (answered, or closed)."""


class BadTicketInput(TicketError):
    """Text too long or empty, or an email that is not one."""


@dataclass(frozen=True)
class Ticket:
    reference: str
    conversation_id: str
    message: str
    email: Optional[str]
    status: str
    created_at: float
    packet: Dict[str, Any]
    answered_at: Optional[float] = None
    answer: Optional[str] = None
    answered_by: Optional[str] = None
    closed_at: Optional[float] = None
    closed_by: Optional[str] = None
    # What became of mailing the answer: "sent to <email>", or why it was not sent.
    mail: Optional[str] = None

    def summary(self) -> Dict[str, Any]:
        """For lists: everything but the story."""
        return {"reference": self.reference, "conversation_id": self.conversation_id,
                "message": self.message, "email": self.email, "status": self.status,
                "created_at": self.created_at, "answered_at": self.answered_at,
                "answer": self.answer, "answered_by": self.answered_by,
                "closed_at": self.closed_at, "closed_by": self.closed_by, "mail": self.mail}

    def as_dict(self) -> Dict[str, Any]:
        """One ticket with its whole story."""
        return {**self.summary(), "packet": self.packet}


def is_reference(value: str) -> bool:
    return REFERENCE.fullmatch(value) is not None


def checked_email(email: str) -> str:
    """The address, trimmed; BadTicketInput if it cannot be one."""
    email = email.strip()
    if len(email) > MAX_EMAIL_CHARS or not EMAIL.fullmatch(email):
        raise BadTicketInput(f"'{email[:60]}' is not an email address: write it like "
                             f"name@example.com (at most {MAX_EMAIL_CHARS} characters).")
    return email


def checked_text(value: str, what: str, max_chars: int) -> str:
    """`value` as valid text that is neither empty nor longer than `max_chars`."""
    cleaned = valid_text(value).strip()
    if not cleaned:
        raise BadTicketInput(f"The {what} is empty: write something.")
    if len(cleaned) > max_chars:
        raise BadTicketInput(f"The {what} is {len(cleaned)} characters; the limit is "
                             f"{max_chars}: shorten it.")
    return cleaned


def new_reference() -> str:
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET)
                                      for _ in range(REFERENCE_LENGTH))


def _optional_float(value: Optional[str]) -> Optional[float]:
    return float(value) if value else None


def _from_hash(fields: Dict[str, str]) -> Ticket:
    return Ticket(
        reference=fields["reference"], conversation_id=fields["conversation_id"],
        message=fields.get("message", ""), email=fields.get("email") or None,
        status=fields["status"], created_at=float(fields["created_at"]),
        packet=json.loads(fields.get("packet") or "{}"),
        answered_at=_optional_float(fields.get("answered_at")),
        answer=fields.get("answer") or None, answered_by=fields.get("answered_by") or None,
        closed_at=_optional_float(fields.get("closed_at")),
        closed_by=fields.get("closed_by") or None, mail=fields.get("mail") or None)


class TicketStore:
    """Tickets in Redis. `max_chars` is the one limit for a customer's message and an
    agent's answer (router/customer_limits.py's max_message_chars)."""

    def __init__(self, redis: aioredis.Redis, max_chars: int,
                 history: Optional[HistorySettings] = None) -> None:
        self.redis = redis
        self.max_chars = max_chars
        self.history = history or HistorySettings.from_env()

    # --- Creating ---------------------------------------------------------------------
    async def create(self, packet: Dict[str, Any], message: str,
                     email: Optional[str] = None, now: Optional[float] = None) -> Ticket:
        """A ticket with a fresh reference, open; BadTicketInput for a huge message or an
        email that is not one. An empty message is kept as empty (a customer who waited too
        long left none)."""
        fields = {
            "conversation_id": valid_text(str(packet["conversation_id"])),
            "message": self._message(message),
            "email": checked_email(email) if email else "",
            "packet": lua_json(packet), "status": OPEN,
            "created_at": repr(time.time() if now is None else now),
        }
        for _attempt in range(MAX_ATTEMPTS):
            reference = new_reference()
            if await self._create_if_new(reference, fields):
                return _from_hash({**fields, "reference": reference})
        raise TicketError("No free ticket reference was found; try again.")

    def _message(self, message: str) -> str:
        cleaned = valid_text(message).strip()
        if len(cleaned) > self.max_chars:
            raise BadTicketInput(f"The message is {len(cleaned)} characters; the limit is "
                                 f"{self.max_chars}: shorten it.")
        return cleaned

    async def _create_if_new(self, reference: str, fields: Dict[str, str]) -> bool:
        key = keys.ticket(reference)
        async with self.redis.pipeline(transaction=True) as tx:
            try:
                await tx.watch(key)
                if await tx.exists(key):
                    return False  # that reference is taken: draw another
                tx.multi()
                tx.hset(key, mapping={**fields, "reference": reference})
                tx.zadd(keys.tickets_with_status(OPEN), {reference: float(fields["created_at"])})
                self._file(tx, reference, float(fields["created_at"]), story_terms(
                    fields["conversation_id"], json.loads(fields["packet"]), (),
                    fields["message"], fields["email"]))
                await tx.execute()
            except WatchError:
                return False
        return True

    async def withdraw(self, reference: str) -> None:
        """Removes a ticket nobody was ever told about (its conversation was taken by a
        person while it was being made): never one a customer or an agent has seen."""
        ticket = await self.get(reference)
        async with self.redis.pipeline(transaction=True) as tx:
            tx.delete(keys.ticket(ticket.reference))
            tx.zrem(keys.tickets_with_status(ticket.status), ticket.reference)
            await tx.execute()

    def _file(self, tx: Any, reference: str, created_at: float, terms: Iterable[str]) -> None:
        """Files the ticket in the history's search index (router/history.py), in the
        caller's transaction, under every term its story mentions."""
        file_under(tx, terms, f"ticket:{reference}", created_at, self.history.keep_seconds)

    # --- Reading ----------------------------------------------------------------------
    async def get(self, reference: str) -> Ticket:
        return await _read(self.redis, reference)

    async def with_status(self, status: str, limit: int) -> List[Ticket]:
        """Up to `limit` tickets with `status`, the oldest first."""
        if status not in STATUSES:
            raise BadTicketInput(f"There is no ticket status '{status[:20]}': use one of "
                                 f"{', '.join(STATUSES)}.")
        references = [text(r) for r in
                      await self.redis.zrange(keys.tickets_with_status(status), 0, limit - 1)]
        async with self.redis.pipeline(transaction=False) as pipe:
            for reference in references:
                pipe.hgetall(keys.ticket(reference))
            replies = await pipe.execute() if references else []
        return [_from_hash(text_map(fields)) for fields in replies if fields]

    async def many(self, references: List[str]) -> Dict[str, Ticket]:
        """The tickets that exist among `references`, in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for reference in references:
                pipe.hgetall(keys.ticket(reference))
            replies = await pipe.execute() if references else []
        return {reference: _from_hash(text_map(fields))
                for reference, fields in zip(references, replies, strict=True) if fields}

    async def count(self, status: str) -> int:
        return int(await self.redis.zcard(keys.tickets_with_status(status)))

    # --- Changing ---------------------------------------------------------------------
    async def set_email(self, reference: str, email: str) -> Ticket:
        """Where the answer is mailed (an agent may learn it later, e.g. from the order)."""
        address = checked_email(email)
        ticket = await self.get(reference)
        if ticket.status == CLOSED:
            raise TicketConflict(f"Ticket {ticket.reference} is closed; its email cannot "
                                 f"change.")
        # A close in between is harmless: the email of a closed ticket is never used.
        async with self.redis.pipeline(transaction=True) as tx:
            tx.hset(keys.ticket(ticket.reference), "email", address)
            self._file(tx, ticket.reference, ticket.created_at, [term(EMAIL_TERM, address)])
            await tx.execute()
        return await self.get(ticket.reference)

    async def record_mail(self, reference: str, outcome: str) -> None:
        """What became of mailing the answer, for the agent and whoever reads it later."""
        await self.redis.hset(keys.ticket(reference), "mail", outcome)

    async def answer(self, reference: str, answer: str, agent_id: str,
                     now: Optional[float] = None) -> Ticket:
        """Records the answer if nobody answered yet. TicketConflict says who did, or that
        the ticket is closed."""
        cleaned = checked_text(answer, "answer", self.max_chars)
        when = repr(time.time() if now is None else now)
        changes = {"status": ANSWERED, "answer": cleaned, "answered_by": agent_id,
                   "answered_at": when}
        return await self._move(reference, changes, ANSWERED, _may_answer)

    async def close(self, reference: str, agent_id: str, now: Optional[float] = None
                    ) -> Ticket:
        """Done with it: open or answered tickets can be closed, once."""
        changes = {"status": CLOSED, "closed_by": agent_id,
                   "closed_at": repr(time.time() if now is None else now)}
        return await self._move(reference, changes, CLOSED, _may_close)

    async def _move(self, reference: str, changes: Dict[str, str], status: str,
                    allowed: Callable[[Ticket], None]) -> Ticket:
        """Change the ticket's fields and status set in one transaction, if `allowed(ticket)`
        raises nothing; retried when another writer changed the ticket meanwhile (then
        `allowed` sees their change and says what it was)."""
        reference = reference.strip().upper()
        key = keys.ticket(reference)
        for _attempt in range(MAX_ATTEMPTS):
            async with self.redis.pipeline(transaction=True) as tx:
                try:
                    await tx.watch(key)
                    ticket = await _read(tx, reference)
                    allowed(ticket)
                    tx.multi()
                    tx.hset(key, mapping=changes)
                    tx.zrem(keys.tickets_with_status(ticket.status), reference)
                    tx.zadd(keys.tickets_with_status(status), {reference: ticket.created_at})
                    await tx.execute()
                except WatchError:
                    continue
            return await self.get(reference)
        raise TicketError(f"Ticket {reference} kept changing under us; try again.")


async def _read(client: Any, reference: str) -> Ticket:
    """The ticket from `client` (the store's Redis, or a transaction watching the ticket)."""
    reference = reference.strip().upper()  # as a person may type what they heard
    if not is_reference(reference):
        raise TicketNotFound(reference)
    fields = text_map(await client.hgetall(keys.ticket(reference)))
    if not fields:
        raise TicketNotFound(reference)
    return _from_hash(fields)


def _may_answer(ticket: Ticket) -> None:
    if ticket.status == ANSWERED:
        raise TicketConflict(f"Ticket {ticket.reference} was already answered by "
                             f"{ticket.answered_by}; read their answer before writing again.")
    if ticket.status == CLOSED:
        raise TicketConflict(f"Ticket {ticket.reference} is closed (by {ticket.closed_by}), "
                             f"so it cannot be answered; the customer can write again.")


def _may_close(ticket: Ticket) -> None:
    if ticket.status == CLOSED:
        raise TicketConflict(f"Ticket {ticket.reference} is already closed "
                             f"(by {ticket.closed_by}).")
