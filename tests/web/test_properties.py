"""Generated bad requests against every operation in webapp/openapi.yml (read at run time, so
a new endpoint is covered as soon as it is documented): odd bodies, ids, query values,
content types, with and without a session. Whatever is sent, the service never answers 5xx;
a refusal is JSON with an `error` message, and a refused request changed nothing in Redis."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple
from unittest.mock import patch
from urllib.parse import quote

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from redis import asyncio as aioredis
from yarl import URL

from router.tickets import TicketStore
from stack.redis_server import EmbeddedRedis
from tests.web.conftest import PASSWORD, make_agent, sign_in, waiting_customer
from webapp import create_app
from webapp.settings import WebSettings

SPEC = yaml.safe_load((Path(__file__).parents[2] / "webapp" / "openapi.yml").read_text())
METHODS = ("get", "post", "put", "patch", "delete")
OPERATIONS = [(method.upper(), path) for path, item in SPEC["paths"].items()
              for method in item if method in METHODS]
# A refused sign-in is counted (that is the lockout working), so these keys may change.
COUNTED_REFUSALS = {("POST", "/api/auth/login"): ":sign_in_attempt"}
EXAMPLES_PER_OPERATION = 50
TICKET = "PC-7K3Q9"  # the world's open ticket


# --- The world each request is made in: restored to the same state before every request --

@dataclass
class World:
    api: TestClient
    redis: aioredis.Redis  # bytes, for DUMP and RESTORE
    sessions: Dict[str, Dict[str, str]]
    saved: Dict[bytes, Tuple[int, bytes]]

    async def save(self) -> None:
        self.saved = {key: (max(ttl, 0), value)
                      for key, (ttl, value) in (await self._everything()).items()}

    async def restore(self) -> None:
        async with self.redis.pipeline(transaction=True) as tx:
            tx.flushdb()
            for key, (ttl, value) in self.saved.items():
                tx.restore(key, ttl, value)
            await tx.execute()

    async def values(self) -> Dict[bytes, bytes]:
        return {key: value for key, (_ttl, value) in (await self._everything()).items()}

    async def _everything(self) -> Dict[bytes, Tuple[int, bytes]]:
        names = sorted(await self.redis.keys("*"))
        async with self.redis.pipeline(transaction=True) as tx:
            for name in names:
                tx.pttl(name)
                tx.dump(name)
            replies = await tx.execute()
        return {name: (replies[2 * i], replies[2 * i + 1]) for i, name in enumerate(names)}


async def _build(redis_url: str) -> World:
    text_redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    await text_redis.flushdb()
    api = TestClient(TestServer(create_app(WebSettings(redis_url=redis_url,
                                                       background_tasks=False))))
    await api.start_server()
    for agent_id, role in (("ana", "agent"), ("ben", "agent"), ("boss", "admin")):
        await make_agent(text_redis, agent_id, role=role)
    for conversation_id in ("c1", "c2", "c3"):
        await waiting_customer(text_redis, conversation_id)
    with patch("router.tickets.new_reference", return_value=TICKET):  # one GOOD_VALUES knows
        await TicketStore(text_redis, 2000).create({"conversation_id": "c9"}, "call me")
    sessions = {agent_id: await sign_in(api, agent_id) for agent_id in ("ana", "ben", "boss")}
    for agent_id, conversation_id in (("ana", "c1"), ("ben", "c3")):
        reply = await api.post("/api/queue/claim", json={"conversation_id": conversation_id},
                               headers=sessions[agent_id])
        assert reply.status == 200, await reply.text()
    await text_redis.close()
    world = World(api, aioredis.Redis.from_url(redis_url), sessions, {})
    await world.save()
    return world


@pytest.fixture(scope="module")
def world(redis_server: EmbeddedRedis) -> Iterator[Tuple[World, asyncio.AbstractEventLoop]]:
    """One world per module on its own event loop: Hypothesis calls the test once per
    example, synchronously, and each example runs on this loop."""
    loop = asyncio.new_event_loop()
    built = loop.run_until_complete(_build(redis_server.url))
    yield built, loop
    loop.run_until_complete(built.api.close())
    loop.run_until_complete(built.redis.close())
    loop.run_until_complete(_end_streams())
    loop.close()


async def _end_streams() -> None:
    """Streams that answered 200 run until they next write; end them before the loop goes."""
    unfinished = asyncio.all_tasks() - {asyncio.current_task()}
    for task in unfinished:
        task.cancel()
    await asyncio.gather(*unfinished, return_exceptions=True)


# --- What is sent -------------------------------------------------------------------------

# Text a client might send, lone surrogates included (json.dumps writes them as \udxxx).
any_text = st.text(max_size=40) | st.sampled_from(
    ["", " ", "\x00", "x" * 5000, "ana:sessions", "../..", "%00", "\u202e", "\U0001f600" * 3,
     "NaN", "c1\n", "\ud800", "a\udfffb", "<script>"])
# Text that can travel in a URL (a lone surrogate has no UTF-8 form to percent-encode).
url_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["", "x" * 300, "ana:sessions", "c1 c2", "\U0001f600", "1-", "99999999999999999999-0",
     "\u00b2", "\u0661\u0660", "9" * 60])  # digits str.isdigit() takes and int() may not
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=False)
    | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12)
# Values that are right for a field, so a generated request gets past the first check.
GOOD_VALUES: Dict[str, List[Any]] = {
    "conversation_id": ["c1", "c2", "c3", "nope"], "agent_id": ["ana", "ben", "boss", "zed"],
    "to_agent": ["ben", "ana", "zed"], "to_team": ["billing"], "text": ["Hello there"],
    "presence": ["online", "away"], "password": [PASSWORD, "a brand new secret 42"],
    "id": ["newbie"], "name": ["Newbie"], "role": ["agent", "admin"], "capacity": [1, 3],
    "teams": [["billing"]], "request_id": ["r-1"], "after": ["0", "1700000000000-0"],
    "reference": [TICKET, TICKET.lower(), "PC-22222"], "email": ["jo@example.org"],
    "status": ["open", "answered", "closed"],
}
CONTENT_TYPES = ["application/json", "application/json; charset=utf-8",
                 "application/json; charset=bogus", "application/json; charset=latin-1",
                 'application/json; charset="UTF-8"', "text/plain", "multipart/form-data",
                 "application/x-www-form-urlencoded", "application/json; boundary=x", ""]
RAW_BODIES = [b"", b"{", b"[]", b"null", b'"text"', b"\xff\xfe\x00", b'{"a": NaN}',
              b'{"capacity": 1e999}', b'{"capacity": ' + b"9" * 5000 + b"}",
              b'{"text": ' + b"[" * 3000 + b"]" * 3000 + b"}", b'{"text": "\\ud83d"}',
              b"\xef\xbb\xbf{}", b'{"text": "caf\xe9"}', b"x" * 70_000]


def _field(name: str) -> st.SearchStrategy[Any]:
    good = GOOD_VALUES.get(name)
    return (st.sampled_from(good) | json_values) if good else json_values


def _properties(operation: Dict[str, Any]) -> List[str]:
    content = (operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema") or {}
    return list(schema.get("properties") or {})


def _bodies(operation: Dict[str, Any]) -> st.SearchStrategy[bytes]:
    fields = {name: _field(name) for name in _properties(operation)}
    objects = st.fixed_dictionaries({}, optional=fields).flatmap(
        lambda body: st.dictionaries(any_text, json_values, max_size=2).map(
            lambda extra: {**extra, **body}))
    return (objects.map(lambda body: json.dumps(body).encode())
            | json_values.map(lambda value: json.dumps(value).encode())
            | st.sampled_from(RAW_BODIES) | st.binary(max_size=40))


def _parameters(path: str, method: str) -> List[Dict[str, Any]]:
    item = SPEC["paths"][path]
    found = []
    for parameter in item.get("parameters", []) + item[method.lower()].get("parameters", []):
        if "$ref" in parameter:
            parameter = SPEC["components"]["parameters"][parameter["$ref"].split("/")[-1]]
        found.append(parameter)
    return found


def _url_value(name: str) -> st.SearchStrategy[str]:
    good = [str(v) for v in GOOD_VALUES.get(name, [])]
    quoted = url_text.map(lambda value: quote(value, safe=""))
    raw = st.sampled_from(["%FF", "%ED%A0%80", "%C3%28", "%", "%zz"])  # not UTF-8, or broken
    return (st.sampled_from(good) | quoted | raw) if good else quoted | raw


@st.composite
def requests(draw: st.DrawFn, method: str, path: str,
             sessions: Dict[str, str]) -> Tuple[URL, Dict[str, str], bytes]:
    """A request for one operation; `sessions` are the Authorization headers of the world's
    signed-in agents."""
    operation = SPEC["paths"][path][method.lower()]
    url, query = path, []
    for parameter in _parameters(path, method):
        value = draw(_url_value(parameter["name"]))
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", value)
        elif parameter["in"] == "query" and draw(st.booleans()):
            query.append(f"{parameter['name']}={value}")
    if draw(st.booleans()):
        query.append(f"{draw(_url_value('extra'))}={draw(_url_value('extra'))}")
    if query:
        url += "?" + "&".join(query)
    headers = {"Content-Type": draw(st.sampled_from(CONTENT_TYPES))}
    who = draw(st.sampled_from(["nobody", "ana", "ben", "boss", "forged", "cookie"]))
    if who == "forged":
        headers["Authorization"] = "Bearer " + draw(st.text("abcXYZ019-_ ", max_size=60))
    elif who == "cookie":
        headers["Cookie"] = "pinecone_session=" + draw(st.text("abc019-_%", max_size=40))
    elif who != "nobody":
        headers["Authorization"] = sessions[who]
    if draw(st.booleans()):
        headers["Last-Event-ID"] = draw(st.text("0123456789-x", max_size=30))
    return URL(url, encoded=True), headers, draw(_bodies(operation))


# --- What must hold ----------------------------------------------------------------------

async def _check(world: World, method: str, path: str, url: URL, headers: Dict[str, str],
                 body: bytes) -> None:
    await world.restore()
    before = await world.values()
    reply = await world.api.request(method, url, data=body, headers=headers)
    try:
        event(f"status {reply.status}")  # pytest --hypothesis-show-statistics shows the mix
        described = f"{method} {url} {headers} {body[:200]!r} -> {reply.status}"
        assert reply.status < 500, f"{described}: {await reply.text()}"
        if reply.status < 400:
            return  # an accepted request may change things; streams are not read
        assert reply.content_type == "application/json", described
        error = (await reply.json())["error"]
        assert isinstance(error, str) and error.strip(), described
        after = await world.values()
        changed = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
        allowed = COUNTED_REFUSALS.get((method, path))
        if allowed and reply.status in (401, 429):
            changed = {key for key in changed if allowed.encode() not in key}
        assert not changed, f"{described} changed {changed}"
    finally:
        reply.close()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("method, path", OPERATIONS)
def test_no_request_gets_a_5xx_and_a_refused_one_changes_nothing(
    world: Tuple[World, asyncio.AbstractEventLoop], method: str, path: str,
) -> None:
    built, loop = world
    sessions = {agent_id: headers["Authorization"]
                for agent_id, headers in built.sessions.items()}

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(request=requests(method, path, sessions))
    def example(request: Tuple[URL, Dict[str, str], bytes]) -> None:
        loop.run_until_complete(_check(built, method, path, *request))

    example()


def test_every_documented_operation_is_covered() -> None:
    """The spec is read, not copied: this fails if it cannot be, or names no operations."""
    assert ("POST", "/api/conversations/{conversation_id}/messages") in OPERATIONS
    assert len(OPERATIONS) >= 20
