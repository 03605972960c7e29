"""When people can take over: support hours in the shop's time zone, holidays, the queue's
limit and the longest wait; changed by an admin as part of the versioned settings, read live
(a broken value never stops the bot), and followed by the housekeeping at once."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date, datetime, timezone
from datetime import time as clock
from typing import Any, Dict

import pytest
from redis import asyncio as aioredis

from router import keys
from router.handoff.queue import HandoffQueue
from router.relay import housekeeping
from router.relay.outbox import Outbox
from router.service_settings import (
    FIELDS,
    ServiceSettings,
    field_errors,
    live,
    whole,
    with_overrides,
)
from router.settings_versions import SettingsInvalid, SettingsVersions, diff, validate
from router.tickets import OPEN, TicketStore

BERLIN = {"timezone": "Europe/Berlin", "hours": {"monday": "08:00-18:00",
                                                  "saturday": "10:00-24:00"},
          "holidays": ["2026-12-25", "2026-12-24"], "queue_limit": 8, "max_wait_minutes": 30,
          "sla_wait_minutes": 3, "routing": {"by_intent": {"invoice": "billing"},
                                             "by_signal": {"insult": "senior team"}}}


def test_the_defaults_come_from_the_environment() -> None:
    settings = ServiceSettings.from_env({"SUPPORT_HOURS": "always", "QUEUE_MAX_WAIT": "900",
                                         "HANDOFF_QUEUE_LIMIT": "12",
                                         "SUPPORT_TIMEZONE": "Europe/Paris"})
    assert (settings.hours, settings.max_wait_minutes, settings.queue_limit,
            settings.timezone) == (None, 15, 12, "Europe/Paris")
    shop = ServiceSettings.from_env({})
    assert shop.hours is not None and 6 not in shop.hours  # the shop's hours: closed Sundays


def test_settings_as_people_write_them_are_read_and_written_back_the_same() -> None:
    settings = with_overrides(ServiceSettings(), BERLIN)
    assert settings.levels.wait_target_seconds == 180
    assert settings.routing.by_signal == {"insult": "senior team"}
    assert settings.hours == {0: (clock(8), clock(18)), 5: (clock(10), clock.max)}
    assert settings.holidays == (date(2026, 12, 24), date(2026, 12, 25))
    assert with_overrides(ServiceSettings(), settings.written()) == settings
    assert settings.written()["hours"]["saturday"] == "10:00-24:00"


def test_the_hours_are_told_to_customers_as_people_say_them() -> None:
    assert ServiceSettings.from_env({}).said() == \
        "Mon-Fri 8:00-18:00, Sat 9:00-14:00 (Los Angeles time)"
    assert with_overrides(ServiceSettings(), BERLIN).said() == \
        "Mon 8:00-18:00, Sat 10:00-24:00 (Berlin time)"
    assert ServiceSettings(hours=None).said() == "around the clock"


def test_open_follows_the_shops_own_clock_and_its_holidays() -> None:
    settings = with_overrides(ServiceSettings(), BERLIN)
    # Monday 2026-11-23 07:30 UTC is 08:30 in Berlin: open; 17:30 UTC is 18:30 there: closed.
    monday_morning = datetime(2026, 11, 23, 7, 30, tzinfo=timezone.utc).timestamp()
    assert settings.open_at(settings.now(monday_morning))
    assert not settings.open_at(settings.now(monday_morning + 10 * 3600))
    assert not settings.open_at(datetime(2026, 11, 24, 12, 0))  # Tuesday: not in the hours
    assert settings.open_at(datetime(2026, 11, 28, 23, 59))  # Saturday until midnight
    assert not settings.open_at(datetime(2026, 12, 25, 12, 0))  # a holiday (a Friday)


@pytest.mark.parametrize("raw, field, says", [
    ({"timezone": "Mars/Olympus"}, "service.timezone", "not a time zone"),
    ({"timezone": 7}, "service.timezone", "Europe/Berlin"),
    ({"hours": "sometimes"}, "service.hours", "\"always\""),
    ({"hours": {"funday": "08:00-18:00"}}, "service.hours", "not a weekday"),
    ({"hours": {"monday": "8-18"}}, "service.hours", "08:00-18:00"),
    ({"hours": {"monday": "18:00-08:00"}}, "service.hours", "close after it opens"),
    ({"hours": {"monday": "08:00-24:30"}}, "service.hours", "by 24:00 at the latest"),
    ({"holidays": "2026-12-25"}, "service.holidays", "a list"),
    ({"holidays": ["25/12/2026"]}, "service.holidays", "not a date"),
    ({"queue_limit": 0}, "service.queue_limit", "from 1 to 1000"),
    ({"queue_limit": True}, "service.queue_limit", "whole number"),
    ({"queue_limit": "20"}, "service.queue_limit", "whole number"),
    ({"max_wait_minutes": 2000}, "service.max_wait_minutes", "from 1 to 1440"),
    ({"opening_hours": {}}, "service.opening_hours", "no service setting"),
    ({"sla_wait_minutes": 0}, "service.sla_wait_minutes", "waiting target"),
    ({"routing": {"by_topic": {}}}, "service.routing", "by_intent"),
    ({"routing": {"by_intent": {"world_peace": "billing"}}}, "service.routing",
     "not what the customer wanted the bot knows"),
    ({"routing": {"by_signal": {"insult": "<b>senior</b>"}}}, "service.routing",
     "1-40 letters"),
    ({"routing": {"by_signal": ["insult"]}}, "service.routing", "object of names"),
])
def test_each_wrong_service_setting_is_named_with_what_to_write(
    raw: Dict[str, Any], field: str, says: str,
) -> None:
    errors = field_errors(raw)
    assert list(errors) == [field] and says in errors[field]
    with pytest.raises(SettingsInvalid) as refused:
        validate({"service": raw})
    assert field in refused.value.errors


def test_a_change_of_the_service_settings_shows_in_the_versions_diff() -> None:
    changes = diff({"handoff_threshold": 0.7}, {"handoff_threshold": 0.7,
                                                "service": {"queue_limit": 8}})
    assert changes == [{"field": "service.queue_limit",
                        "before": ServiceSettings.from_env().queue_limit, "after": 8}]


async def test_live_settings_are_the_versioned_ones_and_never_break_the_bot(
    redis: aioredis.Redis,
) -> None:
    defaults = ServiceSettings(queue_limit=20)
    assert await live(redis, defaults) == defaults
    await SettingsVersions(redis).save({"service": {"queue_limit": 3}}, "admin", "short-staffed")
    assert (await live(redis, defaults)).queue_limit == 3
    # The scorer's settings are unaffected by the service part.
    assert validate(json.loads(await redis.get(keys.ROUTER_SETTINGS))).handoff_threshold == 0.6
    for damaged in ("{not json", json.dumps({"service": {"queue_limit": -1}}), "[]"):
        await redis.set(keys.ROUTER_SETTINGS, damaged)
        assert await live(redis, defaults) == defaults


async def test_the_housekeeping_follows_a_shorter_longest_wait_at_once(
    redis: aioredis.Redis,
) -> None:
    queue = HandoffQueue(redis)
    await queue.enqueue({"conversation_id": "waited", "created_at": time.time() - 5 * 60})
    await SettingsVersions(redis).save({"service": {"max_wait_minutes": 2}}, "admin")
    stop = asyncio.Event()
    rounds = asyncio.create_task(housekeeping.run(redis, queue, Outbox(redis), 0.05, stop))
    for _ in range(100):
        if await TicketStore(redis, 2000).count(OPEN):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await rounds
    [ticket] = await TicketStore(redis, 2000).with_status(OPEN, 10)
    assert ticket.conversation_id == "waited"
    assert await queue.owner("waited") is None


def test_once_any_service_field_is_set_every_one_is_written_out() -> None:
    # The web service's environment (the action server may have another).
    web = ServiceSettings.from_env({"SUPPORT_TIMEZONE": "Europe/Paris",
                                    "HANDOFF_QUEUE_LIMIT": "12"})
    overrides = {"handoff_threshold": 0.7, "service": {"queue_limit": 30}}
    stored = whole(overrides, web)
    assert stored["handoff_threshold"] == 0.7
    assert set(stored["service"]) == set(FIELDS)
    assert stored["service"]["queue_limit"] == 30
    assert stored["service"]["timezone"] == "Europe/Paris"   # not each process's own
    assert with_overrides(ServiceSettings(), stored["service"]) == \
        with_overrides(web, {"queue_limit": 30})
    # The diff still names only what changed.
    assert [c["field"] for c in diff({}, whole({"service": {"queue_limit": 30}},
                                               ServiceSettings.from_env()))] == \
        ["service.queue_limit"]
    # Nothing set, or something wrong (for validation to name), is left as it is.
    assert whole({"handoff_threshold": 0.7}, web) == {"handoff_threshold": 0.7}
    assert whole({"service": {}}, web) == {"service": {}}
    assert whole({"service": {"queue_limit": -1}}, web) == {"service": {"queue_limit": -1}}
