"""Analytics for admins: how the bot and the team did over a date range, from what is stored.

Three kinds of record, each a plain dataclass a test can make by hand:
- a `Conversation`: one Rasa session from the tracker store (a customer's tracker split at its
  `session_started` events), with the bot or not;
- a `Case`, one ended handoff from the history (router/history.py): when it was queued,
  claimed and ended, by whom, how, the rating;
- a `Ticket` (router/tickets.py): when it was opened and answered.

`report` turns them into every figure the dashboard shows; `conversation_rows` into the CSV's
rows. `load` (at the end) reads them from Redis. What counts as what:
- a conversation (a session) is in the range if the customer wrote in it in the range, and it
  counts on the day of their first message in the range; a handoff or a ticket is in the
  range if it began in it, and belongs to the session it happened in;
- contained: a conversation with no handoff and no ticket (nobody had to step in); a handoff
  still waiting or under way is not yet a case, so it is not counted;
- Rasa forgets a conversation RASA_KEEP_DAYS after its last turn, the history keeps handoffs
  far longer: for days before that (`kept_since`) the conversations are not all there, so
  what rests on them (conversations, containment, handoff rates) is unknown (null) rather
  than made up from the handoffs; what rests on handoffs and tickets stays;
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

import asyncio
import bisect
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from redis import asyncio as aioredis

from router import keys
from router.agents.directory import AgentDirectory
from router.handoff.queue import EXPIRED
from router.history_settings import RASA_KEEP_DAYS
from router.metrics import reason_kind
from router.plain_words import RATINGS, channel_name
from router.redis_values import text
from router.service_levels import ServiceLevels
from router.stored_trackers import TrackerStore, newest, tracker_events
from router.tickets import STATUSES
from router.transcript import CUSTOMER, SESSION_STARTED, line_from_event

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
    """One Rasa session: a customer's tracker from one `session_started` to the next."""

    conversation_id: str
    channel: str
    # When the customer wrote in it, in order (a session they never wrote in is no
    # conversation: Rasa opens one before their first message).
    said_at: Tuple[float, ...]
    ended_at: float

    @property
    def started_at(self) -> float:
        return self.said_at[0]

    @property
    def key(self) -> Tuple[str, float]:
        return (self.conversation_id, self.started_at)

    def first_said_inside(self, filters: Filters) -> Optional[float]:
        return next((at for at in self.said_at if filters.began_inside(at)), None)


@dataclass(frozen=True)
class Case:
    """One ended handoff."""

    conversation_id: str
    channel: str
    reason: str
    enqueued_at: float
    ended_at: float
    outcome: str
    claimed_at: Optional[float] = None  # the latest claim (after a transfer: the last agent's)
    team: str = ""
    agent_id: str = ""
    rating: Optional[str] = None
    # When the customer's first line since the latest fresh start was written (a new session,
    # or the bot taking over again after a person): where the bot's part began.
    talking_since: Optional[float] = None
    # The display name of `agent_id` as the team knows it ("" when the account is gone).
    agent_name: str = ""
    # The first claim: a customer put back in line (a transfer, a lost agent) and claimed
    # again had already waited only until this one.
    first_claimed_at: Optional[float] = None

    @property
    def kind(self) -> str:
        return handoff_kind(self.reason)

    @property
    def abandoned(self) -> bool:
        return self.claimed_at is None

    @property
    def waited(self) -> float:
        """Seconds in the queue before a person first took it, or until it ended unclaimed."""
        first = self.first_claimed_at if self.first_claimed_at is not None else self.claimed_at
        return (first if first is not None else self.ended_at) - self.enqueued_at

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
    # The customer's latest line in the ticket's story: the session it was left in (a ticket
    # from an expired wait is made hours later, maybe after a new session began).
    said_at: Optional[float] = None

    @property
    def during(self) -> float:
        return self.said_at if self.said_at is not None else self.created_at


@dataclass(frozen=True)
class Filters:
    since: float
    until: float
    channel: Optional[str] = None
    team: Optional[str] = None

    def began_inside(self, at: float) -> bool:
        return self.since <= at <= self.until

    def channel_matches(self, channel: str) -> bool:
        return self.channel is None or channel == self.channel


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
    """The day (YYYY-MM-DD) in `zone` at unix time `at`."""
    return datetime.fromtimestamp(at, zone).date().isoformat()


