"""The customer's web chat page in a real headless Chromium, talking to the real bot."""

import json
import re
from typing import Iterator

import pytest

from stack.redis_server import EmbeddedRedis
from tests.e2e.agents import AgentClient, create_agent
from tests.e2e.browser import Browser, running_browser
from tests.e2e.conftest import RunningBot

LINES = "[...document.querySelectorAll('.message--{} .message__text')].map(e => e.textContent)"
BOT_LINES = LINES.format("bot")
USER_LINES = LINES.format("user")
ONLINE = "document.getElementById('status').textContent === 'online'"
# The state mark of the user line that says `text` ("sending…", "not sent"), "" once it arrived.
LINE_STATE = ("[...document.querySelectorAll('.message--user')]"
              ".filter(e => e.querySelector('.message__text').textContent === {})"
              ".map(e => (e.querySelector('.message__state') || {{textContent: ''}}).textContent)")
# /api/chat-config fails (a network error, then a 503, by turns) until the test lets it through.
CONFIG_FAILS_UNTIL_LET_THROUGH = """
window.configRequests = 0;
const realFetch = window.fetch;
window.fetch = async (url, options) => {
  if (!String(url).endsWith('/api/chat-config') || window.letConfigThrough) {
    return realFetch(url, options);
  }
  window.configRequests += 1;
  if (window.configRequests % 2 === 1) throw new TypeError('Failed to fetch');
  return new Response('{"error": "down"}', {status: 503});
};
"""
# The first socket frame carrying a line with this text is lost on the way, as on a bad network.
LOSE_FIRST_FRAME_WITH = """
window.lostFrames = 0;
const realSend = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  if (String(data).includes(%s) && window.lostFrames === 0) {
    window.lostFrames += 1;
    return;
  }
  return realSend.call(this, data);
};
"""
# Every visible text on the page whose colour against its background is below WCAG AA (4.5:1).
LOW_CONTRAST_TEXTS = """(() => {
  const parse = (c) => { const v = c.match(/[\\d.]+/g).map(Number);
                         return {r: v[0], g: v[1], b: v[2], a: v.length > 3 ? v[3] : 1}; };
  const over = (top, under) => ({r: top.r * top.a + under.r * (1 - top.a),
                                 g: top.g * top.a + under.g * (1 - top.a),
                                 b: top.b * top.a + under.b * (1 - top.a), a: 1});
  const channel = (v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.a > 0) layers.push(c);
      if (c.a === 1) break;
    }
    const white = {r: 255, g: 255, b: 255, a: 1};
    return layers.reverse().reduce((under, top) => over(top, under), white);
  };
  const opacity = (el) => { let o = 1;
    for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o; };
  const low = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el.checkVisibility()) continue;
    if (el.closest('.visually-hidden')) continue;
    const bg = background(el);
    const fg = parse(getComputedStyle(el).color);
    const text = over({...fg, a: fg.a * opacity(el)}, bg);
    const [light, dark] = [luminance(text), luminance(bg)].sort((x, y) => y - x);
    const ratio = (light + 0.05) / (dark + 0.05);
    if (ratio < 4.5) low.push(`${node.textContent.trim()}: ${ratio.toFixed(2)}`);
  }
  return low;
})()"""


@pytest.fixture
def browser() -> Iterator[Browser]:
    yield from running_browser()


def type_and_send(browser: Browser, text: str) -> None:
    browser.js(f"document.getElementById('text').value = {json.dumps(text)};"
               "document.getElementById('composer').requestSubmit();")


def type_like_a_person(browser: Browser, text: str) -> None:
    browser.type_text("#text", text)
    browser.press_enter()


def wait_for_bot_line(browser: Browser, fragment: str) -> list:
    return browser.wait_for(BOT_LINES, check=lambda lines: bool(lines) and any(
        fragment in line for line in lines))


def test_a_customer_chats_and_the_page_remembers_the_conversation(
    fresh_shop: RunningBot, browser: Browser
) -> None:
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for(ONLINE)

    type_and_send(browser, "where is my order?")
    wait_for_bot_line(browser, "What's the order number")
    type_and_send(browser, "482913")
    wait_for_bot_line(browser, "1Z84F2930412")

    # A reload keeps the transcript and the conversation: the bot still knows the order.
    before = browser.js(BOT_LINES)
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for(ONLINE)
    assert browser.js(BOT_LINES) == before
    type_and_send(browser, "I want to return it")
    wait_for_bot_line(browser, "Is this about order 482913")


def test_buttons_send_their_payload(fresh_shop: RunningBot, browser: Browser) -> None:
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for(ONLINE)
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
    browser.wait_for(ONLINE)
    attack = "<img src=x onerror=\"window.pwned=1\"><b>bold</b><script>window.pwned=2</script>"
    type_and_send(browser, attack)
    browser.wait_for(BOT_LINES, check=lambda lines: bool(lines))
    assert attack in browser.js(USER_LINES)
    assert browser.js("document.querySelectorAll('#messages b, #messages img').length") == 0
    assert browser.js("window.pwned === undefined")


