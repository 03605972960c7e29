"""Whatever a customer types, every store we use accepts it once cleaned."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis import asyncio as aioredis

from router.clean_text import REPLACEMENT, lua_json, valid_text

# Any code point, lone surrogates and control characters included.
ANY_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=60)


def test_lone_surrogates_become_the_replacement_character() -> None:
    assert valid_text("hi \ud800 there \udfff") == f"hi {REPLACEMENT} there {REPLACEMENT}"


def test_emoji_accents_and_line_breaks_are_kept() -> None:
    assert valid_text("caf\u0065\u0301 😀\nline two\ttab") == "café 😀\nline two\ttab"


def test_invisible_control_characters_are_dropped() -> None:
    assert valid_text("order\x00 12\x1b34\x7f56") == "order 123456"


@given(ANY_TEXT)
def test_clean_text_always_encodes_as_utf8_and_is_stable(text: str) -> None:
    once = valid_text(text)
    once.encode("utf-8")  # raises on a lone surrogate
    assert valid_text(once) == once


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(ANY_TEXT, ANY_TEXT, min_size=1, max_size=4))
async def test_redis_lua_decodes_whatever_lua_json_makes(redis: aioredis.Redis,
                                                         value: dict) -> None:
    decoded = await redis.eval("return cjson.encode(cjson.decode(ARGV[1]))", 0,
                               lua_json(value))
    assert json.loads(decoded) == json.loads(lua_json(value))
