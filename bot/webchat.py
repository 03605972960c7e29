"""Rasa's socket.io channel for our web chat page, made safe to put on the internet.

- **A conversation belongs to whoever started it.** The server issues each new conversation
  an id *and a key* (an HMAC of the id with WEBCHAT_SECRET); a page resumes a conversation
  only by presenting both, and every line a socket sends goes to the conversation that socket
  proved, never to an id named in the message. Knowing an id (agents see them, logs print
  them) is no longer enough to listen in or to speak as the customer.
- Every line passes the customer gate (bot/customer_input.py): valid text, bounded length,
  a rate per conversation, new conversations per address; client metadata is not trusted.
- A line's `agent_name`, `queue` and `handoff` metadata travel with its text, so the page can
  show who is speaking and where the customer is in line (Rasa's own output sends text only).
- Typing indicators both ways (bot/typing_relay.py): `typing` from the page, `agent_typing`
  to it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.customer_input import CustomerGate, Refusal, client_key
from bot.typing_relay import TypingRelay
from router.webchat_keys import SECRET_VARIABLE, owns, session_key

log = logging.getLogger(__name__)

# relay_id: a person's line's id, so a returning page can tell which lines it already has.
PAGE_METADATA = ("agent_name", "queue", "handoff", "status_update", "relay_id")
# Origins (scheme://host:port) whose pages may open the socket, comma-separated.
ORIGINS_VARIABLE = "CHAT_ORIGINS"
SESSION = "conversation_id"  # the socket's proven conversation, in its socket.io session


def client_ref(secret: str, address: str) -> str:
    """Names a client's address without storing it: a keyed hash (IPv4 addresses are too few
    for a plain hash to hide them)."""
    return hmac.new(secret.encode(), b"webchat-client:" + address.encode(),
                    hashlib.sha256).hexdigest()[:24]


def page_metadata(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    return {k: kwargs[k] for k in PAGE_METADATA if kwargs.get(k)}


def client_address(environ: Dict[str, Any]) -> str:
    """The client's address as Sanic sees it (behind a proxy, Sanic's forwarded-header
    settings decide whether the proxy's header is believed)."""
    request = environ.get("sanic.request")
    return str(getattr(request, "remote_addr", "") or getattr(request, "ip", "") or "unknown")


class WebChatOutput(SocketIOOutput):
    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_parts(recipient_id, text, [], page_metadata(kwargs))

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: List[Dict[str, Any]], **kwargs: Any) -> None:
        await self._send_parts(recipient_id, text, buttons, page_metadata(kwargs))

    async def _send_parts(self, recipient_id: str, text: str, buttons: List[Dict[str, Any]],
                          metadata: Dict[str, Any]) -> None:
        """Paragraphs as separate bubbles, each with the metadata; buttons go with the last."""
        parts = text.strip().split("\n\n") or [text]
        for index, part in enumerate(parts):
            message: Dict[str, Any] = {"text": part}
            if metadata:
                message["metadata"] = metadata
            if buttons and index == len(parts) - 1:
                message["quick_replies"] = [
                    {"content_type": "text", "title": b["title"], "payload": b["payload"]}
                    for b in buttons]
            await self._send_message(recipient_id, message)


