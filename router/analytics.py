"""Analytics for admins: how the bot and the team did over a date range, from what is stored.

Three kinds of record, each a plain dataclass a test can make by hand:
- a `Conversation` from Rasa's tracker store (every conversation, with the bot or not);
- a `Case`, one ended handoff from the history (router/history.py): when it was queued,
  claimed and ended, by whom, how, the rating;
- a `Ticket` (router/tickets.py): when it was opened and answered.

`report` turns them into every figure the dashboard shows; `conversation_rows` into the CSV's
rows. `load` (at the end) reads them from Redis. What counts as what:
- a conversation is in the range if any of it falls in the range; a handoff or a ticket if it
  began in the range;
- contained: a conversation with no handoff and no ticket in the range (nobody had to step
  in); a handoff still waiting or under way is not yet a case, so it is not counted;
- a case nobody claimed is abandoned while waiting: it expired (became a ticket) or was let
  go while still in the queue;
- the service level counts handoffs claimed within the target as met, and those claimed
  later or abandoned after the target as missed; one abandoned sooner is in neither;
- percentiles are nearest-rank (the median of 1, 2, 3, 4 is 2): a figure someone reported is
  a time that really happened.
A team filter narrows everything to that team's handoffs; conversations, containment, rates
and tickets have no team, so they are left out (null) when a team is chosen.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set

from redis import asyncio as aioredis

from router import keys
from router.agents.directory import AgentDirectory
from router.handoff.queue import EXPIRED
from router.metrics import reason_kind
from router.plain_words import RATINGS, channel_name
from router.redis_values import text
from router.service_levels import ServiceLevels
from router.stored_trackers import TrackerStore, newest
from router.tickets import STATUSES

# The reason kinds as people say them, in the order the dashboard stacks them.
KIND_WORDS: Dict[str, str] = {
    "asked_for_a_person": "asked for a person",
    "only_a_person_can_solve": "only a person can solve it",
    "accepted_offer": "accepted the bot's offer",
    "frustration": "frustration",
    "other": "other",
}
# router/metrics.py keeps one more kind apart for its labels; for people it is the same story
# as "only a person can solve it": the bot said it could not, and the customer kept on.
_FOLDED_KINDS = {"still_on_an_unsolved_problem": "only_a_person_can_solve"}
GREAT = "5"  # the "Great" button's value (router/plain_words.py RATINGS)
# Cases are found by when they ended; one that began in the range may end this much later
# (the queue turns a wait into a ticket after hours; a person handles one in minutes).
LONGEST_HANDOFF_SECONDS = 86_400.0


def handoff_kind(reason: Optional[str]) -> str:
    """The kind of a handoff's reason, one of KIND_WORDS."""
    kind = reason_kind(reason)
    return _FOLDED_KINDS.get(kind, kind if kind in KIND_WORDS else "other")


# --- Records ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    channel: str
    started_at: float
    ended_at: float


@dataclass(frozen=True)
class Case:
    """One ended handoff."""

    conversation_id: str
    channel: str
    reason: str
    enqueued_at: float
    ended_at: float
    outcome: str
    claimed_at: Optional[float] = None
    team: str = ""
    agent_id: str = ""
    rating: Optional[str] = None
    # When the customer's first line in the handoff's story was written (the bot's part).
    talking_since: Optional[float] = None
    # The display name of `agent_id` as the team knows it ("" when the account is gone).
    agent_name: str = ""

    @property
    def kind(self) -> str:
        return handoff_kind(self.reason)

    @property
    def abandoned(self) -> bool:
        return self.claimed_at is None

    @property
    def waited(self) -> float:
        """Seconds in the queue: until claimed, or until it ended unclaimed."""
        return (self.claimed_at if self.claimed_at is not None else self.ended_at) \
            - self.enqueued_at

    @property
    def handled(self) -> Optional[float]:
        return None if self.claimed_at is None else self.ended_at - self.claimed_at

    @property
    def with_bot(self) -> Optional[float]:
        return None if self.talking_since is None else self.enqueued_at - self.talking_since


@dataclass(frozen=True)
class Ticket:
    reference: str
    conversation_id: str
    channel: str
    created_at: float
    answered_at: Optional[float] = None


