"""The agents' console in a real headless Chromium, with a customer on the chat page in a
second one, against the real bot: sign in, see the customer waiting, claim, talk both ways,
hand back; and customer text is only ever shown as text. An admin manages the team's
accounts from the console; a plain agent is not offered that."""

import asyncio
import json
import time
import uuid
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Optional, TypeVar

import pytest
from redis import asyncio as aioredis

from router import keys
from router.agents.directory import Agent, AgentDirectory
from router.customer_limits import CustomerLimits
from router.handoff.queue import HandoffQueue
from router.history import History
from router.relay.feed import DeadLetters
from router.tickets import Ticket, TicketStore
from stack.mail_sink import EmbeddedMailSink, kept_mails
from tests.e2e.agents import AgentClient
from tests.e2e.browser import Browser, running_browser
from tests.e2e.conftest import RunningBot
from tests.e2e.test_chat_page import type_and_send, wait_for_bot_line

AGENT_ID = "sam"
AGENT_NAME = "Sam"
PASSWORD = "a long password"
ADMIN_ID = "ada"
ADMIN_NAME = "Ada"

T = TypeVar("T")

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


def in_redis(bot: RunningBot, work: Callable[[aioredis.Redis], Awaitable[T]]) -> T:
    """Runs `work(redis)` with an asyncio Redis client on the stack's Redis; returns its result."""
    async def run() -> T:
        client = aioredis.Redis.from_url(bot.stack.redis.url, decode_responses=True)
        try:
            return await work(client)
        finally:
            await client.close()
    return asyncio.run(run())


def account_for_the_test(bot: RunningBot, agent_id: str, name: str,
                         role: str) -> Iterator[str]:
    """An account (made once per Redis); afterwards away and holding nothing, so later tests
    that expect nobody to be free are not offered this person."""
    async def create(redis: aioredis.Redis) -> None:
        directory = AgentDirectory(redis)
        if await directory.get(agent_id) is None:
            await directory.create(agent_id, name, PASSWORD, role=role)

    async def leave(redis: aioredis.Redis) -> None:
        await HandoffQueue(redis).agent_gone(agent_id, time.time())
        await AgentDirectory(redis).heartbeat(agent_id, time.time(), "away")

    in_redis(bot, create)
    yield agent_id
    in_redis(bot, leave)


@pytest.fixture
def agent(fresh_shop: RunningBot) -> Iterator[str]:
    """Sam, an agent."""
    yield from account_for_the_test(fresh_shop, AGENT_ID, AGENT_NAME, "agent")


# The browsers are torn down before `agent`, so no heartbeat puts Sam online again.
@pytest.fixture
def console(agent: str) -> Iterator[Browser]:
    yield from running_browser()


@pytest.fixture
def customer_page(agent: str) -> Iterator[Browser]:
    yield from running_browser()


@pytest.fixture
def another_customer_page(agent: str) -> Iterator[Browser]:
    yield from running_browser()


@pytest.fixture
def admin(fresh_shop: RunningBot) -> Iterator[str]:
    """Ada, an admin."""
    yield from account_for_the_test(fresh_shop, ADMIN_ID, ADMIN_NAME, "admin")


# Torn down before `admin`, so no heartbeat puts Ada online again.
@pytest.fixture
def admin_console(admin: str) -> Iterator[Browser]:
    yield from running_browser()


def fill_sign_in(console: Browser, password: str, agent_id: str = AGENT_ID) -> None:
    console.js(f"document.getElementById('login-id').value = {json.dumps(agent_id)};"
               f"document.getElementById('login-password').value = {json.dumps(password)};"
               "document.getElementById('login-form').requestSubmit();")


def sign_in(console: Browser, bot: RunningBot, agent_id: str = AGENT_ID) -> None:
    console.open(bot.web_url + "/console")
    console.wait_for("!document.getElementById('login').hidden")
    fill_sign_in(console, PASSWORD, agent_id)
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
    # In plain words: the channel, why a person, what the customer asked; no internal names.
    meta = console.js("document.getElementById('conv-meta').textContent")
    assert "on web chat" in meta and "socketio" not in meta
    assert console.js("document.getElementById('conv-reason').textContent") == \
        "The customer asked for a person."
    understood = console.js("[...document.querySelectorAll('#transcript .line--customer "
                            ".line__meta')].map(e => e.textContent).join(' | ')")
    assert "asked for a person" in understood and "request_human" not in understood
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


# ---- Never missing a customer: unread marks and the tab title

CONSOLE_TITLE = "Pinecone Supply - Agent console"


