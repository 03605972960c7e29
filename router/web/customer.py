"""The customer's side: the web chat page, where its socket.io client connects, and health."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from redis.exceptions import RedisError

from router.web.services import services

STATIC_DIR = Path(__file__).parent.parent / "static"


async def chat_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "chat.html")


async def console_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "console.html")


async def chat_config(request: web.Request) -> web.Response:
    """Where the page's socket.io client should connect."""
    settings = services(request).settings
    page_host = request.host.split(":")[0]
    socket_url = settings.rasa_public_url or f"{request.scheme}://{page_host}:{settings.rasa_port}"
    return web.json_response({"socket_url": socket_url})


async def health(request: web.Request) -> web.Response:
    try:
        await services(request).redis.ping()
    except (RedisError, OSError) as error:
        return web.json_response(
            {"status": "degraded", "redis": f"unreachable: {error}"}, status=503
        )
    return web.json_response({"status": "ok", "redis": "ok"})


async def openapi(request: web.Request) -> web.FileResponse:
    return web.FileResponse(Path(__file__).parent.parent / "openapi.yml",
                            headers={"Content-Type": "application/yaml"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", chat_page)
    app.router.add_get("/console", console_page)
    app.router.add_get("/api/chat-config", chat_config)
    app.router.add_get("/api/openapi.yml", openapi)
    app.router.add_get("/health", health)
    app.router.add_static("/static/", STATIC_DIR)