def test_a_page_that_cannot_reach_us_keeps_retrying_and_sends_what_was_typed(
    fresh_shop: RunningBot, browser: Browser
) -> None:
    browser.before_page_scripts(CONFIG_FAILS_UNTIL_LET_THROUGH)
    browser.open(fresh_shop.web_url + "/")
    notice = browser.wait_for(
        "(() => { const e = document.getElementById('connection');"
        " return e.hidden ? '' : e.textContent; })()")
    assert notice == "Can't reach us, retrying…"
    # The customer types anyway: the lines wait, visibly.
    type_like_a_person(browser, "where is my order?")
    type_like_a_person(browser, "482913")
    for line in ("where is my order?", "482913"):
        assert browser.js(LINE_STATE.format(json.dumps(line))) == ["sending…"]
    browser.wait_for("window.configRequests >= 2")  # it tried again, and failed again

    browser.js("window.letConfigThrough = true")
    browser.wait_for(ONLINE, timeout=30)
    # In the order typed: the question, then the number it asks for, so the bot finds the parcel.
    wait_for_bot_line(browser, "1Z84F2930412")
    assert browser.js("document.getElementById('connection').hidden") is True
    for line in ("where is my order?", "482913"):
        browser.wait_for(LINE_STATE.format(json.dumps(line)), check=lambda states: states == [""])


def test_a_lost_line_says_not_sent_and_retry_delivers_it(fresh_shop: RunningBot,
                                                         browser: Browser) -> None:
    line = "how much does shipping cost?"
    browser.before_page_scripts(LOSE_FIRST_FRAME_WITH % json.dumps(json.dumps(line)))
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for(ONLINE)
    answers_before = len(browser.js(BOT_LINES))
    type_like_a_person(browser, line)
    assert browser.js(LINE_STATE.format(json.dumps(line))) == ["sending…"]
    # No acknowledgement comes (the frame was lost): after the page's timeout it says so.
    browser.wait_for(LINE_STATE.format(json.dumps(line)), timeout=30,
                     check=lambda states: states == ["not sent"])
    assert browser.js("window.lostFrames") == 1
    assert len(browser.js(BOT_LINES)) == answers_before

    browser.click(".message--failed .message__retry")
    browser.wait_for(LINE_STATE.format(json.dumps(line)), check=lambda states: states == [""])
    browser.wait_for(BOT_LINES, check=lambda lines: len(lines) > answers_before)
    assert browser.js("document.querySelectorAll('.message--failed, .message__retry').length") == 0


def test_a_refused_line_says_not_sent_and_keeps_the_bots_reason(fresh_shop: RunningBot,
                                                                 browser: Browser) -> None:
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for(ONLINE)
    # Faster than a person types: the channel takes 30 lines a minute from one conversation.
    for number in range(31):
        type_and_send(browser, f"hello {number}")
    failed = browser.wait_for(
        "[...document.querySelectorAll('.message--failed .message__text')].map(e => e.textContent)",
        timeout=60, check=lambda lines: len(lines) == 1)
    assert failed[0].startswith("hello ")
    assert browser.js("document.querySelector('.message--failed .message__state').textContent"
                      ) == "not sent"
    assert browser.js("document.querySelectorAll('.message--failed .message__retry').length") == 1
    wait_for_bot_line(browser, "faster than I can keep up")
    # Everything else arrived.
    browser.wait_for("document.querySelectorAll('.message--pending').length === 0", timeout=60)
    assert browser.js("document.querySelectorAll('.message--user').length") == 31


def test_a_fresh_conversation_is_welcomed_with_questions_to_click(
    fresh_shop: RunningBot, browser: Browser
) -> None:
    browser.open(fresh_shop.web_url + "/")
    welcome = browser.wait_for(BOT_LINES)
    assert "Pine" in welcome[0]
    suggestions = browser.js(
        "[...document.querySelectorAll('.suggestions button')].map(e => e.textContent)")
    assert 3 <= len(suggestions) <= 4 and "Where is my order?" in suggestions
    browser.wait_for(ONLINE)

    browser.click(".suggestions button")  # "Where is my order?"
    wait_for_bot_line(browser, "What's the order number")
    assert browser.js(USER_LINES) == ["Where is my order?"]
    assert browser.js("document.querySelectorAll('.suggestions').length") == 0
    # A reload of a conversation under way does not suggest them again.
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for(ONLINE)
    assert browser.js("document.querySelectorAll('.suggestions').length") == 0


@pytest.mark.parametrize("question, answer", [
    ("Return an item", "order"), ("How much does shipping cost?", "shipping"),
    ("How long does shipping take?", "day")])
def test_every_suggested_question_is_understood(fresh_shop: RunningBot, browser: Browser,
                                                question: str, answer: str) -> None:
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for(ONLINE)
    index = browser.js(
        "[...document.querySelectorAll('.suggestions button')].map(e => e.textContent)"
    ).index(question)
    browser.click(f".suggestions button:nth-child({index + 1})")
    lines = browser.wait_for(BOT_LINES, check=lambda lines: len(lines) > 1)
    assert answer in " ".join(lines[1:]).lower()
    assert "rephrase" not in " ".join(lines[1:]).lower()


