"""Server-sent events: the console's live feeds. The browser's EventSource reconnects on its
own and sends the last event id it saw, so a reconnect resumes where it stopped."""

from __future__ import annotations

import json
from typing import Any, Optional

from aiohttp import web

KEEPALIVE = b": keepalive\n\n"


async def open_stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no"})
    await response.prepare(request)
    return response


async def send(response: web.StreamResponse, event: str, data: Any,
               event_id: Optional[str] = None) -> None:
    chunk = f"event: {event}\n"
    if event_id:
        chunk = f"id: {event_id}\n" + chunk
    chunk += f"data: {json.dumps(data)}\n\n"
    await response.write(chunk.encode())
