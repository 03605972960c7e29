"""The handoff settings in the agents' console, in a real headless Chromium against the real
stack: an admin changes the handoff threshold with a comment (a wrong value first, explained
beside the field), sees the version in the history, and restores the one before; the dialog
fits a 390 px phone. The console's colours follow a threshold changed while it is open."""

import json
import time
from typing import Any, Dict, Iterator

import pytest
from redis import asyncio as aioredis

from router import keys
from router.handoff.queue import HandoffQueue
from router.handoff.routing import routes
from router.service_settings import FIELDS as SERVICE_FIELDS
from tests.e2e.browser import Browser, running_browser
from tests.e2e.conftest import RunningBot
from tests.e2e.test_console_page import account_for_the_test, in_redis, sign_in

ADMIN_ID = "ines"
DEFAULT_ROUTES = routes()  # router/routing.yml: the teams before any change
THRESHOLD = "#setting-handoff_threshold"
HISTORY = "[...document.querySelectorAll('#settings-history .settings-version')]"


async def _back_to_defaults(redis: aioredis.Redis) -> None:
    # Later tests expect the default threshold in every Rasa process.
    await redis.delete(keys.ROUTER_SETTINGS, keys.ROUTER_SETTINGS_VERSIONS)
    await redis.publish(keys.ROUTER_SETTINGS_CHANGED, "0")


async def _overrides(redis: aioredis.Redis) -> Dict[str, Any]:
    return json.loads(await redis.get(keys.ROUTER_SETTINGS) or "{}")


@pytest.fixture
def settings_admin(fresh_shop: RunningBot) -> Iterator[Browser]:
    in_redis(fresh_shop, _back_to_defaults)
    for _account in account_for_the_test(fresh_shop, ADMIN_ID, "Ines", "admin"):
        yield from running_browser()
    in_redis(fresh_shop, _back_to_defaults)


def open_settings(console: Browser, bot: RunningBot) -> None:
    """Signs the test's admin in and opens the Settings dialog, loaded."""
    sign_in(console, bot, ADMIN_ID)
    console.click("#open-settings")
    console.wait_for("document.getElementById('settings-admin').open")
    console.wait_for(f"!!document.querySelector('{THRESHOLD}')")


def _type_into(console: Browser, selector: str, text: str) -> None:
    console.js(f"document.querySelector({json.dumps(selector)}).value = ''")
    console.type_text(selector, text)


def _shows(console: Browser, element_id: str, *fragments: str) -> str:
    """Waits until the element is shown with one of `fragments` in it; returns its text."""
    node = f"document.getElementById('{element_id}')"
    return str(console.wait_for(f"{node}.hidden ? '' : {node}.textContent",
                                check=lambda text: any(f in (text or "") for f in fragments)))


def test_an_admin_changes_the_threshold_sees_the_version_and_restores_the_one_before(
    fresh_shop: RunningBot, settings_admin: Browser
) -> None:
    console = settings_admin
    open_settings(console, fresh_shop)
    assert console.wait_for(f"document.querySelector('{THRESHOLD}').value") == "0.6"
    labels = console.js("[...document.querySelectorAll('#settings-weights label')]"
                        ".map(l => l.textContent)")
    assert "Insults" in labels and "Saying they are fed up" in labels
    # Every control in the form is labelled, so a screen reader names it.
    assert console.js("[...document.querySelectorAll('#settings-form input, "
                      "#settings-form textarea')].every(i => i.labels.length > 0)")

    # A value out of range is explained beside its field, and nothing is saved.
    _type_into(console, THRESHOLD, "1.5")
    console.click("#settings-save")
    beside = console.wait_for(
        "document.querySelector('[data-setting=handoff_threshold] .setting__error')"
        ".textContent")
    assert "between 0 and 1, got 1.5" in beside
    assert console.js(f"document.querySelector('{THRESHOLD}').getAttribute('aria-invalid')"
                      ) == "true"
    assert in_redis(fresh_shop, _overrides) == {}

    _type_into(console, THRESHOLD, "0.7")
    console.type_text("#settings-comment", "Busy weekend: people step in later")
    console.click("#settings-save")
    _shows(console, "settings-notice", "Saved as version 1")
    assert in_redis(fresh_shop, _overrides) == {"handoff_threshold": 0.7}
    newest = console.wait_for(f"{HISTORY}.map(v => v.textContent)",
                              check=lambda items: bool(items) and "Version 1" in items[0])
    assert "Busy weekend: people step in later" in newest[0]
    assert "Hand off at score: 0.6 → 0.7" in newest[0]
    assert f"{ADMIN_ID}" in newest[0]
    assert "Version 0" in newest[1] and "the defaults" in newest[1]

    # The preview answers with figures, or says it is not available on this server.
    console.click("#settings-preview")
    _shows(console, "settings-preview-result", "No stored conversations", "Replayed")

    # An old preview is cleared by any change of a field.
    _type_into(console, THRESHOLD, "0.65")
    assert console.wait_for("document.getElementById('settings-preview-result').hidden") is True

    # Restore asks first, saying what goes back; keeping the settings changes nothing.
    console.click("#settings-history [data-version='0'] button")
    question = console.wait_for(
        "document.querySelector('#settings-history [data-version=\"0\"] "
        ".settings-version__confirm')?.textContent")
    assert "Restore version 0, the defaults? Support hours and team routing go back too." \
        in question
    console.click("#settings-history [data-version='0'] .settings-version__confirm "
                  "button:not([data-confirm])")
    assert in_redis(fresh_shop, _overrides) == {"handoff_threshold": 0.7}
    console.click("#settings-history [data-version='0'] button")
    console.click("#settings-history [data-version='0'] [data-confirm=restore]")
    _shows(console, "settings-notice", "Restored version 0 as version 2")
    # The message sits beside the Save and Preview buttons, not at the top of the dialog.
    assert console.js("document.getElementById('settings-save').closest('.settings-bar')"
                      ".nextElementSibling.nextElementSibling.id") == "settings-notice"
    assert in_redis(fresh_shop, _overrides) == {}
    assert console.wait_for(f"document.querySelector('{THRESHOLD}').value") == "0.6"
    newest = console.wait_for(f"{HISTORY}.map(v => v.textContent)",
                              check=lambda items: bool(items) and "Version 2" in items[0])
    assert "restored version 0" in newest[0]
    assert "Hand off at score: 0.7 → 0.6" in newest[0]

    # On a phone the dialog fits the screen's width: nothing to scroll sideways to.
    console.set_viewport(390, 844)
    assert console.wait_for(
        "(() => { const d = document.getElementById('settings-admin').getBoundingClientRect();"
        " const i = document.querySelector('#settings-comment').getBoundingClientRect();"
        " return d.width <= 390 && d.left >= 0 && i.right <= 390 &&"
        " document.getElementById('settings-admin').scrollWidth <= d.width + 1; })()")


