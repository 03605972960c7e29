"""Labels and learning in the agents' console, in a real headless Chromium against the real
stack: an agent resolves a conversation and labels the handoff in one click; an admin opens
Learn from labels from the Settings dialog and sees the label counted."""

from typing import Iterator, List, Optional

import pytest
from redis import asyncio as aioredis

from router import keys
from tests.e2e.browser import Browser, running_browser
from tests.e2e.conftest import RunningBot
from tests.e2e.test_console_page import (
    account_for_the_test,
    ask_for_a_person,
    claim,
    in_redis,
    sign_in,
)

AGENT_ID, ADMIN_ID = "lena", "omar"


# The browsers are torn down before the accounts, so no heartbeat puts them online again.
@pytest.fixture
def labeller(fresh_shop: RunningBot) -> Iterator[Browser]:
    for _account in account_for_the_test(fresh_shop, AGENT_ID, "Lena", "agent"):
        yield from running_browser()


@pytest.fixture
def learner(fresh_shop: RunningBot) -> Iterator[Browser]:
    for _account in account_for_the_test(fresh_shop, ADMIN_ID, "Omar", "admin"):
        yield from running_browser()


@pytest.fixture
def customer_page(fresh_shop: RunningBot) -> Iterator[Browser]:
    yield from running_browser()

PROMPT = "document.getElementById('label-prompt')"


async def _forget_labels(redis: aioredis.Redis) -> None:
    await redis.delete(keys.HISTORY_LABELLED)


def _labels(bot: RunningBot) -> List[Optional[str]]:
    """The label on each labelled case, as stored."""
    async def read(redis: aioredis.Redis) -> List[Optional[str]]:
        return [await redis.hget(keys.history_case(case_id), "label")
                for case_id in await redis.zrange(keys.HISTORY_LABELLED, 0, -1)]
    return in_redis(bot, read)


def test_an_agent_labels_a_handoff_in_one_click_and_an_admin_sees_it_counted(
    fresh_shop: RunningBot, labeller: Browser, customer_page: Browser, learner: Browser,
) -> None:
    console, admin_console = labeller, learner
    in_redis(fresh_shop, _forget_labels)
    sign_in(console, fresh_shop, AGENT_ID)
    conversation_id = ask_for_a_person(customer_page, fresh_shop)
    claim(console, conversation_id)
    assert console.js(f"{PROMPT}.hidden")
    console.js("document.getElementById('resolve').click()")
    question = console.wait_for(f"{PROMPT}.hidden ? '' : "
                                f"{PROMPT}.textContent.replace(/\\s+/g, ' ')",
                                check=lambda text: "Was bringing in a person right?" in text)
    for button in ("Needed", "Too early: the bot could have handled it", "Too late", "Skip"):
        assert button in question
    console.js("document.querySelector('#label-prompt-buttons [data-label=needed]').click()")
    thanks = console.wait_for("document.getElementById('label-prompt-thanks').textContent",
                              check=lambda text: bool(text))
    assert thanks == "Thanks: labelled needed"
    assert _labels(fresh_shop) == ["needed"]

    sign_in(admin_console, fresh_shop, ADMIN_ID)
    admin_console.wait_for("!document.getElementById('open-settings').hidden")
    admin_console.click("#open-settings")
    admin_console.wait_for("document.getElementById('settings-admin').open")
    admin_console.click("#open-learning")
    counts = admin_console.wait_for("document.getElementById('learning-counts').textContent",
                                    check=lambda text: bool(text))
    assert counts.startswith("1 labelled handoff: 1 needed, 0 too early, 0 too late.")
    assert admin_console.js("document.getElementById('learning-admin').open")
    signals = admin_console.js("[...document.querySelectorAll('#learning-signals th')]"
                               ".map(th => th.textContent)")
    assert "Insults" in signals and "Saying they are fed up" in signals
    # Too few labels for a suggestion: the dialog says how many are needed.
    admin_console.click("#learning-form button[type=submit]")
    error = admin_console.wait_for("document.getElementById('learning-error').textContent",
                                   check=lambda text: bool(text))
    assert "at least 20 labelled handoffs" in error
