"""What a proposed settings change would do, replayed on stored conversations. Pure: a
function of the conversations and two settings (no Redis, web or Rasa imports), so a test can
compute the expected result on its own; router/whatif_run.py feeds it Rasa's stored trackers.

Each conversation is replayed as the router lived it (bot/handoff_policy.py): the customer's
turns scored in order, afresh after a new session or a person handing back; the lines a
customer wrote while a person had the conversation are not replayed (the bot was silent, and
what it would have said is unknown). The decision under each settings is the first customer
turn whose assessment hands off, or none, and why.

Which settings need what (measured by `python -m bench.whatif`):
* `DECISION_ONLY` settings (the thresholds, the weights, the combiner, shadow mode and the
  lists that make a person come at once) change how a turn's evidence is judged, not the
  evidence. When the two settings differ only in those, one pass over each conversation
  serves both: each turn's evidence is built once and judged twice (about half the cost).
* Every other setting (a signal's parameters, retention, windows, the intent lists the signals
  read) changes the evidence itself: each side is scored fully on its own.
The assessments stored with each turn are not reused: they were made by whatever settings were
live at the time, which need not be the current ones, so "now" would not mean now.
Each side may set a channel apart (router/channel_settings.py): a conversation is replayed
with the settings of the channel its customer wrote on, as the policy scores it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from router.channel_settings import Settings, as_channel_settings, channel_key
from router.plain_words import handoff_sentence
from router.scoring.combiner import LearnedModel, combine
from router.scoring.conversation import Turn, UserTurn, turns_from_lines
from router.scoring.scorer import (
    ACCEPTED_OFFER,
    ASKED_FOR_A_PERSON,
    ONLY_A_PERSON,
    STILL_ON_IT,
    explicit_handoff,
)
from router.scoring.settings import ScorerSettings
from router.scoring.state import FrustrationState, advance
from router.stored_trackers import tracker_events
from router.transcript import (
    CUSTOMER,
    FRESH_START_EVENTS,
    SESSION_STARTED,
    Line,
    line_from_event,
)

# Rasa's event for "a person has the conversation, the bot keeps quiet" (ConversationPaused).
PAUSE_EVENT = "pause"

# Settings that judge the evidence but never change it (no signal or state reads them; a test
# checks that): conversations can be replayed once for both sides when only these differ.
DECISION_ONLY = (
    "handoff_threshold", "concern_threshold", "weights", "combiner", "shadow_mode",
    "immediate_handoff_intents", "accept_intents", "person_only_intents",
    "person_only_confidence", "person_offer_responses", "unsolved_offer_responses",
)

# Why a person was brought in, as the keys of `by_reason_*`: the scorer's own reasons for an
# immediate handoff, and "frustration" for a score that reached the threshold.
FRUSTRATION = "frustration"
REASON_KINDS = ((ASKED_FOR_A_PERSON, "asked_for_a_person"), (ONLY_A_PERSON, "only_a_person"),
                (ACCEPTED_OFFER, "accepted_offer"), (STILL_ON_IT, "still_on_it"))


@dataclass(frozen=True)
class WhatIfSettings:
    # The most conversations one replay reads: 10,000 replay in a few seconds on 2 cores
    # (`python -m bench.whatif`); more would keep an admin waiting and the service busy.
    max_conversations: int = 10_000
    # The most changed conversations listed in one answer (all are counted): enough to read
    # through, and the answer stays well under a megabyte.
    changed_listed: int = 1_000


# --- Settings -------------------------------------------------------------------------------

def differences(current: ScorerSettings, proposed: ScorerSettings) -> List[str]:
    """The names of the settings that differ (weights.<signal> for a weight)."""
    names = [f"weights.{signal}" for signal in sorted(set(current.weights) | set(proposed.weights))
             if current.weight(signal) != proposed.weight(signal)]
    names += [f.name for f in fields(ScorerSettings)
              if f.name != "weights" and getattr(current, f.name) != getattr(proposed, f.name)]
    return sorted(names)


def differences_by_channel(current: Settings, proposed: Settings) -> List[str]:
    """`differences` of the general settings, then `channels.<channel>.<name>` for what
    differs in a channel's settings beyond those."""
    now, after = as_channel_settings(current), as_channel_settings(proposed)
    general = differences(now.general, after.general)
    names = list(general)
    for channel in sorted(set(now.by_channel) | set(after.by_channel)):
        names += [f"{channel_key(channel)}.{name}"
                  for name in differences(now.for_channel(channel), after.for_channel(channel))
                  if name not in general]
    return names


