"""Labels and learning in the agents' console, in a real headless Chromium against the real
stack: an agent resolves a conversation and labels the handoff in one click; an admin opens
Learn from labels from the Settings dialog and sees the label counted; an agent labels a case
found again in History; and an admin, given enough labelled handoffs, asks for a suggestion,
previews it on stored conversations and applies it as a new settings version."""

import json
import re
from typing import Any, Dict, Iterator, List, Optional

import pytest
from redis import asyncio as aioredis

from router import keys
from router.learning import LabelledHandoff, LearningSettings, Target, suggest
from router.scoring.settings import ScorerSettings
from tests.e2e.browser import Browser, running_browser
from tests.e2e.conftest import RunningBot
from tests.e2e.test_console_page import (
    account_for_the_test,
    ask_for_a_person,
    claim,
    history_result,
    in_redis,
    search_history,
    sign_in,
)
from tests.e2e.test_settings_page import _back_to_defaults
from tests.router.test_learning import synthetic

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


# --- Labelling a case found again in History ----------------------------------------------

def _find_case(console: Browser, conversation_id: str, case_id: str) -> None:
    """Searches History for the conversation until its case is listed (it is indexed right
    after the handoff ends), then opens it."""
    for _attempt in range(10):
        if any(found["case"] == case_id for found in search_history(console, conversation_id)):
            console.click(history_result(case_id))
            console.wait_for("!document.getElementById('case').hidden")
            return
    raise AssertionError(f"case {case_id} never showed in History")


def _stored_label(bot: RunningBot, case_id: str) -> List[Optional[str]]:
    async def read(redis: aioredis.Redis) -> List[Optional[str]]:
        return await redis.hmget(keys.history_case(case_id), ["label", "labelled_by"])
    return in_redis(bot, read)


def test_an_agent_labels_a_case_found_again_in_history(
    fresh_shop: RunningBot, labeller: Browser, customer_page: Browser,
) -> None:
    console = labeller
    sign_in(console, fresh_shop, AGENT_ID)
    conversation_id = ask_for_a_person(customer_page, fresh_shop)
    claim(console, conversation_id)
    console.js("document.getElementById('resolve').click()")
    shown = console.wait_for(f"{PROMPT}.hidden ? '' : "
                             f"document.getElementById('label-prompt-case').textContent",
                             check=lambda text: bool(text))
    case_id = shown.removeprefix("Case ")
    console.click("#label-prompt-skip")   # not now: later, from History
    assert _stored_label(fresh_shop, case_id) == [None, None]

    _find_case(console, conversation_id, case_id)
    assert console.js("document.getElementById('case-title').textContent") == f"Case {case_id}"
    assert console.js("document.getElementById('case-label').textContent") == \
        "Nobody has labelled this handoff yet."
    console.click("#case-label-buttons [data-label=too_early]")
    said = console.wait_for("document.getElementById('case-label').textContent",
                            check=lambda text: "yet" not in text)
    assert said == "The handoff was labelled too early: the bot could have handled it."
    assert console.js("[...document.querySelectorAll('#case-label-buttons button')]"
                      ".map(b => b.dataset.label + '=' + b.getAttribute('aria-pressed'))") == \
        ["needed=false", "too_early=true", "too_late=false"]
    assert _stored_label(fresh_shop, case_id) == ["too_early", AGENT_ID]


# --- Suggest, Preview, Apply --------------------------------------------------------------

# Labels made by a known rule (tests/router/test_learning.py): enough of each kind, and each
# signal counted at enough of them to be fitted rather than kept (about 13 each).
LABELLED = synthetic(0.6, 150, seed=7)
FIRST_CASE = 9500
TARGET_RATE = 0.5
# Stored conversations for the preview to replay.
TALKS = {"learn-1": ["hello", "where is my order?"],
         "learn-2": ["this is useless, I am fed up", "I want my money back now"]}


def _stored_case(number: int, handoff: LabelledHandoff) -> Dict[str, Any]:
    """A labelled case as the console and release.lua leave it, with the assessment of the
    turn that handed off."""
    assessment = {"handoff": True, "handoff_reason": "frustration",
                  "contributions": handoff.evidence, "state": {"evidence": handoff.evidence}}
    return {"case_id": number, "conversation_id": f"learn-case-{number}",
            "packet": json.dumps({"assessment": assessment, "transcript": []}),
            "outcome": "resolved", "agent_id": AGENT_ID, "label": handoff.label,
            "labelled_by": AGENT_ID, "labelled_at": number}


