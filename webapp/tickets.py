"""Tickets in the agents' API: list them by status, read one with its story, answer it (by
mail when the customer left an email, and as a line in their chat for when they come back),
add an email, close it. Admins also read the embedded mail sink's mails (/mail)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import NoReturn

from aiohttp import web

from router.mail import Mailer, MailNotSent
from router.relay.outbox import line_command
from router.tickets import (
    OPEN,
    BadTicketInput,
    Ticket,
    TicketConflict,
    TicketError,
    TicketNotFound,
    TicketStore,
)
from stack.mail_sink import count_kept, kept_mails
from webapp.auth import admin_required, agent_required, current
from webapp.customer import PAGE_CSP, STATIC_DIR
from webapp.requests import json_body, text_field
from webapp.services import services

# The most tickets one list returns (the oldest first): a day's worth at a busy shop.
MAX_LISTED = 200
# The most mails the admins' mail page shows (the newest first).
MAX_MAILS_SHOWN = 100
ANSWER_SUBJECT = "Re: your message to Pinecone Supply ({reference})"
ANSWER_MAIL = ("Hello,\n\nyou left us a message (reference {reference}):\n\n> {message}\n\n"
               "{agent_name} from our team answers:\n\n{answer}\n\n"
               "Reply to this mail, or chat with us again, if there is anything else.\n")
ANSWER_LINE = "{agent_name} from our team answered your message ({reference}): {answer}"
NO_SINK = ("Mail goes to a real mail server here (SMTP_URL), so there is no mail sink to "
           "show; `make run` without SMTP_URL keeps mail in var/mail/ and shows it here.")


def _store(request: web.Request) -> TicketStore:
    return services(request).tickets


def _refused(error: TicketError) -> NoReturn:
    """The store's refusal as the status a client can act on."""
    if isinstance(error, TicketNotFound):
        raise web.HTTPNotFound(text=str(error)) from error
    if isinstance(error, TicketConflict):
        raise web.HTTPConflict(text=str(error)) from error
    if isinstance(error, BadTicketInput):
        raise web.HTTPBadRequest(text=str(error)) from error
    raise error


@agent_required
async def list_tickets(request: web.Request) -> web.Response:
    """`?status=open` (the default), `answered` or `closed`; the oldest first."""
    status = request.query.get("status", OPEN)
    store = _store(request)
    try:
        listed = await store.with_status(status, MAX_LISTED)
    except TicketError as error:
        _refused(error)
    return web.json_response({"status": status, "count": await store.count(status),
                              "tickets": [t.summary() for t in listed]})


@agent_required
async def get_ticket(request: web.Request) -> web.Response:
    try:
        ticket = await _store(request).get(request.match_info["reference"])
    except TicketError as error:
        _refused(error)
    return web.json_response({"ticket": ticket.as_dict()})


@agent_required
async def update_ticket(request: web.Request) -> web.Response:
    """`{"email": ...}`: where the answer is mailed (e.g. the email on the customer's order)."""
    body = await json_body(request)
    email = text_field(body, "email", max_length=500) or ""
    try:
        ticket = await _store(request).set_email(request.match_info["reference"], email)
    except TicketError as error:
        _refused(error)
    return web.json_response({"ticket": ticket.as_dict()})


@agent_required
async def answer_ticket(request: web.Request) -> web.Response:
    """Records the answer (one agent wins; the other hears who did), puts it in the customer's
    chat, and mails it when the ticket has an email. A mail that could not be sent does not
    undo the answer: `mail` says what happened, and the ticket keeps it."""
    body = await json_body(request)
    text = body.get("text")
    if not isinstance(text, str):
        raise web.HTTPBadRequest(text="The field 'text' (the answer, a string) is missing.")
    agent = current(request)
    try:
        ticket = await _store(request).answer(request.match_info["reference"], text, agent.id)
    except TicketError as error:
        _refused(error)
    await _put_in_chat(request, ticket, agent.name)
    mail = await _mail_answer(request, ticket, agent.name)
    await _store(request).record_mail(ticket.reference, mail)
    return web.json_response({"ticket": {**ticket.as_dict(), "mail": mail}})


async def _put_in_chat(request: web.Request, ticket: Ticket, agent_name: str) -> None:
    line = ANSWER_LINE.format(agent_name=agent_name, reference=ticket.reference,
                              answer=ticket.answer)
    # relay_id: one id per answer, so a returning chat page shows it once (missed_lines.py).
    metadata = {"agent_name": agent_name, "ticket": ticket.reference,
                "relay_id": f"ticket-{ticket.reference}"}
    await services(request).outbox.put(ticket.conversation_id, line_command(line, metadata))


async def _mail_answer(request: web.Request, ticket: Ticket, agent_name: str) -> str:
    """What became of the mail, in words for the agent."""
    if not ticket.email:
        return "not sent: the customer left no email; the answer waits in their chat"
    settings = services(request).settings
    mailer = Mailer(settings.smtp, settings.mail_from, settings.mail_timeout_seconds)
    try:
        await mailer.send(ticket.email, ANSWER_SUBJECT.format(reference=ticket.reference),
                          ANSWER_MAIL.format(reference=ticket.reference,
                                             message=ticket.message, agent_name=agent_name,
                                             answer=ticket.answer))
    except MailNotSent as error:
        return f"not sent: {error}"
    return f"sent to {ticket.email}"


@agent_required
async def close_ticket(request: web.Request) -> web.Response:
    await json_body(request)  # JSON only: another site's form cannot post here
    try:
        ticket = await _store(request).close(request.match_info["reference"],
                                             current(request).id)
    except TicketError as error:
        _refused(error)
    return web.json_response({"ticket": ticket.as_dict()})


# --- The embedded mail sink, for admins ----------------------------------------------------

def _sink_dir(request: web.Request) -> Path:
    """The embedded sink's folder; 404 when mail goes to a real server."""
    directory = services(request).settings.mail_sink_dir
    if directory is None or not directory.is_dir():
        raise web.HTTPNotFound(text=NO_SINK)
    return directory


@admin_required
async def list_mail(request: web.Request) -> web.Response:
    """The sink's mails, the newest first."""
    directory = _sink_dir(request)
    mails = await asyncio.to_thread(kept_mails, directory, MAX_MAILS_SHOWN)
    return web.json_response({"count": await asyncio.to_thread(count_kept, directory),
                              "mails": mails})


async def mail_page(request: web.Request) -> web.FileResponse:
    _sink_dir(request)
    return web.FileResponse(STATIC_DIR / "mail.html", headers={
        "Content-Security-Policy": f"{PAGE_CSP}; connect-src 'self'",
        "Cache-Control": "no-cache"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/tickets", list_tickets)
    app.router.add_get("/api/tickets/{reference}", get_ticket)
    app.router.add_patch("/api/tickets/{reference}", update_ticket)
    app.router.add_post("/api/tickets/{reference}/answer", answer_ticket)
    app.router.add_post("/api/tickets/{reference}/close", close_ticket)
    app.router.add_get("/api/admin/mail", list_mail)
    app.router.add_get("/mail", mail_page)
