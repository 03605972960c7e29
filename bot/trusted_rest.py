"""Rasa's REST channel for servers we trust, not for browsers.

Rasa's own `rest` channel lets any client post a line as any conversation id, and even name
the channel it claims to come from. Ours answers only a caller holding the Rasa API token (the
same one as Rasa's HTTP API: `Authorization: Bearer <token>` or `?token=`), i.e. our scripts,
tests and a shop back end that relays its own customers; customers' browsers use the web chat
(bot/webchat.py), which proves a conversation is theirs. Every line passes the same customer
gate (bot/customer_input.py) as the web chat's; the channel is always "rest".
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.customer_input import CLIENT_KEY, CustomerGate
from router.conversation_ids import CONVERSATION_ID_RULE, is_conversation_id

log = logging.getLogger(__name__)

TOKEN_VARIABLE = "RASA_TOKEN"


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def presented_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):].strip()
    return str(request.args.get("token") or "")


def read_body(request: Request) -> Dict[str, Any]:
    """The JSON object sent, or ValueError with what is wrong."""
    try:
        body = json.loads(request.body or b"")
    except (ValueError, RecursionError) as bad:
        raise ValueError("The body must be JSON like {\"sender\": \"id\", \"message\": "
                         "\"text\"} in UTF-8.") from bad
    if not isinstance(body, dict):
        raise ValueError("The body must be a JSON object with 'sender' and 'message'.")
    if not is_conversation_id(body.get("sender")):
        raise ValueError(f"'sender' must be a conversation id: {CONVERSATION_ID_RULE}.")
    if not isinstance(body.get("message"), str):
        raise ValueError("'message' must be the customer's text, as a string.")
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict):
        raise ValueError("'metadata' must be a JSON object when given.")
    client = metadata.get(CLIENT_KEY)
    if client is not None and not (isinstance(client, str) and 0 < len(client) <= 128):
        raise ValueError(f"'metadata.{CLIENT_KEY}' names your customer (e.g. a hash of their "
                         "address): 1-128 characters.")
    return body


class TrustedRestInput(InputChannel):
    """Configured in credentials.yml as `bot.trusted_rest.TrustedRestInput`."""

    def __init__(self, token: Optional[str] = None, gate: Optional[CustomerGate] = None
                 ) -> None:
        self.token = token if token is not None else os.environ.get(TOKEN_VARIABLE, "")
        if not self.token:
            log.warning("%s is not set: the REST channel refuses every request.",
                        TOKEN_VARIABLE)
        self.gate = gate or CustomerGate.from_env()

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> TrustedRestInput:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("trusted_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self._receive(request, on_new_message)

        return webhook

    async def _receive(self, request: Request,
                       on_new_message: Callable[[UserMessage], Awaitable[Any]]
                       ) -> HTTPResponse:
        if not self.token or not hmac.compare_digest(presented_token(request).encode(),
                                                     self.token.encode()):
            return error(401, "This channel is for trusted servers: send the Rasa API token "
                              "as 'Authorization: Bearer <token>'.")
        try:
            body = read_body(request)
        except ValueError as bad:
            return error(400, str(bad))
        sender = body["sender"]
        # A trusted server relays many customers and paces them itself: length only.
        text, refusal = self.gate.text(body["message"])
        if refusal is not None:
            # Said to the customer as the bot's reply; nothing is stored.
            return response.json([{"recipient_id": sender, "text": refusal.text,
                                   "metadata": {"refused": refusal.reason}}])
        # Trusted to say which of its customers this is (so handoffs are counted per
        # customer), not to set a priority: that takes a token the shop signed, as everywhere.
        metadata = body.get("metadata") or {}
        trusted = self.gate.trusted_metadata(metadata, client=metadata.get(CLIENT_KEY) or "")
        collector = CollectingOutputChannel()
        await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(),
                                         metadata=trusted or None))
        return response.json(collector.messages)