class WebChatInput(SocketIOInput):
    """Configured in credentials.yml as `bot.webchat.WebChatInput`; keeps the name
    `socketio`, so `output_channel=latest` in Rasa's API finds it."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> WebChatInput:
        credentials = credentials or {}
        channel = cls(credentials.get("user_message_evt", "user_uttered"),
                      credentials.get("bot_message_evt", "bot_uttered"),
                      socketio_path=credentials.get("socketio_path", "/socket.io"))
        return channel

    def __init__(self, *args: Any, secret: Optional[str] = None,
                 origins: Optional[List[str]] = None, gate: Optional[CustomerGate] = None,
                 typing: Optional[TypingRelay] = None, **kwargs: Any) -> None:
        # Rooms are conversations: lines pushed later (an agent's) reach every tab of it.
        kwargs["session_persistence"] = True
        super().__init__(*args, **kwargs)
        self.secret = secret or os.environ.get(SECRET_VARIABLE) or ""
        if not self.secret:
            self.secret = secrets.token_urlsafe(32)
            log.warning("%s is not set: web chat conversations cannot be resumed after this "
                        "Rasa process restarts. `make run` sets it.", SECRET_VARIABLE)
        self.origins = origins if origins is not None else [
            o.strip() for o in os.environ.get(ORIGINS_VARIABLE, "").split(",") if o.strip()]
        self.gate = gate or CustomerGate.from_env()
        self.typing = typing or TypingRelay()

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return None
        return WebChatOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # Without listed origins python-engineio accepts only same-origin pages; the chat page
        # is served by our web service on another port, so `make run` lists its origins.
        sio = AsyncServer(async_mode="sanic",
                          cors_allowed_origins=self.origins or None,
                          max_http_buffer_size=self.gate.limits.max_frame_bytes)
        self.sio = sio
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect")
        async def connect(sid: str, environ: Dict[str, Any],
                          auth: Optional[Dict[str, Any]] = None) -> bool:
            await sio.save_session(sid, {"address": client_address(environ)})
            self.typing.follow_agents(sio)
            return True

        @sio.on("session_request")
        async def session_request(sid: str, data: Any) -> None:
            await self._start_or_resume(sid, data if isinstance(data, dict) else {})

        @sio.on(self.user_message_evt)
        async def handle_message(sid: str, data: Any) -> Dict[str, str]:
            # Returned as the socket.io acknowledgement, when the page asks for one: the page
            # then knows a line arrived (or why not) rather than guessing.
            return await self._receive(sid, data if isinstance(data, dict) else {},
                                       on_new_message)

        @sio.on("typing")
        async def typing(sid: str, _data: Any = None) -> None:
            await self._customer_typing(sid)

        return webhook

    async def _customer_typing(self, sid: str) -> None:
        """The customer is typing: the agent who has the conversation sees it. Only in the
        conversation this socket proved; nothing else of the message is read."""
        assert self.sio is not None
        session = await self.sio.get_session(sid)
        conversation_id = session.get(SESSION)
        if conversation_id and await self.typing.customer_typing(session, conversation_id):
            await self.sio.save_session(sid, session)

    async def _start_or_resume(self, sid: str, data: Dict[str, Any]) -> None:
        """Resume the conversation the page proves is its own, or start a new one."""
        assert self.sio is not None
        session = await self.sio.get_session(sid)
        conversation_id = data.get("session_id")
        if not owns(self.secret, conversation_id, data.get("session_key")):
            refusal = self.gate.new_conversation(session.get("address", "unknown"))
            if refusal is not None:
                await self._tell(sid, refusal)
                return
            conversation_id = uuid.uuid4().hex
        assert isinstance(conversation_id, str)
        previous = session.get(SESSION)
        if previous and previous != conversation_id:
            self.sio.leave_room(sid, previous)
        session[SESSION] = conversation_id
        await self.sio.save_session(sid, session)
        self.sio.enter_room(sid, conversation_id)
        await self.sio.emit("session_confirm", {
            "session_id": conversation_id,
            "session_key": session_key(self.secret, conversation_id)}, room=sid)

    async def _receive(self, sid: str, data: Dict[str, Any],
                       on_new_message: Callable[[UserMessage], Awaitable[Any]]
                       ) -> Dict[str, str]:
        """Passes a line on; returns what became of it: {"status": "received"}, or
        "refused" with the reason (the bot's answer is sent as a line too)."""
        assert self.sio is not None
        session = await self.sio.get_session(sid)
        conversation_id = session.get(SESSION)
        if not conversation_id:
            error = "Send session_request first: a line needs a conversation."
            await self.sio.emit("session_required", {"error": error}, room=sid)
            return {"status": "refused", "reason": "no_session"}
        if not isinstance(data.get("message"), str):
            # Not a line at all (our page always sends text): nothing to answer.
            return {"status": "refused", "reason": "not_text"}
        address = session.get("address", "unknown")
        text, refusal = self.gate.message(conversation_id, data["message"], address)
        if refusal is not None:
            await self._tell(sid, refusal)
            return {"status": "refused", "reason": refusal.reason}
        output = WebChatOutput(self.sio, self.bot_message_evt)
        await on_new_message(UserMessage(
            text, output, conversation_id, input_channel=self.name(),
            metadata=self.gate.trusted_metadata(
                data.get("metadata"),
                client=client_ref(self.secret, client_key(address)))))
        return {"status": "received"}

    async def _tell(self, sid: str, refusal: Refusal) -> None:
        """The bot's answer to a line it did not pass on: to this socket only, not stored."""
        assert self.sio is not None
        await self.sio.emit(self.bot_message_evt, {
            "text": refusal.text, "metadata": {"refused": refusal.reason}}, room=sid)
