"""`python -m actions.server`: rasa-sdk's action server, answering Rasa and nobody else.

Whoever can call `/webhook` runs any action on a tracker they make up: cancel anyone's order,
put a forged handoff into the agents' queue. So every request except `/health` must carry the
secret Rasa sends (endpoints.yml's `action_endpoint` headers), and the server listens on loopback
unless told otherwise. The secret comes from the environment, never the command line, which
every user of the machine can read.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import os
import sys
import zlib
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping, Optional

from rasa_sdk import endpoint, utils
from sanic import Sanic, response
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse

SECRET_ENV = "ACTION_SERVER_SECRET"
# Rasa sends `Authorization: Bearer <secret>` (endpoints.yml); a header, unlike a `?token=`,
# stays out of access logs.
SECRET_SCHEME = "Bearer "
# A secret anyone could guess protects nothing: `make run` makes a 43-character one.
MIN_SECRET_LENGTH = 32
# Load balancers and `make run` poll this without the secret; it reveals nothing.
OPEN_PATHS = frozenset({"/health"})
ACTIONS_PACKAGE = "actions"

logger = logging.getLogger(__name__)

Middleware = Callable[[Request], Awaitable[Optional[HTTPResponse]]]


class SecretMissing(RuntimeError):
    """The action server cannot start without a usable shared secret; the message says why."""


@dataclass(frozen=True)
class ActionServerSettings:
    secret: str
    host: str = "127.0.0.1"
    port: int = 5055

    @classmethod
    def from_env(cls, host: str, port: int, env: Mapping[str, str] = os.environ
                 ) -> ActionServerSettings:
        return cls(secret=_secret(env), host=host, port=port)


def _secret(env: Mapping[str, str]) -> str:
    secret = env.get(SECRET_ENV, "").strip()
    if not secret:
        raise SecretMissing(
            f"{SECRET_ENV} is not set: the action server answers only callers that send this "
            "shared secret, so set it here and for Rasa (endpoints.yml sends it). `make run` "
            "does both, from var/action_server_secret."
        )
    if len(secret) < MIN_SECRET_LENGTH:
        raise SecretMissing(
            f"{SECRET_ENV} is {len(secret)} characters long: use at least {MIN_SECRET_LENGTH} "
            "random ones, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )
    return secret


def create_app(settings: ActionServerSettings) -> Sanic:
    """rasa-sdk's app (our actions, no CORS: no browser should call it) behind the secret."""
    app = endpoint.create_app(ACTIONS_PACKAGE, cors_origins=None)
    app.register_middleware(_only_with_secret(settings.secret), "request")
    app.error_handler.add(NotFound, _no_such_path)
    return app


async def _no_such_path(request: Request, exception: Exception) -> HTTPResponse:
    # rasa-sdk's catch-all handler would call this a server error (500).
    return _error(404, f"No such path {request.path!r}: the action server answers POST /webhook, "
                       "GET /actions and GET /health.")


def _only_with_secret(secret: str) -> Middleware:
    expected = f"{SECRET_SCHEME}{secret}".encode()

    async def refuse_strangers(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        sent = request.headers.get("Authorization")
        if sent is None:
            logger.warning("Refused %s %s from %s: no secret", request.method, request.path,
                           request.ip)
            return _error(401, f"No secret sent: call with 'Authorization: {SECRET_SCHEME}"
                               f"<{SECRET_ENV}>', as Rasa does (endpoints.yml).")
        # Constant time: how long a wrong guess takes must not tell how much of it was right.
        if not hmac.compare_digest(sent.encode(), expected):
            logger.warning("Refused %s %s from %s: wrong secret", request.method, request.path,
                           request.ip)
            return _error(401, f"Wrong secret: send the action server's {SECRET_ENV} as "
                               f"'Authorization: {SECRET_SCHEME}<secret>'.")
        if request.path == "/webhook":
            return _refuse_malformed_call(request)
        return None

    return refuse_strangers


def _refuse_malformed_call(request: Request) -> Optional[HTTPResponse]:
    """rasa-sdk answers a body it cannot read with a 500 (or none): say what is wrong instead."""
    try:
        call = _decoded_body(request)
    except (zlib.error, UnicodeDecodeError, json.JSONDecodeError):
        return _error(400, "The body is not JSON: send Rasa's action call, a JSON object with "
                           "'next_action' and 'tracker'.")
    if not isinstance(call, dict) or not isinstance(call.get("next_action"), str):
        return _error(400, "The action call must be a JSON object with 'next_action' (the "
                           "action's name) and 'tracker'.")
    if not isinstance(call.get("tracker"), dict):
        return _error(400, f"The call to run '{call['next_action']}' has no 'tracker' object: "
                           "send the conversation's tracker as Rasa does.")
    return None


def _decoded_body(request: Request) -> Any:
    # Rasa compresses action calls when COMPRESS_ACTION_SERVER_REQUEST is set.
    body = request.body
    if request.headers.get("Content-Encoding") == "deflate":
        body = zlib.decompress(body)
    return json.loads(body.decode("utf-8"))


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def main() -> None:
    parser = argparse.ArgumentParser(description="Pinecone Supply action server")
    parser.add_argument("--host", default=ActionServerSettings.host,
                        help="the address to listen on (default: this machine only)")
    parser.add_argument("--port", type=int, default=ActionServerSettings.port)
    args = parser.parse_args()
    try:
        settings = ActionServerSettings.from_env(args.host, args.port)
    except SecretMissing as error:
        sys.exit(f"The action server did not start. {error}")
    # rasa-sdk's own log set-up, as `python -m rasa_sdk` has it.
    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()
    logger.info("Action server on http://%s:%s (calls need %s)", settings.host, settings.port,
                SECRET_ENV)
    create_app(settings).run(settings.host, settings.port,
                             workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
