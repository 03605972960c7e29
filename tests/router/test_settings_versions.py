"""Settings versions: validation field by field, the diff, the store (one atomic step per
change, racing saves included), restore, history pages and export."""

from __future__ import annotations

import asyncio
import json
from dataclasses import fields
from typing import Any, Dict, List

import pytest
from redis import asyncio as aioredis

from router import keys, settings_catalog
from router.scoring.settings import ScorerSettings
from router.settings_versions import (
    DEFAULTS,
    MAX_COMMENT_CHARS,
    SettingsInvalid,
    SettingsVersions,
    UnknownVersion,
    VersionConflict,
    diff,
    validate,
)
from stack.redis_server import EmbeddedRedis

WRONG_TYPE = {"share": "high", "number": "1", "whole": 2.5, "flag": "yes", "choice": 3,
              "names": "request_human"}


def _errors(overrides: Any) -> Dict[str, str]:
    with pytest.raises(SettingsInvalid) as refused:
        validate(overrides)
    return refused.value.errors


# --- Validation ---------------------------------------------------------------------------

def test_the_catalog_describes_every_setting() -> None:
    names = {f.name for f in fields(ScorerSettings)} - {"weights"}
    assert set(settings_catalog.FIELDS) == names


@pytest.mark.parametrize("name", sorted(settings_catalog.FIELDS))
def test_each_field_of_the_wrong_type_is_named(name: str) -> None:
    errors = _errors({name: WRONG_TYPE[settings_catalog.FIELDS[name].kind]})
    assert list(errors) == [name]
    assert errors[name].startswith(name)


NUMERIC = sorted(n for n, f in settings_catalog.FIELDS.items() if f.maximum is not None)
# Rules between two fields: the partner that lets a bound be tried on its own.
PARTNERS: Dict[str, Dict[str, Any]] = {
    "concern_threshold": {"handoff_threshold": 1.0},
    "handoff_threshold": {"concern_threshold": 0.0},
    "rephrase_from": {"rephrase_full": 1.0},
    "rephrase_full": {"rephrase_from": 0.0},
    "long_conversation_from": {"long_conversation_full": 500},
    "long_conversation_full": {"long_conversation_from": 1},
}


@pytest.mark.parametrize("name", NUMERIC)
def test_each_numeric_field_takes_its_range_and_nothing_outside(name: str) -> None:
    described = settings_catalog.FIELDS[name]
    assert described.minimum is not None and described.maximum is not None
    partner = PARTNERS.get(name, {})
    low, high = described.minimum, described.maximum
    if name == "rephrase_from":
        high = 0.99  # rephrase_full (at most 1) must stay above it
    if name == "rephrase_full":
        low = 0.01
    for value in (low, high):
        validate({**partner, name: value})   # ScorerSettings agrees with the catalog's range
    step = 1 if described.kind == "whole" else 0.01
    for value in (described.minimum - step, described.maximum + step):
        assert name in _errors({**partner, name: value})


def test_unknown_settings_and_signals_are_named() -> None:
    errors = _errors({"colour": "red", "weights": {"moon": 0.2, "insult": 0.5}})
    assert set(errors) == {"colour", "weights.moon"}
    assert "unknown setting" in errors["colour"]
    assert "unknown signal" in errors["weights.moon"]


def test_every_wrong_field_is_named_at_once() -> None:
    errors = _errors({"handoff_threshold": 1.7, "shadow_mode": "no",
                      "weights": {"insult": -0.1, "sarcasm": "lots"}})
    assert set(errors) == {"handoff_threshold", "shadow_mode", "weights.insult",
                           "weights.sarcasm"}
    assert errors["handoff_threshold"] == "handoff_threshold must be between 0 and 1, got 1.7"


def test_weights_and_overrides_must_be_objects() -> None:
    assert list(_errors({"weights": [0.2]})) == ["weights"]
    assert list(_errors(["handoff_threshold", 0.7])) == ["overrides"]


def test_intent_lists_hold_names() -> None:
    assert "immediate_handoff_intents" in _errors(
        {"immediate_handoff_intents": ["request_human", "DROP TABLE"]})
    assert "at most 100" in _errors({"immediate_handoff_intents": ["a"] * 101})[
        "immediate_handoff_intents"]
    validate({"immediate_handoff_intents": ["request_human", "complain"]})


def test_a_rule_between_fields_is_judged_on_the_whole_change() -> None:
    # 0.7 is above the default handoff threshold, but not above the one set with it.
    validate({"concern_threshold": 0.7, "handoff_threshold": 0.8})
    errors = _errors({"concern_threshold": 0.7, "handoff_threshold": 0.65})
    assert list(errors) == ["concern_threshold"]
    assert "must not be above handoff_threshold" in errors["concern_threshold"]


# --- Diff ---------------------------------------------------------------------------------

