"""Our web service: the chat page, where it connects, health, and JSON errors."""

from html.parser import HTMLParser
from pathlib import Path
from typing import AsyncIterator, Dict, List, Optional, Tuple

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from redis import asyncio as aioredis

from router.agents.directory import AgentDirectory
from router.typing_signals import SHOWN_FOR_SECONDS, SIGNAL_EVERY_SECONDS
from stack.redis_server import EmbeddedRedis, free_port
from webapp import create_app
from webapp.app import ensure_first_admin
from webapp.settings import WebSettings


async def client_for(settings: WebSettings) -> TestClient:
    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    return client


@pytest.fixture
async def client(redis_server: EmbeddedRedis) -> AsyncIterator[TestClient]:
    client = await client_for(WebSettings(redis_url=redis_server.url, rasa_port=5999,
                                          background_tasks=False))
    yield client
    await client.close()


async def test_the_chat_page_is_served(client: TestClient) -> None:
    reply = await client.get("/")
    assert reply.status == 200
    page = await reply.text()
    assert 'id="composer"' in page and "/static/chat.js" in page
    script = await client.get("/static/vendor/socket.io.min.js")
    assert script.status == 200


async def test_the_page_learns_where_rasa_is_and_the_longest_line(
    client: TestClient, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "1234")
    reply = await client.get("/api/chat-config")
    assert await reply.json() == {"socket_url": "http://127.0.0.1:5999",
                                  "max_message_chars": 1234,
                                  "typing": {"signal_every_seconds": SIGNAL_EVERY_SECONDS,
                                             "shown_for_seconds": SHOWN_FOR_SECONDS}}


async def test_a_public_rasa_url_wins(redis_server: EmbeddedRedis) -> None:
    client = await client_for(WebSettings(redis_url=redis_server.url, background_tasks=False,
                                          rasa_public_url="https://bot.example.com"))
    try:
        reply = await client.get("/api/chat-config")
        assert (await reply.json())["socket_url"] == "https://bot.example.com"
    finally:
        await client.close()


async def test_health_reports_redis(client: TestClient) -> None:
    reply = await client.get("/health")
    assert reply.status == 200
    assert await reply.json() == {"status": "ok", "redis": "ok"}


async def test_health_says_when_redis_is_unreachable() -> None:
    client = await client_for(WebSettings(redis_url=f"redis://127.0.0.1:{free_port()}/0",
                                          background_tasks=False))
    try:
        reply = await client.get("/health")
        assert reply.status == 503
        body = await reply.json()
        assert body["status"] == "degraded" and body["redis"].startswith("unreachable")
    finally:
        await client.close()


async def test_unknown_paths_answer_json(client: TestClient) -> None:
    reply = await client.get("/no/such/page")
    assert reply.status == 404
    assert (await reply.json())["error"] == "Not Found: GET /no/such/page"


async def test_wrong_methods_answer_json(client: TestClient) -> None:
    reply = await client.post("/api/chat-config", data="{not json")
    assert reply.status == 405
    assert "POST /api/chat-config" in (await reply.json())["error"]


async def test_the_openapi_file_describes_every_route_and_only_those(client: TestClient) -> None:
    import yaml

    reply = await client.get("/api/openapi.yml")
    assert reply.status == 200
    spec = yaml.safe_load(await reply.text())
    documented = {(method.upper(), path) for path, item in spec["paths"].items()
                  for method in item if method != "parameters"}
    app = create_app(WebSettings(background_tasks=False))
    served = {(route.method, route.resource.canonical) for route in app.router.routes()
              if route.method != "HEAD" and route.resource is not None
              and not route.resource.canonical.startswith("/static")}
    assert served == documented
    for (method, path) in documented:
        responses = spec["paths"][path][method.lower()]["responses"]
        if path.startswith("/api/") and spec["paths"][path][method.lower()].get(
                "security") != []:
            assert "401" in responses, (method, path)  # every agent endpoint says so


async def test_an_api_call_with_redis_away_answers_json_503() -> None:
    client = await client_for(WebSettings(redis_url=f"redis://127.0.0.1:{free_port()}/0",
                                          background_tasks=False))
    try:
        reply = await client.post("/api/auth/login",
                                  json={"agent_id": "ana", "password": "a long password"})
        assert reply.status == 503
        assert "cannot reach Redis" in (await reply.json())["error"]
    finally:
        await client.close()


async def test_the_console_page_may_only_load_its_own_scripts(client: TestClient) -> None:
    reply = await client.get("/console")
    assert reply.status == 200 and 'id="login-form"' in await reply.text()
    assert reply.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_fresh_install_gets_one_admin_with_a_private_password_file(
    redis_server: EmbeddedRedis, tmp_path: Path,
) -> None:
    redis = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    await redis.flushdb()
    directory = AgentDirectory(redis)
    settings = WebSettings(first_admin_password_file=tmp_path / "var" / "admin_password")
    await ensure_first_admin(directory, settings)
    password = settings.first_admin_password_file.read_text().strip()  # type: ignore[union-attr]
    assert (settings.first_admin_password_file.stat().st_mode & 0o777) == 0o600  # type: ignore
    admin = await directory.authenticate("admin", password)
    assert admin is not None and admin.is_admin
    # Customers see the name when it answers them: a team's, not a role's.
    assert admin.name == "Pinecone team"
    await ensure_first_admin(directory, settings)  # a second start changes nothing
    assert await directory.count() == 1
    assert await directory.authenticate("admin", password) is not None
    await redis.close()


def policy(reply: ClientResponse) -> Dict[str, List[str]]:
    """The Content-Security-Policy header as directive -> sources."""
    directives = [part.split() for part in reply.headers["Content-Security-Policy"].split(";")]
    return {name: sources for name, *sources in directives}


async def test_the_chat_page_may_only_talk_to_us_and_rasas_socket(client: TestClient) -> None:
    reply = await client.get("/")
    csp = policy(reply)
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'", "http://127.0.0.1:5999", "ws://127.0.0.1:5999"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert "unsafe" not in reply.headers["Content-Security-Policy"]
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_chat_pages_policy_follows_a_public_rasa_url(
    redis_server: EmbeddedRedis,
) -> None:
    client = await client_for(WebSettings(redis_url=redis_server.url, background_tasks=False,
                                          rasa_public_url="https://bot.example.com/rasa/"))
    try:
        csp = policy(await client.get("/"))
        assert csp["connect-src"] == ["'self'", "https://bot.example.com",
                                      "wss://bot.example.com"]
    finally:
        await client.close()


class _InlineCode(HTMLParser):
    """Finds what a CSP without 'unsafe-inline' would block: inline scripts, styles and
    event-handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: List[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        names = {name for name, _ in attrs}
        self._in_script = tag == "script" and "src" not in names
        self.found += [f"<{tag} {name}>" for name in names
                       if name.startswith("on") or name == "style"]
        if tag == "style":
            self.found.append("<style>")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append("<script> without src")


@pytest.mark.parametrize("page", ["/", "/console"])
async def test_our_pages_have_no_inline_code_their_policy_would_block(
    client: TestClient, page: str,
) -> None:
    parser = _InlineCode()
    parser.feed(await (await client.get(page)).text())
    assert parser.found == []


@pytest.mark.parametrize("path", ["/static/chat.js", "/static/chat.css", "/api/chat-config",
                                  "/static/missing.js", "/api/queue"])
async def test_everything_else_is_no_document_and_not_sniffed(
    client: TestClient, path: str,
) -> None:
    reply = await client.get(path)
    assert reply.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Cross-Origin-Resource-Policy"] == "same-origin"