def midnight(day: date, zone: tzinfo) -> float:
    """The unix time `day` begins in `zone`."""
    return datetime.combine(day, time(), tzinfo=zone).timestamp()


def first_whole_day(at: float, zone: tzinfo) -> date:
    """The first day in `zone` that begins at or after `at`."""
    day = datetime.fromtimestamp(at, zone).date()
    return day if midnight(day, zone) >= at else day + timedelta(days=1)


def days(filters: Filters, zone: tzinfo) -> List[str]:
    """Every day of the range, in `zone`, so a chart shows quiet days too."""
    first = datetime.fromtimestamp(filters.since, zone).date()
    last = datetime.fromtimestamp(filters.until, zone).date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


# --- Choosing what a report is about ----------------------------------------------------------

class Sessions:
    """Each customer's sessions in order, to find the one a handoff or a ticket happened in."""

    def __init__(self, conversations: Iterable[Conversation]) -> None:
        self._by_customer: Dict[str, List[Conversation]] = defaultdict(list)
        for conversation in sorted(conversations, key=lambda c: c.started_at):
            self._by_customer[conversation.conversation_id].append(conversation)

    def holding(self, conversation_id: str, at: float) -> Optional[Tuple[str, float]]:
        """The key of the session the customer was in at `at`: the latest begun by then."""
        sessions = self._by_customer.get(conversation_id, [])
        index = bisect.bisect_right([s.started_at for s in sessions], at)
        return sessions[index - 1].key if index else None


@dataclass(frozen=True)
class Selected:
    """The records a report is about, once the filters are applied."""

    conversations: List[Conversation]
    cases: List[Case]
    tickets: List[Ticket]
    sessions: Sessions

    def session_of(self, case: Case) -> Optional[Tuple[str, float]]:
        return self.sessions.holding(case.conversation_id, case.enqueued_at)

    def needed_a_person(self) -> Set[Optional[Tuple[str, float]]]:
        """The sessions with a handoff or a ticket in the range."""
        return {self.session_of(c) for c in self.cases} | \
            {self.sessions.holding(t.conversation_id, t.during) for t in self.tickets}


def select(conversations: Sequence[Conversation], cases: Sequence[Case],
           tickets: Sequence[Ticket], filters: Filters) -> Selected:
    """The conversations, handoffs and tickets the filters keep. A handoff whose conversation
    Rasa no longer keeps is still a conversation (from the case's own story)."""
    chosen_cases = [c for c in cases if filters.began_inside(c.enqueued_at)
                    and filters.channel_matches(c.channel)
                    and (filters.team is None or c.team == filters.team)]
    known = {c.conversation_id for c in conversations}
    every = list(conversations) + _from_cases([c for c in chosen_cases
                                               if c.conversation_id not in known])
    sessions = Sessions(every)
    chosen = [c for c in every if filters.channel_matches(c.channel)
              and c.first_said_inside(filters) is not None]
    chosen_tickets = [t for t in tickets if filters.began_inside(t.created_at)
                      and filters.channel_matches(t.channel)]
    picked = Selected(sorted(chosen, key=lambda c: c.started_at), chosen_cases, chosen_tickets,
                      sessions)
    if filters.team is None:
        return picked
    handed = {picked.session_of(c) for c in chosen_cases}
    return replace(picked, conversations=[c for c in picked.conversations if c.key in handed])


def _from_cases(cases: Sequence[Case]) -> List[Conversation]:
    found: Dict[Tuple[str, float], Conversation] = {}
    for case in cases:
        start = case.talking_since if case.talking_since is not None else case.enqueued_at
        session = Conversation(case.conversation_id, case.channel, (start,), case.ended_at)
        found.setdefault(session.key, session)
    return list(found.values())


@dataclass(frozen=True)
class Coverage:
    """Which days the conversations can tell about: none for one team (conversations have no
    team), and none before the first day Rasa still keeps whole (`kept_from`, None: all)."""

    by_team: bool
    kept_from: Optional[str]

    def kept(self, day: str) -> bool:
        return self.kept_from is None or day >= self.kept_from

    def rates(self, day: str) -> bool:
        return not self.by_team and self.kept(day)