def _tracker(conversation_id: str, lines: List[str]) -> str:
    events = [{"event": "user", "timestamp": 1_600_000_000 + n, "text": text,
               "input_channel": "socketio"} for n, text in enumerate(lines)]
    return json.dumps({"events": events, "name": conversation_id})


async def _write_labels(redis: aioredis.Redis) -> None:
    await redis.delete(keys.HISTORY_LABELLED)
    for number, handoff in enumerate(LABELLED, start=FIRST_CASE):
        await redis.hset(keys.history_case(str(number)), mapping=_stored_case(number, handoff))
        await redis.zadd(keys.HISTORY_LABELLED, {str(number): number})
    for conversation_id, lines in TALKS.items():
        await redis.set(keys.rasa_tracker(conversation_id), _tracker(conversation_id, lines))


async def _remove_labels(redis: aioredis.Redis) -> None:
    numbers = range(FIRST_CASE, FIRST_CASE + len(LABELLED))
    await redis.delete(keys.HISTORY_LABELLED, *[keys.history_case(str(n)) for n in numbers],
                       *[keys.rasa_tracker(talk) for talk in TALKS])


async def _newest_version(redis: aioredis.Redis) -> Dict[str, Any]:
    return json.loads(await redis.lindex(keys.ROUTER_SETTINGS_VERSIONS, -1) or "{}")


@pytest.fixture
def labelled_handoffs(fresh_shop: RunningBot) -> Iterator[None]:
    in_redis(fresh_shop, _back_to_defaults)
    in_redis(fresh_shop, _write_labels)
    try:
        yield
    finally:
        # Later tests expect the default threshold in every Rasa process.
        in_redis(fresh_shop, _remove_labels)
        in_redis(fresh_shop, _back_to_defaults)


def _shown(console: Browser, element_id: str) -> str:
    node = f"document.getElementById('{element_id}')"
    return str(console.wait_for(f"{node}.hidden ? '' : {node}.textContent",
                                check=lambda text: bool(text)))


def test_an_admin_suggests_previews_and_applies_settings_learnt_from_labels(
    fresh_shop: RunningBot, learner: Browser, labelled_handoffs: None,
) -> None:
    needs = LearningSettings()
    assert len(LABELLED) >= needs.min_labels
    # What the server should suggest, worked out here on the same labels.
    expected = suggest(LABELLED, ScorerSettings(), Target(rate=TARGET_RATE))
    console = learner
    sign_in(console, fresh_shop, ADMIN_ID)
    console.wait_for("!document.getElementById('open-settings').hidden")
    console.click("#open-settings")
    console.wait_for("document.getElementById('settings-admin').open")
    console.click("#open-learning")
    counts = console.wait_for("document.getElementById('learning-counts').textContent",
                              check=lambda text: bool(text))
    needed = sum(1 for h in LABELLED if h.needed)
    assert counts.startswith(f"{len(LABELLED)} labelled handoffs: {needed} needed, "
                             f"{len(LABELLED) - needed} too early, 0 too late.")

    console.js("document.getElementById('learning-target-kind').value = 'target_rate'")
    console.js("document.getElementById('learning-target').value = ''")
    console.type_text("#learning-target", str(TARGET_RATE))
    console.click("#learning-form button[type=submit]")
    threshold = _shown(console, "learning-threshold")
    assert threshold == f"Bring in a person at {expected.handoff_threshold} (now 0.6)."
    figures = console.js("document.getElementById('learning-figures').textContent")
    assert f"On the {len(LABELLED)} labelled handoffs, {expected.after['kept']} would " \
           f"still be handed off" in figures
    assert console.js("document.querySelectorAll('#learning-weights tr').length") > 0

    console.click("#learning-preview")
    preview = _shown(console, "learning-preview-result")
    replayed = re.fullmatch(r"Replayed the last (\d+) conversations: handed off now \d+%, "
                            r"with the suggestion \d+%; \d+ would change\.", preview)
    assert replayed and int(replayed.group(1)) >= len(TALKS), preview

    console.click("#learning-apply")
    comment = f"suggested from {len(LABELLED)} labels"
    notice = _shown(console, "learning-notice")
    version = in_redis(fresh_shop, _newest_version)
    assert notice == (f"Saved as version {version['number']} (\u201c{comment}\u201d): it "
                      f"applies from the next customer turn.")
    assert (version["comment"], version["who"]) == (comment, ADMIN_ID)
    assert version["overrides"]["handoff_threshold"] == expected.handoff_threshold
    assert console.js("document.getElementById('learning-suggestion').hidden")
