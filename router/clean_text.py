"""Text that every store accepts: what a customer types becomes valid Unicode before it is
stored anywhere.

JSON can carry a lone UTF-16 surrogate (`"hi \\ud800"`): Python keeps it in a str, but it has
no UTF-8 encoding, and Redis's Lua JSON decoder refuses it. One such line once stopped the
relay to the agents' console for everyone. So every channel cleans a customer's text on the
way in, and everything we hand to a Lua script goes through `lua_json`, which cleans again:
a line from a channel we did not write is no different.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

REPLACEMENT = "\ufffd"
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# C0 controls other than tab, newline and carriage return, and DEL: invisible, never meant.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def valid_text(text: str) -> str:
    """`text` as valid Unicode: lone surrogates become U+FFFD, control characters go, and the
    composed form (NFC) is used, so one letter is one code point however it was typed.

    A well-formed surrogate *pair* cannot reach here split: Python's JSON decoder already
    joins `\\ud83d\\ude00` into one character."""
    cleaned = _CONTROL.sub("", _LONE_SURROGATE.sub(REPLACEMENT, text))
    return unicodedata.normalize("NFC", cleaned)


def cleaned(value: Any) -> Any:
    """`value` with every string in it (keys included) made valid."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {cleaned(k): cleaned(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [cleaned(v) for v in value]
    return value


def lua_json(value: Any) -> str:
    """JSON that Redis's Lua `cjson.decode` accepts, whatever strings `value` holds."""
    return json.dumps(cleaned(value))