def mine_item(conversation_id: str, inner: str = "") -> str:
    return f"#mine .mine-item[data-conversation-id={json.dumps(conversation_id)}]{inner}"


def unread_mark(console: Browser, conversation_id: str) -> Optional[str]:
    badge = mine_item(conversation_id, " .unread")
    return console.js(f"document.querySelector({json.dumps(badge)})?.textContent ?? null")


def is_open(console: Browser, conversation_id: str) -> None:
    console.wait_for(f"document.querySelector({json.dumps(mine_item(conversation_id))})"
                     "?.classList.contains('is-open')")


def open_mine(console: Browser, conversation_id: str) -> None:
    console.js(f"document.querySelector({json.dumps(mine_item(conversation_id))}).click()")
    is_open(console, conversation_id)


def test_a_customer_writing_in_a_conversation_not_on_screen_is_marked_unread(
    fresh_shop: RunningBot, console: Browser, customer_page: Browser,
    another_customer_page: Browser,
) -> None:
    sign_in(console, fresh_shop)
    assert console.js("[document.getElementById('alert-sound').checked,"
                      " document.getElementById('alert-desktop').checked]") == [False, False]
    first = ask_for_a_person(customer_page, fresh_shop)
    claim(console, first)
    second = ask_for_a_person(another_customer_page, fresh_shop)
    claim(console, second)
    is_open(console, second)

    # Sam reads the first conversation; the second customer writes twice.
    open_mine(console, first)
    assert unread_mark(console, second) is None
    assert console.js("document.title") == CONSOLE_TITLE
    type_and_send(another_customer_page, "Hello? Is anyone there?")
    console.wait_for(f"document.querySelector({json.dumps(mine_item(second, ' .unread'))})"
                     "?.textContent", check=lambda text: text == "1")
    assert console.js("document.title") == f"(1) {CONSOLE_TITLE}"
    type_and_send(another_customer_page, "I am still waiting")
    console.wait_for("document.title", check=lambda title: title == f"(2) {CONSOLE_TITLE}")
    assert unread_mark(console, second) == "2" and unread_mark(console, first) is None

    # Opening it clears the mark and the title.
    open_mine(console, second)
    console_lines(console, "customer", "I am still waiting")
    console.wait_for("document.title", check=lambda title: title == CONSOLE_TITLE)
    assert unread_mark(console, second) is None

    # What was read is remembered: after a reload, only the new line is unread.
    type_and_send(customer_page, "Any news on my parcel?")
    console.wait_for(f"document.querySelector({json.dumps(mine_item(first, ' .unread'))})"
                     "?.textContent", check=lambda text: text == "1")
    console.open(fresh_shop.web_url + "/console")
    console.wait_for(f"!!document.querySelector({json.dumps(mine_item(first))})")
    console.wait_for("document.title", check=lambda title: title == f"(1) {CONSOLE_TITLE}")
    assert unread_mark(console, first) == "1" and unread_mark(console, second) is None

    for conversation_id in (first, second):
        open_mine(console, conversation_id)
        console.wait_for("document.querySelector('#conversation .status-pill').textContent",
                         check=lambda text: text == "with you")
        console.js("document.getElementById('resolve').click()")
        console.wait_for("document.querySelector('#conversation .status-pill').textContent",
                         check=lambda text: text == "back with the bot")


# The page believes its tab is in the background (or in front again), as when the agent
# switches tabs.
SET_TAB_HIDDEN = """
if (%s) Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
else delete document.visibilityState;
document.dispatchEvent(new Event('visibilitychange'));
"""
# Counts the tones the console plays.
COUNT_TONES = """
window.tones = 0;
const makeTone = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.tones++;
  return makeTone.call(this);
};
"""


def test_a_customer_joining_while_the_tab_is_hidden_shows_in_the_title_with_a_tone(
    fresh_shop: RunningBot, console: Browser, customer_page: Browser,
) -> None:
    sign_in(console, fresh_shop)
    console.js(COUNT_TONES)
    console.js("document.getElementById('alert-sound').click()")
    assert console.js("window.tones") == 1  # turning it on plays it once
    # Notifications the browser does not allow stay off, with what to do about it.
    console.js("document.getElementById('alert-desktop').click()")
    assert "allow them in the site settings" in console.wait_for(
        "!document.getElementById('error').hidden"
        " && document.getElementById('error-text').textContent")
    assert console.js("document.getElementById('alert-desktop').checked") is False

    console.js(SET_TAB_HIDDEN % "true")
    ask_for_a_person(customer_page, fresh_shop)
    console.wait_for("document.title",
                     check=lambda title: title == f"1 waiting · {CONSOLE_TITLE}")
    console.wait_for("window.tones", check=lambda tones: tones == 2)
    console.js(SET_TAB_HIDDEN % "false")
    console.wait_for("document.title", check=lambda title: title == CONSOLE_TITLE)

    # The choices are remembered for this agent.
    console.open(fresh_shop.web_url + "/console")
    console.wait_for("document.getElementById('live').textContent === 'live'")
    assert console.js("[document.getElementById('alert-sound').checked,"
                      " document.getElementById('alert-desktop').checked]") == [True, False]


