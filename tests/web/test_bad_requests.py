"""What reaches the web service from outside and cannot be right: broken bodies, ids that
cannot exist, headers that are not text. Each is a clear JSON 4xx that changed nothing; a 503
means Redis is really away, and anything else unexpected is a logged JSON 500."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Dict, Tuple

import pytest
from aiohttp.test_utils import TestClient
from redis import asyncio as aioredis
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from router import keys
from router.agents.directory import AgentDirectory
from tests.web.conftest import PASSWORD, make_agent, sign_in, waiting_customer
from webapp.requests import MAX_BODY_BYTES, MAX_NESTING

JSON = "application/json"


async def everything(redis: aioredis.Redis) -> Dict[str, Any]:
    """Every key with its type and value, to show that a refused request changed nothing."""
    dump: Dict[str, Any] = {}
    for key in sorted(await redis.keys("*")):
        kind = await redis.type(key)
        reader = {"string": redis.get, "hash": redis.hgetall, "set": redis.smembers,
                  "list": lambda k: redis.lrange(k, 0, -1),
                  "zset": lambda k: redis.zrange(k, 0, -1, withscores=True),
                  "stream": lambda k: redis.xrange(k)}[kind]
        dump[key] = (kind, await reader(key))
    return dump


@pytest.fixture
async def ana(api: TestClient, redis: aioredis.Redis) -> Dict[str, str]:
    """Ana is signed in and has conversation c1; c2 waits."""
    await make_agent(redis, "ana")
    for conversation_id in ("c1", "c2"):
        await waiting_customer(redis, conversation_id)
    headers = await sign_in(api, "ana")
    reply = await api.post("/api/queue/claim", json={"conversation_id": "c1"}, headers=headers)
    assert reply.status == 200
    return headers


async def refused(api: TestClient, redis: aioredis.Redis, method: str, path: str,
                  status: int, fragment: str, **request: Any) -> None:
    before = await everything(redis)
    reply = await api.request(method, path, **request)
    assert reply.status == status, await reply.text()
    assert reply.content_type == JSON
    assert fragment in (await reply.json())["error"]
    assert await everything(redis) == before


# --- Bodies ----------------------------------------------------------------------------

DEEP = "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)


@pytest.mark.parametrize("data, content_type, fragment", [
    pytest.param(b'{"text": "caf\xe9"}', JSON, "not valid UTF-8", id="latin-1 byte"),
    pytest.param(b'\xff\xfe{\x00}\x00', JSON, "not valid UTF-8", id="utf-16"),
    pytest.param(b'{"text": "hi"}', f"{JSON}; charset=bogus", "charset 'bogus' is not supported",
                 id="bogus charset"),
    pytest.param(b'{"text": "hi"}', f"{JSON}; charset=latin-1", "send the JSON as UTF-8",
                 id="other charset"),
    pytest.param(b'{"text": "hi", "n": 1' + b"0" * 5000 + b"}", JSON, "limit is 32",
                 id="5000 digits"),
    pytest.param(b'{"text": "hi", "n": 1e999}', JSON, "finite number", id="overflow"),
    pytest.param(b'{"text": "hi", "n": NaN}', JSON, "finite number", id="NaN"),
    pytest.param(b'{"text": "hi", "n": -Infinity}', JSON, "finite number", id="-Infinity"),
    pytest.param(b'{"text": "hi", "n": ' + DEEP.encode() + b"}", JSON,
                 f"more than {MAX_NESTING} levels", id="nested"),
    pytest.param(b"[" * 30_000 + b"]" * 30_000, JSON, f"more than {MAX_NESTING} levels",
                 id="past the recursion limit"),
    pytest.param(b'{"text": "\\ud800"}', JSON, "lone UTF-16 surrogate", id="surrogate"),
    pytest.param(b'{"text": "hi", "\\udfff": 1}', JSON, "lone UTF-16 surrogate",
                 id="surrogate key"),
    pytest.param(b'{"text": ["\\ud83d"]}', JSON, "lone UTF-16 surrogate", id="half a pair"),
    pytest.param(b'\xef\xbb\xbf{"text": "hi"}', JSON, "not valid JSON", id="BOM"),
])
async def test_bodies_that_cannot_be_read_are_refused_clearly(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str], data: bytes,
    content_type: str, fragment: str,
) -> None:
    await refused(api, redis, "POST", "/api/conversations/c1/messages", 400, fragment,
                  data=data, headers={**ana, "Content-Type": content_type})


async def test_a_paired_surrogate_and_a_declared_utf8_charset_are_fine(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
) -> None:
    reply = await api.post("/api/conversations/c1/messages", data=b'{"text": "\\ud83d\\ude00"}',
                           headers={**ana, "Content-Type": f"{JSON}; charset=UTF-8"})
    assert reply.status == 202, await reply.text()
    assert await redis.xlen(keys.RELAY_OUTBOX) == 2  # the joined notice, then this line


async def test_sign_in_refuses_unreadable_bodies_before_counting_a_failure(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    await refused(api, redis, "POST", "/api/auth/login", 400, "lone UTF-16 surrogate",
                  data='{"agent_id": "ana", "password": "\\udc80 a long password"}',
                  headers={"Content-Type": JSON})


async def test_a_body_over_the_limit_is_a_json_413(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str],
) -> None:
    text = "x" * MAX_BODY_BYTES
    await refused(api, redis, "POST", "/api/conversations/c1/messages", 413,
                  f"larger than {MAX_BODY_BYTES // 1024} KiB", json={"text": text},
                  headers=ana)


# --- Ids -------------------------------------------------------------------------------

BAD_CONVERSATION_IDS = ["c 1", "c1%0A", "x" * 129, "%F0%9F%98%80", "%ED%A0%80", "a%2Fb",
                        "%00", "c1%3Bx"]


@pytest.mark.parametrize("conversation_id", BAD_CONVERSATION_IDS)
@pytest.mark.parametrize("method, action", [
    ("GET", ""), ("GET", "/events"), ("POST", "/messages"), ("POST", "/transfer"),
    ("POST", "/resolve"), ("POST", "/hand-back"),
])
async def test_a_conversation_id_that_cannot_exist_is_not_found_before_redis(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str], conversation_id: str,
    method: str, action: str,
) -> None:
    await refused(api, redis, method, f"/api/conversations/{conversation_id}{action}", 404,
                  "No handed-off conversation has that id", json={"text": "hi"}, headers=ana)


@pytest.mark.parametrize("agent_id", ["Ana", "a", "ana:sessions", "x" * 33, "%C3%A9ric"])
async def test_an_agent_id_that_cannot_exist_is_not_found(
    api: TestClient, redis: aioredis.Redis, agent_id: str,
) -> None:
    await make_agent(redis, "boss", role="admin")
    boss = await sign_in(api, "boss")
    await refused(api, redis, "PATCH", f"/api/agents/{agent_id}", 404,
                  "No agent has that id", json={"name": "Ana"}, headers=boss)


async def test_sign_in_with_an_impossible_id_tells_nothing_about_other_keys(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    """"ana:sessions" names ana's set of sessions: it used to answer 503 (a Redis type
    error) when ana was signed in somewhere, and 401 when not."""
    await make_agent(redis, "ana")
    await sign_in(api, "ana")
    for agent_id in ("ana:sessions", "ana:conversations", " ana:x ", "ANA"):
        await refused(api, redis, "POST", "/api/auth/login", 400, "not a possible id",
                      json={"agent_id": agent_id, "password": PASSWORD})


@pytest.mark.parametrize("body, fragment", [
    ({"conversation_id": "c2:owner x"}, "'conversation_id' is not a possible id"),
    ({"conversation_id": "\u0663\u0664"}, "'conversation_id' is not a possible id"),
    ({"conversation_id": "y" * 500}, "'conversation_id' is not a possible id"),
])
async def test_claiming_an_impossible_conversation_is_refused(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str], body: Dict[str, Any],
    fragment: str,
) -> None:
    await refused(api, redis, "POST", "/api/queue/claim", 400, fragment, json=body,
                  headers=ana)


@pytest.mark.parametrize("to_agent", ["ana:sessions", "BEN", "b", "ben\t x"])
async def test_transfer_to_an_impossible_agent_is_refused(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str], to_agent: str,
) -> None:
    await refused(api, redis, "POST", "/api/conversations/c1/transfer", 400,
                  "'to_agent' is not a possible id", json={"to_agent": to_agent}, headers=ana)


@pytest.mark.parametrize("after", ["1-", "-1", "\u0661", "99999999999999999999",
                                   "1-99999999999999999999", "1.5", "0x10"])
async def test_a_resume_point_redis_would_refuse_is_a_400(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str], after: str,
) -> None:
    await refused(api, redis, "GET", "/api/conversations/c1/events", 400, "feed id",
                  params={"after": after}, headers=ana)


# --- Headers ---------------------------------------------------------------------------

async def raw_request(api: TestClient, head: bytes) -> Tuple[int, Dict[str, Any]]:
    """Sends bytes as they are (aiohttp's client would encode str headers as UTF-8)."""
    reader, writer = await asyncio.open_connection(api.host, api.port)
    writer.write(head + b"Host: localhost\r\nConnection: close\r\n\r\n")
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    status_line, _, rest = reply.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"application/json" in headers, reply
    return int(status_line.split()[1]), json.loads(body)


@pytest.mark.parametrize("name, value", [
    (b"Authorization", b"Bearer \xff\xfe"), (b"Last-Event-ID", b"\xe9"),
    (b"X-Anything", b"caf\xe9"),
])
async def test_header_bytes_that_are_not_utf8_are_a_400(
    api: TestClient, redis: aioredis.Redis, ana: Dict[str, str], name: bytes, value: bytes,
) -> None:
    before = await everything(redis)
    token = ana["Authorization"].encode()
    path = b"/api/conversations/c1/events"
    head = b"GET " + path + b" HTTP/1.1\r\nAuthorization: " + token + b"\r\n"
    if name == b"Authorization":
        head = b"GET " + path + b" HTTP/1.1\r\n"
    status, body = await raw_request(api, head + name + b": " + value + b"\r\n")
    assert status == 400
    assert f"The header '{name.decode()}' is not valid UTF-8" in body["error"]
    assert await everything(redis) == before


async def test_a_host_header_that_is_no_host_is_a_400(api: TestClient) -> None:
    reply = await api.get("/api/chat-config", headers={"Host": "a b"})
    assert reply.status == 400 and "Host header" in (await reply.json())["error"]


# --- Errors that are not the client's ----------------------------------------------------

async def test_aiohttps_own_refusals_are_json(api: TestClient) -> None:
    reply = await api.delete("/api/queue")
    assert reply.status == 405
    assert (await reply.json())["error"] == \
        "Method Not Allowed: DELETE /api/queue (use GET or HEAD)"
    reply = await api.get("/static/no-such-file.js")
    assert reply.status == 404 and "error" in await reply.json()
    reply = await api.get("/static/../settings.py")
    assert reply.status in (403, 404) and "error" in await reply.json()


async def test_a_redis_error_that_is_not_an_outage_is_a_logged_json_500(
    api: TestClient, redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await make_agent(redis, "ana")

    async def wrong_type(self: AgentDirectory, agent_id: str, password: str) -> None:
        raise ResponseError("WRONGTYPE Operation against a key holding the wrong kind")

    monkeypatch.setattr(AgentDirectory, "authenticate", wrong_type)
    with caplog.at_level(logging.ERROR, logger="webapp.app"):
        reply = await api.post("/api/auth/login", json={"agent_id": "ana", "password": "x"})
    assert reply.status == 500 and reply.content_type == JSON
    message = (await reply.json())["error"]
    assert "logged" in message and "WRONGTYPE" not in message and "Redis" not in message
    [record] = [r for r in caplog.records if r.name == "webapp.app"]
    assert record.exc_info is not None and "POST /api/auth/login" in record.getMessage()


async def test_a_bug_is_a_json_500_not_a_text_page(
    api: TestClient, redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await make_agent(redis, "ana")
    ana = await sign_in(api, "ana")

    async def broken(self: AgentDirectory, agent_id: str) -> None:
        raise KeyError("presence")

    monkeypatch.setattr(AgentDirectory, "conversations", broken)
    reply = await api.get("/api/me", headers=ana)
    assert reply.status == 500 and reply.content_type == JSON
    assert "went wrong on our side" in (await reply.json())["error"]
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)


async def test_a_redis_timeout_is_a_503(
    api: TestClient, redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch,
) -> None:
    await make_agent(redis, "ana")

    async def slow(self: AgentDirectory, agent_id: str, password: str) -> None:
        raise RedisTimeoutError("Timeout reading from socket")

    monkeypatch.setattr(AgentDirectory, "authenticate", slow)
    reply = await api.post("/api/auth/login", json={"agent_id": "ana", "password": "x"})
    assert reply.status == 503 and "cannot reach Redis" in (await reply.json())["error"]