@dataclass(frozen=True)
class Filters:
    since: float
    until: float
    channel: Optional[str] = None
    team: Optional[str] = None

    def began_inside(self, at: float) -> bool:
        return self.since <= at <= self.until

    def overlaps(self, start: float, end: float) -> bool:
        return start <= self.until and end >= self.since

    def channel_matches(self, channel: str) -> bool:
        return self.channel is None or channel == self.channel


@dataclass(frozen=True)
class Selected:
    """The records a report is about, once the filters are applied."""

    conversations: List[Conversation]
    cases: List[Case]
    tickets: List[Ticket]


# --- Arithmetic -------------------------------------------------------------------------------

def percentile(values: Iterable[float], share: float) -> Optional[float]:
    """Nearest rank: the smallest value with at least `share` of the values at or below it;
    None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def ratio(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def _seconds(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 1)


def spread(values: Sequence[float]) -> Dict[str, Any]:
    return {"count": len(values), "p50_seconds": _seconds(percentile(values, 0.5)),
            "p95_seconds": _seconds(percentile(values, 0.95))}


def day_of(at: float, zone: tzinfo) -> str:
    return datetime.fromtimestamp(at, zone).date().isoformat()


def days(filters: Filters, zone: tzinfo) -> List[str]:
    """Every day of the range, in `zone`, so a chart shows quiet days too."""
    first = datetime.fromtimestamp(filters.since, zone).date()
    last = datetime.fromtimestamp(filters.until, zone).date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


# --- Choosing what a report is about ----------------------------------------------------------

def select(conversations: Sequence[Conversation], cases: Sequence[Case],
           tickets: Sequence[Ticket], filters: Filters) -> Selected:
    """The conversations, handoffs and tickets the filters keep. A handoff whose conversation
    Rasa no longer keeps is still a conversation (from the case's own story)."""
    chosen_cases = [c for c in cases if filters.began_inside(c.enqueued_at)
                    and filters.channel_matches(c.channel)
                    and (filters.team is None or c.team == filters.team)]
    known = {c.conversation_id for c in conversations}
    chosen = [c for c in conversations if filters.overlaps(c.started_at, c.ended_at)
              and filters.channel_matches(c.channel)]
    chosen += _from_cases([c for c in chosen_cases if c.conversation_id not in known])
    if filters.team is not None:
        handed = {c.conversation_id for c in chosen_cases}
        chosen = [c for c in chosen if c.conversation_id in handed]
    chosen_tickets = [t for t in tickets if filters.began_inside(t.created_at)
                      and filters.channel_matches(t.channel)]
    return Selected(sorted(chosen, key=lambda c: c.started_at), chosen_cases, chosen_tickets)


def _from_cases(cases: Sequence[Case]) -> List[Conversation]:
    found: Dict[str, Conversation] = {}
    for case in sorted(cases, key=lambda c: c.enqueued_at):
        start = case.talking_since if case.talking_since is not None else case.enqueued_at
        earlier = found.get(case.conversation_id)
        found[case.conversation_id] = Conversation(
            case.conversation_id, case.channel,
            earlier.started_at if earlier else start, case.ended_at)
    return list(found.values())


# --- The report -------------------------------------------------------------------------------

def report(conversations: Sequence[Conversation], cases: Sequence[Case],
           tickets: Sequence[Ticket], filters: Filters, levels: ServiceLevels,
           zone: tzinfo) -> Dict[str, Any]:
    """Every figure of the dashboard for the range and filters."""
    chosen = select(conversations, cases, tickets, filters)
    by_team = filters.team is not None
    return {
        "range": {"since": filters.since, "until": filters.until, "channel": filters.channel,
                  "team": filters.team, "days": days(filters, zone)},
        "kinds": [{"kind": kind, "label": words} for kind, words in KIND_WORDS.items()],
        "conversations": None if by_team else containment(chosen),
        "handoffs": handoffs(chosen, filters, zone, rates=not by_team),
        "time_with_bot": spread([c.with_bot for c in chosen.cases if c.with_bot is not None]),
        "queue_wait": queue_wait(chosen.cases, filters, zone),
        "abandonment": abandonment(chosen.cases),
        "handle_time": handle_time(chosen.cases),
        "service_level": service_level(chosen.cases, filters, levels, zone),
        "tickets": None if by_team else ticket_figures(chosen.tickets),
        "csat": csat(chosen.cases),
    }


def _needed_a_person(chosen: Selected) -> Set[str]:
    return {c.conversation_id for c in chosen.cases} | \
        {t.conversation_id for t in chosen.tickets}


def containment(chosen: Selected) -> Dict[str, Any]:
    total = len(chosen.conversations)
    helped = _needed_a_person(chosen)
    contained = sum(1 for c in chosen.conversations if c.conversation_id not in helped)
    return {"total": total, "contained": contained, "containment": ratio(contained, total)}


def handoffs(chosen: Selected, filters: Filters, zone: tzinfo, rates: bool
             ) -> Dict[str, Any]:
    """Handoffs by reason kind, channel, team and day; rates are per conversation."""
    cases, conversations = chosen.cases, chosen.conversations
    total = len(conversations) if rates else 0
    kinds = Counter(c.kind for c in cases)
    teams = Counter(c.team for c in cases)
    return {
        "total": len(cases), "rate": ratio(len(cases), total) if rates else None,
        "by_reason": [{"kind": kind, "label": words, "handoffs": kinds[kind],
                       "rate": ratio(kinds[kind], total) if rates else None}
                      for kind, words in KIND_WORDS.items()],
        "by_channel": _by_channel(chosen, rates),
        "by_team": [{"team": team or None, "handoffs": count,
                     "rate": ratio(count, total) if rates else None}
                    for team, count in sorted(teams.items())],
        "by_day": _by_day(chosen, filters, zone, rates),
    }


def _by_channel(chosen: Selected, rates: bool) -> List[Dict[str, Any]]:
    talks = Counter(c.channel for c in chosen.conversations)
    handed = Counter(c.channel for c in chosen.cases)
    return [{"channel": channel, "label": channel_name(channel),
             "conversations": talks[channel], "handoffs": handed[channel],
             "rate": ratio(handed[channel], talks[channel]) if rates else None}
            for channel in sorted(set(talks) | set(handed))]


def _by_day(chosen: Selected, filters: Filters, zone: tzinfo, rates: bool
            ) -> List[Dict[str, Any]]:
    """Per day of the range: conversations begun, handoffs queued (by reason kind) and their
    ratio, the rate over time (null on a day nobody began talking, and with a team filter)."""
    started: Counter[str] = Counter(day_of(max(c.started_at, filters.since), zone)
                                    for c in chosen.conversations)
    kinds: Dict[str, Counter[str]] = defaultdict(Counter)
    for case in chosen.cases:
        kinds[day_of(case.enqueued_at, zone)][case.kind] += 1
    return [{"day": day, "conversations": started[day],
             "handoffs": sum(kinds[day].values()),
             "rate": ratio(sum(kinds[day].values()), started[day]) if rates else None,
             "by_reason": {kind: kinds[day][kind] for kind in KIND_WORDS}}
            for day in days(filters, zone)]


def _claimed(cases: Iterable[Case]) -> List[Case]:
    return [c for c in cases if not c.abandoned]


def queue_wait(cases: Sequence[Case], filters: Filters, zone: tzinfo) -> Dict[str, Any]:
    """From queued to claimed, for the handoffs someone claimed, overall and per day."""
    per_day: Dict[str, List[float]] = defaultdict(list)
    for case in _claimed(cases):
        per_day[day_of(case.enqueued_at, zone)].append(case.waited)
    return {**spread([c.waited for c in _claimed(cases)]),
            "by_day": [{"day": day, **spread(per_day[day])} for day in days(filters, zone)]}


def abandonment(cases: Sequence[Case]) -> Dict[str, Any]:
    left = [c for c in cases if c.abandoned]
    expired = sum(1 for c in left if c.outcome == EXPIRED)
    return {"abandoned": len(left), "expired": expired,
            "released_while_waiting": len(left) - expired, "handoffs": len(cases),
            "share": ratio(len(left), len(cases))}


def handle_time(cases: Sequence[Case]) -> Dict[str, Any]:
    """From claimed to ended, overall and per agent (the one who had it at the end), each
    named as the team knows them (their id when the account is gone)."""
    handled: Dict[str, List[float]] = defaultdict(list)
    names: Dict[str, str] = {}
    for case in _claimed(cases):
        handled[case.agent_id].append(case.handled or 0.0)
        names[case.agent_id] = case.agent_name or names.get(case.agent_id, "")
    return {**spread([t for times in handled.values() for t in times]),
            "by_agent": [{"agent_id": agent or None, "name": names[agent] or agent or None,
                          **spread(times)}
                         for agent, times in sorted(handled.items())]}


def _service_counts(cases: Iterable[Case], levels: ServiceLevels) -> Dict[str, Any]:
    counted = [c for c in cases if not c.abandoned or not levels.met(c.waited)]
    met = sum(1 for c in counted if not c.abandoned and levels.met(c.waited))
    return {"met": met, "counted": len(counted), "share": ratio(met, len(counted))}


def service_level(cases: Sequence[Case], filters: Filters, levels: ServiceLevels,
                  zone: tzinfo) -> Dict[str, Any]:
    """How often a handoff was claimed within the waiting target, overall and per day."""
    per_day: Dict[str, List[Case]] = defaultdict(list)
    for case in cases:
        per_day[day_of(case.enqueued_at, zone)].append(case)
    return {"wait_target_seconds": levels.wait_target_seconds,
            **_service_counts(cases, levels),
            "by_day": [{"day": day, **_service_counts(per_day[day], levels)}
                       for day in days(filters, zone)]}


def ticket_figures(tickets: Sequence[Ticket]) -> Dict[str, Any]:
    times = [t.answered_at - t.created_at for t in tickets if t.answered_at is not None]
    return {"opened": len(tickets), "answered": len(times),
            "median_answer_seconds": _seconds(percentile(times, 0.5))}


def csat(cases: Sequence[Case]) -> Dict[str, Any]:
    """The customers' ratings of the person who helped them (Great 5, Okay 3, Not good 1)."""
    ratings = [c.rating for c in cases if c.rating in RATINGS]
    values = [int(r) for r in ratings if r is not None]
    return {"count": len(values), "great": ratings.count(GREAT),
            "share_great": ratio(ratings.count(GREAT), len(values)),
            "mean": round(sum(values) / len(values), 2) if values else None}


# --- One row per conversation (the CSV) -------------------------------------------------------

ROW_FIELDS = ("conversation_id", "channel", "started", "ended", "handed_off", "reason_kind",
              "team", "waited_seconds", "handled_seconds", "agent", "outcome", "rating")


def conversation_rows(conversations: Sequence[Conversation], cases: Sequence[Case],
                      tickets: Sequence[Ticket], filters: Filters, zone: tzinfo
                      ) -> List[Dict[str, str]]:
    """Each conversation in the range, oldest first, with its latest handoff in the range."""
    chosen = select(conversations, cases, tickets, filters)
    latest: Dict[str, Case] = {}
    for case in sorted(chosen.cases, key=lambda c: c.enqueued_at):
        latest[case.conversation_id] = case
    return [_row(c, latest.get(c.conversation_id), zone) for c in chosen.conversations]


def _row(conversation: Conversation, case: Optional[Case], zone: tzinfo) -> Dict[str, str]:
    moment = lambda at: datetime.fromtimestamp(at, zone).isoformat(timespec="seconds")  # noqa: E731
    row = {"conversation_id": conversation.conversation_id, "channel": conversation.channel,
           "started": moment(conversation.started_at), "ended": moment(conversation.ended_at),
           "handed_off": "y" if case else "n"}
    if case is None:
        return {**row, **{name: "" for name in ROW_FIELDS if name not in row}}
    handled = case.handled
    return {**row, "reason_kind": case.kind, "team": case.team,
            "waited_seconds": f"{case.waited:.0f}",
            "handled_seconds": "" if handled is None else f"{handled:.0f}",
            "agent": case.agent_id, "outcome": case.outcome, "rating": case.rating or ""}


# --- Reading the records from Redis -----------------------------------------------------------

_CASE_FIELDS = ("conversation_id", "packet", "enqueued_at", "claimed_at", "ended_at",
                "outcome", "team", "agent_id", "rating")
_TICKET_FIELDS = ("reference", "conversation_id", "packet", "created_at", "answered_at")


def _number(value: Any) -> Optional[float]:
    return float(value) if value not in (None, "") else None


def case_from_fields(fields: Mapping[str, Optional[str]]) -> Optional[Case]:
    """A case from its stored hash (router/history.py), or None if it is not a whole one."""
    packet = json.loads(fields.get("packet") or "{}")
    enqueued, ended = _number(fields.get("enqueued_at")), _number(fields.get("ended_at"))
    if enqueued is None or ended is None or not fields.get("conversation_id"):
        return None
    stamps = [line.get("timestamp") for line in packet.get("transcript") or []
              if isinstance(line, dict)]
    numbers = [float(s) for s in stamps if isinstance(s, (int, float))]
    return Case(conversation_id=str(fields["conversation_id"]),
                channel=str(packet.get("channel") or ""), reason=str(packet.get("reason") or ""),
                enqueued_at=enqueued, ended_at=ended, outcome=str(fields.get("outcome") or ""),
                claimed_at=_number(fields.get("claimed_at")), team=fields.get("team") or "",
                agent_id=fields.get("agent_id") or "", rating=fields.get("rating") or None,
                talking_since=min(numbers) if numbers else None)


def conversation_from_tracker(conversation_id: str, raw: str) -> Optional[Conversation]:
    """A conversation from Rasa's stored tracker: from its first event to its last, on the
    channel of its first customer line; None if it has no times."""
    try:
        events = json.loads(raw).get("events") or []
    except (ValueError, AttributeError):
        return None
    events = [e for e in events if isinstance(e, dict)]
    stamps = [float(e["timestamp"]) for e in events
              if isinstance(e.get("timestamp"), (int, float))]
    if not stamps:
        return None
    channels = [e.get("input_channel") for e in events
                if e.get("event") == "user" and e.get("input_channel")]
    return Conversation(conversation_id, str(channels[0]) if channels else "",
                        min(stamps), max(stamps))


@dataclass(frozen=True)
class Records:
    conversations: List[Conversation]
    cases: List[Case]
    tickets: List[Ticket]


async def load(redis: aioredis.Redis, since: float, until: float) -> Records:
    """Every stored conversation, case and ticket that may fall in [since, until]."""
    return Records(await _conversations(redis, since, until), await _cases(redis, since, until),
                   await _tickets(redis, since, until))


async def _conversations(redis: aioredis.Redis, since: float, until: float
                         ) -> List[Conversation]:
    store = TrackerStore(redis)
    everything = await store.all()
    # Those that moved after `since` (a conversation that began after `until` is dropped later).
    chosen, _more = newest(everything, len(everything), since=since)
    found: List[Conversation] = []
    async for batch in store.trackers(chosen):
        for conversation_id, raw in batch:
            conversation = conversation_from_tracker(conversation_id, raw)
            if conversation is not None:
                found.append(conversation)
    return found


async def _hashes(redis: aioredis.Redis, names: Sequence[str], fields: Sequence[str]
                  ) -> List[Dict[str, Optional[str]]]:
    async with redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.hmget(name, list(fields))
        replies = await pipe.execute() if names else []
    return [{field: None if value is None else text(value)
             for field, value in zip(fields, reply, strict=True)} for reply in replies]


async def _cases(redis: aioredis.Redis, since: float, until: float) -> List[Case]:
    ids = [text(i) for i in await redis.zrangebyscore(
        keys.HISTORY_CASES, since, until + LONGEST_HANDOFF_SECONDS)]
    found = [case_from_fields(fields) for fields in
             await _hashes(redis, [keys.history_case(i) for i in ids], _CASE_FIELDS)]
    return await _named([case for case in found if case is not None], AgentDirectory(redis))


async def _named(cases: List[Case], directory: AgentDirectory) -> List[Case]:
    """The cases with their agents' display names (read once per agent: a team is small)."""
    names: Dict[str, str] = {}
    for agent_id in sorted({c.agent_id for c in cases if c.agent_id}):
        agent = await directory.get(agent_id)
        names[agent_id] = agent.name if agent else ""
    return [replace(c, agent_name=names[c.agent_id]) if names.get(c.agent_id) else c
            for c in cases]


async def _tickets(redis: aioredis.Redis, since: float, until: float) -> List[Ticket]:
    references: List[str] = []
    for status in STATUSES:
        references += [text(r) for r in await redis.zrangebyscore(
            keys.tickets_with_status(status), since, until)]
    found = []
    for fields in await _hashes(redis, [keys.ticket(r) for r in references], _TICKET_FIELDS):
        created = _number(fields.get("created_at"))
        if created is None:
            continue  # withdrawn meanwhile
        packet = json.loads(fields.get("packet") or "{}")
        found.append(Ticket(str(fields.get("reference")), str(fields.get("conversation_id")),
                            str(packet.get("channel") or ""), created,
                            _number(fields.get("answered_at"))))
    return found
