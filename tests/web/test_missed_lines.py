"""A returning chat page gets what a person said while it was closed, and only its own."""

from __future__ import annotations

from typing import Any, AsyncIterator, Dict, List, Tuple

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from router.webchat_keys import session_key
from stack.redis_server import EmbeddedRedis
from webapp import create_app
from webapp.settings import WebSettings

SECRET = "webchat-secret-for-tests"
EVENTS: List[Dict[str, Any]] = [
    {"event": "user", "text": "my parcel is lost", "timestamp": 100.0},
    {"event": "bot", "text": "I'll bring in a person.", "timestamp": 101.0, "metadata": {}},
    {"event": "bot", "text": "Hi, Ana here, checking now.", "timestamp": 200.0,
     "metadata": {"agent_name": "Ana", "agent_id": "ana", "relay_id": "r1"}},
    {"event": "bot", "text": "Found it: it arrives tomorrow.", "timestamp": 900.0,
     "metadata": {"agent_name": "Ana", "agent_id": "ana", "relay_id": "r2"}},
]


@pytest.fixture
async def page(redis_server: EmbeddedRedis) -> AsyncIterator[Tuple[TestClient, List[str]]]:
    """The web service, and a stand-in for Rasa's tracker API recording what was asked."""
    asked: List[str] = []

    async def tracker(request: web.Request) -> web.Response:
        asked.append(request.match_info["conversation_id"])
        if request.match_info["conversation_id"] == "gone":
            return web.json_response({"message": "no"}, status=404)
        return web.json_response({"events": EVENTS})

    rasa_app = web.Application()
    rasa_app.router.add_get("/conversations/{conversation_id}/tracker", tracker)
    rasa = TestServer(rasa_app)
    await rasa.start_server()
    settings = WebSettings(redis_url=redis_server.url, background_tasks=False,
                           rasa_url=str(rasa.make_url("")), webchat_secret=SECRET)
    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    yield client, asked
    await client.close()
    await rasa.close()


def proof(conversation_id: str) -> Dict[str, Any]:
    return {"session_id": conversation_id, "session_key": session_key(SECRET, conversation_id)}


async def test_a_returning_page_gets_a_persons_lines_since_it_last_had_one(page: tuple) -> None:
    client, _ = page
    reply = await client.post("/api/chat/missed", json={**proof("c1"), "since": 300})
    assert reply.status == 200
    lines = (await reply.json())["lines"]
    assert [line["text"] for line in lines] == ["Found it: it arrives tomorrow."]
    assert lines[0]["metadata"] == {"agent_name": "Ana", "relay_id": "r2"}
    everything = await client.post("/api/chat/missed", json={**proof("c1"), "since": 0})
    assert [line["metadata"]["relay_id"] for line in (await everything.json())["lines"]] == \
        ["r1", "r2"]  # a person's lines only: the bot's are answers the page saw itself


async def test_an_id_without_its_key_reads_nothing(page: tuple) -> None:
    client, asked = page
    for body in ({"session_id": "c1", "session_key": "0" * 64},
                 {"session_id": "c1", "session_key": session_key("guess", "c1")},
                 {**proof("c2"), "session_id": "c1"}):
        reply = await client.post("/api/chat/missed", json=body)
        assert reply.status == 403
        assert "key" in (await reply.json())["error"]
    assert asked == []  # refused before Rasa was asked


@pytest.mark.parametrize("body", [
    {"session_key": "x"}, {"session_id": "c1"}, {"session_id": 5, "session_key": "x"},
    {**proof("c1"), "since": "yesterday"}, {**proof("c1"), "since": -1},
    {**proof("c1"), "since": True}, {"session_id": "c" * 500, "session_key": "x"},
])
async def test_bad_requests_are_explained(page: tuple, body: Dict[str, Any]) -> None:
    client, asked = page
    reply = await client.post("/api/chat/missed", json=body)
    assert reply.status == 400
    assert (await reply.json())["error"]
    assert asked == []


async def test_an_unknown_conversation_and_a_missing_secret(page: tuple,
                                                           redis_server: EmbeddedRedis) -> None:
    client, _ = page
    assert (await client.post("/api/chat/missed", json=proof("gone"))).status == 404
    unset = TestClient(TestServer(create_app(WebSettings(redis_url=redis_server.url,
                                                         background_tasks=False))))
    await unset.start_server()
    try:  # without WEBCHAT_SECRET no key can be right
        assert (await unset.post("/api/chat/missed", json=proof("c1"))).status == 403
    finally:
        await unset.close()