def same_evidence(a: ScorerSettings, b: ScorerSettings) -> bool:
    """Would every turn's evidence be the same under both (they differ in DECISION_ONLY
    settings at most)?"""
    defaults = ScorerSettings()
    neutral = {name: getattr(defaults, name) for name in DECISION_ONLY}
    return replace(a, **neutral) == replace(b, **neutral)


# --- Conversations --------------------------------------------------------------------------

@dataclass(frozen=True)
class Stretch:
    """Lines the router scored in one go: from a session's start or a hand back to the next
    one, or to a person taking over."""

    turns: Tuple[Turn, ...]
    # The customer's message number (1 = their first line in the conversation) of each
    # customer turn in `turns`, in order.
    messages: Tuple[int, ...]
    # A person took the conversation over at its end: what the bot would have said and the
    # customer answered after it was never lived, so a side that had not handed off by then
    # cannot be followed further.
    cut: bool = False
    # Which of the customer's Rasa sessions it is in (0, 1, ...), and when its lines were said.
    session: int = 0
    first_at: float = 0.0
    last_at: float = 0.0


@dataclass(frozen=True)
class StoredConversation:
    conversation_id: str
    first_at: float
    last_at: float
    stretches: Tuple[Stretch, ...]
    # Rasa's input channel of the customer's latest line (None: not said): the channel
    # whose settings the conversation is replayed with.
    channel: Optional[str] = None
    # Which Rasa session of the customer's this is, once split by `sessions`.
    session: int = 0


def sessions(conversation: StoredConversation) -> List[StoredConversation]:
    """The conversation as the customer's Rasa sessions (what the dashboard counts as
    conversations, router/analytics.py), each replayed on its own: a customer back a week
    later is another conversation, with a first handoff of its own."""
    split: Dict[int, List[Stretch]] = {}
    for stretch in conversation.stretches:
        split.setdefault(stretch.session, []).append(stretch)
    return [replace(conversation, session=number, stretches=tuple(stretches),
                    first_at=min((s.first_at for s in stretches), default=conversation.first_at),
                    last_at=max((s.last_at for s in stretches), default=conversation.last_at))
            for number, stretches in sorted(split.items())]


def stored_conversation(conversation_id: str, events: Sequence[Dict[str, Any]]
                        ) -> StoredConversation:
    """A conversation from its Rasa events (every session, as the tracker store keeps them)."""
    stretches: List[Stretch] = []
    lines: List[Line] = []
    messages: List[int] = []
    number, paused, session = 0, False, 0
    channel = None
    for event in events:
        kind = event.get("event")
        if kind == "user" and isinstance(event.get("input_channel"), str):
            channel = event["input_channel"]
        if kind in FRESH_START_EVENTS:
            _close(stretches, lines, messages, paused, session)
            lines, messages, paused = [], [], False
            if kind == SESSION_STARTED and (stretches or number):
                session += 1
        elif kind == PAUSE_EVENT:
            paused = True
        line = line_from_event(event)
        if line is None:
            continue
        if line.speaker == CUSTOMER:
            number += 1
        if not paused:
            lines.append(line)
            if line.speaker == CUSTOMER:
                messages.append(number)
    _close(stretches, lines, messages, paused, session)
    times = [float(e["timestamp"]) for e in events if isinstance(e.get("timestamp"), (int, float))]
    return StoredConversation(conversation_id, min(times, default=0.0), max(times, default=0.0),
                              tuple(stretches), channel)


def _close(stretches: List[Stretch], lines: List[Line], messages: List[int],
           cut: bool = False, session: int = 0) -> None:
    if messages:
        times = [line.timestamp for line in lines if line.timestamp is not None]
        stretches.append(Stretch(tuple(turns_from_lines(lines)), tuple(messages), cut, session,
                                 min(times, default=0.0), max(times, default=0.0)))


def conversation_from_json(conversation_id: str, raw: str) -> Optional[StoredConversation]:
    """A tracker as Rasa's RedisTrackerStore stores it, or None if it is not one."""
    events = tracker_events(raw)
    return stored_conversation(conversation_id, events) if events is not None else None


# --- Decisions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    """The turn a person is brought in, and why."""

    message: int
    reason: str  # a key of REASON_KINDS, or FRUSTRATION
    # The scorer's reason, and the same said to a person (as the console says it).
    why: str
    sentence: str
    score: float

    def as_dict(self) -> Dict[str, Any]:
        return {"message": self.message, "reason": self.reason, "why": self.why,
                "sentence": self.sentence, "score": self.score}


def reason_kind(explicit: Optional[str]) -> str:
    for prefix, kind in REASON_KINDS:
        if explicit and explicit.startswith(prefix):
            return kind
    return FRUSTRATION