def _waiting_at(score: float) -> Any:
    async def enqueue(redis: aioredis.Redis) -> str:
        conversation_id = "colour-check"
        await HandoffQueue(redis).enqueue({
            "conversation_id": conversation_id, "created_at": time.time(),
            "reason": "frustration", "channel": "socketio", "assessment": {"score": score},
            "summary": {"first_message": "this is taking ages"}, "transcript": []})
        return conversation_id
    return enqueue


def test_the_consoles_colours_follow_a_threshold_changed_while_it_is_open(
    fresh_shop: RunningBot, settings_admin: Browser
) -> None:
    console = settings_admin
    sign_in(console, fresh_shop, ADMIN_ID)
    conversation_id = in_redis(fresh_shop, _waiting_at(0.7))
    score = (f"document.querySelector('#queue .queue-item[data-conversation-id="
             f"{json.dumps(conversation_id)}] .score').className")
    # 0.7 is past the default handoff threshold (0.6): shown as "a person is needed".
    assert console.wait_for(score, check=bool) == "score score--high"

    console.click("#open-settings")
    console.wait_for("document.getElementById('settings-admin').open")
    assert console.wait_for(f"document.querySelector('{THRESHOLD}').value") == "0.6"
    _type_into(console, THRESHOLD, "0.8")
    console.type_text("#settings-comment", "Fewer handoffs while we are short of people")
    console.click("#settings-save")
    _shows(console, "settings-notice", "Saved as version")
    console.click("#settings-close")
    # At 0.8 the same score is a concern, not a handoff: the colour changes at once, with no
    # reload (the queue stream re-sends its limits on a settings change).
    assert console.wait_for(score, timeout=5,
                            check=lambda name: name == "score score--concern")


CHANGED = ("hours", "holidays", "queue_limit", "sla_wait_minutes", "routing")


