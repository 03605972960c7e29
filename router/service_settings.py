"""When people can take over: support hours in the shop's time zone, holidays, how many may
wait in the queue, how long a customer waits before their conversation becomes a ticket, the
waiting target admins are alerted past, and which team takes what.

Defaults come from the environment (`SUPPORT_HOURS=always`, `SUPPORT_TIMEZONE`,
`QUEUE_MAX_WAIT`, `HANDOFF_QUEUE_LIMIT`, `SLA_WAIT_SECONDS`) and router/routing.yml; an
admin's changes are the `service` part of the router's versioned overrides
(router/settings_versions.py), so one history tells every change of when the bot steps aside.
The action server reads them on every handoff, the housekeeping on every round, the console on
every queue snapshot: a change applies at once, without a restart.

Stored as people write them:
    {"timezone": "Europe/Berlin", "hours": {"monday": "08:00-18:00", ...} or "always",
     "holidays": ["2026-12-25"], "queue_limit": 20, "max_wait_minutes": 120,
     "sla_wait_minutes": 5, "routing": {"by_intent": {"refund_status": "billing"},
                                        "by_signal": {"insult": "senior"}}}
A weekday missing from `hours` is closed.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any, Dict, List, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from router import keys
from router.handoff.availability import DEFAULT_HOURS
from router.handoff.routing import Routes, routes
from router.plain_words import INTENTS, SIGNALS
from router.service_levels import ServiceLevels

log = logging.getLogger(__name__)

SERVICE = "service"  # the key of these settings inside the router's overrides
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALWAYS = "always"
FIELDS = ("timezone", "hours", "holidays", "queue_limit", "max_wait_minutes",
          "sla_wait_minutes", "routing")
# Bounds a person would never need to pass: a queue of a thousand is a call centre's, a wait of
# a day is no wait; a year of holidays is every day.
MAX_QUEUE_LIMIT = 1000
MAX_WAIT_MINUTES = 24 * 60
MAX_HOLIDAYS = 366
HOURS = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])")
TEAM = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _-]{0,39}")

Hours = Optional[Dict[int, Tuple[time, time]]]  # weekday (Monday 0) -> opens, closes; None: always


@dataclass(frozen=True)
class ServiceSettings:
    timezone: str = "America/Los_Angeles"
    hours: Hours = None
    holidays: Tuple[date, ...] = ()
    queue_limit: int = 20
    # A customer still waiting after this long (most have left by then) becomes a ticket with
    # the whole story, so the team answers later and the line does not fill with ghosts.
    max_wait_minutes: int = 120
    # The service level: waiting longer than this, admins are alerted (router/service_levels.py).
    sla_wait_minutes: int = 5
    # Which team a handed-off conversation goes to (router/handoff/routing.py).
    routing: Routes = Routes()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ServiceSettings:
        always = env.get("SUPPORT_HOURS", "").strip().lower() == ALWAYS
        max_wait_seconds = float(env.get("QUEUE_MAX_WAIT") or cls.max_wait_minutes * 60)
        target_seconds = ServiceLevels.from_env(env).wait_target_seconds
        return cls(timezone=env.get("SUPPORT_TIMEZONE") or cls.timezone,
                   hours=None if always else dict(DEFAULT_HOURS),
                   queue_limit=int(env.get("HANDOFF_QUEUE_LIMIT") or cls.queue_limit),
                   max_wait_minutes=max(1, round(max_wait_seconds / 60)),
                   sla_wait_minutes=max(1, round(target_seconds / 60)),
                   routing=routes())

    @property
    def levels(self) -> ServiceLevels:
        return ServiceLevels(wait_target_seconds=self.sla_wait_minutes * 60)

    @property
    def max_wait_seconds(self) -> float:
        return self.max_wait_minutes * 60.0

    def now(self, unix_seconds: float) -> datetime:
        """The shop's local time at `unix_seconds`."""
        return datetime.fromtimestamp(unix_seconds, ZoneInfo(self.timezone))

    def open_at(self, local: datetime) -> bool:
        """Whether people answer at that local time (hours, then holidays)."""
        if local.date() in self.holidays:
            return False
        if self.hours is None:
            return True
        opening = self.hours.get(local.weekday())
        return opening is not None and opening[0] <= local.time() < opening[1]

    def said(self) -> str:
        """The hours as the bot tells a customer: "Mon-Fri 8:00-18:00, Sat 9:00-14:00
        (Los Angeles time)"."""
        if self.hours is None:
            return "around the clock"
        runs: List[Tuple[List[int], Tuple[time, time]]] = []
        for day in sorted(self.hours):
            span = self.hours[day]
            if runs and runs[-1][1] == span and runs[-1][0][-1] == day - 1:
                runs[-1][0].append(day)
            else:
                runs.append(([day], span))
        if not runs:
            return "no regular hours"
        place = self.timezone.rsplit("/", 1)[-1].replace("_", " ")
        return ", ".join(f"{_days(days)} {_clock(span[0])}-{_clock(span[1])}"
                         for days, span in runs) + f" ({place} time)"

    def written(self) -> Dict[str, Any]:
        """As stored and as the settings form shows them."""
        return {"timezone": self.timezone, "hours": written_hours(self.hours),
                "holidays": [day.isoformat() for day in self.holidays],
                "queue_limit": self.queue_limit, "max_wait_minutes": self.max_wait_minutes,
                "sla_wait_minutes": self.sla_wait_minutes,
                "routing": {"by_intent": dict(sorted(self.routing.by_intent.items())),
                            "by_signal": dict(sorted(self.routing.by_signal.items()))}}