def test_unreadable_stored_choices_leave_the_console_working_with_alerts_off(
    fresh_shop: RunningBot, console: Browser,
) -> None:
    sign_in(console, fresh_shop)
    console.js(f"localStorage.setItem('pinecone.console.{AGENT_ID}.read', '{{not json');"
               f"localStorage.setItem('pinecone.console.{AGENT_ID}.alerts',"
               " JSON.stringify({sound: 'yes', desktop: 1}));")
    console.open(fresh_shop.web_url + "/console")
    console.wait_for("document.getElementById('live').textContent === 'live'")
    assert console.js("[document.getElementById('alert-sound').checked,"
                      " document.getElementById('alert-desktop').checked]") == [False, False]
    assert console.js("document.getElementById('error').hidden") is True
    assert console.js("document.title") == CONSOLE_TITLE


# ---- Managing the team (admins)

# Records the JSON bodies the console sends with PATCH, to see that only changes are sent.
RECORD_PATCHES = """
window.patches = [];
const fetchBefore = window.fetch;
window.fetch = async (url, options) => {
  if (options && options.method === 'PATCH') window.patches.push(JSON.parse(options.body));
  return fetchBefore(url, options);
};
"""


def row_selector(agent_id: str, inner: str = "") -> str:
    return json.dumps(f"#team-admin .agent-row[data-agent-id={json.dumps(agent_id)}] {inner}"
                      .strip())


def fill(console: Browser, values: Dict[str, str], within: str = "document") -> None:
    """Types into fields (by CSS selector) as a person would: the value, then an input event."""
    for selector, value in values.items():
        console.js(f"(() => {{ const field = {within}.querySelector({json.dumps(selector)});"
                   f" field.value = {json.dumps(value)};"
                   " field.dispatchEvent(new Event('input', {bubbles: true})); })()")


def get_agent(bot: RunningBot, agent_id: str) -> Optional[Agent]:
    return in_redis(bot, lambda redis: AgentDirectory(redis).get(agent_id))


def team_admin_error(console: Browser, fragment: str, node: str = "new-agent-error") -> str:
    return console.wait_for(
        f"(e => e.hidden ? '' : e.textContent)(document.getElementById({json.dumps(node)}))",
        check=lambda text: bool(text) and fragment in text)


