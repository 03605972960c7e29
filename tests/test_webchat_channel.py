"""The web chat channel's rules of ownership, with a stand-in for the socket.io server (the
end-to-end suite runs the real one: tests/e2e/test_channel_security.py)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

from rasa.core.channels.channel import UserMessage

from bot.customer_input import CustomerGate
from bot.webchat import WebChatInput, client_ref
from router.customer_limits import CustomerLimits
from router.webchat_keys import owns, session_key

SECRET = "webchat-test-secret"


class FakeSocketServer:
    """What the channel uses of python-socketio's AsyncServer."""

    def __init__(self) -> None:
        self.sessions: Dict[str, Dict[str, Any]] = {}
        self.rooms: Dict[str, Set[str]] = {}
        self.emitted: List[Tuple[str, Any, str]] = []

    async def save_session(self, sid: str, session: Dict[str, Any]) -> None:
        self.sessions[sid] = dict(session)

    async def get_session(self, sid: str) -> Dict[str, Any]:
        return dict(self.sessions.get(sid, {}))

    def enter_room(self, sid: str, room: str) -> None:
        self.rooms.setdefault(sid, set()).add(room)

    def leave_room(self, sid: str, room: str) -> None:
        self.rooms.get(sid, set()).discard(room)

    async def emit(self, event: str, data: Any, room: str) -> None:
        self.emitted.append((event, data, room))

    def last(self, event: str, room: str) -> Any:
        return [data for name, data, to in self.emitted if name == event and to == room][-1]


class Harness:
    def __init__(self, **limits: int) -> None:
        self.channel = WebChatInput(secret=SECRET, origins=[],
                                    gate=CustomerGate(CustomerLimits(**limits)))
        self.sio = FakeSocketServer()
        self.channel.sio = self.sio  # type: ignore[assignment]
        self.received: List[UserMessage] = []

    async def connect(self, sid: str, address: str = "10.0.0.1") -> None:
        await self.sio.save_session(sid, {"address": address})

    async def session(self, sid: str, data: Optional[Dict[str, Any]] = None) -> Any:
        await self.channel._start_or_resume(sid, data or {})
        return self.sio.last("session_confirm", sid)

    async def say(self, sid: str, data: Dict[str, Any]) -> Dict[str, str]:
        async def on_new_message(message: UserMessage) -> None:
            self.received.append(message)
        return await self.channel._receive(sid, data, on_new_message)


async def test_a_new_conversation_gets_an_id_and_the_key_that_proves_it() -> None:
    h = Harness()
    await h.connect("s1")
    confirmed = await h.session("s1")
    assert owns(SECRET, confirmed["session_id"], confirmed["session_key"])
    assert h.sio.rooms["s1"] == {confirmed["session_id"]}


async def test_the_key_resumes_the_same_conversation() -> None:
    h = Harness()
    await h.connect("s1")
    first = await h.session("s1")
    await h.connect("s2")
    again = await h.session("s2", {"session_id": first["session_id"],
                                   "session_key": first["session_key"]})
    assert again["session_id"] == first["session_id"]


async def test_an_id_without_its_key_starts_a_new_conversation_and_hears_nothing_of_it() -> None:
    h = Harness()
    await h.connect("victim")
    victim = await h.session("victim")
    await h.connect("intruder")
    for wrong in ({"session_id": victim["session_id"]},
                  {"session_id": victim["session_id"], "session_key": "0" * 64},
                  {"session_id": victim["session_id"],
                   "session_key": session_key("guessed-secret", victim["session_id"])}):
        got = await h.session("intruder", wrong)
        assert got["session_id"] != victim["session_id"]
        assert victim["session_id"] not in h.sio.rooms["intruder"]


