"""The agents' console in a real headless Chromium, with a customer on the chat page in a
second one, against the real bot: sign in, see the customer waiting, claim, talk both ways,
hand back; and customer text is only ever shown as text."""

import asyncio
import json
import time
from typing import Awaitable, Callable, Iterator

import pytest
from redis import asyncio as aioredis

from router.agents.directory import AgentDirectory
from router.handoff.queue import HandoffQueue
from tests.e2e.browser import Browser
from tests.e2e.conftest import RunningBot
from tests.e2e.test_chat_page import type_and_send, wait_for_bot_line

AGENT_ID = "sam"
AGENT_NAME = "Sam"
PASSWORD = "a long password"

CONSOLE_LINES = ("[...document.querySelectorAll('#transcript .line--{}')]"
                 ".map(e => e.querySelector('.line__text').textContent)")
# The first POST of a reply fails as if the network were down.
FAIL_FIRST_REPLY_POST = """
window.postedReplies = [];
const realFetch = window.fetch;
window.fetch = async (url, options) => {
  if (!String(url).endsWith('/messages')) return realFetch(url, options);
  window.postedReplies.push(JSON.parse(options.body).request_id);
  if (window.postedReplies.length === 1) throw new TypeError('Failed to fetch');
  return realFetch(url, options);
};
"""
AGENT_MESSAGES = "[...document.querySelectorAll('.message--agent')].map(e => e.textContent)"


def in_redis(bot: RunningBot, work: Callable[[aioredis.Redis], Awaitable[None]]) -> None:
    """Runs `work(redis)` with an asyncio Redis client on the stack's Redis."""
    async def run() -> None:
        client = aioredis.Redis.from_url(bot.stack.redis.url, decode_responses=True)
        try:
            await work(client)
        finally:
            await client.close()
    asyncio.run(run())


@pytest.fixture
def agent(fresh_shop: RunningBot) -> Iterator[str]:
    """Sam's account (made once per Redis). Afterwards Sam is away and holds nothing, so later
    tests that expect nobody to be free are not offered Sam."""
    async def create(redis: aioredis.Redis) -> None:
        directory = AgentDirectory(redis)
        if await directory.get(AGENT_ID) is None:
            await directory.create(AGENT_ID, AGENT_NAME, PASSWORD, role="agent")

    async def leave(redis: aioredis.Redis) -> None:
        await HandoffQueue(redis).agent_gone(AGENT_ID, time.time())
        await AgentDirectory(redis).heartbeat(AGENT_ID, time.time(), "away")

    in_redis(fresh_shop, create)
    yield AGENT_ID
    in_redis(fresh_shop, leave)


# The browsers are torn down before `agent`, so no heartbeat puts Sam online again.
@pytest.fixture
def console(agent: str) -> Iterator[Browser]:
    made = Browser()
    yield made
    made.close()


@pytest.fixture
def customer_page(agent: str) -> Iterator[Browser]:
    made = Browser()
    yield made
    made.close()


def fill_sign_in(console: Browser, password: str) -> None:
    console.js(f"document.getElementById('login-id').value = {json.dumps(AGENT_ID)};"
               f"document.getElementById('login-password').value = {json.dumps(password)};"
               "document.getElementById('login-form').requestSubmit();")


def sign_in(console: Browser, bot: RunningBot) -> None:
    console.open(bot.web_url + "/console")
    console.wait_for("!document.getElementById('login').hidden")
    fill_sign_in(console, PASSWORD)
    # Signing in sets the agent online, so the bot offers customers a person.
    console.wait_for("document.getElementById('presence').textContent === 'online'")
    console.wait_for("document.getElementById('live').textContent === 'live'")


def ask_for_a_person(customer: Browser, bot: RunningBot, first_say: str = "") -> str:
    """Opens the chat page, (says `first_say`,) asks for a person; returns the conversation id."""
    customer.open(bot.web_url + "/")
    customer.wait_for("document.getElementById('status').textContent === 'online'")
    if first_say:
        type_and_send(customer, first_say)
        customer.wait_for("document.querySelectorAll('.message--bot').length",
                          check=lambda count: bool(count))
    type_and_send(customer, "I want to talk to a human")
    wait_for_bot_line(customer, "bring in a person")
    return str(customer.js("JSON.parse(localStorage.getItem('pinecone-chat')).sessionId"))


def claim(console: Browser, conversation_id: str) -> None:
    item = f"#queue .queue-item[data-conversation-id={json.dumps(conversation_id)}]"
    console.wait_for(f"!!document.querySelector({json.dumps(item)})", timeout=30)
    console.js(f"document.querySelector({json.dumps(item + ' .claim')}).click()")
    console.wait_for("document.querySelector('#conversation .status-pill').textContent",
                     check=lambda text: text == "with you")