def test_an_admin_creates_and_changes_accounts_from_the_console(
    fresh_shop: RunningBot, admin_console: Browser
) -> None:
    console = admin_console
    new_id = f"dana-{uuid.uuid4().hex[:6]}"
    sign_in(console, fresh_shop, ADMIN_ID)
    console.wait_for("!document.getElementById('manage-team').hidden")
    console.js("document.getElementById('manage-team').click()")
    console.wait_for("document.getElementById('team-admin').open")
    console.wait_for(f"!!document.querySelector({row_selector(ADMIN_ID)})")
    # Nobody demotes themselves by accident (and leaves the team without an admin).
    assert console.js(f"document.querySelector({row_selector(ADMIN_ID, '.agent-role')})"
                      ".disabled") is True

    # A password that is too short: the server's reason shows next to the form.
    form = {"#new-agent-id": new_id, "#new-agent-name": "Dana <b>B</b>",
            "#new-agent-password": "short", "#new-agent-capacity": "4",
            "#new-agent-teams": "billing,  orders, "}
    fill(console, form)
    console.js("document.getElementById('new-agent-form').requestSubmit()")
    assert "at least 12" in team_admin_error(console, "at least 12")
    assert get_agent(fresh_shop, new_id) is None

    # Fixed, the account is made with its teams and capacity, and listed.
    fill(console, {"#new-agent-password": "a much longer password"})
    console.js("document.getElementById('new-agent-form').requestSubmit()")
    console.wait_for(f"!!document.querySelector({row_selector(new_id)})")
    assert console.js("document.getElementById('new-agent-error').hidden") is True
    assert "Created" in console.wait_for("document.getElementById('team-admin-notice').textContent")
    made = get_agent(fresh_shop, new_id)
    assert made is not None
    assert (made.name, made.role, made.capacity, made.teams) == (
        "Dana <b>B</b>", "agent", 4, ["billing", "orders"])
    assert made.presence == "offline"
    # The form is ready for the next one; the name is text, never markup.
    assert console.js("document.getElementById('new-agent-id').value") == ""
    assert console.js("document.getElementById('new-agent-capacity').value") == "3"
    assert console.js("document.querySelectorAll('#team-admin b').length") == 0
    assert "Dana <b>B</b>" in console.js(
        f"document.querySelector({row_selector(new_id, '.agent-row__name')}).textContent")

    # Changing the capacity inline sends only the capacity, and the list shows it saved.
    console.js(RECORD_PATCHES)
    row = f"document.querySelector({row_selector(new_id)})"
    assert console.js(f"{row}.querySelector('.agent-save').disabled") is True
    fill(console, {".agent-capacity": "7"}, within=row)
    assert console.js(f"{row}.querySelector('.agent-save').disabled") is False
    console.js(f"{row}.querySelector('.agent-save').click()")
    assert "Saved" in console.wait_for(
        "document.getElementById('team-admin-notice').textContent",
        check=lambda text: bool(text) and "Saved" in text)
    console.wait_for(f"{row}.querySelector('.agent-capacity').value", check=lambda v: v == "7")
    assert console.js("window.patches") == [{"capacity": 7}]
    saved = get_agent(fresh_shop, new_id)
    assert saved is not None and (saved.capacity, saved.teams) == (7, ["billing", "orders"])

    # A capacity the server refuses is explained in the dialog, and nothing changes.
    fill(console, {".agent-capacity": "25"}, within=row)
    console.js(f"{row}.querySelector('.agent-save').click()")
    assert "1-20" in team_admin_error(console, "1-20", node="team-admin-error")
    unchanged = get_agent(fresh_shop, new_id)
    assert unchanged is not None and unchanged.capacity == 7

    # Teams and role together; then a new password, which the account signs in with.
    fill(console, {".agent-capacity": "7", ".agent-teams": "senior", ".agent-role": "admin"},
         within=row)
    console.js(f"{row}.querySelector('.agent-save').click()")
    console.wait_for("document.getElementById('team-admin-notice').textContent",
                     check=lambda text: bool(text) and "Saved" in text)
    patches: List[Dict[str, Any]] = console.js("window.patches")
    assert patches[-1] == {"role": "admin", "teams": ["senior"]}
    changed = get_agent(fresh_shop, new_id)
    assert changed is not None and (changed.role, changed.teams) == ("admin", ["senior"])

    fill(console, {".agent-password": "another long password"}, within=row)
    console.js(f"{row}.querySelector('.agent-password-form').requestSubmit()")
    console.wait_for("document.getElementById('team-admin-notice').textContent",
                     check=lambda text: bool(text) and "new password" in text)
    assert console.js("window.patches")[-1] == {"password": "another long password"}
    assert in_redis(fresh_shop, lambda redis: AgentDirectory(redis).authenticate(
        new_id, "another long password")) is not None

    console.js("document.getElementById('team-admin-close').click()")
    console.wait_for("!document.getElementById('team-admin').open")
    console.js("document.getElementById('sign-out').click()")
    console.wait_for("!document.getElementById('login').hidden")


def test_a_plain_agent_is_not_offered_team_management(
    fresh_shop: RunningBot, console: Browser
) -> None:
    sign_in(console, fresh_shop)
    assert console.js("document.getElementById('me-role').textContent") == "agent"
    assert console.js("document.getElementById('manage-team').hidden") is True
    assert console.js("document.getElementById('manage-team').offsetParent") is None
    # Even a click on the hidden control opens nothing.
    console.js("document.getElementById('manage-team').click()")
    assert console.js("document.getElementById('team-admin').open") is False
    # And the server refuses a plain agent anyway.
    status = console.js("fetch('/api/agents', {method: 'POST', credentials: 'same-origin',"
                        " headers: {'Content-Type': 'application/json'},"
                        " body: JSON.stringify({id: 'eve-x', name: 'Eve',"
                        " password: 'a long password'})}).then(r => r.status)")
    assert status == 403
    console.js("document.getElementById('sign-out').click()")
    console.wait_for("!document.getElementById('login').hidden")


