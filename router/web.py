"""Our aiohttp service: the customer's web chat page and a health check.

The page talks to Rasa's socket.io channel directly; this service tells it where that is.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

from aiohttp import web
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from router.settings import WebSettings

STATIC_DIR = Path(__file__).parent / "static"
SETTINGS = web.AppKey("settings", WebSettings)
REDIS = web.AppKey("redis", aioredis.Redis)

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error leaves as `{"error": "..."}` with its status, never an HTML page."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        message = error.text if error.text and not error.text.startswith(str(error.status)) \
            else f"{error.reason}: {request.method} {request.path}"
        return web.json_response({"error": message}, status=error.status)


async def chat_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "chat.html")


async def chat_config(request: web.Request) -> web.Response:
    """Where the page's socket.io client should connect."""
    settings = request.app[SETTINGS]
    page_host = request.host.split(":")[0]
    socket_url = settings.rasa_public_url or f"{request.scheme}://{page_host}:{settings.rasa_port}"
    return web.json_response({"socket_url": socket_url})


async def health(request: web.Request) -> web.Response:
    try:
        await request.app[REDIS].ping()
    except (RedisError, OSError) as error:
        return web.json_response(
            {"status": "degraded", "redis": f"unreachable: {error}"}, status=503
        )
    return web.json_response({"status": "ok", "redis": "ok"})


async def _redis_client(app: web.Application) -> AsyncIterator[None]:
    client = aioredis.Redis.from_url(app[SETTINGS].redis_url, decode_responses=True)
    app[REDIS] = client
    yield
    await client.close()


def create_app(settings: WebSettings) -> web.Application:
    app = web.Application(middlewares=[json_errors], client_max_size=64 * 1024)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_redis_client)
    app.router.add_get("/", chat_page)
    app.router.add_get("/api/chat-config", chat_config)
    app.router.add_get("/health", health)
    app.router.add_static("/static/", STATIC_DIR)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Pinecone Supply web service")
    parser.add_argument("--port", type=int, help="overrides WEB_PORT")
    args = parser.parse_args()
    settings = WebSettings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    web.run_app(create_app(settings), host=settings.host, port=args.port or settings.port,
                print=None)


if __name__ == "__main__":
    main()