@dataclass(frozen=True)
class Verdict:
    """One customer turn judged under one settings: its score, the threshold it is held
    against, and the handoff it brings (None: the bot goes on)."""

    score: float
    threshold: float
    decision: Optional[Decision]

    def as_dict(self) -> Dict[str, Any]:
        return {"score": self.score, "threshold": self.threshold,
                "handoff": self.decision is not None,
                "reason": self.decision.reason if self.decision else None,
                "sentence": self.decision.sentence if self.decision else None}


def _judge(talk: Sequence[Turn], state: FrustrationState, s: ScorerSettings,
           learned: Optional[LearnedModel], message: int) -> Verdict:
    """The handoff decision of the scorer (router/scoring/scorer.py `_step`) on evidence
    already built: the customer's own words first, then the score against the threshold.
    A side in shadow mode never hands off."""
    combined = combine(state.evidence, s, learned)
    explicit = explicit_handoff(talk, s)
    if explicit:
        why = explicit
    elif combined.score >= combined.handoff_threshold:
        why = f"frustration {combined.score:.2f} reached {combined.handoff_threshold:.2f}"
    else:
        return Verdict(combined.score, combined.handoff_threshold, None)
    if s.shadow_mode:
        return Verdict(combined.score, combined.handoff_threshold, None)
    sentence = handoff_sentence(why, {"contributions": combined.shares})
    return Verdict(combined.score, combined.handoff_threshold,
                   Decision(message, reason_kind(explicit), why, sentence, combined.score))


def _stretch_turns(stretch: Stretch, s: ScorerSettings
                   ) -> Iterator[Tuple[int, Sequence[Turn], FrustrationState]]:
    """The one scoring loop of the replay: each customer turn of a stretch in order, as the
    customer's message number, the talk up to it and the evidence built with `s` (afresh in
    each stretch, as the router lived it). A consumer stops it when it has what it needs."""
    state, customer = FrustrationState(), 0
    for end, turn in enumerate(stretch.turns, start=1):
        if not isinstance(turn, UserTurn):
            continue
        talk = stretch.turns[:end]
        state, _fired = advance(state, talk, s)
        yield stretch.messages[customer], talk, state
        customer += 1


def _customer_turns(conversation: StoredConversation, s: ScorerSettings
                    ) -> Iterator[Tuple[int, Sequence[Turn], FrustrationState]]:
    for stretch in conversation.stretches:
        yield from _stretch_turns(stretch, s)


@dataclass(frozen=True)
class Firsts:
    """Each side's first handoff (None: none), and whether it is unknown: the side had not
    handed off when a person took the conversation over live, so what came after was never
    lived and cannot be replayed."""

    decisions: List[Optional[Decision]]
    unknown: List[bool]


def first_handoffs(conversation: StoredConversation, sides: Sequence[ScorerSettings],
                   learned: Optional[LearnedModel] = None) -> List[Optional[Decision]]:
    """Each side's first handoff. The evidence is built with `sides[0]`: the sides must agree
    on everything but DECISION_ONLY settings. A side in shadow mode never hands off."""
    return find_firsts(conversation, sides, learned).decisions


def find_firsts(conversation: StoredConversation, sides: Sequence[ScorerSettings],
                learned: Optional[LearnedModel] = None) -> Firsts:
    """`first_handoffs`, with each side that cannot be followed past a person's takeover
    marked unknown."""
    found: List[Optional[Decision]] = [None] * len(sides)
    unknown = [False] * len(sides)
    pending = [index for index, s in enumerate(sides) if not s.shadow_mode]
    for stretch in conversation.stretches:
        if not pending:
            break
        for message, talk, state in _stretch_turns(stretch, sides[0]):
            for index in list(pending):
                decision = _judge(talk, state, sides[index], learned, message).decision
                if decision is not None:
                    found[index] = decision
                    pending.remove(index)
            if not pending:
                break
        if stretch.cut:
            for index in pending:
                unknown[index] = True
            pending = []
    return Firsts(found, unknown)


def verdicts(conversation: StoredConversation, sides: Sequence[ScorerSettings],
             learned: Optional[LearnedModel] = None) -> List[Tuple[int, List[Verdict]]]:
    """Every replayed customer message with each side's verdict on it (evidence built with
    `sides[0]`, as in `first_handoffs`), including those after a side's first handoff."""
    return [(message, [_judge(talk, state, s, learned, message) for s in sides])
            for message, talk, state in _customer_turns(conversation, sides[0])]