def test_an_admin_is_told_when_customer_lines_were_set_aside(
    fresh_shop: RunningBot, admin_console: Browser
) -> None:
    async def set_aside(redis: aioredis.Redis) -> None:
        await DeadLetters(redis).add("conv-poisoned", {"from": "customer", "text": "x"},
                                     "WRONGTYPE refused")

    async def clear(redis: aioredis.Redis) -> None:
        await redis.delete(keys.RELAY_DEAD_LETTERS)

    in_redis(fresh_shop, set_aside)
    try:
        sign_in(admin_console, fresh_shop, ADMIN_ID)
        admin_console.wait_for("!document.getElementById('manage-team').hidden")
        admin_console.js("document.getElementById('manage-team').click()")
        admin_console.wait_for("!document.getElementById('dead-letters').hidden")
        notice = admin_console.js("document.getElementById('dead-letters').textContent")
        assert "1 customer line could not be shown" in notice and "conv-poisoned" in notice
    finally:
        in_redis(fresh_shop, clear)


# ---- Transferring: the picker offers who can take it now

OFFLINE_COLLEAGUE = ("abe", "Abe")  # sorts before everyone: the first in the team's list
ONLINE_COLLEAGUE = ("zoe", "Zoe")   # sorts after everyone
TRANSFER_PEOPLE = ("[...document.querySelectorAll("
                   "'#transfer-target optgroup:first-of-type option')].map(o => o.value)")


def set_presence(bot: RunningBot, agent_id: str, name: str, presence: str) -> None:
    """Makes the account if needed; online is as after a heartbeat, away keeps it out of
    the offers (as the other fixtures leave their people)."""
    async def change(redis: aioredis.Redis) -> None:
        directory = AgentDirectory(redis)
        if await directory.get(agent_id) is None:
            await directory.create(agent_id, name, PASSWORD, role="agent")
        if presence != "offline":
            await directory.heartbeat(agent_id, time.time(), presence)
    in_redis(bot, change)


def open_transfer(console: Browser) -> Any:
    console.js("document.getElementById('transfer').click()")
    console.wait_for("!document.getElementById('transfer-form').hidden")
    return console.js("document.getElementById('transfer-target').value")


def test_the_transfer_picker_offers_online_colleagues_first_and_never_defaults_to_an_offline_one(
    fresh_shop: RunningBot, console: Browser, customer_page: Browser,
) -> None:
    sign_in(console, fresh_shop)
    claim(console, ask_for_a_person(customer_page, fresh_shop))
    set_presence(fresh_shop, *OFFLINE_COLLEAGUE, "offline")
    set_presence(fresh_shop, *ONLINE_COLLEAGUE, "away")
    try:
        # Nobody else online: nobody is picked, so a click cannot send it to an empty desk.
        assert open_transfer(console) == ""
        assert console.js("document.getElementById('transfer-target').checkValidity()") is False
        console.js("document.getElementById('transfer-cancel').click()")

        set_presence(fresh_shop, *ONLINE_COLLEAGUE, "online")
        assert open_transfer(console) == f"agent:{ONLINE_COLLEAGUE[0]}"
        people = console.js(TRANSFER_PEOPLE)
        assert people[0] == f"agent:{ONLINE_COLLEAGUE[0]}"
        assert people.index(f"agent:{OFFLINE_COLLEAGUE[0]}") > 0
        labels = console.js("[...document.querySelectorAll('#transfer-target option')]"
                            ".map(o => o.textContent)")
        assert f"{ONLINE_COLLEAGUE[1]} (online)" in labels
        assert f"{OFFLINE_COLLEAGUE[1]} (offline)" in labels
        console.js("document.getElementById('transfer-cancel').click()")
    finally:
        set_presence(fresh_shop, *ONLINE_COLLEAGUE, "away")
    console.js("document.getElementById('resolve').click()")
    console.wait_for("document.querySelector('#conversation .status-pill').textContent",
                     check=lambda text: text == "back with the bot")


# ---- A phone-sized screen: the list and the open conversation are two views

PHONE = (390, 844)
# Where the conversation's head and the sidebar are on screen (null when not shown).
PLACES = """(() => {
  const place = (id) => { const e = document.querySelector(id);
    if (!e || !e.offsetParent) return null; const r = e.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom}; };
  return {conversation: place('#conv-title'), sidebar: place('.sidebar'),
          scrolled: window.scrollY, height: window.innerHeight};
})()"""


