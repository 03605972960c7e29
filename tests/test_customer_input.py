"""The door before Rasa: text made valid, long lines and floods refused politely, and only
what the shop signed believed. Pure: no server."""

from __future__ import annotations

import time

from bot.customer_input import CUSTOMER_TOKEN_KEY, CustomerGate, client_key
from bot.rate_limits import RateLimiter
from router.customer_limits import BadLimit, CustomerLimits
from router.customer_token import sign, trusted_priority, verify

SECRET = "shop-secret"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def gate(**limits: int) -> CustomerGate:
    return CustomerGate(CustomerLimits(**limits), SECRET)


def test_a_line_at_the_limit_passes_and_one_over_is_refused_with_its_length() -> None:
    door = gate(max_message_chars=10)
    assert door.message("c1", "x" * 10) == ("x" * 10, None)
    text, refusal = door.message("c1", "x" * 1_000_000)
    assert refusal is not None and refusal.reason == "too_long"
    assert "1,000,000 characters" in refusal.text and "10 fit" in refusal.text


def test_text_is_made_valid_before_anything_else_sees_it() -> None:
    assert gate().message("c1", "hi \ud800") == ("hi \ufffd", None)
    assert gate().message("c1", None) == ("", None)  # no text: an empty line, not a crash


def test_a_conversation_sending_too_fast_is_asked_to_wait_and_others_are_not() -> None:
    door = gate(messages_per_minute=3)
    assert all(door.message("fast", "hi")[1] is None for _ in range(3))
    _, refusal = door.message("fast", "hi")
    assert refusal is not None and refusal.reason == "too_fast"
    assert "didn't reach me" in refusal.text
    assert door.message("calm", "hi")[1] is None


def test_new_conversations_are_limited_per_address() -> None:
    door = gate(conversations_per_hour=2)
    assert door.new_conversation("10.0.0.1") is None
    assert door.new_conversation("10.0.0.1") is None
    refusal = door.new_conversation("10.0.0.1")
    assert refusal is not None and "try again in about 60 minutes" in refusal.text
    assert door.new_conversation("10.0.0.2") is None


def test_a_window_slides() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 60, clock)
    assert limiter.allow("k") and limiter.allow("k") and not limiter.allow("k")
    assert 59 < limiter.retry_after("k") <= 60
    clock.now += 60
    assert limiter.allow("k")


def test_the_memory_of_keys_is_bounded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("bot.rate_limits.MAX_KEYS", 100)
    limiter = RateLimiter(1, 60)
    for number in range(1000):
        limiter.allow(f"client-{number}")
    assert len(limiter._seen) == 100


def test_client_metadata_gives_no_priority_without_a_valid_signed_token() -> None:
    door = gate()
    good = sign(SECRET, 2, time.time() + 60)
    assert door.trusted_metadata({"customer_priority": 2}) == {}
    assert door.trusted_metadata({CUSTOMER_TOKEN_KEY: good}) == {"customer_priority": 2}
    assert door.trusted_metadata({CUSTOMER_TOKEN_KEY: sign("guessed", 2, time.time() + 60)}) \
        == {}
    assert door.trusted_metadata({CUSTOMER_TOKEN_KEY: sign(SECRET, 2, time.time() - 1)}) == {}
    assert door.trusted_metadata("not a dict") == {}
    assert CustomerGate(CustomerLimits(), "").trusted_metadata({CUSTOMER_TOKEN_KEY: good}) == {}


def test_a_tampered_token_is_refused() -> None:
    token = sign(SECRET, 1, time.time() + 60)
    version, payload, signature = token.split(".")
    forged_payload = sign("other", 2, time.time() + 60).split(".")[1]
    assert verify(SECRET, token) is not None
    assert verify(SECRET, f"{version}.{forged_payload}.{signature}") is None
    for junk in ("", "v1..", "v1.!!!.x", "v2." + token[3:], "x" * 5000, 42, None,
                 f"{version}.{payload}.é", f"{version}.{payload}.\ud800",
                 f"{version}.\ud800.{signature}"):
        assert trusted_priority(SECRET, junk) == 0


def test_limits_from_the_environment_say_what_is_wrong() -> None:
    assert CustomerLimits.from_env({"MAX_MESSAGE_CHARS": "500"}).max_message_chars == 500
    for bad in ("0", "-3", "²", "ten", "9" * 50):
        try:
            CustomerLimits.from_env({"MESSAGES_PER_MINUTE": bad})
        except BadLimit as error:
            assert "MESSAGES_PER_MINUTE" in str(error)
        else:
            raise AssertionError(f"{bad!r} messages a minute was accepted")


def test_the_nlu_reads_at_most_the_bounded_text() -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.bounded_text import BoundedText

    long_line = Message({"text": "where is my order " * 100_000})
    odd_line = Message({"text": "hi \ud800"})
    BoundedText(2000).process([long_line, odd_line])
    assert len(long_line.get("text")) == 2000
    assert odd_line.get("text") == "hi \ufffd"


def test_clients_are_counted_by_ipv4_address_or_ipv6_network() -> None:
    assert client_key("203.0.113.9") == "203.0.113.9"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::7") \
        == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert client_key("unknown") == "unknown"
