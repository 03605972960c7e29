"""The tickets API through aiohttp's test client on the real Redis: listing, one ticket with its
story, answering (mail, chat line, one winner), email, closing; bad input gets a 4xx that says
what to do and changes nothing. And the admins' view of the embedded mail sink."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator, Tuple

import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis import asyncio as aioredis

from router import keys
from router.mail import SmtpAddress
from router.tickets import OPEN, Ticket, TicketStore
from stack.mail_sink import EmbeddedMailSink, kept_mails
from stack.redis_server import EmbeddedRedis, free_port
from tests.web.conftest import make_agent, sign_in
from webapp import create_app
from webapp.settings import WebSettings

LIMIT = 2000  # MAX_MESSAGE_CHARS's default


def packet(conversation_id: str) -> Dict[str, Any]:
    return {"conversation_id": conversation_id, "created_at": 1.0,
            "reason": "left a message: no person was available",
            "transcript": [{"from": "customer", "text": "my parcel never came"}]}


async def new_ticket(redis: aioredis.Redis, conversation_id: str = "c1", **kwargs: Any
                     ) -> Ticket:
    return await TicketStore(redis, LIMIT).create(packet(conversation_id),
                                                  "my parcel never came", **kwargs)


@pytest.fixture
async def ana(api: TestClient, redis: aioredis.Redis) -> Dict[str, str]:
    await make_agent(redis, "ana")
    return await sign_in(api, "ana")


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[EmbeddedMailSink]:
    started = EmbeddedMailSink(tmp_path / "mail", free_port()).start()
    yield started
    started.stop()


@pytest.fixture
async def mail_api(redis_server: EmbeddedRedis, redis: aioredis.Redis, sink: EmbeddedMailSink
                   ) -> AsyncIterator[TestClient]:
    """The service as `make run` starts it without SMTP_URL: mail goes to the sink."""
    settings = WebSettings(redis_url=redis_server.url, background_tasks=False,
                           smtp=SmtpAddress.from_url(sink.url), mail_sink_dir=sink.directory)
    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    yield client
    await client.close()


async def error_of(reply: Any) -> Tuple[int, str]:
    return reply.status, (await reply.json())["error"]


async def everything(redis: aioredis.Redis) -> Dict[str, Any]:
    return {key: await redis.dump(key) for key in sorted(await redis.keys("*"))}


# --- Reading -------------------------------------------------------------------------------

async def test_open_tickets_are_listed_oldest_first(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
) -> None:
    store = TicketStore(redis, LIMIT)
    late = await store.create(packet("c1"), "second", now=200.0)
    early = await store.create(packet("c2"), "first", now=100.0)
    reply = await api.get("/api/tickets", headers=ana)
    assert reply.status == 200
    body = await reply.json()
    assert (body["status"], body["count"]) == ("open", 2)
    assert [t["reference"] for t in body["tickets"]] == [early.reference, late.reference]
    assert "packet" not in body["tickets"][0]  # the list is light; the story is per ticket


async def test_tickets_are_listed_by_the_status_asked_for(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
) -> None:
    answered = await new_ticket(redis, "c1")
    await new_ticket(redis, "c2")
    await TicketStore(redis, LIMIT).answer(answered.reference, "done", "ana")
    body = await (await api.get("/api/tickets?status=answered", headers=ana)).json()
    assert [t["reference"] for t in body["tickets"]] == [answered.reference]


async def test_an_unknown_status_is_refused_with_the_ones_that_exist(
    api: TestClient, ana: Dict[str, str],
) -> None:
    assert await error_of(await api.get("/api/tickets?status=pending", headers=ana)) == (
        400, "There is no ticket status 'pending': use one of open, answered, closed.")


async def test_one_ticket_comes_with_its_whole_story(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
) -> None:
    ticket = await new_ticket(redis, email="jo@example.org")
    reply = await api.get(f"/api/tickets/{ticket.reference.lower()}", headers=ana)
    assert reply.status == 200
    body = (await reply.json())["ticket"]
    assert (body["reference"], body["email"], body["status"]) == (
        ticket.reference, "jo@example.org", "open")
    assert body["packet"]["transcript"][0]["text"] == "my parcel never came"


@pytest.mark.parametrize("reference", ["PC-22222", "nope", "PC-0OIL1", "x" * 300])
async def test_an_unknown_reference_is_404_with_what_one_looks_like(
    api: TestClient, ana: Dict[str, str], redis: aioredis.Redis, reference: str,
) -> None:
    before = await everything(redis)
    for method, path, body in [("GET", "", None), ("POST", "/answer", {"text": "hi"}),
                               ("POST", "/close", {}), ("PATCH", "", {"email": "a@b.org"})]:
        reply = await api.request(method, f"/api/tickets/{reference}{path}", json=body,
                                  headers=ana)
        status, error = await error_of(reply)
        assert status == 404 and "PC-7K3Q9" in error, (method, path)
    assert await everything(redis) == before


async def test_tickets_need_a_signed_in_agent(api: TestClient, redis: aioredis.Redis) -> None:
    ticket = await new_ticket(redis)
    for reply in [await api.get("/api/tickets"), await api.get(f"/api/tickets/{ticket.reference}"),
                  await api.post(f"/api/tickets/{ticket.reference}/answer", json={"text": "x"})]:
        assert reply.status == 401
    assert (await TicketStore(redis, LIMIT).get(ticket.reference)).status == OPEN


# --- Answering -----------------------------------------------------------------------------

async def test_an_answer_is_recorded_and_waits_in_the_customers_chat(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
) -> None:
    ticket = await new_ticket(redis, "c7")
    reply = await api.post(f"/api/tickets/{ticket.reference}/answer",
                           json={"text": "It left our warehouse today."}, headers=ana)
    assert reply.status == 200, await reply.text()
    body = (await reply.json())["ticket"]
    assert (body["status"], body["answered_by"], body["answer"]) == (
        "answered", "ana", "It left our warehouse today.")
    assert body["mail"].startswith("not sent: the customer left no email")
    [(_, command)] = await redis.xrange(keys.RELAY_OUTBOX)
    assert command["conversation_id"] == "c7" and command["kind"] == "line"
    assert "It left our warehouse today." in command["text"] and ticket.reference in command["text"]
    assert json.loads(command["metadata"])["ticket"] == ticket.reference
    assert (await TicketStore(redis, LIMIT).get(ticket.reference)).mail == body["mail"]


async def test_an_answer_is_mailed_when_the_ticket_has_an_email(
    mail_api: TestClient, redis: aioredis.Redis, sink: EmbeddedMailSink,
) -> None:
    await make_agent(redis, "ana")
    ticket = await new_ticket(redis, email="jo@example.org")
    reply = await mail_api.post(f"/api/tickets/{ticket.reference}/answer",
                                json={"text": "It left today."},
                                headers=await sign_in(mail_api, "ana"))
    assert reply.status == 200, await reply.text()
    assert (await reply.json())["ticket"]["mail"] == "sent to jo@example.org"
    [mail] = kept_mails(sink.directory, 10)
    assert mail["to"] == "jo@example.org" and ticket.reference in mail["subject"]
    assert "It left today." in mail["text"] and "my parcel never came" in mail["text"]


async def test_a_mail_server_that_is_down_does_not_undo_the_answer(
    redis_server: EmbeddedRedis, redis: aioredis.Redis,
) -> None:
    settings = WebSettings(redis_url=redis_server.url, background_tasks=False,
                           smtp=SmtpAddress("127.0.0.1", free_port(), False))
    async with TestClient(TestServer(create_app(settings))) as client:
        await make_agent(redis, "ana")
        ticket = await new_ticket(redis, email="jo@example.org")
        reply = await client.post(f"/api/tickets/{ticket.reference}/answer",
                                  json={"text": "It left today."},
                                  headers=await sign_in(client, "ana"))
        assert reply.status == 200
        mail = (await reply.json())["ticket"]["mail"]
    assert mail.startswith("not sent: The mail server at 127.0.0.1")
    stored = await TicketStore(redis, LIMIT).get(ticket.reference)
    assert (stored.status, stored.mail) == ("answered", mail)


async def test_two_agents_answering_at_once_one_wins_the_other_hears_who(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
) -> None:
    await make_agent(redis, "ben")
    ben = await sign_in(api, "ben")
    ticket = await new_ticket(redis)
    url = f"/api/tickets/{ticket.reference}/answer"
    replies = await asyncio.gather(api.post(url, json={"text": "from ana"}, headers=ana),
                                   api.post(url, json={"text": "from ben"}, headers=ben))
    assert sorted(r.status for r in replies) == [200, 409]
    [won] = [await r.json() for r in replies if r.status == 200]
    [lost] = [await r.json() for r in replies if r.status == 409]
    winner = won["ticket"]["answered_by"]
    assert f"already answered by {winner}" in lost["error"]
    assert await redis.xlen(keys.RELAY_OUTBOX) == 1  # only the winner's line reaches the chat


@pytest.mark.parametrize("body, complaint", [
    ({"text": ""}, "The answer is empty: write something."),
    ({"text": "   "}, "The answer is empty: write something."),
    ({"text": "x" * (LIMIT + 1)}, f"The answer is {LIMIT + 1} characters; the limit is {LIMIT}"),
    ({}, "The field 'text' (the answer, a string) is missing."),
    ({"text": 42}, "The field 'text' (the answer, a string) is missing."),
])
async def test_an_empty_or_huge_answer_is_400_and_changes_nothing(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str], body: Dict[str, Any],
    complaint: str,
) -> None:
    ticket = await new_ticket(redis)
    before = await everything(redis)
    reply = await api.post(f"/api/tickets/{ticket.reference}/answer", json=body, headers=ana)
    status, error = await error_of(reply)
    assert status == 400 and error.startswith(complaint)
    assert await everything(redis) == before


async def test_a_closed_ticket_is_not_answered_409(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
) -> None:
    ticket = await new_ticket(redis)
    reply = await api.post(f"/api/tickets/{ticket.reference}/close", json={}, headers=ana)
    assert reply.status == 200 and (await reply.json())["ticket"]["closed_by"] == "ana"
    before = await everything(redis)
    reply = await api.post(f"/api/tickets/{ticket.reference}/answer", json={"text": "hi"},
                           headers=ana)
    status, error = await error_of(reply)
    assert status == 409 and "is closed (by ana), so it cannot be answered" in error
    status, error = await error_of(
        await api.post(f"/api/tickets/{ticket.reference}/close", json={}, headers=ana))
    assert status == 409 and "already closed" in error
    assert await everything(redis) == before


async def test_closing_needs_a_json_body_so_no_other_site_can_post_it(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
) -> None:
    ticket = await new_ticket(redis)
    reply = await api.post(f"/api/tickets/{ticket.reference}/close", data="x=1",
                           headers={**ana, "Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 415
    assert (await TicketStore(redis, LIMIT).get(ticket.reference)).status == OPEN


# --- Email ---------------------------------------------------------------------------------

async def test_an_agent_can_add_the_email_the_answer_goes_to(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
) -> None:
    ticket = await new_ticket(redis)
    reply = await api.patch(f"/api/tickets/{ticket.reference}",
                            json={"email": "jo@example.org"}, headers=ana)
    assert reply.status == 200
    assert (await TicketStore(redis, LIMIT).get(ticket.reference)).email == "jo@example.org"


@pytest.mark.parametrize("body, complaint", [
    ({"email": "jo at example"}, "'jo at example' is not an email address"),
    ({"email": "jo@example.org\nBcc: x@evil.example"}, "is not an email address"),
    ({"email": ""}, "The field 'email' is empty."),
    ({}, "The field 'email' is missing."),
])
async def test_an_invalid_email_is_400_and_changes_nothing(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str], body: Dict[str, Any],
    complaint: str,
) -> None:
    ticket = await new_ticket(redis)
    before = await everything(redis)
    reply = await api.patch(f"/api/tickets/{ticket.reference}", json=body, headers=ana)
    status, error = await error_of(reply)
    assert status == 400 and complaint in error
    assert await everything(redis) == before


# --- The mail sink page --------------------------------------------------------------------

async def test_admins_read_the_sinks_mails_newest_first(
    mail_api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "boss", role="admin")
    boss = await sign_in(mail_api, "boss")
    for number in range(2):
        ticket = await new_ticket(redis, f"c{number}", email=f"jo{number}@example.org")
        await mail_api.post(f"/api/tickets/{ticket.reference}/answer",
                            json={"text": f"answer {number}"}, headers=boss)
    reply = await mail_api.get("/api/admin/mail", headers=boss)
    assert reply.status == 200
    body = await reply.json()
    assert body["count"] == 2
    assert [m["to"] for m in body["mails"]] == ["jo1@example.org", "jo0@example.org"]


async def test_only_admins_read_the_mails(mail_api: TestClient, redis: aioredis.Redis) -> None:
    await make_agent(redis, "ana")
    reply = await mail_api.get("/api/admin/mail", headers=await sign_in(mail_api, "ana"))
    assert reply.status == 403
    # (The client keeps ana's cookie: a wrong token stands for nobody signed in.)
    nobody = {"Authorization": "Bearer not-a-session"}
    assert (await mail_api.get("/api/admin/mail", headers=nobody)).status == 401


async def test_the_mail_page_is_served_with_the_pages_policy(mail_api: TestClient) -> None:
    reply = await mail_api.get("/mail")
    assert reply.status == 200 and "mail.js" in await reply.text()
    policy = reply.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy


async def test_without_the_embedded_sink_there_is_no_mail_page(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "boss", role="admin")
    status, error = await error_of(await api.get("/api/admin/mail",
                                                 headers=await sign_in(api, "boss")))
    assert status == 404 and "SMTP_URL" in error
    assert (await api.get("/mail")).status == 404