def test_on_a_phone_the_open_conversation_is_on_screen_with_a_way_back_to_the_list(
    fresh_shop: RunningBot, console: Browser, customer_page: Browser,
) -> None:
    console.set_viewport(*PHONE)
    sign_in(console, fresh_shop)
    conversation_id = ask_for_a_person(customer_page, fresh_shop)
    claim(console, conversation_id)

    places = console.wait_for(PLACES, check=lambda p: bool(p and p["conversation"]))
    assert places["scrolled"] == 0
    assert 0 <= places["conversation"]["top"] < places["height"]
    # Not below the whole sidebar: the list has made room for it.
    assert places["sidebar"] is None or places["sidebar"]["top"] > places["conversation"]["top"]

    console.click("#back-to-list")
    places = console.wait_for(PLACES, check=lambda p: bool(p and p["sidebar"]))
    assert places["conversation"] is None and 0 <= places["sidebar"]["top"] < places["height"]
    # The conversation is still the agent's; opening it again from the list brings it back.
    console.click(f"#mine .mine-item[data-conversation-id={json.dumps(conversation_id)}]")
    console.wait_for(PLACES, check=lambda p: bool(p and p["conversation"]
                                                 and p["conversation"]["top"] < p["height"]))
    console.js("document.getElementById('resolve').click()")
    console.wait_for("document.querySelector('#conversation .status-pill').textContent",
                     check=lambda text: text == "back with the bot")


# --- Tickets ---------------------------------------------------------------------------------

def leave_a_ticket(bot: RunningBot, message: str, email: Optional[str] = None) -> Ticket:
    """A ticket as the bot leaves one when nobody could take over, with a short story."""
    conversation_id = f"ticket-{uuid.uuid4().hex[:10]}"
    packet = {"conversation_id": conversation_id, "created_at": time.time(),
              "reason": "left a message: no person was available",
              "transcript": [{"from": "customer", "text": "where is my parcel?"},
                             {"from": "bot", "text": "Nobody is free; leave us a message."}]}

    async def create(redis: aioredis.Redis) -> Ticket:
        store = TicketStore(redis, CustomerLimits.from_env().max_message_chars)
        return await store.create(packet, message, email=email)
    return in_redis(bot, create)


def ticket_item(reference: str) -> str:
    return f"#tickets .ticket-item[data-reference={json.dumps(reference)}]"


def open_ticket(console: Browser, reference: str) -> None:
    console.click(ticket_item(reference))
    console.wait_for("document.getElementById('ticket-title').textContent",
                     check=lambda title: title == f"Ticket {reference}")


def text_of(console: Browser, element_id: str) -> str:
    return str(console.js(f"document.getElementById({json.dumps(element_id)}).textContent"))


def mails_to(sink: EmbeddedMailSink, address: str) -> List[Dict[str, Any]]:
    return [mail for mail in kept_mails(sink.directory, 1000) if mail["to"] == address]


def wait_for_mail(sink: EmbeddedMailSink, address: str, timeout: float = 10) -> Dict[str, Any]:
    deadline = time.monotonic() + timeout
    while not mails_to(sink, address):
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail to {address} in {sink.directory}")
        time.sleep(0.1)
    [mail] = mails_to(sink, address)
    return mail


def test_an_agent_answers_a_ticket_and_the_customer_gets_the_mail(
    fresh_shop: RunningBot, console: Browser, mail_sink: EmbeddedMailSink,
) -> None:
    email = f"kim-{uuid.uuid4().hex[:8]}@example.com"
    ticket = leave_a_ticket(fresh_shop, "My parcel never came, please call me back", email)
    sign_in(console, fresh_shop)

    # Open tickets show by default, each with its reference, age, first words and email.
    console.wait_for(f"!!document.querySelector({json.dumps(ticket_item(ticket.reference))})")
    item = console.js(f"document.querySelector({json.dumps(ticket_item(ticket.reference))})"
                      ".textContent")
    assert "just now" in item and "My parcel never came" in item and "email" in item
    open_ticket(console, ticket.reference)
    assert text_of(console, "ticket-message") == "My parcel never came, please call me back"
    assert text_of(console, "ticket-email") == email
    story = console.js("[...document.querySelectorAll('#ticket-story .line__text')]"
                       ".map(e => e.textContent)")
    assert story == ["where is my parcel?", "Nobody is free; leave us a message."]

    console.type_text("#ticket-answer-text", "It left our depot today; tracking is 1Z999.")
    console.click("#ticket-answer-send")
    outcome = console.wait_for("document.getElementById('ticket-outcome').textContent",
                               check=lambda text: "Answered by you" in text)
    assert outcome == f"Answered by you — mailed to {email}"
    assert text_of(console, "ticket-answer") == "It left our depot today; tracking is 1Z999."

    # It left the open list, and the Answered tab has it.
    console.wait_for(f"!document.querySelector({json.dumps(ticket_item(ticket.reference))})")
    console.click(".ticket-tab[data-status=answered]")
    console.wait_for(f"!!document.querySelector({json.dumps(ticket_item(ticket.reference))})")

    mail = wait_for_mail(mail_sink, email)
    assert ticket.reference in mail["subject"]
    assert "It left our depot today; tracking is 1Z999." in mail["text"]
    assert f"{AGENT_NAME} from our team answers" in mail["text"]


