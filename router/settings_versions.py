"""Every change of the router's settings is a version: its number, who made it (an agent's id,
or `cli:<user>`), when, a comment, the overrides it set and what it changed (field, before,
after; each signal's weight on its own). Version 0, the defaults, exists without being stored.

The overrides in effect stay where every reader looks (`keys.ROUTER_SETTINGS`, read by
router/live_settings.py); a new version, those overrides and the announcement to every
process are written in one MULTI, under WATCH, so two admins saving at once make two versions
one after the other, never one lost. Nothing invalid is stored: the overrides are checked
first, field by field, with ScorerSettings' own rules and the catalog's
(router/settings_catalog.py); each channel's own settings (router/channel_settings.py) the same
way, on top of the general ones, its errors named `channels.<channel>.<field>`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple

from redis import asyncio as aioredis
from redis.exceptions import WatchError

from router import keys, service_settings, settings_catalog
from router.channel_settings import (
    CHANNELS,
    ChannelSettings,
    channel_key,
    channel_name_problem,
    channels_problem,
    general_part,
    on_top,
    part_problem,
)
from router.scoring.settings import ScorerSettings, SettingsError
from router.service_settings import SERVICE, ServiceSettings

# Long enough for "why" (a campaign, a staffing change, a ticket number), short enough to
# read in a history list.
MAX_COMMENT_CHARS = 500
# Saves that lose a race to another save are tried again this often before the admin is told.
MAX_ATTEMPTS = 5
WEIGHTS = "weights"


class SettingsInvalid(SettingsError):
    """Overrides that cannot be stored; `errors` maps each wrong field (`weights.<signal>` for
    a weight) to a message a person can act on."""

    def __init__(self, errors: Dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


class UnknownVersion(LookupError):
    """No version has that number."""


class VersionConflict(RuntimeError):
    """The settings changed while this change was being made."""


@dataclass(frozen=True)
class Version:
    number: int
    who: str
    at: float
    comment: str
    overrides: Dict[str, Any]
    changes: List[Dict[str, Any]] = field(default_factory=list)

    def public(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: str) -> Version:
        return cls(**json.loads(raw))


DEFAULTS = Version(0, "", 0.0, "defaults", {}, [])


# --- Validation (pure) -------------------------------------------------------------------

def validate(overrides: Any) -> ScorerSettings:
    """The general settings `overrides` make; raises SettingsInvalid naming every wrong
    field."""
    return validate_by_channel(overrides).general


def validate_by_channel(overrides: Any) -> ChannelSettings:
    """The settings `overrides` make, in general and for each channel with its own; raises
    SettingsInvalid naming every wrong field (`channels.<channel>.<field>` in a channel's)."""
    if not isinstance(overrides, Mapping):
        raise SettingsInvalid({"overrides": "the overrides must be an object of setting "
                                            f"names to values, got {overrides!r:.80}"})
    errors = (service_settings.field_errors(overrides[SERVICE]) if SERVICE in overrides
              else {})
    scorer = {k: v for k, v in overrides.items() if k != SERVICE}
    general = general_part(scorer)
    general_errors = _part_errors(general, {}, "")
    errors.update(general_errors)
    if CHANNELS in scorer:
        # A channel's field meets the general settings; when those are wrong, the defaults.
        errors.update(_channels_errors(scorer[CHANNELS], {} if general_errors else general))
    if errors:
        raise SettingsInvalid(errors)
    return ChannelSettings.from_overrides(scorer)


def _part_errors(part: Mapping[str, Any], base: Mapping[str, Any],
                 prefix: str) -> Dict[str, str]:
    """Every wrong field of `part` (the general overrides, or a channel's on top of `base`),
    each key starting with `prefix`."""
    errors = _weight_errors(part[WEIGHTS]) if WEIGHTS in part else {}
    errors.update(_field_errors({k: v for k, v in part.items() if k != WEIGHTS}, base))
    if not errors:
        try:
            ScorerSettings.from_mapping(on_top(base, part))
        except SettingsError as error:  # a rule between fields, e.g. concern above handoff
            return {_rule_key(str(error), part, prefix): str(error)}
    return {f"{prefix}{name}": message for name, message in errors.items()}


def _channels_errors(channels: Any, base: Mapping[str, Any]) -> Dict[str, str]:
    problem = channels_problem(channels)
    if problem:
        return {CHANNELS: problem}
    errors: Dict[str, str] = {}
    for name, part in channels.items():
        problem = channel_name_problem(name) or part_problem(name, part)
        if problem:
            errors[channel_key(name)] = problem
        else:
            errors.update(_part_errors(part, base, f"{channel_key(name)}."))
    return errors


def _problem(values: Mapping[str, Any]) -> Optional[str]:
    try:
        ScorerSettings.from_mapping(values)
    except SettingsError as error:
        return str(error)
    return None


def _alone(name: str, value: Any, base: Mapping[str, Any]) -> Optional[str]:
    return _problem({**base, name: value}) or settings_catalog.problem(name, value)


def _field_errors(overrides: Mapping[str, Any], base: Mapping[str, Any]) -> Dict[str, str]:
    alone = {name: _alone(name, value, base) for name, value in overrides.items()}
    fine = {name: overrides[name] for name, error in alone.items() if error is None}
    errors = {}
    for name, error in alone.items():
        # Alone, a field meets the defaults of the others (a channel's: the general
        # settings): a concern threshold of 0.7 is wrong beside the default handoff at 0.6,
        # not beside the 0.8 also being set.
        if error is None:
            continue
        value = overrides[name]
        if settings_catalog.problem(name, value) or _problem({**base, **fine, name: value}):
            errors[name] = error
    return errors


def _weight_errors(weights: Any) -> Dict[str, str]:
    if not isinstance(weights, Mapping):
        return {WEIGHTS: f"weights must be an object of signal names to weights, got "
                         f"{weights!r:.80}"}
    errors = {}
    for signal, weight in weights.items():
        error = _problem({WEIGHTS: {signal: weight}})
        if error is not None:
            errors[f"{WEIGHTS}.{signal}"] = error
    return errors


def _rule_key(message: str, part: Mapping[str, Any], prefix: str) -> str:
    """The field a rule between fields is reported under: the one the message starts with
    if the part sets it, else the part as a whole."""
    first_word = message.split(" ", 1)[0]
    if first_word in part:
        return f"{prefix}{first_word}"
    return prefix.rstrip(".") or "overrides"


# --- What a change changes (pure) --------------------------------------------------------

def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """Each setting whose value in effect differs, with both values (a default where a side
    does not set it); weights one signal at a time."""
    defaults = ScorerSettings().as_dict()
    changes = []
    for name in sorted(set(before) | set(after)):
        if name == SERVICE:
            changes.extend(service_settings.changes(_mapping(before.get(SERVICE)),
                                                    _mapping(after.get(SERVICE)),
                                                    ServiceSettings.from_env()))
            continue
        if name == WEIGHTS:
            changes.extend(_weight_changes(before.get(WEIGHTS) or {}, after.get(WEIGHTS) or {},
                                           defaults[WEIGHTS]))
            continue
        if name == CHANNELS:
            changes.extend(_channel_changes(before, after))
            continue
        old = _as_json(before.get(name, defaults.get(name)))
        new = _as_json(after.get(name, defaults.get(name)))
        if old != new:
            changes.append({"field": name, "before": old, "after": new})
    return changes


def _weight_changes(before: Mapping[str, Any], after: Mapping[str, Any],
                    defaults: Mapping[str, float]) -> List[Dict[str, Any]]:
    changes = []
    for signal in sorted(set(before) | set(after)):
        old, new = before.get(signal, defaults.get(signal)), after.get(signal, defaults.get(signal))
        if old != new:
            changes.append({"field": f"{WEIGHTS}.{signal}", "signal": signal,
                            "before": old, "after": new})
    return changes


def _channel_changes(before: Mapping[str, Any], after: Mapping[str, Any]
                     ) -> List[Dict[str, Any]]:
    """What changed in each channel's own settings (`channels.<channel>.<field>`), each side
    the channel's value in effect: its own, else the general one."""
    before_parts, after_parts = _mapping(before.get(CHANNELS)), _mapping(after.get(CHANNELS))
    changes = []
    for name in sorted(set(before_parts) | set(after_parts)):
        before_part = _mapping(before_parts.get(name))
        after_part = _mapping(after_parts.get(name))
        own = _own_fields(before_part) | _own_fields(after_part)
        for change in diff(on_top(_scorer_general(before), before_part),
                           on_top(_scorer_general(after), after_part)):
            if change["field"] in own:
                changes.append({**change, "field": f"{channel_key(name)}.{change['field']}"})
    return changes


def _own_fields(part: Mapping[str, Any]) -> Set[str]:
    """The fields a channel sets itself, as diff names them (`weights.<signal>`)."""
    weights = {f"{WEIGHTS}.{signal}" for signal in _mapping(part.get(WEIGHTS))}
    return {name for name in part if name != WEIGHTS} | weights


def _scorer_general(overrides: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in general_part(overrides).items() if k != SERVICE}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _as_json(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _stored_overrides(raw: Optional[str]) -> Dict[str, Any]:
    # What is stored may predate versions, or have been damaged by hand: the processes then
    # keep their last good settings, and a change is best shown against the defaults.
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# --- The store ---------------------------------------------------------------------------

class SettingsVersions:
    """The versions in Redis (a text client: decode_responses=True)."""

    def __init__(self, redis: aioredis.Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._clock = clock

    async def latest(self) -> int:
        return int(await self._redis.llen(keys.ROUTER_SETTINGS_VERSIONS))

    async def overrides(self) -> Dict[str, Any]:
        """The overrides in effect, as every process reads them."""
        return _stored_overrides(await self._redis.get(keys.ROUTER_SETTINGS))

    async def save(self, overrides: Dict[str, Any], who: str, comment: str = "",
                   base_version: Optional[int] = None) -> Version:
        """Validate, then store a new version, the overrides and the announcement at once.
        With `base_version`, refuse (VersionConflict) if it is no longer the latest: the
        change was made on settings someone has changed since."""
        validate(overrides)
        if len(comment) > MAX_COMMENT_CHARS:
            raise SettingsInvalid({"comment": f"the comment is {len(comment)} characters; "
                                              f"the limit is {MAX_COMMENT_CHARS}"})
        for _attempt in range(MAX_ATTEMPTS):
            try:
                return await self._try_save(dict(overrides), who, comment, base_version)
            except WatchError:
                continue  # someone saved between our read and our write: read again
        raise VersionConflict("The settings are being changed by someone else right now; "
                              "nothing was saved. Try again.")

    async def _try_save(self, overrides: Dict[str, Any], who: str, comment: str,
                        base_version: Optional[int]) -> Version:
        async with self._redis.pipeline(transaction=True) as tx:
            await tx.watch(keys.ROUTER_SETTINGS_VERSIONS, keys.ROUTER_SETTINGS)
            latest = int(await tx.llen(keys.ROUTER_SETTINGS_VERSIONS))
            if base_version is not None and base_version != latest:
                raise VersionConflict(
                    f"The settings were changed meanwhile (now version {latest}, you started "
                    f"from {base_version}); nothing was saved. Reload them and make your "
                    f"change again.")
            before = _stored_overrides(await tx.get(keys.ROUTER_SETTINGS))
            version = Version(latest + 1, who, self._clock(), comment, overrides,
                              diff(before, overrides))
            tx.multi()
            tx.rpush(keys.ROUTER_SETTINGS_VERSIONS, json.dumps(version.public()))
            tx.set(keys.ROUTER_SETTINGS, json.dumps(overrides))
            tx.publish(keys.ROUTER_SETTINGS_CHANGED, str(version.number))
            await tx.execute()
            return version

    async def restore(self, number: int, who: str) -> Version:
        """A new version with the overrides of version `number` (checked again: the rules may
        have changed since)."""
        old = await self.get(number)
        return await self.save(old.overrides, who, f"restored version {number}")

    async def get(self, number: int) -> Version:
        if number == 0:
            return DEFAULTS
        raw = None
        if number > 0:
            raw = await self._redis.lindex(keys.ROUTER_SETTINGS_VERSIONS, number - 1)
        if raw is None:
            latest = await self.latest()
            raise UnknownVersion(f"There is no settings version {number}: versions go from 0 "
                                 f"(the defaults) to {latest}.")
        return Version.from_json(raw)

    async def page(self, offset: int, limit: int) -> Tuple[int, List[Version]]:
        """How many versions there are (the defaults included), and `limit` of them, newest
        first, skipping the `offset` newest."""
        latest = await self.latest()
        newest = latest - offset
        oldest = max(1, newest - limit + 1)
        shown: List[Version] = []
        if newest >= 1:
            raws = await self._redis.lrange(keys.ROUTER_SETTINGS_VERSIONS, oldest - 1,
                                            newest - 1)
            shown = [Version.from_json(raw) for raw in reversed(raws)]
        if 0 <= newest and len(shown) < limit:
            shown.append(DEFAULTS)
        return latest + 1, shown

    async def export(self) -> List[Version]:
        """Every version, oldest (the defaults) first."""
        raws = await self._redis.lrange(keys.ROUTER_SETTINGS_VERSIONS, 0, -1)
        return [DEFAULTS, *(Version.from_json(raw) for raw in raws)]