async def test_a_line_goes_to_the_sockets_own_conversation_whatever_it_names() -> None:
    h = Harness()
    for sid in ("victim", "intruder"):
        await h.connect(sid)
    victim = await h.session("victim")
    mine = await h.session("intruder")
    await h.say("intruder", {"message": "cancel my order",
                             "session_id": victim["session_id"]})
    assert [m.sender_id for m in h.received] == [mine["session_id"]]


async def test_a_line_before_any_session_is_refused_with_what_to_do() -> None:
    h = Harness()
    await h.connect("s1")
    await h.say("s1", {"message": "hello", "session_id": "anything"})
    assert h.received == []
    assert "session_request" in h.sio.last("session_required", "s1")["error"]


async def test_over_long_and_too_fast_lines_are_answered_by_the_channel_not_stored() -> None:
    h = Harness(max_message_chars=20, messages_per_minute=2)
    await h.connect("s1")
    await h.session("s1")
    await h.say("s1", {"message": "x" * 5000})
    assert h.received == []
    assert h.sio.last("bot_uttered", "s1")["metadata"] == {"refused": "too_long"}
    await h.say("s1", {"message": "one"})
    await h.say("s1", {"message": "two"})
    await h.say("s1", {"message": "three"})
    assert [m.text for m in h.received] == ["one", "two"]
    assert h.sio.last("bot_uttered", "s1")["metadata"] == {"refused": "too_fast"}


async def test_text_is_cleaned_and_client_metadata_is_not_believed() -> None:
    h = Harness()
    await h.connect("s1")
    await h.session("s1")
    await h.say("s1", {"message": "hi \ud800", "metadata": {"customer_priority": 2}})
    assert h.received[0].text == "hi \ufffd"
    assert h.received[0].metadata == {"client": client_ref(SECRET, "10.0.0.1")}


async def test_one_address_cannot_open_conversation_after_conversation() -> None:
    h = Harness(conversations_per_hour=2)
    for number in range(3):
        await h.connect(f"s{number}", address="10.9.9.9")
    await h.session("s0")
    await h.session("s1")
    await h.channel._start_or_resume("s2", {})
    assert not [e for e in h.sio.emitted if e[0] == "session_confirm" and e[2] == "s2"]
    assert h.sio.last("bot_uttered", "s2")["metadata"] == {"refused": "too_many_conversations"}
    await h.connect("elsewhere", address="10.0.0.2")
    assert (await h.session("elsewhere"))["session_id"]


async def test_bad_payloads_do_not_break_the_channel_and_reach_nobody() -> None:
    h = Harness()
    await h.connect("s1")
    await h.channel._start_or_resume("s1", {"session_id": ["x"], "session_key": {"k": 1}})
    for junk in (12345, {"nested": True}, None, ["a"]):
        await h.say("s1", {"message": junk})
    await h.say("s1", {"message": "hello"})
    assert [m.text for m in h.received] == ["hello"]


async def test_many_conversations_from_one_address_share_one_pace() -> None:
    h = Harness(messages_per_minute=100, address_lines_per_minute=3)
    for number in range(4):
        await h.connect(f"s{number}", address="2001:db8::1" if number < 2 else "2001:db8::2")
        await h.session(f"s{number}")
        await h.say(f"s{number}", {"message": f"line {number}"})
    # Four conversations, one IPv6 /64: the fourth line waits.
    assert [m.text for m in h.received] == ["line 0", "line 1", "line 2"]
    assert h.sio.last("bot_uttered", "s3")["metadata"] == {"refused": "too_fast"}


async def test_the_page_hears_what_became_of_each_line() -> None:
    h = Harness(max_message_chars=10)
    await h.connect("s1")
    assert await h.say("s1", {"message": "hi"}) == {"status": "refused",
                                                   "reason": "no_session"}
    await h.session("s1")
    assert await h.say("s1", {"message": "hi"}) == {"status": "received"}
    assert await h.say("s1", {"message": "x" * 50}) == {"status": "refused",
                                                       "reason": "too_long"}
    assert (await h.say("s1", {"message": 5}))["status"] == "refused"
