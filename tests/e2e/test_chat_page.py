"""The customer's web chat page in a real headless Chromium, talking to the real bot."""

import json
from typing import Iterator

import pytest

from tests.e2e.browser import Browser, running_browser
from tests.e2e.conftest import RunningBot

BOT_LINES = "[...document.querySelectorAll('.message--bot')].map(e => e.textContent)"
USER_LINES = "[...document.querySelectorAll('.message--user')].map(e => e.textContent)"


@pytest.fixture
def browser() -> Iterator[Browser]:
    yield from running_browser()


def type_and_send(browser: Browser, text: str) -> None:
    browser.js(f"document.getElementById('text').value = {json.dumps(text)};"
               "document.getElementById('composer').requestSubmit();")


def wait_for_bot_line(browser: Browser, fragment: str) -> list:
    return browser.wait_for(BOT_LINES, check=lambda lines: bool(lines) and any(
        fragment in line for line in lines))


def test_a_customer_chats_and_the_page_remembers_the_conversation(
    fresh_shop: RunningBot, browser: Browser
) -> None:
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for("document.getElementById('status').textContent === 'online'")

    type_and_send(browser, "where is my order?")
    wait_for_bot_line(browser, "What's the order number")
    type_and_send(browser, "482913")
    wait_for_bot_line(browser, "1Z84F2930412")

    # A reload keeps the transcript and the conversation: the bot still knows the order.
    before = browser.js(BOT_LINES)
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for("document.getElementById('status').textContent === 'online'")
    assert browser.js(BOT_LINES) == before
    type_and_send(browser, "I want to return it")
    wait_for_bot_line(browser, "Is this about order 482913")


def test_buttons_send_their_payload(fresh_shop: RunningBot, browser: Browser) -> None:
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for("document.getElementById('status').textContent === 'online'")
    type_and_send(browser, "please cancel order 730155")
    wait_for_bot_line(browser, "email address you used for order 730155")
    type_and_send(browser, "jon.ortiz@example.org")
    browser.wait_for("document.querySelectorAll('.buttons button').length === 2")
    browser.js("document.querySelector('.buttons button').click()")  # "Yes, cancel it"
    wait_for_bot_line(browser, "order 730155 is cancelled")
    assert "Yes, cancel it" in browser.js(USER_LINES)


def test_customer_text_is_shown_as_text_never_run(fresh_shop: RunningBot,
                                                  browser: Browser) -> None:
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for("document.getElementById('status').textContent === 'online'")
    attack = "<img src=x onerror=\"window.pwned=1\"><b>bold</b><script>window.pwned=2</script>"
    type_and_send(browser, attack)
    browser.wait_for(BOT_LINES, check=lambda lines: bool(lines))
    assert attack in browser.js(USER_LINES)
    assert browser.js("document.querySelectorAll('#messages b, #messages img').length") == 0
    assert browser.js("window.pwned === undefined")