def test_an_agent_answering_second_is_told_who_answered_first(
    fresh_shop: RunningBot, console: Browser, admin: str, mail_sink: EmbeddedMailSink,
) -> None:
    email = f"lee-{uuid.uuid4().hex[:8]}@example.com"
    ticket = leave_a_ticket(fresh_shop, "The lamp arrived broken", email)
    sign_in(console, fresh_shop)
    console.wait_for(f"!!document.querySelector({json.dumps(ticket_item(ticket.reference))})")
    open_ticket(console, ticket.reference)

    # Meanwhile Ada answers it (through the API, as her console would).
    ada = AgentClient(fresh_shop.web_url, admin)
    ada.call("POST", f"/api/tickets/{ticket.reference}/answer",
             {"text": "A new lamp is on its way."})

    console.type_text("#ticket-answer-text", "Send us a photo, please.")
    console.click("#ticket-answer-send")
    outcome = console.wait_for("document.getElementById('ticket-outcome').textContent",
                               check=lambda text: "before you" in text)
    assert outcome.startswith(f"{ADMIN_NAME} answered this ticket before you")
    assert text_of(console, "ticket-answered-by") == f"Answered by {ADMIN_NAME}"
    assert text_of(console, "ticket-answer") == "A new lamp is on its way."
    # Sam's text is kept, and cannot be sent again.
    assert console.js("document.getElementById('ticket-answer-text').value") == \
        "Send us a photo, please."
    assert console.js("document.getElementById('ticket-answer-send').disabled") is True
    # Only Ada's answer was mailed.
    mail = wait_for_mail(mail_sink, email)
    assert "A new lamp is on its way." in mail["text"]
    assert "photo" not in mail["text"]


# --- History ---------------------------------------------------------------------------------

def history_result(case_or_reference: str) -> str:
    return (f"#history-results .history-item[data-case-id={json.dumps(case_or_reference)}], "
            f"#history-results .history-item[data-reference={json.dumps(case_or_reference)}]")


def search_history(console: Browser, query: str) -> List[Dict[str, str]]:
    """Types the search as an agent would and returns the results listed."""
    # Forget the last search's results, so the wait below sees this one's.
    console.js("document.getElementById('history-q').value = '';"
               "document.getElementById('history-results').replaceChildren();"
               "document.getElementById('history-empty').hidden = true;")
    console.type_text("#history-q", query)
    console.click("#history-form button[type=submit]")
    return console.wait_for(
        "[...document.querySelectorAll('#history-results .history-item')].map(e => ("
        "{case: e.dataset.caseId || '', reference: e.dataset.reference || '', "
        "text: e.textContent}))", check=lambda found: found is not None and (
            len(found) > 0 or not console.js("document.getElementById('history-empty').hidden")))