def test_the_diff_names_each_changed_field_and_weight_against_the_defaults() -> None:
    before = {"handoff_threshold": 0.7, "weights": {"insult": 0.5}}
    after = {"weights": {"insult": 0.5, "sarcasm": 0.1}, "shadow_mode": True,
             "immediate_handoff_intents": ["request_human", "complain"]}
    assert diff(before, after) == [
        {"field": "handoff_threshold", "before": 0.7, "after": 0.6},
        {"field": "immediate_handoff_intents", "before": ["request_human"],
         "after": ["request_human", "complain"]},
        {"field": "shadow_mode", "before": False, "after": True},
        {"field": "weights.sarcasm", "signal": "sarcasm", "before": 0.45, "after": 0.1},
    ]


def test_setting_a_default_explicitly_changes_nothing() -> None:
    assert diff({}, {"handoff_threshold": 0.6, "weights": {"insult": 0.45}}) == []


# --- The store ----------------------------------------------------------------------------

@pytest.fixture
def versions(redis: aioredis.Redis) -> SettingsVersions:
    return SettingsVersions(redis, clock=lambda: 1_700_000_000.0)


async def _stored(redis: aioredis.Redis) -> List[Dict[str, Any]]:
    return [json.loads(raw) for raw in await redis.lrange(keys.ROUTER_SETTINGS_VERSIONS, 0, -1)]


async def test_a_change_is_a_version_the_live_overrides_and_an_announcement(
        redis: aioredis.Redis, versions: SettingsVersions) -> None:
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(keys.ROUTER_SETTINGS_CHANGED)
    version = await versions.save({"handoff_threshold": 0.7}, "ada", "busy season")
    assert (version.number, version.who, version.at, version.comment) == (
        1, "ada", 1_700_000_000.0, "busy season")
    assert version.changes == [{"field": "handoff_threshold", "before": 0.6, "after": 0.7}]
    assert json.loads(await redis.get(keys.ROUTER_SETTINGS)) == {"handoff_threshold": 0.7}
    assert await _stored(redis) == [version.public()]
    announced = None
    for _ in range(20):   # the first reads may return the subscription's confirmation
        announced = announced or await pubsub.get_message(timeout=0.1)
    assert announced is not None and announced["data"] == "1"
    await pubsub.close()


async def test_nothing_invalid_is_stored(redis: aioredis.Redis,
                                         versions: SettingsVersions) -> None:
    await versions.save({"handoff_threshold": 0.7}, "ada")
    for bad in ({"handoff_threshold": 1.7}, {"weights": {"moon": 0.1}}, {"colour": 1},
                {"restate_window": 10 ** 9}):
        with pytest.raises(SettingsInvalid):
            await versions.save(bad, "ada")
    with pytest.raises(SettingsInvalid) as refused:
        await versions.save({}, "ada", "x" * (MAX_COMMENT_CHARS + 1))
    assert list(refused.value.errors) == ["comment"]
    assert len(await _stored(redis)) == 1
    assert json.loads(await redis.get(keys.ROUTER_SETTINGS)) == {"handoff_threshold": 0.7}


async def test_racing_saves_each_become_a_version_in_one_unbroken_chain(
        redis: aioredis.Redis, redis_server: EmbeddedRedis) -> None:
    thresholds = [round(0.61 + i / 100, 2) for i in range(12)]

    async def save(threshold: float) -> int:
        # Each admin on their own connection pool, as separate web service processes would.
        client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
        try:
            saved = await SettingsVersions(client).save({"handoff_threshold": threshold}, "ada")
            return saved.number
        except VersionConflict:
            return 0
        finally:
            await client.close()

    numbers = [n for n in await asyncio.gather(*(save(t) for t in thresholds)) if n]
    stored = await _stored(redis)
    assert sorted(numbers) == [v["number"] for v in stored] == list(range(1, len(stored) + 1))
    previous = 0.6
    for version in stored:   # each diff starts where the version before it left off
        assert version["changes"][0]["before"] == previous
        previous = version["overrides"]["handoff_threshold"]
    assert json.loads(await redis.get(keys.ROUTER_SETTINGS)) == stored[-1]["overrides"]
    # Some may give up after MAX_ATTEMPTS lost races (and say so); none is lost silently.
    assert len(stored) > 1


async def test_a_change_made_on_an_old_version_is_refused(redis: aioredis.Redis,
                                                          versions: SettingsVersions) -> None:
    await versions.save({"handoff_threshold": 0.7}, "ada")
    await versions.save({"handoff_threshold": 0.8}, "ben")
    with pytest.raises(VersionConflict, match="now version 2, you started from 1"):
        await versions.save({"handoff_threshold": 0.65}, "ada", base_version=1)
    assert len(await _stored(redis)) == 2
    assert (await versions.save({"handoff_threshold": 0.65}, "ada", base_version=2)).number == 3