# --- Replay ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    conversation_id: str
    first_at: float
    last_at: float
    now: Optional[Decision]
    after: Optional[Decision]
    # A side that had not handed off when a person took over live (Firsts.unknown).
    now_unknown: bool = False
    after_unknown: bool = False
    session: int = 0  # which of the customer's Rasa sessions (router/whatif.py `sessions`)

    @property
    def changed(self) -> bool:
        """Known to change: a side that cannot be followed changes nothing we can show."""
        return not (self.now_unknown or self.after_unknown) and \
            _key(self.now) != _key(self.after)

    @property
    def changed_at(self) -> int:
        """The customer's message at which the two decisions part."""
        return min(d.message for d in (self.now, self.after) if d is not None)

    def as_change(self) -> Dict[str, Any]:
        return {"conversation_id": self.conversation_id, "session": self.session,
                "message": self.changed_at,
                "now": self.now.as_dict() if self.now else None,
                "after": self.after.as_dict() if self.after else None}


def _key(decision: Optional[Decision]) -> Optional[Tuple[int, str]]:
    return (decision.message, decision.reason) if decision else None


def replay_one(conversation: StoredConversation, current_by_channel: Settings,
               proposed_by_channel: Settings, learned: Optional[LearnedModel] = None
               ) -> Outcome:
    current = as_channel_settings(current_by_channel).for_channel(conversation.channel)
    proposed = as_channel_settings(proposed_by_channel).for_channel(conversation.channel)
    if same_evidence(current, proposed):
        both = find_firsts(conversation, (current, proposed), learned)
        (now, after), (now_unknown, after_unknown) = both.decisions, both.unknown
    else:
        alone_now = find_firsts(conversation, (current,), learned)
        alone_after = find_firsts(conversation, (proposed,), learned)
        [now], [now_unknown] = alone_now.decisions, alone_now.unknown
        [after], [after_unknown] = alone_after.decisions, alone_after.unknown
    return Outcome(conversation.conversation_id, conversation.first_at, conversation.last_at,
                   now, after, now_unknown, after_unknown, conversation.session)


def message_by_message(conversation: StoredConversation, current_by_channel: Settings,
                       proposed_by_channel: Settings, learned: Optional[LearnedModel] = None
                       ) -> Dict[str, Any]:
    """One conversation replayed turn by turn (with the settings of its channel, as in
    `replay_one`): each replayed customer message's score and verdict now and with the
    proposed settings, the first handoff of each, and the message where they part (None:
    they do not)."""
    current = as_channel_settings(current_by_channel).for_channel(conversation.channel)
    proposed = as_channel_settings(proposed_by_channel).for_channel(conversation.channel)
    if same_evidence(current, proposed):
        judged = verdicts(conversation, (current, proposed), learned)
    else:
        now = verdicts(conversation, (current,), learned)
        after = verdicts(conversation, (proposed,), learned)
        judged = [(message, [a[0], b[0]]) for (message, a), (_same, b)
                  in zip(now, after, strict=True)]
    firsts = [next((v[side].decision for _m, v in judged if v[side].decision), None)
              for side in (0, 1)]
    outcome = Outcome(conversation.conversation_id, conversation.first_at,
                      conversation.last_at, firsts[0], firsts[1])
    return {"conversation_id": conversation.conversation_id,
            "message": outcome.changed_at if outcome.changed else None,
            "now": firsts[0].as_dict() if firsts[0] else None,
            "after": firsts[1].as_dict() if firsts[1] else None,
            "messages": [{"message": message, "now": now_and_after[0].as_dict(),
                          "after": now_and_after[1].as_dict()}
                         for message, now_and_after in judged]}


def replay(conversations: Iterable[StoredConversation], current: Settings,
           proposed: Settings, learned: Optional[LearnedModel] = None,
           within: Optional[Tuple[float, float]] = None) -> List[Outcome]:
    """One outcome per session of each conversation (`within`: only sessions begun in that
    time window)."""
    return [replay_one(session, current, proposed, learned)
            for conversation in conversations for session in sessions(conversation)
            if within is None or within[0] <= session.first_at <= within[1]]


@dataclass(frozen=True)
class RawReplay:
    outcomes: List[Outcome]
    unreadable: int


def replay_json(trackers: Sequence[Tuple[str, str]], current: Settings,
                proposed: Settings, learned: Optional[LearnedModel] = None,
                within: Optional[Tuple[float, float]] = None) -> RawReplay:
    """`replay` on (conversation id, stored tracker JSON) pairs: what a worker process gets,
    so the parsing is shared out too."""
    outcomes: List[Outcome] = []
    unreadable = 0
    for conversation_id, raw in trackers:
        conversation = conversation_from_json(conversation_id, raw)
        if conversation is None:
            unreadable += 1
            continue
        outcomes += replay([conversation], current, proposed, learned, within)
    return RawReplay(outcomes, unreadable)


