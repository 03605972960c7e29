"""Rasa's socket.io channel for our web chat page, with one addition: a line's `agent_name`,
`queue` and `handoff` metadata travel with its text, so the page can show who is speaking
and where the customer is in line. (Rasa's own socket.io output sends the text alone.)"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

PAGE_METADATA = ("agent_name", "queue", "handoff")


def page_metadata(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    return {k: kwargs[k] for k in PAGE_METADATA if kwargs.get(k)}


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

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return None
        return WebChatOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def answer_through_our_output(message: UserMessage) -> Any:
            assert self.sio is not None
            message.output_channel = WebChatOutput(self.sio, self.bot_message_evt)
            return await on_new_message(message)

        return super().blueprint(answer_through_our_output)