def _days(days: List[int]) -> str:
    first, last = WEEKDAYS[days[0]][:3].title(), WEEKDAYS[days[-1]][:3].title()
    return first if len(days) == 1 else f"{first}-{last}"


def _clock(moment: time) -> str:
    return "24:00" if moment == time.max else f"{moment.hour}:{moment.minute:02d}"


def written_hours(hours: Hours) -> Any:
    if hours is None:
        return ALWAYS
    return {WEEKDAYS[day]: f"{opens:%H:%M}-{'24:00' if closes == time.max else f'{closes:%H:%M}'}"
            for day, (opens, closes) in sorted(hours.items())}


# --- Reading what people write (pure) -----------------------------------------------------

def field_errors(raw: Any) -> Dict[str, str]:
    """Each wrong field of the `service` overrides (as `service.<field>`), with what to write."""
    if not isinstance(raw, Mapping):
        return {SERVICE: "the service settings must be an object like {\"queue_limit\": 20}"}
    errors = {f"{SERVICE}.{name}": f"there is no service setting '{name}': use one of "
                                   f"{', '.join(FIELDS)}" for name in raw if name not in FIELDS}
    for name in FIELDS:
        if name in raw:
            try:
                _READERS[name](raw[name])
            except ValueError as error:
                errors[f"{SERVICE}.{name}"] = str(error)
    return errors


def with_overrides(defaults: ServiceSettings, raw: Mapping[str, Any]) -> ServiceSettings:
    """`defaults` with the stored `service` overrides on top; ValueError if one is wrong."""
    errors = field_errors(raw)
    if errors:
        raise ValueError("; ".join(errors.values()))
    return replace(defaults, **{name: _READERS[name](value) for name, value in raw.items()})


def whole(overrides: Mapping[str, Any], defaults: ServiceSettings) -> Dict[str, Any]:
    """`overrides` with every service field written out once any is set (the missing ones
    from `defaults`, the environment of the process saving them): each process would
    otherwise fill the missing ones from its own environment, and the action server's may
    differ from the web service's. Wrong or absent service overrides are left for validation."""
    raw = overrides.get(SERVICE)
    if not isinstance(raw, Mapping) or not raw or field_errors(raw):
        return dict(overrides)
    return {**overrides, SERVICE: with_overrides(defaults, raw).written()}


def _timezone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("the time zone is a name like Europe/Berlin or America/New_York")
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"'{value[:60]}' is not a time zone this server knows: use a name "
                         f"like Europe/Berlin or America/New_York") from error
    return value.strip()


def _hours(value: Any) -> Hours:
    if value == ALWAYS:
        return None
    if not isinstance(value, Mapping):
        raise ValueError("the hours are \"always\" or each open weekday with its hours, like "
                         "{\"monday\": \"08:00-18:00\"} (a day left out is closed)")
    hours: Dict[int, Tuple[time, time]] = {}
    for day, span in value.items():
        if day not in WEEKDAYS:
            raise ValueError(f"'{str(day)[:20]}' is not a weekday: use monday ... sunday")
        hours[WEEKDAYS.index(day)] = _span(day, span)
    return hours