# --- The summary ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Staffing:
    """The team a queue load is measured against, from what Redis keeps (no history of who
    was online is kept, so "usually online" is read from the accounts' last heartbeats)."""

    # Enabled accounts whose last heartbeat falls in the window or later, and their capacity
    # (conversations at once) together.
    agents: int
    capacity: int
    online_now: int
    # The median time a person took over a conversation (claimed to released), and how many
    # recent conversations it is the median of (0: none yet, a default is used).
    handle_seconds: float
    handled: int


def queue_load(handoffs_now: int, handoffs_after: int, window: Tuple[float, float],
               staffing: Staffing) -> Dict[str, Any]:
    hours = max(window[1] - window[0], 0.0) / 3600
    per_hour_capacity = staffing.capacity * 3600 / staffing.handle_seconds \
        if staffing.handle_seconds > 0 else 0.0
    now_rate = handoffs_now / hours if hours else None
    after_rate = handoffs_after / hours if hours else None
    return {
        "window_hours": round(hours, 2),
        "handoffs_per_hour_now": _rounded(now_rate),
        "handoffs_per_hour_after": _rounded(after_rate),
        "agents": staffing.agents, "agents_online_now": staffing.online_now,
        "capacity_at_once": staffing.capacity,
        "handle_seconds": round(staffing.handle_seconds, 1),
        "capacity_per_hour": round(per_hour_capacity, 2),
        "load_now": _share(now_rate, per_hour_capacity),
        "load_after": _share(after_rate, per_hour_capacity),
        "basis": _basis(hours, staffing),
    }


def _basis(hours: float, staffing: Staffing) -> str:
    handled = (f"the median of the last {staffing.handled} conversations people handled"
               if staffing.handled else "a default, as nobody has handled a conversation yet")
    return (f"Handoffs per hour are averaged over the whole window ({hours:.1f} h), closed "
            f"hours included. Redis keeps no history of who was online, so the team is the "
            f"{staffing.agents} enabled accounts whose last heartbeat falls in the window or "
            f"later ({staffing.online_now} online now), each taking as many conversations at "
            f"once as their capacity ({staffing.capacity} together), each conversation taking "
            f"{staffing.handle_seconds:.0f} s ({handled}). A load of 1 means the team is busy "
            f"all the time; above it, the queue grows.")


def _rounded(value: Optional[float]) -> Optional[float]:
    return round(value, 2) if value is not None else None


def _share(part: Optional[float], whole: float) -> Optional[float]:
    return round(part / whole, 3) if part is not None and whole > 0 else None


def summarise(outcomes: Sequence[Outcome], window: Tuple[float, float], staffing: Staffing,
              limits: WhatIfSettings = WhatIfSettings()) -> Dict[str, Any]:
    """The answer of a what-if: rates, reasons, what changes, and the queue load."""
    now = [o.now for o in outcomes if o.now is not None]
    after = [o.after for o in outcomes if o.after is not None]
    # Newest first: the conversations an admin is most likely to remember.
    changed = sorted((o for o in outcomes if o.changed), key=lambda o: o.last_at, reverse=True)
    unknown_now = sum(o.now_unknown for o in outcomes)
    unknown_after = sum(o.after_unknown for o in outcomes)
    return {
        "conversations": len(outcomes),
        "handoffs_now": len(now), "handoffs_after": len(after),
        "handoff_rate_now": _share(len(now), len(outcomes)),
        "handoff_rate_after": _share(len(after), len(outcomes)),
        # Conversations a person took over live before a side would have handed off: what
        # that side would have done after was never lived. Each could still have been handed
        # off later, so a rate is between its value and its `_at_most`.
        "unknown_now": unknown_now, "unknown_after": unknown_after,
        "handoff_rate_now_at_most": _share(len(now) + unknown_now, len(outcomes)),
        "handoff_rate_after_at_most": _share(len(after) + unknown_after, len(outcomes)),
        "by_reason_now": _by_reason(now), "by_reason_after": _by_reason(after),
        "changed_count": len(changed),
        "changed": [o.as_change() for o in changed[:limits.changed_listed]],
        "queue_load": queue_load(len(now), len(after), window, staffing),
    }


def _by_reason(decisions: Iterable[Decision]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for decision in decisions:
        counts[decision.reason] = counts.get(decision.reason, 0) + 1
    return dict(sorted(counts.items()))