def test_talk_to_a_person_in_the_header_asks_the_bot_for_one(fresh_shop: RunningBot,
                                                             browser: Browser) -> None:
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for(ONLINE)
    type_like_a_person(browser, "where is my order?")
    wait_for_bot_line(browser, "What's the order number")

    browser.click("#ask-for-person")
    # Either a person is coming (the status line says where the customer is in line) or the
    # bot says honestly that nobody is free and offers to pass a message.
    browser.wait_for(
        "(() => { const bot = [...document.querySelectorAll('.message--bot')]"
        ".map(e => e.textContent).join(' ');"
        " return !document.getElementById('handoff-status').hidden"
        " || bot.includes('nobody from our team is free')"
        " || bot.includes('bring in a person'); })()", timeout=30)


def test_every_line_shows_its_time_and_keeps_it_after_a_reload(fresh_shop: RunningBot,
                                                                browser: Browser) -> None:
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for(ONLINE)
    type_like_a_person(browser, "where is my order?")
    wait_for_bot_line(browser, "What's the order number")
    times = ("[...document.querySelectorAll('.message')]"
             ".map(e => e.querySelector('time')?.textContent)")
    shown = browser.js(times)
    now = browser.js("(() => { const d = new Date(); return [d.getHours(), d.getMinutes()]; })()")
    assert len(shown) == 3 and all(re.fullmatch(r"\d\d:\d\d", t or "") for t in shown)
    hours, minutes = (int(part) for part in shown[-1].split(":"))
    assert abs((now[0] * 60 + now[1]) - (hours * 60 + minutes)) % (24 * 60) <= 1

    browser.open(fresh_shop.web_url + "/")
    browser.wait_for(ONLINE)
    assert browser.js(times) == shown


def test_the_page_fits_a_phone_and_every_text_is_readable(fresh_shop: RunningBot,
                                                           browser: Browser) -> None:
    browser.set_viewport(390, 844)
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for(ONLINE)
    type_like_a_person(browser, "where is my order? " + "https://example.org/" + "x" * 300)
    browser.wait_for(BOT_LINES, check=lambda lines: len(lines) > 1)
    assert browser.js("document.documentElement.scrollWidth") <= 390
    button = browser.js("(() => { const r = document.getElementById('ask-for-person')"
                        ".getBoundingClientRect(); return [r.left, r.right]; })()")
    assert 0 <= button[0] and button[1] <= 390
    assert browser.js(LOW_CONTRAST_TEXTS) == []


def test_the_page_works_within_its_content_security_policy(fresh_shop: RunningBot,
                                                           browser: Browser) -> None:
    browser.before_page_scripts(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));")
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for(ONLINE)
    type_like_a_person(browser, "where is my order?")
    wait_for_bot_line(browser, "What's the order number")
    assert browser.js("window.cspViolations") == []


def test_a_new_place_in_line_updates_the_status_line_without_a_new_bubble(
    fresh_shop: RunningBot, browser: Browser
) -> None:
    browser.open(fresh_shop.web_url + "/")
    browser.wait_for(ONLINE)
    bubbles = browser.js("document.querySelectorAll('.message').length")
    # What the relay pushes when a waiting customer moves up (router/relay/notices.py).
    browser.js("onBotMessage({text: \"You're now number 2 in line, about 3 min to go.\", "
               "metadata: {queue: {position: 2, minutes: 3}, status_update: true}})")
    status = browser.wait_for("document.getElementById('handoff-status').textContent")
    assert "you are number 2" in status and "about 3 minutes" in status
    assert browser.js("document.querySelectorAll('.message').length") == bubbles


def test_a_persons_reply_sent_while_the_page_was_closed_is_there_when_it_comes_back(
    fresh_shop: RunningBot, browser: Browser, redis_server: EmbeddedRedis,
) -> None:
    create_agent(redis_server.url, "nia", "Nia")
    nia = AgentClient(fresh_shop.web_url, "nia")
    try:
        browser.open(fresh_shop.web_url + "/")
        browser.wait_for(ONLINE)
        type_and_send(browser, "I want to talk to a human")
        wait_for_bot_line(browser, "bring in a person")
        conversation_id = browser.js("JSON.parse(localStorage.getItem('pinecone-chat'))"
                                     ".sessionId")
        nia.claim(conversation_id)
        browser.open("about:blank")  # the customer closes the page
        nia.say(conversation_id, "Sorry for the wait: your parcel arrives tomorrow.")
        nia.wait_for_line(conversation_id, "Sorry for the wait: your parcel arrives tomorrow.")
        agent_lines = ("[...document.querySelectorAll('.message--agent .message__text')]"
                       ".map(e => e.textContent)")
        for _ in range(2):  # back, and once more: the line is there, once
            browser.open(fresh_shop.web_url + "/")
            browser.wait_for(ONLINE)
            lines = browser.wait_for(agent_lines, check=lambda found: any(
                "arrives tomorrow" in line for line in found or []))
            assert sum("arrives tomorrow" in line for line in lines) == 1
    finally:
        nia.call("POST", "/api/auth/logout", {})