def test_an_admin_sets_when_people_can_take_over(
    fresh_shop: RunningBot, settings_admin: Browser
) -> None:
    console = settings_admin
    open_settings(console, fresh_shop)
    # The stack answers around the clock (SUPPORT_HOURS=always): the day fields wait unused.
    assert console.wait_for("document.getElementById('service-always').checked") is True
    console.click("#service-always")
    _type_into(console, "#service-hours-monday", "9-5")
    _type_into(console, "#setting-service-queue_limit", "5")
    console.click("#settings-save")
    beside = _shows(console, "service-hours-error", "08:00-18:00")
    assert "monday's hours are written like 08:00-18:00" in beside
    assert in_redis(fresh_shop, _overrides) == {}

    _type_into(console, "#service-hours-monday", "09:00-17:00")
    _type_into(console, "#service-hours-saturday", "10:00-14:00")
    _type_into(console, "#setting-service-holidays", "2026-12-25, 2026-12-26")
    _type_into(console, "#setting-service-sla_wait_minutes", "3")
    console.click(".service-routing summary")  # opens "Which team takes what"
    _type_into(console, "#service-routing-by_intent input[data-name=shipping_costs]", "shipping")
    console.type_text("#settings-comment", "Winter hours")
    console.click("#settings-save")
    _shows(console, "settings-notice", "Saved as version")
    stored = in_redis(fresh_shop, _overrides)
    # Every service field once any is changed: the action server then reads the same ones.
    assert set(stored) == {"service"} and set(stored["service"]) == set(SERVICE_FIELDS)
    assert {name: stored["service"][name] for name in CHANGED} == {
        "hours": {"monday": "09:00-17:00", "saturday": "10:00-14:00"},
        "holidays": ["2026-12-25", "2026-12-26"], "queue_limit": 5, "sla_wait_minutes": 3,
        "routing": {"by_intent": {**DEFAULT_ROUTES.by_intent, "shipping_costs": "shipping"},
                    "by_signal": DEFAULT_ROUTES.by_signal}}
    assert stored["service"]["max_wait_minutes"] == 120   # the stack's own default, kept
    newest = console.wait_for(f"{HISTORY}.map(v => v.textContent)",
                              check=lambda items: bool(items) and "Winter hours" in items[0])
    assert "Support hours: always → Monday 09:00-17:00, Saturday 10:00-14:00" in newest[0]
    assert "Most customers waiting at once: 20 → 5" in newest[0]
    assert "Waiting target, in minutes: 5 → 3" in newest[0]


def test_an_admin_gives_the_web_chat_its_own_threshold_and_sees_it_in_the_history(
    fresh_shop: RunningBot, settings_admin: Browser
) -> None:
    console = settings_admin
    open_settings(console, fresh_shop)
    # The known channels are offered as people say them.
    assert console.wait_for(
        "document.querySelector('#channel-add-known option[value=socketio]')?.textContent"
    ) == "Web chat (socketio)"
    console.js("document.getElementById('channel-add-known').value = 'socketio'")
    console.click("#channel-add")
    web_chat = "#channel-socketio-handoff_threshold"
    # A new channel starts from the general settings.
    assert console.wait_for(f"document.querySelector('{web_chat}')?.value") == "0.6"
    assert console.js("document.querySelector('[data-channel=socketio] .setting__label')"
                      ".textContent") == "Web chat"

    _type_into(console, web_chat, "1.5")
    console.click("#settings-save")
    beside = console.wait_for(
        "document.querySelector('[data-setting=\"channels.socketio.handoff_threshold\"] "
        ".setting__error').textContent")
    assert "between 0 and 1, got 1.5" in beside
    assert in_redis(fresh_shop, _overrides) == {}

    _type_into(console, web_chat, "0.45")
    console.type_text("#settings-comment", "Shop visitors are ready to buy")
    console.click("#settings-save")
    _shows(console, "settings-notice", "Saved as version 1")
    assert in_redis(fresh_shop, _overrides) == {"channels": {"socketio": {
        "handoff_threshold": 0.45}}}
    newest = console.wait_for(f"{HISTORY}.map(v => v.textContent)",
                              check=lambda items: bool(items) and "Version 1" in items[0])
    assert "Shop visitors are ready to buy" in newest[0]
    assert "Web chat: Hand off at score: 0.6 → 0.45" in newest[0]
    # Read back after the save, the channel keeps its own value; the general one is unchanged.
    assert console.wait_for(f"document.querySelector('{web_chat}')?.value") == "0.45"
    assert console.js(f"document.querySelector('{THRESHOLD}').value") == "0.6"

    console.click("[data-channel=socketio] button")
    console.click("#settings-save")
    _shows(console, "settings-notice", "Saved as version 2")
    assert in_redis(fresh_shop, _overrides) == {}
    newest = console.wait_for(f"{HISTORY}.map(v => v.textContent)",
                              check=lambda items: bool(items) and "Version 2" in items[0])
    assert "Web chat: Hand off at score: 0.45 → 0.6" in newest[0]


def test_an_admin_changes_a_setting_beyond_the_thresholds(
    fresh_shop: RunningBot, settings_admin: Browser
) -> None:
    console = settings_admin
    open_settings(console, fresh_shop)
    console.wait_for("!!document.getElementById('setting-immediate_handoff_intents')")
    console.click("#settings-form details summary")  # "Every other setting"
    # An intent name that cannot be one is explained beside the field, which stays in view.
    _type_into(console, "#setting-immediate_handoff_intents", "request_human, Talk To Boss")
    console.click("#settings-save")
    assert "names like request_human" in _shows(
        console, "setting-immediate_handoff_intents-error", "names like")
    _type_into(console, "#setting-immediate_handoff_intents", "request_human, complain")
    console.click("#setting-shadow_mode")
    console.click("#settings-save")
    _shows(console, "settings-notice", "Saved as version")
    assert in_redis(fresh_shop, _overrides) == {
        "immediate_handoff_intents": ["request_human", "complain"], "shadow_mode": True}
