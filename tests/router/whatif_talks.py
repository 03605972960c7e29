"""Hand-made conversations for the what-if tests: each written twice, as the Rasa events the
tracker store keeps and as the turns the router scores in each stretch, so the expected
decisions can be computed with `assess_all` (the scorer the bot runs) without the replay's own
reading of events."""

from __future__ import annotations

import json
from copy import copy as copy_of
from typing import Any, Dict, List, Optional, Tuple

from router.scoring import BotTurn, ScorerSettings, UserTurn, assess_all
from router.scoring.combiner import LearnedModel
from router.scoring.conversation import Turn
from router.whatif import StoredConversation, stored_conversation

START = 1_700_000_000.0
DEFAULTS = ScorerSettings()


class Talk:
    """A conversation as Rasa stores it (`events`) and, built side by side rather than read
    back from the events, the turns the router scores in each stretch with the customer's
    message number of each of their lines."""

    def __init__(self, conversation_id: str, start: float = START) -> None:
        self.conversation_id = conversation_id
        self.clock = start
        self.events: List[Dict[str, Any]] = []
        self.stretches: List[List[Turn]] = [[]]
        self.messages: List[List[int]] = [[]]
        self.sessions: List[int] = [0]  # the Rasa session of each stretch
        self.said = 0
        self.paused = False

    def _event(self, kind: str, **fields: Any) -> None:
        self.clock += 7.0
        self.events.append({"event": kind, "timestamp": self.clock, **fields})

    def customer(self, text: str, intent: str, sentiment: float = 0.0,
                 confidence: float = 0.95) -> Talk:
        self._event("action", name="action_listen")
        self._event("user", text=text, parse_data={
            "intent": {"name": intent, "confidence": confidence}, "entities": [],
            "sentiment": {"score": sentiment}})
        self.said += 1
        if not self.paused:
            self.stretches[-1].append(UserTurn(text, intent, confidence, sentiment))
            self.messages[-1].append(self.said)
            # The policy records its assessment right after the line; the replay ignores it.
            self._event("slot", name="frustration", value={"score": 0.99, "handoff": True})
        return self

    def bot(self, response: str) -> Talk:
        self._event("action", name=response)
        self._event("bot", text=f"({response})", metadata={"utter_action": response})
        self.stretches[-1].append(BotTurn(response, f"({response})"))
        return self

    def agent(self, text: str) -> Talk:
        self._event("bot", text=text, metadata={"agent_name": "Sam", "agent_id": "sam"})
        return self

    def pause(self) -> Talk:
        self._event("action", name="action_handoff")
        self._event("pause")
        self.paused = True
        return self

    def afresh(self, kind: str) -> Talk:
        """A new session ("session_started") or a person handing back ("resume")."""
        self._event(kind)
        self.paused = False
        self.stretches.append([])
        self.messages.append([])
        self.sessions.append(self.sessions[-1] + (kind == "session_started"))
        return self

    def stored(self) -> StoredConversation:
        return stored_conversation(self.conversation_id, self.events)

    def as_json(self) -> str:
        """As Rasa's RedisTrackerStore stores it."""
        return json.dumps({"events": self.events, "name": self.conversation_id})

    def moved(self, conversation_id: str, start: float) -> Talk:
        """The same conversation under another id, its first event at `start`."""
        copy = copy_of(self)
        shift = start - self.events[0]["timestamp"]
        copy.conversation_id = conversation_id
        copy.events = [{**e, "timestamp": e["timestamp"] + shift} for e in self.events]
        return copy


def expected(talk: Talk, s: ScorerSettings, learned: Optional[LearnedModel] = None
             ) -> Optional[Tuple[int, str]]:
    """The first handoff (message, the scorer's reason) as the bot would have made it."""
    return _first_handoff(list(zip(talk.stretches, talk.messages, strict=True)), s, learned)