def coverage(filters: Filters, zone: tzinfo, kept_since: Optional[float]) -> Coverage:
    kept_from = None if kept_since is None else first_whole_day(kept_since, zone).isoformat()
    return Coverage(filters.team is not None, kept_from)


# --- The report -------------------------------------------------------------------------------

def report(conversations: Sequence[Conversation], cases: Sequence[Case],
           tickets: Sequence[Ticket], filters: Filters, levels: ServiceLevels,
           zone: tzinfo, kept_since: Optional[float] = None) -> Dict[str, Any]:
    """Every figure of the dashboard for the range and filters. `kept_since`: from when Rasa
    still keeps every conversation (None: for the whole range)."""
    chosen = select(conversations, cases, tickets, filters)
    known = coverage(filters, zone, kept_since)
    first_day = days(filters, zone)[0]
    return {
        "range": {"since": filters.since, "until": filters.until, "channel": filters.channel,
                  "team": filters.team, "days": days(filters, zone),
                  "conversations_kept_from": known.kept_from,
                  "conversations_kept_days": RASA_KEEP_DAYS},
        "kinds": [{"kind": kind, "label": words} for kind, words in KIND_WORDS.items()],
        "conversations": containment(chosen) if known.rates(first_day) else None,
        "handoffs": handoffs(chosen, filters, zone, known),
        "time_with_bot": spread([c.with_bot for c in chosen.cases if c.with_bot is not None]),
        "queue_wait": queue_wait(chosen.cases, filters, zone),
        "abandonment": abandonment(chosen.cases),
        "handle_time": handle_time(chosen.cases),
        "service_level": service_level(chosen.cases, filters, levels, zone),
        "tickets": None if known.by_team else ticket_figures(chosen.tickets),
        "csat": csat(chosen.cases),
    }


def containment(chosen: Selected) -> Dict[str, Any]:
    total = len(chosen.conversations)
    helped = chosen.needed_a_person()
    contained = sum(1 for c in chosen.conversations if c.key not in helped)
    return {"total": total, "contained": contained, "containment": ratio(contained, total)}


def handoffs(chosen: Selected, filters: Filters, zone: tzinfo, known: Coverage
             ) -> Dict[str, Any]:
    """Handoffs by reason kind, channel, team and day; rates are per conversation, where the
    conversations are known."""
    cases, conversations = chosen.cases, chosen.conversations
    first_day = days(filters, zone)[0]
    rates, kept = known.rates(first_day), known.kept(first_day)
    total = len(conversations)
    kinds = Counter(c.kind for c in cases)
    teams = Counter(c.team for c in cases)
    return {
        "total": len(cases), "rate": ratio(len(cases), total) if rates else None,
        "by_reason": [{"kind": kind, "label": words, "handoffs": kinds[kind],
                       "rate": ratio(kinds[kind], total) if rates else None}
                      for kind, words in KIND_WORDS.items()],
        "by_channel": _by_channel(chosen, rates, kept),
        "by_team": [{"team": team or None, "handoffs": count,
                     "rate": ratio(count, total) if rates else None}
                    for team, count in sorted(teams.items())],
        "by_day": _by_day(chosen, filters, zone, known),
    }


def _by_channel(chosen: Selected, rates: bool, kept: bool) -> List[Dict[str, Any]]:
    talks = Counter(c.channel for c in chosen.conversations)
    handed = Counter(c.channel for c in chosen.cases)
    return [{"channel": channel, "label": channel_name(channel),
             "conversations": talks[channel] if kept else None, "handoffs": handed[channel],
             "rate": ratio(handed[channel], talks[channel]) if rates else None}
            for channel in sorted(set(talks) | set(handed))]


