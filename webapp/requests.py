"""Reading what a client sent: JSON bodies, their fields and the ids in paths, with errors a
person can act on. Whatever cannot be right is refused here, before Redis is touched."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Dict, List, NoReturn, Optional, Pattern

from aiohttp import web

from router.agents.directory import AGENT_ID
from router.conversation_ids import CONVERSATION_ID, CONVERSATION_ID_RULE

# The largest body any endpoint needs (a 2,000-character reply, escaped, fits many times).
MAX_BODY_BYTES = 64 * 1024
# Our bodies are flat objects with at most a list of strings in them; anything deeper is
# not meant for us, and a bound keeps the parser's recursion far from Python's limit.
MAX_NESTING = 8
# Characters in one JSON number: ours are small counts, and any double prints in 24; this
# keeps Python from spending time on (or failing at) a number of thousands of digits.
MAX_NUMBER_LENGTH = 32
# A Rasa sender id as our channels make them: 32 hex digits (the web chat), a number
# (Telegram), "whatsapp:+4412..." (Twilio), a user id (Slack).


@dataclass(frozen=True)
class IdFormat:
    """What a kind of id looks like, and how to say so to a person."""

    pattern: Pattern[str]
    names: str  # what the id names, for "No <names> has that id"
    rule: str

    def allows(self, value: str) -> bool:
        return self.pattern.fullmatch(value) is not None


CONVERSATION = IdFormat(CONVERSATION_ID, "handed-off conversation", CONVERSATION_ID_RULE)
AGENT = IdFormat(AGENT_ID, "agent", "an agent id is 2-32 lowercase letters, digits, '.', "
                                   "'_' or '-', starting with a letter or digit")
CASE = IdFormat(re.compile(r"[1-9][0-9]{0,11}"), "case in the history",
                "a case number is a whole number like 42")
# Ids go by the same names in paths and in bodies, so one table checks both at the edge and
# no handler can forget: an id that cannot exist never reaches a Redis key.
ID_FORMATS: Dict[str, IdFormat] = {"conversation_id": CONVERSATION, "agent_id": AGENT,
                                   "to_agent": AGENT, "case_id": CASE}


def check_path_ids(request: web.Request) -> None:
    """404 for a path naming an id that cannot exist (it cannot be found either)."""
    for name, value in request.match_info.items():
        id_format = ID_FORMATS.get(name)
        if id_format is not None and not id_format.allows(value):
            raise web.HTTPNotFound(text=f"No {id_format.names} has that id: "
                                        f"{id_format.rule}.")


def check_readable_headers(request: web.Request) -> None:
    """aiohttp keeps header bytes that are not UTF-8 as lone surrogates, which cannot be
    hashed, stored or compared as text; a client that sends them is told so."""
    for name, value in request.headers.items():
        if not _is_unicode(value):
            raise web.HTTPBadRequest(text=f"The header '{name}' is not valid UTF-8 text: "
                                          f"send header values as plain ASCII.")


async def json_body(request: web.Request) -> Dict[str, Any]:
    """The request's JSON object. Only `application/json` is accepted, which also keeps other
    sites' plain HTML forms from posting here with a signed-in agent's cookie."""
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(
            text="Send the body as JSON with the header Content-Type: application/json.")
    raw = _utf8_text(request.charset, await _body_bytes(request))
    if not raw.strip():
        return {}
    body = _parse_json(raw)
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="The body must be a JSON object, like {\"text\": \"...\"}.")
    _check_value(body, depth=1)
    _check_body_ids(body)
    return body


async def _body_bytes(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge as error:
        raise web.HTTPRequestEntityTooLarge(
            max_size=MAX_BODY_BYTES, actual_size=request.content_length or 0,
            text=f"The body is larger than {MAX_BODY_BYTES // 1024} KiB, the most any "
                 f"request here needs: send less.") from error


def _utf8_text(charset: Optional[str], raw: bytes) -> str:
    # JSON is UTF-8 (RFC 8259); a declared charset may only say so.
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        raise web.HTTPBadRequest(text=f"The charset '{charset[:40]}' is not supported: send "
                                      f"the JSON as UTF-8 (charset=utf-8, or no charset).")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise web.HTTPBadRequest(text=f"The body is not valid UTF-8 (at byte {error.start}): "
                                      f"send the JSON as UTF-8 text.") from error


def _parse_json(raw: str) -> Any:
    try:
        return json.loads(raw, parse_int=_whole_number, parse_float=_decimal_number,
                          parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise web.HTTPBadRequest(text=f"The body is not valid JSON: {error.msg} at line "
                                      f"{error.lineno}, column {error.colno}.") from error
    except RecursionError as error:
        _too_deep(error)


def _whole_number(literal: str) -> int:
    _check_number_length(literal)
    return int(literal)


def _decimal_number(literal: str) -> float:
    _check_number_length(literal)
    number = float(literal)
    if not math.isfinite(number):
        _refuse_constant(literal)
    return number


def _check_number_length(literal: str) -> None:
    if len(literal) > MAX_NUMBER_LENGTH:
        raise web.HTTPBadRequest(text=f"A number in the body has {len(literal)} characters; "
                                      f"the limit is {MAX_NUMBER_LENGTH}.")


def _refuse_constant(literal: str) -> NoReturn:
    raise web.HTTPBadRequest(text=f"The body has the number {literal[:20]}, which JSON does "
                                  f"not allow: send a finite number.")


def _too_deep(cause: Optional[BaseException] = None) -> NoReturn:
    raise web.HTTPBadRequest(text=f"The body is nested more than {MAX_NESTING} levels deep; "
                                  f"send a flat object like {{\"text\": \"...\"}}.") from cause


def _check_value(value: Any, depth: int) -> None:
    """Every string (keys too) is real Unicode, and nothing is nested too deep."""
    if depth > MAX_NESTING:
        _too_deep()
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)


def _check_text(value: str) -> None:
    if not _is_unicode(value):
        raise web.HTTPBadRequest(text="A string in the body has a lone UTF-16 surrogate "
                                      "(such as \\ud800 without its pair), which is not "
                                      "text: send valid Unicode.")


def _is_unicode(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_body_ids(body: Dict[str, Any]) -> None:
    for name, id_format in ID_FORMATS.items():
        value = body.get(name)
        # Other types and empty strings are for `text_field` to explain or to treat as absent.
        if isinstance(value, str) and value.strip() and not id_format.allows(value.strip()):
            raise web.HTTPBadRequest(text=f"The field '{name}' is not a possible id: "
                                          f"{id_format.rule}.")


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


# A number in a query string as people write them: digits, a decimal point, nothing else
# (Python's float() would also take "nan", "1e999" and "²").
QUERY_NUMBER = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,12})?")


def query_number(request: web.Request, name: str, low: float, high: float,
                 default: Optional[float] = None, whole: bool = False) -> Optional[float]:
    """`?name=` as a number from `low` to `high` (a whole one if `whole`), or `default`."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    kind = "a whole number" if whole else "a number"
    if not QUERY_NUMBER.fullmatch(raw) or (whole and "." in raw) or \
            not low <= float(raw) <= high:
        raise web.HTTPBadRequest(text=f"'{name}' is {kind} from {low:g} to {high:g}.")
    return float(raw)
