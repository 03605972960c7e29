"""Reading what a client sent: JSON bodies and their fields, with errors a person can act on."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from aiohttp import web


async def json_body(request: web.Request) -> Dict[str, Any]:
    """The request's JSON object. Only `application/json` is accepted, which also keeps other
    sites' plain HTML forms from posting here with a signed-in agent's cookie."""
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(
            text="Send the body as JSON with the header Content-Type: application/json.")
    raw = await request.text()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as error:
        raise web.HTTPBadRequest(text=f"The body is not valid JSON: {error.msg} at line "
                                      f"{error.lineno}, column {error.colno}.") from error
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="The body must be a JSON object, like {\"text\": \"...\"}.")
    return body


def text_field(body: Dict[str, Any], name: str, *, required: bool = True,
               max_length: int = 200, strip: bool = True) -> Optional[str]:
    """A string field; `strip=False` for secrets, whose spaces are part of them."""
    value = body.get(name)
    if value is None:
        if required:
            raise web.HTTPBadRequest(text=f"The field '{name}' is missing.")
        return None
    if not isinstance(value, str):
        raise web.HTTPBadRequest(text=f"The field '{name}' must be a string.")
    if strip:
        value = value.strip()
    if required and not value:
        raise web.HTTPBadRequest(text=f"The field '{name}' is empty.")
    if len(value) > max_length:
        raise web.HTTPBadRequest(
            text=f"The field '{name}' is {len(value)} characters; the limit is {max_length}.")
    return value or None


def int_field(body: Dict[str, Any], name: str, default: Optional[int] = None) -> Optional[int]:
    value = body.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise web.HTTPBadRequest(text=f"The field '{name}' must be a whole number.")
    return value


def list_field(body: Dict[str, Any], name: str) -> Optional[List[str]]:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise web.HTTPBadRequest(text=f"The field '{name}' must be a list of strings.")
    return [v.strip() for v in value]