def test_a_resolved_conversation_is_found_by_its_order_number_and_shown_beside_the_next_one(
    fresh_shop: RunningBot, console: Browser, customer_page: Browser,
) -> None:
    sign_in(console, fresh_shop)
    conversation_id = ask_for_a_person(customer_page, fresh_shop)
    claim(console, conversation_id)
    order = str(int(time.time() * 1000) % 900000 + 100000)   # six digits of our own
    type_and_send(customer_page, f"It's about order {order}, the tent has a torn seam")
    console_lines(console, "customer", order)
    console.js("document.getElementById('reply-text').value = 'A new tent is on its way.';"
               "document.getElementById('reply-form').requestSubmit();")
    customer_page.wait_for(AGENT_MESSAGES, check=lambda lines: any(
        "new tent" in line for line in lines or []))
    console.click("#resolve")
    wait_for_bot_line(customer_page, "how did it go")
    customer_page.wait_for("document.querySelectorAll('.buttons button').length === 3")
    customer_page.js("[...document.querySelectorAll('.buttons button')]"
                     ".find(b => b.textContent === 'Great').click()")
    wait_for_bot_line(customer_page, "Thank you for telling us")

    # Later, another agent's day: the order number finds the case, rated, with Sam's part.
    [found] = search_history(console, f"#{order}")
    assert "resolved" in found["text"] and "with Sam" in found["text"]
    console.wait_for(f"document.querySelector({json.dumps(history_result(found['case']))})"
                     ".textContent", check=lambda text: "rated “Great”" in text)
    console.click(history_result(found["case"]))
    console.wait_for("document.getElementById('case-title').textContent",
                     check=lambda title: title == f"Case {found['case']}")
    assert console.js("document.getElementById('conversation').hidden") is True
    assert "Resolved by Sam." in text_of(console, "case-outcome")
    assert text_of(console, "case-rating") == "The customer rated the help “Great”."
    story = console.js("[...document.querySelectorAll('#case-story .line__text')]"
                       ".map(e => e.textContent)")
    assert "I want to talk to a human" in story and "A new tent is on its way." in story
    assert not console.js("document.querySelector('#case textarea, #case #reply-send')")
    assert search_history(console, "no-such-conversation-anywhere") == []
    assert "Nothing found" in text_of(console, "history-empty")

    # The customer comes back and asks again: the agent sees the earlier case beside it.
    console.click("#case-hide")
    type_and_send(customer_page, "I want to talk to a human")
    console.wait_for(f"!!document.querySelector('#queue .queue-item[data-conversation-id="
                     f"{json.dumps(conversation_id)}]')", timeout=30)
    claim(console, conversation_id)
    earlier = console.wait_for("[...document.querySelectorAll('#earlier .history-item')]"
                               ".map(e => e.dataset.caseId)", check=bool)
    assert earlier == [found["case"]]


# --- Typing indicators ---------------------------------------------------------------------

def test_each_side_sees_the_other_typing_while_a_person_has_the_conversation(
    fresh_shop: RunningBot, console: Browser, customer_page: Browser,
) -> None:
    sign_in(console, fresh_shop)
    conversation_id = ask_for_a_person(customer_page, fresh_shop)
    claim(console, conversation_id)
    customer_page.wait_for("document.getElementById('handoff-status').textContent",
                           check=lambda text: text == "You're talking with Sam from our team.")
    assert console.js("document.getElementById('customer-typing').hidden") is True

    # The customer types (not sent yet): the agent sees it; their line ends it.
    customer_page.type_text("#text", "Actually, one more")
    console.wait_for("!document.getElementById('customer-typing').hidden")
    customer_page.press_enter()
    console_lines(console, "customer", "Actually, one more")
    assert console.js("document.getElementById('customer-typing').hidden") is True

    # The agent types: the customer sees who; the agent's line ends it.
    assert customer_page.js("document.getElementById('typing').hidden") is True
    console.type_text("#reply-text", "Sure, go ahead")
    assert customer_page.wait_for("document.getElementById('typing').hidden ? '' : "
                                  "document.getElementById('typing').textContent",
                                  check=bool) == "Sam is typing…"
    console.press_enter()
    customer_page.wait_for(AGENT_MESSAGES, check=lambda lines: any(
        "go ahead" in line for line in lines or []))
    assert customer_page.js("document.getElementById('typing').hidden") is True


def test_an_admin_forgets_a_customers_conversation_from_its_case(
    fresh_shop: RunningBot, admin_console: Browser,
) -> None:
    conversation_id = f"forget-{uuid.uuid4().hex[:8]}"

    async def ended_handoff(redis: aioredis.Redis) -> None:
        queue = HandoffQueue(redis)
        await queue.enqueue({"conversation_id": conversation_id, "created_at": time.time(),
                             "reason": "customer asked for a person", "channel": "socketio",
                             "summary": {"first_message": "please erase me later"},
                             "transcript": [{"from": "customer", "text": "hello"}]})
        await queue.release(conversation_id, time.time(), "resolved", {"kind": "resume"},
                            by_agent=None)
        await History(redis, TicketStore(redis, 2000)).index_pending()

    in_redis(fresh_shop, ended_handoff)
    sign_in(admin_console, fresh_shop, ADMIN_ID)
    [found] = search_history(admin_console, conversation_id)
    admin_console.click(history_result(found["case"]))
    admin_console.wait_for("!document.getElementById('case-forget').hidden")
    admin_console.js("window.confirm = () => true")  # the admin says yes
    admin_console.click("#case-forget")
    assert "Forgotten: 1 case(s)" in admin_console.wait_for(
        "document.getElementById('history-empty').hidden ? '' : "
        "document.getElementById('history-empty').textContent", check=bool)
    assert search_history(admin_console, conversation_id) == []