def _by_day(chosen: Selected, filters: Filters, zone: tzinfo, known: Coverage
            ) -> List[Dict[str, Any]]:
    """Per day of the range: conversations begun (each on the day of the customer's first
    message in the range), handoffs queued (by reason kind) and their ratio, the rate over
    time (null on a day nobody began talking, with a team filter, and, like the
    conversations, on a day Rasa no longer keeps)."""
    started: Counter[str] = Counter(day_of(c.first_said_inside(filters) or c.started_at, zone)
                                    for c in chosen.conversations)
    kinds: Dict[str, Counter[str]] = defaultdict(Counter)
    for case in chosen.cases:
        kinds[day_of(case.enqueued_at, zone)][case.kind] += 1
    return [{"day": day, "conversations": started[day] if known.kept(day) else None,
             "handoffs": sum(kinds[day].values()),
             "rate": ratio(sum(kinds[day].values()), started[day]) if known.rates(day) else None,
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
    """Each conversation (session) in the range, oldest first, with its latest handoff in the
    range."""
    chosen = select(conversations, cases, tickets, filters)
    latest: Dict[Optional[Tuple[str, float]], Case] = {}
    for case in sorted(chosen.cases, key=lambda c: c.enqueued_at):
        latest[chosen.session_of(case)] = case
    return [_row(c, latest.get(c.key), zone) for c in chosen.conversations]


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
                "outcome", "team", "agent_id", "rating", "first_claimed_at")
_TICKET_FIELDS = ("reference", "conversation_id", "packet", "created_at", "answered_at")


def _number(value: Any) -> Optional[float]:
    return float(value) if value not in (None, "") else None


def case_from_fields(fields: Mapping[str, Optional[str]]) -> Optional[Case]:
    """A case from its stored hash (router/history.py), or None if it is not a whole one."""
    packet = json.loads(fields.get("packet") or "{}")
    enqueued, ended = _number(fields.get("enqueued_at")), _number(fields.get("ended_at"))
    if enqueued is None or ended is None or not fields.get("conversation_id"):
        return None
    return Case(conversation_id=str(fields["conversation_id"]),
                channel=str(packet.get("channel") or ""), reason=str(packet.get("reason") or ""),
                enqueued_at=enqueued, ended_at=ended, outcome=str(fields.get("outcome") or ""),
                claimed_at=_number(fields.get("claimed_at")), team=fields.get("team") or "",
                agent_id=fields.get("agent_id") or "", rating=fields.get("rating") or None,
                talking_since=_time(packet.get("talking_since")),
                first_claimed_at=_number(fields.get("first_claimed_at")))


def _time(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def _last_said(packet: Mapping[str, Any]) -> Optional[float]:
    """When the customer last wrote in a packet's story (packets before `talking_since` have
    no other mark of the session they were made in)."""
    stamps = [_time(line.get("timestamp")) for line in packet.get("transcript") or []
              if isinstance(line, dict) and line.get("from") == CUSTOMER]
    return max((s for s in stamps if s is not None), default=None)


def sessions_from_tracker(conversation_id: str, raw: str) -> List[Conversation]:
    """The sessions of a customer's stored tracker (split at `session_started`) that they
    wrote in, each on the channel of its first customer line; none if it is not JSON."""
    events = tracker_events(raw, every_one=False) or []
    parts: List[List[Dict[str, Any]]] = [[]]
    for event in events:
        if event.get("event") == SESSION_STARTED:
            parts.append([])
        parts[-1].append(event)
    found = [_session(conversation_id, part) for part in parts]
    return [session for session in found if session is not None]


def _session(conversation_id: str, events: List[Dict[str, Any]]) -> Optional[Conversation]:
    said = [e for e in events if _time(e.get("timestamp")) is not None and _by_customer(e)]
    if not said:
        return None
    stamps = [_time(e.get("timestamp")) for e in events]
    channel = next((str(e["input_channel"]) for e in said if e.get("input_channel")), "")
    return Conversation(conversation_id, channel,
                        tuple(sorted(float(e["timestamp"]) for e in said)),
                        max(s for s in stamps if s is not None))


def _by_customer(event: Dict[str, Any]) -> bool:
    line = line_from_event(event)
    return line is not None and line.speaker == CUSTOMER


def _sessions_in(batch: List[Tuple[str, str]]) -> List[Conversation]:
    return [session for conversation_id, raw in batch
            for session in sessions_from_tracker(conversation_id, raw)]


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
        # Parsing a batch of trackers takes a while: off the event loop, which serves others.
        found += await asyncio.to_thread(_sessions_in, batch)
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
                            _number(fields.get("answered_at")), _last_said(packet)))
    return found