def _span(day: str, span: Any) -> Tuple[time, time]:
    match = HOURS.fullmatch(span) if isinstance(span, str) else None
    if match is None:
        raise ValueError(f"{day}'s hours are written like 08:00-18:00 (24-hour clock)")
    opens = time(int(match[1]), int(match[2]))
    closes = time.max if match[3] == "24" else time(int(match[3]), int(match[4]))
    if match[3] == "24" and match[4] != "00" or closes <= opens:
        raise ValueError(f"{day} must close after it opens, by 24:00 at the latest, got {span}")
    return opens, closes


def _holidays(value: Any) -> Tuple[date, ...]:
    if not isinstance(value, list) or len(value) > MAX_HOLIDAYS:
        raise ValueError(f"the holidays are a list of at most {MAX_HOLIDAYS} dates like "
                         f"2026-12-25")
    days = []
    for item in value:
        try:
            days.append(date.fromisoformat(item) if isinstance(item, str) else None)
        except ValueError:
            days.append(None)
        if days[-1] is None:
            raise ValueError(f"'{str(item)[:20]}' is not a date: write holidays like 2026-12-25")
    return tuple(sorted(set(d for d in days if d is not None)))


def _whole(name: str, least: int, most: int, unit: str) -> Any:
    def read(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            raise ValueError(f"{name} is a whole number of {unit} from {least} to {most}, got "
                             f"{str(value)[:20]}")
        return value
    return read


def _routing(value: Any) -> Routes:
    if not isinstance(value, Mapping) or set(value) - {"by_intent", "by_signal"}:
        raise ValueError("the routing is {\"by_intent\": {intent: team}, \"by_signal\": "
                         "{signal: team}} (either may be left out)")
    return Routes(_teams(value.get("by_intent") or {}, INTENTS, "what the customer wanted"),
                  _teams(value.get("by_signal") or {}, SIGNALS, "a sign of frustration"))


def _teams(table: Any, known: Mapping[str, str], what: str) -> Dict[str, str]:
    if not isinstance(table, Mapping):
        raise ValueError(f"the teams by {what} are an object of names to team names")
    teams = {}
    for name, team in table.items():
        if name not in known:
            raise ValueError(f"'{str(name)[:40]}' is not {what} the bot knows")
        if not isinstance(team, str) or not TEAM.fullmatch(team.strip()):
            raise ValueError(f"the team for {name} is a name of 1-40 letters, digits, spaces, "
                             f"'-' or '_', got {str(team)[:40]!r}")
        teams[str(name)] = team.strip()
    return teams


_READERS = {
    "timezone": _timezone, "hours": _hours, "holidays": _holidays,
    "queue_limit": _whole("the queue limit", 1, MAX_QUEUE_LIMIT, "customers"),
    "max_wait_minutes": _whole("the longest wait", 1, MAX_WAIT_MINUTES, "minutes"),
    "sla_wait_minutes": _whole("the waiting target", 1, MAX_WAIT_MINUTES, "minutes"),
    "routing": _routing,
}


def changes(before: Mapping[str, Any], after: Mapping[str, Any],
            defaults: ServiceSettings) -> List[Dict[str, Any]]:
    """Each service setting whose value in effect differs (for a version's diff)."""
    shown = defaults.written()
    found = []
    for name in FIELDS:
        old, new = before.get(name, shown[name]), after.get(name, shown[name])
        if old != new:
            found.append({"field": f"{SERVICE}.{name}", "before": old, "after": new})
    return found


# --- Live ---------------------------------------------------------------------------------

async def live(redis: aioredis.Redis, defaults: Optional[ServiceSettings] = None
               ) -> ServiceSettings:
    """The settings in effect now. Whatever cannot be read (Redis away, a value stored by
    hand that is wrong) leaves the defaults: availability must never stop the bot."""
    defaults = defaults or ServiceSettings.from_env()
    try:
        raw = await redis.get(keys.ROUTER_SETTINGS)
        overrides = json.loads(raw) if raw else {}
        service = overrides.get(SERVICE) if isinstance(overrides, dict) else None
        return with_overrides(defaults, service) if isinstance(service, dict) else defaults
    except (RedisError, OSError, ValueError) as error:
        log.warning("service settings not read, using the defaults: %s", error)
        return defaults
