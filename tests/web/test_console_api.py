"""The agents' API: sign-in, roles, the queue, a conversation's story, replying, transfer,
resolve and hand back; and what every endpoint does with bad input or no credentials."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from aiohttp.test_utils import TestClient
from redis import asyncio as aioredis

from router import keys
from router.relay.feed import ConversationFeed
from tests.web.conftest import PASSWORD, make_agent, sign_in, waiting_customer

AGENT_ENDPOINTS = [
    ("GET", "/api/me"), ("POST", "/api/auth/logout"), ("POST", "/api/me/heartbeat"),
    ("POST", "/api/me/presence"), ("GET", "/api/queue"), ("GET", "/api/queue/events"),
    ("POST", "/api/queue/claim"), ("GET", "/api/conversations/c1"),
    ("GET", "/api/conversations/c1/events"), ("POST", "/api/conversations/c1/messages"),
    ("POST", "/api/conversations/c1/transfer"), ("POST", "/api/conversations/c1/resolve"),
    ("POST", "/api/conversations/c1/hand-back"), ("GET", "/api/canned-responses"),
    ("GET", "/api/agents"), ("POST", "/api/agents"), ("PATCH", "/api/agents/ana"),
    ("POST", "/api/agents/ana/unlock"),
]


@pytest.mark.parametrize("method, path", AGENT_ENDPOINTS)
async def test_every_agent_endpoint_refuses_a_customer_without_credentials(
    api: TestClient, redis: aioredis.Redis, method: str, path: str,
) -> None:
    await waiting_customer(redis, "c1")
    for headers in ({}, {"Authorization": "Bearer not-a-real-token"},
                    {"Cookie": "pinecone_session=forged"}):
        reply = await api.request(method, path, json={}, headers=headers)
        assert reply.status == 401, (method, path, headers)
        assert "sign in" in (await reply.json())["error"].lower()
    assert await redis.zcard(keys.HANDOFF_QUEUE) == 1  # nothing changed


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/api/agents", {"id": "zed", "name": "Zed", "password": PASSWORD}),
    ("PATCH", "/api/agents/ana", {"role": "admin"}),
    ("PATCH", "/api/agents/ana", {"disabled": True}),
    ("POST", "/api/agents/ana/unlock", {}),
])
async def test_an_agent_cannot_do_an_admins_work(
    api: TestClient, redis: aioredis.Redis, method: str, path: str, body: dict,
) -> None:
    await make_agent(redis, "ana")
    reply = await api.request(method, path, json=body, headers=await sign_in(api, "ana"))
    assert reply.status == 403
    assert "admin" in (await reply.json())["error"]
    assert (await redis.hget(keys.agent("ana"), "role")) == "agent"
    assert (await redis.hget(keys.agent("ana"), "disabled")) is None
    assert not await redis.exists(keys.agent("zed"))


async def test_sign_in_sets_a_strict_http_only_cookie_that_works(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    reply = await api.post("/api/auth/login", json={"agent_id": "ana", "password": PASSWORD})
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    me = await api.get("/api/me")  # the test client keeps the cookie
    assert (await me.json())["agent"]["id"] == "ana"
    assert "password_hash" not in json.dumps(await me.json())


@pytest.mark.parametrize("body, status, fragment", [
    ({"agent_id": "ana", "password": "wrong password"}, 401, "do not match"),
    ({"agent_id": "nobody", "password": PASSWORD}, 401, "do not match"),
    ({"agent_id": "ana"}, 400, "'password' is missing"),
    ({"password": PASSWORD}, 400, "'agent_id' is missing"),
    ({"agent_id": 7, "password": PASSWORD}, 400, "must be a string"),
    ({"agent_id": "ana", "password": "x" * 5000}, 400, "limit is 200"),
])
async def test_sign_in_with_bad_details_says_what_is_wrong(
    api: TestClient, redis: aioredis.Redis, body: dict, status: int, fragment: str,
) -> None:
    await make_agent(redis, "ana")
    reply = await api.post("/api/auth/login", json=body)
    assert reply.status == status
    assert fragment in (await reply.json())["error"]
    assert "Set-Cookie" not in reply.headers


WRITE_ENDPOINTS = [(m, p) for m, p in AGENT_ENDPOINTS if m in ("POST", "PATCH")] + [
    ("POST", "/api/auth/login")]


@pytest.mark.parametrize("method, path", WRITE_ENDPOINTS)
@pytest.mark.parametrize("data, content_type, status, fragment", [
    ("{not json", "application/json", 400, "not valid JSON"),
    ("[1, 2]", "application/json", 400, "must be a JSON object"),
    ("agent_id=ana", "application/x-www-form-urlencoded", 415, "Content-Type"),
])
async def test_every_write_endpoint_refuses_malformed_bodies_clearly(
    api: TestClient, redis: aioredis.Redis, method: str, path: str, data: str,
    content_type: str, status: int, fragment: str,
) -> None:
    await make_agent(redis, "ana", role="admin")
    await waiting_customer(redis, "c1")
    await api.post("/api/queue/claim", json={"conversation_id": "c1"},
                   headers=await sign_in(api, "ana"))
    headers = await sign_in(api, "ana")
    reply = await api.request(method, path, data=data,
                              headers={**headers, "Content-Type": content_type})
    assert reply.status == status, await reply.text()
    assert fragment in (await reply.json())["error"]
    assert await redis.get(keys.conversation_owner("c1")) == "agent:ana"  # nothing changed
    assert await redis.sismember(keys.AGENT_IDS, "ana")


async def test_too_many_wrong_passwords_lock_the_account_for_a_while(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    for _ in range(10):
        await api.post("/api/auth/login", json={"agent_id": "ana", "password": "guess guess"})
    reply = await api.post("/api/auth/login", json={"agent_id": "ana", "password": PASSWORD})
    assert reply.status == 429
    assert await redis.ttl(keys.sign_in_attempts("ana", "127.0.0.1")) > 0


async def test_sessions_expire_and_sign_out_ends_them(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    headers = await sign_in(api, "ana")
    [session_key] = await redis.keys(keys.session("*"))
    assert 0 < await redis.ttl(session_key) <= 8 * 3600
    reply = await api.post("/api/auth/logout", json={}, headers=headers)
    assert reply.status == 200
    assert (await api.get("/api/me", headers=headers)).status == 401


async def test_signing_out_returns_open_conversations_to_the_queue(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    await waiting_customer(redis, "c1")
    headers = await sign_in(api, "ana")
    await api.post("/api/queue/claim", json={}, headers=headers)
    reply = await api.post("/api/auth/logout", json={}, headers=headers)
    assert (await reply.json())["returned_to_queue"] == ["c1"]
    assert await redis.get(keys.conversation_owner("c1")) == "queue"


async def test_the_queue_shows_who_waits_why_and_for_how_long(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    await waiting_customer(redis, "c1", created_at=time.time() - 90)
    reply = await api.get("/api/queue", headers=await sign_in(api, "ana"))
    snapshot = await reply.json()
    [entry] = snapshot["waiting"]
    assert entry["conversation_id"] == "c1" and entry["position"] == 1
    assert entry["waiting_seconds"] >= 90
    assert entry["reason"] == "customer asked for a person" and entry["score"] == 0.7
    assert entry["summary"]["customer_wants"] == "track_package"
    assert [member["id"] for member in snapshot["team"]] == ["ana"]


async def test_claim_then_reply_puts_the_agents_line_in_the_outbox_once(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    await waiting_customer(redis, "c1")
    headers = await sign_in(api, "ana")
    reply = await api.post("/api/queue/claim", json={"conversation_id": "c1"}, headers=headers)
    assert (await reply.json()) == {"conversation_id": "c1", "agent_id": "ana"}
    body = {"text": "Hi, I'm Ana. Let me check that parcel.", "request_id": "req-1"}
    first = await api.post("/api/conversations/c1/messages", json=body, headers=headers)
    again = await api.post("/api/conversations/c1/messages", json=body, headers=headers)
    assert first.status == 202 and (await first.json())["status"] == "queued"
    assert again.status == 200 and (await again.json())["status"] == "duplicate"
    commands = [fields for _, fields in await redis.xrange(keys.RELAY_OUTBOX)]
    joined, line = commands  # "Ana has joined", then her line: exactly once
    assert "Ana" in joined["text"] and json.loads(joined["metadata"])["handoff"]["state"] == \
        "with_agent"
    assert line["text"] == body["text"]
    assert json.loads(line["metadata"]) == {"agent_name": "Ana", "agent_id": "ana",
                                            "relay_id": "req-1"}


async def test_two_agents_claiming_the_same_customer_one_gets_a_clear_conflict(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    await make_agent(redis, "ben")
    await waiting_customer(redis, "c1")
    ana, ben = await sign_in(api, "ana"), await sign_in(api, "ben")
    replies = await asyncio.gather(
        api.post("/api/queue/claim", json={"conversation_id": "c1"}, headers=ana),
        api.post("/api/queue/claim", json={"conversation_id": "c1"}, headers=ben))
    assert sorted(r.status for r in replies) == [200, 409]
    loser = next(r for r in replies if r.status == 409)
    assert "not waiting" in (await loser.json())["error"]


@pytest.mark.parametrize("path, body, status, fragment", [
    ("/api/conversations/nope/messages", {"text": "hi"}, 404, "No handed-off conversation"),
    ("/api/conversations/c1/messages", {"text": ""}, 400, "'text' is empty"),
    ("/api/conversations/c1/messages", {}, 400, "'text' is missing"),
    ("/api/conversations/c1/messages", {"text": "x" * 2001}, 400, "limit is 2000"),
    ("/api/conversations/c2/messages", {"text": "hi"}, 403, "another agent"),
    ("/api/conversations/c3/messages", {"text": "hi"}, 409, "with the bot"),
    ("/api/queue/claim", {"conversation_id": "nope"}, 404, "No handed-off conversation"),
    ("/api/queue/claim", {"conversation_id": "c2"}, 409, "not waiting"),
    ("/api/conversations/c1/transfer", {}, 400, "exactly one"),
    ("/api/conversations/c1/transfer", {"to_agent": "ben", "to_team": "x"}, 400, "exactly one"),
    ("/api/conversations/c1/transfer", {"to_agent": "nobody"}, 404, "No agent"),
    ("/api/conversations/c2/resolve", {}, 403, "another agent"),
    ("/api/conversations/nope/hand-back", {}, 404, "No handed-off conversation"),
    ("/api/me/presence", {"presence": "asleep"}, 400, "'online' or 'away'"),
])
async def test_conversation_actions_with_bad_input_say_why_and_change_nothing(
    api: TestClient, redis: aioredis.Redis, path: str, body: dict, status: int, fragment: str,
) -> None:
    await make_agent(redis, "ana")
    await make_agent(redis, "ben")
    for conversation_id in ("c1", "c2", "c3"):
        await waiting_customer(redis, conversation_id)
    ana, ben = await sign_in(api, "ana"), await sign_in(api, "ben")
    await api.post("/api/queue/claim", json={"conversation_id": "c1"}, headers=ana)
    await api.post("/api/queue/claim", json={"conversation_id": "c2"}, headers=ben)
    await redis.delete(keys.conversation_owner("c3"))  # back with the bot
    await redis.zrem(keys.HANDOFF_QUEUE, "c3")
    before = await redis.xlen(keys.RELAY_OUTBOX)

    reply = await api.post(path, json=body, headers=ana)
    assert reply.status == status
    assert fragment in (await reply.json())["error"]
    assert await redis.xlen(keys.RELAY_OUTBOX) == before
    assert await redis.get(keys.conversation_owner("c1")) == "agent:ana"
    assert await redis.get(keys.conversation_owner("c2")) == "agent:ben"


async def test_resolve_and_hand_back_queue_the_resume_with_the_agents_name(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    await make_agent(redis, "boss", role="admin")
    await waiting_customer(redis, "c1")
    await waiting_customer(redis, "c2")
    ana = await sign_in(api, "ana")
    await api.post("/api/queue/claim", json={"conversation_id": "c1"}, headers=ana)
    await api.post("/api/queue/claim", json={"conversation_id": "c2"}, headers=ana)
    assert (await api.post("/api/conversations/c1/resolve", json={}, headers=ana)).status == 200
    # An admin may hand back anyone's conversation; the customer hears who helped them.
    boss = await sign_in(api, "boss")
    reply = await api.post("/api/conversations/c2/hand-back", json={}, headers=boss)
    assert (await reply.json())["outcome"] == "handed_back"
    resumes = [f for _, f in await redis.xrange(keys.RELAY_OUTBOX) if f["kind"] == "resume"]
    assert [(r["conversation_id"], r["outcome"], r["agent_name"]) for r in resumes] == [
        ("c1", "resolved", "Ana"), ("c2", "handed_back", "Ana")]
    assert await redis.get(keys.conversation_owner("c1")) is None


async def test_transfer_to_a_colleague_and_to_a_team(api: TestClient,
                                                     redis: aioredis.Redis) -> None:
    await make_agent(redis, "ana")
    await make_agent(redis, "ben")
    await waiting_customer(redis, "c1")
    ana = await sign_in(api, "ana")
    await api.post("/api/queue/claim", json={"conversation_id": "c1"}, headers=ana)
    reply = await api.post("/api/conversations/c1/transfer", json={"to_agent": "ben"},
                           headers=ana)
    assert (await reply.json())["owner"] == "agent:ben"
    ben = await sign_in(api, "ben")
    reply = await api.post("/api/conversations/c1/transfer", json={"to_team": "billing"},
                           headers=ben)
    assert (await reply.json())["owner"] == "queue"
    assert (await redis.hget(keys.handoff_state("c1"), "team")) == "billing"


async def test_the_conversation_view_has_the_whole_story(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    packet = await waiting_customer(redis, "c1", text="<script>x()</script> where is it")
    feed = ConversationFeed(redis)
    await feed.append("c1", {"from": "customer", "text": "hello? anyone?",
                             "timestamp": packet["created_at"] + 5, "sentiment": -0.2})
    reply = await api.get("/api/conversations/c1", headers=await sign_in(api, "ana"))
    view = await reply.json()
    assert view["status"] == "waiting" and view["reason"] == "customer asked for a person"
    assert [line["text"] for line in view["transcript"]] == [
        "<script>x()</script> where is it", "hello? anyone?"]  # data, not markup
    assert view["timeline"][0]["signals"] == {"frustration_phrase": 0.55}
    assert [point["sentiment"] for point in view["sentiment"]] == [-0.4, -0.2]
    assert view["slots"] == {"order_id": "482913"}
    assert view["feed_last_id"] != "0"


async def test_the_live_feed_resumes_after_the_last_event_id(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    await waiting_customer(redis, "c1")
    feed = ConversationFeed(redis)
    first = await feed.append("c1", {"from": "customer", "text": "one", "timestamp": 1.0})
    await feed.append("c1", {"from": "customer", "text": "two", "timestamp": 2.0})
    headers = {**await sign_in(api, "ana"), "Last-Event-ID": str(first)}
    reply = await api.get("/api/conversations/c1/events", headers=headers)
    assert reply.headers["Content-Type"].startswith("text/event-stream")
    chunk = (await asyncio.wait_for(reply.content.readuntil(b"\n\n"), 5)).decode()
    reply.close()
    assert "event: line" in chunk and '"text": "two"' in chunk and '"one"' not in chunk


async def test_a_bad_resume_point_is_refused(api: TestClient, redis: aioredis.Redis) -> None:
    await make_agent(redis, "ana")
    await waiting_customer(redis, "c1")
    reply = await api.get("/api/conversations/c1/events?after=yesterday",
                          headers=await sign_in(api, "ana"))
    assert reply.status == 400 and "feed id" in (await reply.json())["error"]


async def test_admins_manage_accounts_and_bad_details_are_explained(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "boss", role="admin")
    boss = await sign_in(api, "boss")
    good = {"id": "cy", "name": "Cy", "password": PASSWORD, "teams": ["billing"], "capacity": 2}
    reply = await api.post("/api/agents", json=good, headers=boss)
    assert reply.status == 201 and (await reply.json())["agent"]["teams"] == ["billing"]
    for body, fragment in [
        (good, "exists already"),
        ({**good, "id": "Bad Id!"}, "agent id"),
        ({**good, "id": "dee", "password": "short"}, "at least 12"),
        ({**good, "id": "dee", "capacity": 0}, "Capacity"),
        ({**good, "id": "dee", "capacity": "two"}, "whole number"),
        ({**good, "id": "dee", "role": "owner"}, "role must be"),
        ({**good, "id": "dee", "teams": "billing"}, "list of strings"),
    ]:
        reply = await api.post("/api/agents", json=body, headers=boss)
        assert reply.status == 400, body
        assert fragment in (await reply.json())["error"]
    reply = await api.patch("/api/agents/cy", json={"capacity": 4}, headers=boss)
    assert (await reply.json())["agent"]["capacity"] == 4
    reply = await api.patch("/api/agents/nobody", json={"capacity": 4}, headers=boss)
    assert reply.status == 404
    for body, fragment in [({"password": ""}, "'password' is empty"),
                           ({"name": "  "}, "'name' is empty"),
                           ({"role": "boss"}, "role must be")]:
        reply = await api.patch("/api/agents/cy", json=body, headers=boss)
        assert reply.status == 400 and fragment in (await reply.json())["error"], body
    reply = await api.patch("/api/agents/boss", json={"role": "agent"}, headers=boss)
    assert reply.status == 400 and "last admin" in (await reply.json())["error"]
    assert (await redis.hget(keys.agent("boss"), "role")) == "admin"
    assert sorted(a["id"] for a in (await (await api.get(
        "/api/agents", headers=boss)).json())["agents"]) == ["boss", "cy"]


async def test_the_live_queue_shows_the_agents_own_presence_as_it_changes(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana", online=False)
    ana = await sign_in(api, "ana")
    reply = await api.get("/api/queue/events", headers=ana)
    first = await asyncio.wait_for(reply.content.readuntil(b"\n\n"), 5)
    assert '"presence": "offline"' in first.decode().split('"me"')[1]
    await api.post("/api/me/presence", json={"presence": "online"}, headers=ana)
    second = await asyncio.wait_for(reply.content.readuntil(b"\n\n"), 15)
    reply.close()
    assert '"presence": "online"' in second.decode().split('"me"')[1]


async def test_a_new_password_signs_the_agent_out_everywhere(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "boss", role="admin")
    await make_agent(redis, "ana")
    boss = await sign_in(api, "boss")
    laptop, phone = await sign_in(api, "ana"), await sign_in(api, "ana")
    reply = await api.patch("/api/agents/ana", json={"password": "  a new secret  "},
                            headers=boss)
    assert reply.status == 200
    for headers in (laptop, phone):
        assert (await api.get("/api/me", headers=headers)).status == 401
    assert (await api.get("/api/me", headers=boss)).status == 200  # others stay signed in
    reply = await api.post("/api/auth/login",
                           json={"agent_id": "ana", "password": "  a new secret  "})
    assert reply.status == 200  # spaces are part of a password


async def test_presence_heartbeat_and_canned_responses(api: TestClient,
                                                       redis: aioredis.Redis) -> None:
    await make_agent(redis, "ana", online=False)
    ana = await sign_in(api, "ana")
    reply = await api.post("/api/me/presence", json={"presence": "away"}, headers=ana)
    assert (await reply.json())["presence"] == "away"
    assert await redis.zscore(keys.AGENTS_ONLINE, "ana") is None
    assert (await (await api.post("/api/me/heartbeat", json={}, headers=ana)).json())[
        "presence"] == "away"
    await api.post("/api/me/presence", json={"presence": "online"}, headers=ana)
    assert await redis.zscore(keys.AGENTS_ONLINE, "ana") is not None
    canned = await (await api.get("/api/canned-responses", headers=ana)).json()
    assert canned["responses"] and all(r["title"] and r["text"] for r in canned["responses"])
