"""The settings preview in the agents' console, in a real headless Chromium against the real
stack: an admin previews a lower handoff threshold, sees a stored conversation whose handoff
would change listed with the message where it does, opens it and sees that message
highlighted in its story with its scores now and after; the story fits a 390 px phone."""

import json
import time
import uuid
from typing import Iterator

import pytest
from redis import asyncio as aioredis

from router import keys
from router.scoring import ScorerSettings
from tests.e2e.browser import Browser, running_browser
from tests.e2e.conftest import RunningBot
from tests.e2e.test_console_page import account_for_the_test, in_redis, sign_in
from tests.e2e.test_settings_page import THRESHOLD, _back_to_defaults, _shows, _type_into
from tests.router.whatif_talks import DEFAULTS, Talk, expected, grumble

ADMIN_ID = "wren"
LOWER = 0.35


@pytest.fixture
def grumbling(fresh_shop: RunningBot) -> Iterator[Talk]:
    """A stored conversation (as Rasa's tracker store keeps it) that the default threshold
    leaves with the bot and a lower one hands off; the newest in the store."""
    talk = grumble().moved(f"whatif-{uuid.uuid4().hex[:12]}", time.time())

    async def store(redis: aioredis.Redis) -> None:
        await redis.set(keys.rasa_tracker(talk.conversation_id), talk.as_json())

    async def drop(redis: aioredis.Redis) -> None:
        await redis.delete(keys.rasa_tracker(talk.conversation_id))

    in_redis(fresh_shop, store)
    yield talk
    in_redis(fresh_shop, drop)


@pytest.fixture
def whatif_admin(fresh_shop: RunningBot) -> Iterator[Browser]:
    in_redis(fresh_shop, _back_to_defaults)
    for _account in account_for_the_test(fresh_shop, ADMIN_ID, "Wren", "admin"):
        yield from running_browser()
    in_redis(fresh_shop, _back_to_defaults)


def test_an_admin_opens_a_changed_conversation_at_the_message_that_changes(
    fresh_shop: RunningBot, whatif_admin: Browser, grumbling: Talk
) -> None:
    console = whatif_admin
    now = expected(grumbling, DEFAULTS)
    after = expected(grumbling, ScorerSettings.from_mapping({"handoff_threshold": LOWER}))
    assert now is None and after is not None  # so the preview has a change to show
    message = after[0]

    sign_in(console, fresh_shop, ADMIN_ID)
    console.click("#open-settings")
    console.wait_for("document.getElementById('settings-admin').open")
    assert console.wait_for(f"document.querySelector('{THRESHOLD}').value") == "0.6"
    _type_into(console, THRESHOLD, str(LOWER))
    console.click("#settings-preview")
    _shows(console, "settings-preview-result", "Replayed")

    button = (f"#settings-preview-details .preview-change[data-conversation-id="
              f"{json.dumps(grumbling.conversation_id)}]")
    listed = console.wait_for(f"document.querySelector('{button}')?.textContent",
                              check=bool)
    assert listed.startswith(f"Message {message}: handed off after, not now")
    details = console.js("document.getElementById('settings-preview-details').textContent")
    assert "Handoffs by reason" in details and "Frustration:" in details
    assert "enabled accounts" in details  # the load's basis, in words

    # Opened from the keyboard: focus the button, press Enter.
    console.js(f"document.querySelector('{button}').focus()")
    console.press_enter()
    console.wait_for("document.getElementById('stored-story').open")
    highlighted = ("document.querySelector('#stored-story-lines .line--changes')")
    assert console.wait_for(f"{highlighted}?.dataset.message", check=bool) == str(message)
    text = console.js(f"{highlighted}.textContent")
    assert "The decision changes here" in text
    assert "ugh, that's annoying" in text
    assert "(a person is brought in)" in text and "Score now" in text
    # Only that message is highlighted, every customer message has its scores, and the
    # highlighted one is on screen (scrolled into view inside the dialog).
    assert console.js("document.querySelectorAll('#stored-story-lines .line--changes').length"
                      ) == 1
    assert console.js("document.querySelectorAll('#stored-story-lines .line--customer "
                      ".story-scores').length") == 2
    assert console.js(f"(() => {{ const r = {highlighted}.getBoundingClientRect();"
                      " return r.top >= 0 && r.bottom <= window.innerHeight; })()")
    summary = console.js("document.getElementById('stored-story-summary').textContent")
    assert "Now, no person is brought in." in summary
    assert f"With these settings, a person is brought in at message {message}" in summary

    # On a phone the story fits the screen's width.
    console.set_viewport(390, 844)
    assert console.wait_for(
        "(() => { const d = document.getElementById('stored-story').getBoundingClientRect();"
        " return d.width <= 390 && d.left >= 0 &&"
        " document.getElementById('stored-story').scrollWidth <= d.width + 1; })()")

    # Escape closes it and gives focus back to the button that opened it.
    console.command("Input.dispatchKeyEvent", type="keyDown", key="Escape", code="Escape",
                    windowsVirtualKeyCode=27)
    console.command("Input.dispatchKeyEvent", type="keyUp", key="Escape", code="Escape",
                    windowsVirtualKeyCode=27)
    console.wait_for("!document.getElementById('stored-story').open")
    assert console.wait_for("document.activeElement?.dataset.conversationId"
                            ) == grumbling.conversation_id
