"""Our aiohttp service: the customer's chat page, the agents' console and its API, and the
background work that relays agents' lines to Rasa and keeps the queue honest."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import AsyncIterator, Awaitable, Callable, Dict, List

from aiohttp import web
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from router.agents.directory import AgentDirectory
from router.relay import housekeeping
from router.relay.outbox import DeliveryWorker
from webapp import (
    admin,
    analytics,
    auth,
    console,
    customer,
    erasure,
    handoff_labels,
    history,
    learning,
    metrics,
    missed_lines,
    operations,
    settings_admin,
    stored_conversations,
    tickets,
    whatif,
)
from webapp.requests import MAX_BODY_BYTES, check_path_ids, check_readable_headers
from webapp.services import SERVICES, Services
from webapp.settings import WebSettings

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SETTINGS = web.AppKey("settings", WebSettings)
STOP_GRACE_SECONDS = 5.0


# Only these mean Redis (or the network to it) is away; any other RedisError is a bug of ours
# or a value we should have refused, and saying "try again" would hide it.
REDIS_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# Pages set their own policy (webapp/customer.py); everything else (JSON, scripts,
# styles) is never a document that should run or embed anything.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'"


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error leaves as `{"error": "..."}` with its status, never a text or HTML page."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return web.json_response({"error": _message(error, request)}, status=error.status,
                                 headers=_kept_headers(error))
    except REDIS_UNREACHABLE as error:
        log.error("Redis unreachable during %s %s: %r", request.method, request.path, error)
        return web.json_response({"error": "The service cannot reach Redis right now; "
                                           "nothing was changed. Try again in a moment."},
                                 status=503)
    except Exception:
        # The error boundary of every request: the traceback goes to the log (a bug must
        # show), the client gets JSON that tells nothing of our insides.
        log.exception("Unexpected error during %s %s", request.method, request.path)
        metrics.count_server_error(request)
        return web.json_response({"error": "Something went wrong on our side and it has been "
                                           "logged. Try again; if it keeps happening, tell "
                                           "an admin the time it happened."}, status=500)


def _kept_headers(error: web.HTTPException) -> Dict[str, str]:
    """The error's headers a client acts on (when to try again), kept on the JSON answer."""
    return {name: error.headers[name] for name in ("Retry-After",) if name in error.headers}


def _message(error: web.HTTPException, request: web.Request) -> str:
    """Our own errors carry a message; aiohttp's (unknown route, wrong method) only their
    status, so they get the request they refused, and the methods that would work."""
    if error.text and not error.text.startswith(str(error.status)):
        return error.text
    message = f"{error.reason}: {request.method} {request.path}"
    if isinstance(error, web.HTTPMethodNotAllowed) and error.allowed_methods:
        message += f" (use {' or '.join(sorted(error.allowed_methods))})"
    return message


@web.middleware
async def readable_input(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers that are not text, and path ids that cannot exist, are refused before any
    handler (or Redis) sees them."""
    check_readable_headers(request)
    check_path_ids(request)
    return await handler(request)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    return response


# Customers see an agent's name when they are answered; until the admin sets their own, a
# team's name reads better to them than a role's ("Admin").
FIRST_ADMIN_NAME = "Pinecone team"


async def ensure_first_admin(directory: AgentDirectory, settings: WebSettings) -> None:
    """A fresh install has no accounts: make `admin` with a random password, written to a
    file only this user can read, so the console can be opened at once."""
    path = settings.first_admin_password_file
    if path is None or await directory.count() > 0:
        return
    password = secrets.token_urlsafe(12)
    await directory.create("admin", FIRST_ADMIN_NAME, password, role="admin", capacity=5)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n")
    path.chmod(0o600)
    log.info("Created the first account 'admin'; its password is in %s", path)


async def _services(app: web.Application) -> AsyncIterator[None]:
    svc = Services.connect(app[SETTINGS])
    app[SERVICES] = svc
    yield
    await svc.close()


async def _background(app: web.Application) -> AsyncIterator[None]:
    svc = app[SERVICES]
    settings = app[SETTINGS]
    tasks: List[asyncio.Task[None]] = []
    stop = asyncio.Event()
    if settings.background_tasks:
        await ensure_first_admin(svc.directory, settings)
        worker = DeliveryWorker(svc.redis, svc.rasa, settings.relay_consumer)
        tasks = [asyncio.create_task(worker.run(stop)),
                 asyncio.create_task(housekeeping.run(svc.redis, svc.queue, svc.outbox,
                                                      settings.housekeeping_seconds, stop))]
    yield
    # Let them finish the command in hand (they never block for long); a command cut short
    # stays pending in Redis and is delivered after the restart anyway.
    stop.set()
    if tasks:
        _done, unfinished = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
        for task in unfinished:
            task.cancel()
        if unfinished:
            await asyncio.wait(unfinished, timeout=1.0)


def create_app(settings: WebSettings) -> web.Application:
    # Outermost first: error replies get the security headers too.
    app = web.Application(middlewares=[security_headers, json_errors, readable_input],
                          client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_services)
    app.cleanup_ctx.append(_background)
    for module in (customer, auth, console, admin, operations, tickets, missed_lines,
                   metrics, history, settings_admin, whatif, analytics, handoff_labels,
                   learning, stored_conversations, erasure):
        module.add_routes(app)
    return app