async def test_restore_makes_a_new_version(redis: aioredis.Redis,
                                           versions: SettingsVersions) -> None:
    await versions.save({"handoff_threshold": 0.7}, "ada")
    await versions.save({"handoff_threshold": 0.8, "weights": {"insult": 0.9}}, "ada")
    restored = await versions.restore(1, "ben")
    assert (restored.number, restored.who, restored.comment) == (3, "ben", "restored version 1")
    assert restored.overrides == {"handoff_threshold": 0.7}
    assert {c["field"] for c in restored.changes} == {"handoff_threshold", "weights.insult"}
    assert json.loads(await redis.get(keys.ROUTER_SETTINGS)) == {"handoff_threshold": 0.7}
    assert (await versions.restore(0, "ben")).overrides == {}
    assert json.loads(await redis.get(keys.ROUTER_SETTINGS)) == {}


async def test_unknown_versions_are_named(versions: SettingsVersions) -> None:
    await versions.save({}, "ada")
    for number in (2, -1, 10 ** 12):
        with pytest.raises(UnknownVersion, match="from 0 \\(the defaults\\) to 1"):
            await versions.get(number)
    with pytest.raises(UnknownVersion):
        await versions.restore(5, "ada")


async def test_a_version_no_longer_valid_is_not_restored(redis: aioredis.Redis,
                                                         versions: SettingsVersions) -> None:
    await versions.save({"handoff_threshold": 0.7}, "ada")
    old = (await _stored(redis))[0]
    old["overrides"] = {"weights": {"retired_signal": 0.3}}   # a signal since removed
    await redis.lset(keys.ROUTER_SETTINGS_VERSIONS, 0, json.dumps(old))
    with pytest.raises(SettingsInvalid, match="unknown signal"):
        await versions.restore(1, "ada")
    assert len(await _stored(redis)) == 1
    assert json.loads(await redis.get(keys.ROUTER_SETTINGS)) == {"handoff_threshold": 0.7}


async def test_history_pages_go_newest_first_down_to_the_defaults(
        versions: SettingsVersions) -> None:
    for threshold in (0.61, 0.62, 0.63, 0.64):
        await versions.save({"handoff_threshold": threshold}, "ada")
    total, first = await versions.page(0, 2)
    assert total == 5 and [v.number for v in first] == [4, 3]
    _, second = await versions.page(2, 2)
    assert [v.number for v in second] == [2, 1]
    _, last = await versions.page(4, 2)
    assert last == [DEFAULTS]
    assert (await versions.page(5, 2))[1] == []
    assert [v.number for v in (await versions.page(1, 10))[1]] == [3, 2, 1, 0]


async def test_export_holds_every_version_oldest_first(versions: SettingsVersions) -> None:
    await versions.save({"handoff_threshold": 0.7}, "ada", "one")
    await versions.save({}, "ada", "two")
    exported = await versions.export()
    assert [v.number for v in exported] == [0, 1, 2]
    assert [v.comment for v in exported] == ["defaults", "one", "two"]


async def test_overrides_stored_before_versions_are_the_first_diffs_before(
        redis: aioredis.Redis, versions: SettingsVersions) -> None:
    await redis.set(keys.ROUTER_SETTINGS, json.dumps({"handoff_threshold": 0.75}))
    version = await versions.save({"handoff_threshold": 0.7}, "ada")
    assert version.changes == [{"field": "handoff_threshold", "before": 0.75, "after": 0.7}]
    await redis.set(keys.ROUTER_SETTINGS, "{not json")   # damaged by hand
    assert (await versions.save({}, "ada")).changes == []


def test_a_name_the_bot_does_not_have_is_refused_with_the_ones_it_has() -> None:
    errors = _errors({"immediate_handoff_intents": ["request_humen"]})
    message = errors["immediate_handoff_intents"]
    assert "'request_humen', which is not one of the bot's intents" in message
    assert "did you mean request_human?" in message
    assert "request_human" in message.split("the bot's intents are ")[1].split(", ")
    assert "nlu_fallback" in message   # Rasa's own intents count too
    # A response list is checked against the bot's responses (and actions that answer).
    errors = _errors({"failure_responses": ["utter_default", "utter_nope"]})
    assert "'utter_nope', which is not one of the bot's responses" in \
        errors["failure_responses"]
    assert "request_human" not in errors["failure_responses"]
    # Within a channel's own settings too.
    errors = _errors({"channels": {"socketio": {"complaint_intents": ["complane"]}}})
    assert "did you mean complain?" in errors["channels.socketio.complaint_intents"]
    validate({"failure_responses": ["utter_default", "action_default_fallback"],
              "fallback_intents": ["nlu_fallback"]})
    # Every default is one the bot has (else the defaults themselves would be refused).
    for name, field in settings_catalog.FIELDS.items():
        if field.kind == "names":
            assert field.problem(list(getattr(ScorerSettings(), name))) is None, name