def console_lines(console: Browser, kind: str, fragment: str) -> list:
    return console.wait_for(CONSOLE_LINES.format(kind), check=lambda lines: bool(lines) and any(
        fragment in line for line in lines))


def test_an_agent_claims_talks_with_the_customer_and_hands_back(
    fresh_shop: RunningBot, console: Browser, customer_page: Browser
) -> None:
    console.open(fresh_shop.web_url + "/console")
    console.wait_for("!document.getElementById('login').hidden")
    fill_sign_in(console, "not the password")
    assert "do not match" in console.wait_for(
        "document.getElementById('login-error').textContent")
    sign_in(console, fresh_shop)

    conversation_id = ask_for_a_person(customer_page, fresh_shop)
    status = customer_page.wait_for("document.getElementById('handoff-status').textContent")
    assert status.startswith("A person will be with you shortly: ")
    assert customer_page.js("document.getElementById('handoff-status').hidden") is False

    # The waiting customer shows in the queue with the summary; claiming opens the story.
    claim(console, conversation_id)
    console_lines(console, "customer", "I want to talk to a human")
    assert console.js("document.querySelectorAll('#mine .mine-item[data-conversation-id="
                      f"{json.dumps(conversation_id)}]').length") == 1
    customer_page.wait_for("document.getElementById('handoff-status').textContent",
                           check=lambda text: text == "You're talking with Sam from our team.")

    # The agent's reply reaches the customer as a person's message, and is marked delivered.
    console.js("document.getElementById('reply-text').value = 'Hi, Sam here. How can I help?';"
               "document.getElementById('reply-form').requestSubmit();")
    customer_page.wait_for(AGENT_MESSAGES, check=lambda lines: any(
        "Sam here" in line for line in lines or []))
    assert customer_page.js("document.querySelector('.message--agent .message__who')"
                            ".textContent") == AGENT_NAME
    console.wait_for("[...document.querySelectorAll('#transcript .line--agent .line__status')]"
                     ".map(e => e.textContent)", check=lambda s: s == ["delivered"])

    # The customer's answer arrives in the console live.
    type_and_send(customer_page, "My parcel never arrived")
    console_lines(console, "customer", "My parcel never arrived")

    # A reply that could not be posted stays on screen and is sent again, with the same
    # request id; the customer gets it once.
    console.js(FAIL_FIRST_REPLY_POST)
    console.js("document.getElementById('reply-text').value = 'Let me check that parcel.';"
               "document.getElementById('reply-form').requestSubmit();")
    console.wait_for("[...document.querySelectorAll('#transcript .line--agent .line__status')]"
                     ".map(e => e.textContent)", check=lambda s: s == ["delivered"] * 2)
    assert console.js("window.postedReplies.length") == 2
    assert len(set(console.js("window.postedReplies"))) == 1
    customer_page.wait_for(AGENT_MESSAGES, check=lambda lines: any(
        "check that parcel" in line for line in lines or []))
    time.sleep(1)
    assert sum("check that parcel" in line for line in customer_page.js(AGENT_MESSAGES)) == 1

    # Away keeps the conversation, and back online.
    console.js("document.getElementById('presence').click()")
    console.wait_for("document.getElementById('presence').textContent === 'away'")
    console.js("document.getElementById('presence').click()")
    console.wait_for("document.getElementById('presence').textContent === 'online'")

    # Handing back: the bot greets the customer again; the status line goes.
    console.js("document.getElementById('hand-back').click()")
    wait_for_bot_line(customer_page, "handed our conversation back")
    customer_page.wait_for("document.getElementById('handoff-status').hidden")
    console.wait_for("document.querySelector('#conversation .status-pill').textContent",
                     check=lambda text: text == "back with the bot")

    console.js("document.getElementById('sign-out').click()")
    console.wait_for("!document.getElementById('login').hidden")


def test_customer_text_in_the_console_is_shown_as_text(
    fresh_shop: RunningBot, console: Browser, customer_page: Browser
) -> None:
    attack = "<script>window.pwned=1</script><b>x</b>"
    sign_in(console, fresh_shop)
    conversation_id = ask_for_a_person(customer_page, fresh_shop, first_say=attack)

    # In the queue's summary (the first message), in the story so far, and live.
    item = f"#queue .queue-item[data-conversation-id={json.dumps(conversation_id)}]"
    first = console.wait_for(f"document.querySelector({json.dumps(item + ' .item-first')})"
                             "?.textContent")
    assert attack in first
    claim(console, conversation_id)
    console_lines(console, "customer", attack)
    type_and_send(customer_page, attack + " again")
    console_lines(console, "customer", attack + " again")
    assert console.js("document.querySelectorAll('#app b, #app script').length") == 0
    assert console.js("window.pwned === undefined")

    console.js("document.getElementById('resolve').click()")
    console.wait_for("document.querySelector('#conversation .status-pill').textContent",
                     check=lambda text: text == "back with the bot")
