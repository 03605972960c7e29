"""The customer's side: the web chat page, where its socket.io client connects, and health."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from redis.exceptions import RedisError
from yarl import URL

from router import typing_signals
from router.customer_limits import CustomerLimits
from webapp.services import services

STATIC_DIR = Path(__file__).parent / "static"
# Our pages load only their own files (no inline script or style, no plugins, no frames),
# and cannot be framed by another site; `connect-src` is added per page.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


async def chat_page(request: web.Request) -> web.FileResponse:
    """The customer's chat: it talks to this service and to Rasa's socket.io, nothing else."""
    socket = URL(socket_url(request))
    websocket = socket.with_scheme("wss" if socket.scheme == "https" else "ws")
    return _page("chat.html", f"'self' {_origin(socket)} {_origin(websocket)}")


async def console_page(request: web.Request) -> web.FileResponse:
    """The agents' console only ever talks to this service; customer text is never markup."""
    return _page("console.html", "'self'")


def _page(name: str, connect_src: str) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / name, headers={
        "Content-Security-Policy": f"{PAGE_CSP}; connect-src {connect_src}",
        "Cache-Control": "no-cache"})


def _origin(url: URL) -> str:
    return str(url.origin())


def socket_url(request: web.Request) -> str:
    """Where the chat page's socket.io client connects: the public Rasa URL if one is set,
    else Rasa's port on the host the page came from."""
    settings = services(request).settings
    if settings.rasa_public_url:
        return settings.rasa_public_url
    return _on_page_host(request, settings.rasa_port)


def _on_page_host(request: web.Request, port: int) -> str:
    try:
        host = URL(f"http://{request.host}").host  # the scheme only makes it parseable
        if host:
            return str(URL.build(scheme=request.scheme, host=host, port=port))
    except ValueError:
        pass  # said below, as for an empty Host
    raise web.HTTPBadRequest(text="The Host header is not a host name: open the page by "
                                  "its address, like http://localhost:8080/.")


async def chat_config(request: web.Request) -> web.Response:
    """Where the page's socket.io client should connect, the longest line it may send (the
    channel's own limit, so the text box stops where the bot would), and how often typing is
    signalled and shown."""
    return web.json_response({"socket_url": socket_url(request),
                              "max_message_chars": CustomerLimits.from_env().max_message_chars,
                              "typing": typing_signals.timing()})


async def health(request: web.Request) -> web.Response:
    try:
        await services(request).redis.ping()
    except (RedisError, OSError) as error:
        return web.json_response(
            {"status": "degraded", "redis": f"unreachable: {error}"}, status=503
        )
    return web.json_response({"status": "ok", "redis": "ok"})


async def openapi(request: web.Request) -> web.FileResponse:
    return web.FileResponse(Path(__file__).parent / "openapi.yml",
                            headers={"Content-Type": "application/yaml"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", chat_page)
    app.router.add_get("/console", console_page)
    app.router.add_get("/api/chat-config", chat_config)
    app.router.add_get("/api/openapi.yml", openapi)
    app.router.add_get("/health", health)
    app.router.add_static("/static/", STATIC_DIR)