def expected_by_session(talk: Talk, s: ScorerSettings,
                        learned: Optional[LearnedModel] = None
                        ) -> List[Optional[Tuple[int, str]]]:
    """`expected` for each of the talk's Rasa sessions with a customer line the bot scored:
    each session is a conversation of its own, with its own first handoff."""
    by_session: Dict[int, List[Tuple[List[Turn], List[int]]]] = {}
    for turns, messages, session in zip(talk.stretches, talk.messages, talk.sessions,
                                        strict=True):
        if messages:
            by_session.setdefault(session, []).append((turns, messages))
    return [_first_handoff(stretches, s, learned) for _n, stretches in sorted(by_session.items())]


def sessions_in(talks: List[Talk]) -> int:
    """How many conversations (Rasa sessions with a line the bot scored) the talks hold."""
    return sum(len(expected_by_session(talk, ScorerSettings())) for talk in talks)


def _first_handoff(stretches: List[Tuple[List[Turn], List[int]]], s: ScorerSettings,
                   learned: Optional[LearnedModel]) -> Optional[Tuple[int, str]]:
    if s.shadow_mode:
        return None
    for turns, messages in stretches:
        for message, assessment in zip(messages, assess_all(turns, s, learned), strict=True):
            if assessment.handoff:
                return message, assessment.handoff_reason or ""
    return None


def same_decision(decision: Any, wanted: Optional[Tuple[int, str]]) -> bool:
    if decision is None or wanted is None:
        return decision is None and wanted is None
    # A score's reason is said in the replay without the list of signals after the colon.
    return decision.message == wanted[0] and wanted[1].startswith(decision.why)


def calm() -> Talk:
    return (Talk("calm").customer("hi", "greet").bot("utter_greet")
            .customer("where is order 482913", "order_status").bot("utter_order_status_shipped")
            .customer("great, thanks", "thanks", 0.6).bot("utter_welcome"))


def stuck_politely(times: int = 6) -> Talk:
    talk = Talk("stuck")
    for _ in range(times):
        talk.customer("can you ship it to Canada please", "shipping_costs", 0.3, 0.6)
        talk.bot("utter_shipping_costs")
    return talk


def angry_repeat(conversation_id: str = "angry") -> Talk:
    return (Talk(conversation_id).customer("where is my order", "order_status")
            .bot("action_answer_order_question")
            .customer("I ALREADY TOLD YOU, WHERE IS MY ORDER?!", "order_status", -0.6))


def asks_for_a_person() -> Talk:
    return (Talk("person").customer("hi", "greet").bot("utter_greet")
            .customer("can I talk to a human", "request_human"))


def handed_back() -> Talk:
    """Handed off on message 2; while a person has it the customer asks for a human (the bot
    never scored that), then is handed back and says thanks."""
    talk = angry_repeat("handed_back").pause().agent("Hi, I'm Sam")
    talk.customer("get me a human, now", "request_human").agent("I am one!")
    return talk.afresh("resume").customer("thanks, all sorted", "thanks", 0.6).bot("utter_welcome")


def two_sessions() -> Talk:
    """Unhappy lines on both sides of a new session: scored afresh, the second session does
    not inherit the first's evidence (carried over, it would hand off a line earlier)."""
    talk = Talk("sessions").customer("where is my tent order", "order_status", -0.2)
    talk.bot("utter_default").customer("no, I said the tent", "inform", -0.3).bot("utter_default")
    talk.afresh("session_started").customer("no, I said the blue tent", "inform", -0.4)
    return talk.bot("utter_default").customer("useless", "complain", -0.6)


def accepted_offer() -> Talk:
    return (Talk("offer").customer("my parcel never came", "parcel_not_received", -0.2, 0.7)
            .bot("utter_parcel_not_received").customer("yes please", "affirm", 0.3))


def grumble() -> Talk:
    """Unhappy, not enough for a person at the default threshold."""
    return (Talk("grumble").customer("where is my order", "order_status")
            .bot("utter_order_status_shipped").customer("ugh, that's annoying", "complain", -0.4))


def all_talks() -> List[Talk]:
    return [calm(), stuck_politely(), angry_repeat(), asks_for_a_person(), handed_back(),
            two_sessions(), accepted_offer(), grumble()]
