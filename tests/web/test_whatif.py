"""POST /api/admin/what-if on conversations Rasa's own RedisTrackerStore saved in the test
Redis: the answer matches decisions computed here with the scorer, and every bad request is
refused with a message and changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import yaml
from aiohttp.test_utils import TestClient
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from redis import asyncio as aioredis

import webapp.whatif
from router.scoring import ScorerSettings
from router.whatif import WhatIfSettings
from stack.redis_server import EmbeddedRedis
from stack.settings import PROJECT_ROOT
from tests.router.whatif_talks import (
    DEFAULTS,
    START,
    Talk,
    all_talks,
    expected_by_session,
    sessions_in,
)
from tests.web.conftest import make_agent, refused_and_nothing_changed, sign_in

URL = "/api/admin/what-if"
LOWER = {"handoff_threshold": 0.35}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def rasa_store(redis_server: EmbeddedRedis, domain: Domain) -> Iterator[RedisTrackerStore]:
    """Rasa's tracker store as endpoints.yml configures it, on the test Redis."""
    yield RedisTrackerStore(domain, host="127.0.0.1", port=redis_server.port,
                            password=redis_server.password, key_prefix="pinecone")


async def save(store: RedisTrackerStore, domain: Domain, talks: List[Talk]) -> None:
    for talk in talks:
        events = [Event.from_parameters(event) for event in talk.events]
        await store.save(DialogueStateTracker.from_events(talk.conversation_id, events,
                                                          domain.slots))


async def admin(api: TestClient, redis: aioredis.Redis) -> Dict[str, str]:
    await make_agent(redis, "boss", role="admin")
    return await sign_in(api, "boss")


async def test_an_admin_sees_what_a_lower_threshold_would_do(
        api: TestClient, redis: aioredis.Redis, rasa_store: RedisTrackerStore,
        domain: Domain) -> None:
    talks = all_talks()
    await save(rasa_store, domain, talks)
    reply = await api.post(URL, json={"overrides": LOWER, "last": 50},
                           headers=await admin(api, redis))
    assert reply.status == 200, await reply.text()
    answer = await reply.json()
    lower = ScorerSettings.from_mapping(LOWER)
    # Each Rasa session is a conversation with its own first handoff.
    assert answer["conversations"] == sessions_in(talks)
    assert answer["handoffs_now"] == sum(
        1 for t in talks for d in expected_by_session(t, DEFAULTS) if d)
    assert answer["handoffs_after"] == sum(
        1 for t in talks for d in expected_by_session(t, lower) if d)
    assert answer["handoffs_after"] > answer["handoffs_now"]
    assert answer["handoff_rate_now"] == round(answer["handoffs_now"] / sessions_in(talks), 3)
    changed = {(c["conversation_id"], c["session"]): c for c in answer["changed"]}
    # A threshold moves the turn a person comes in (or whether one does), not the reason.
    by_session = {(t.conversation_id, n): (a, b) for t in talks for n, (a, b) in enumerate(
        zip(expected_by_session(t, DEFAULTS), expected_by_session(t, lower), strict=True))}
    moved = {key for key, (a, b) in by_session.items() if (a or [None])[0] != (b or [None])[0]}
    assert set(changed) == moved and moved
    for key, change in changed.items():
        was, will = by_session[key]
        assert change["message"] == min(d[0] for d in (was, will) if d)
        assert (change["now"] or {}).get("message") == (was or [None])[0]
        assert change["after"]["message"] == will[0]  # type: ignore[index]
    assert sum(answer["by_reason_after"].values()) == answer["handoffs_after"]
    assert answer["by_reason_now"]["asked_for_a_person"] == 1
    assert answer["settings_changed"] == ["handoff_threshold"]
    assert "enabled accounts" in answer["queue_load"]["basis"]
    assert answer["queue_load"]["agents"] == 1  # the admin, signed in just now


async def test_a_time_window_replays_what_moved_in_it(
        api: TestClient, redis: aioredis.Redis, rasa_store: RedisTrackerStore,
        domain: Domain) -> None:
    talks = [talk.moved(f"day{n}-{talk.conversation_id}", START + n * 86400)
             for n in range(3) for talk in all_talks()[:2]]
    await save(rasa_store, domain, talks)
    reply = await api.post(URL, json={"overrides": {}, "since": START + 86400,
                                      "until": START + 2 * 86400},
                           headers=await admin(api, redis))
    answer = await reply.json()
    assert reply.status == 200, answer
    assert answer["conversations"] == 2 and answer["changed"] == []
    assert answer["window"] == {"since": START + 86400, "until": START + 2 * 86400}
    assert answer["queue_load"]["window_hours"] == 24.0


BAD: List[Any] = [
    (b"{", "not valid JSON"),
    ({"last": 5}, "'overrides' is missing"),
    ({"overrides": {}}, "Say which conversations"),
    ({"overrides": 5, "last": 5}, "must be an object"),
    ({"overrides": {"handoff_threshold": 1.7}, "last": 5}, "handoff_threshold"),
    ({"overrides": {"handoff_threshold": "high"}, "last": 5}, "handoff_threshold"),
    ({"overrides": {"no_such_setting": 1}, "last": 5}, "no_such_setting"),
    ({"overrides": {"weights": {"insult": 2}}, "last": 5}, "insult"),
    ({"overrides": {}, "last": 0}, "between 1 and 10000"),
    ({"overrides": {}, "last": 10_001}, "between 1 and 10000"),
    ({"overrides": {}, "last": "5"}, "whole number"),
    ({"overrides": {}, "last": True}, "whole number"),
    ({"overrides": {}, "last": 2.5}, "whole number"),
    ({"overrides": {}, "last": 5, "since": START}, "not both"),
    ({"overrides": {}, "since": "yesterday"}, "unix seconds"),
    ({"overrides": {}, "since": -1}, "unix seconds"),
    ({"overrides": {}, "since": START, "until": START}, "later than"),
    ({"overrides": {}, "since": START, "until": [1]}, "unix seconds"),
]


@pytest.mark.parametrize("body, says", BAD)
async def test_a_bad_request_is_refused_and_changes_nothing(
        api: TestClient, redis: aioredis.Redis, rasa_store: RedisTrackerStore, domain: Domain,
        body: Any, says: str) -> None:
    await save(rasa_store, domain, all_talks()[:2])
    await refused_and_nothing_changed(api, redis, URL, body, await admin(api, redis),
                                      says)


async def test_invalid_settings_name_each_wrong_field(api: TestClient,
                                                      redis: aioredis.Redis) -> None:
    reply = await api.post(URL, json={"overrides": {"handoff_threshold": 1.7,
                                                    "weights": {"insult": -1}}, "last": 5},
                           headers=await admin(api, redis))
    assert reply.status == 400
    fields = (await reply.json())["fields"]
    assert set(fields) == {"handoff_threshold", "weights.insult"}


async def test_only_admins_may_replay(api: TestClient, redis: aioredis.Redis) -> None:
    await make_agent(redis, "ana")
    body = {"overrides": {}, "last": 5}
    reply = await api.post(URL, json=body, headers=await sign_in(api, "ana"))
    assert reply.status == 403 and "admin" in (await reply.json())["error"]
    api.session.cookie_jar.clear()  # signing in left ana's cookie
    reply = await api.post(URL, json=body)
    assert reply.status == 401
    reply = await api.post(URL, data="overrides", headers={
        **await admin(api, redis), "Content-Type": "text/plain"})
    assert reply.status == 415


async def test_nothing_stored_gives_an_empty_answer(api: TestClient,
                                                    redis: aioredis.Redis) -> None:
    reply = await api.post(URL, json={"overrides": LOWER, "last": 10},
                           headers=await admin(api, redis))
    answer = await reply.json()
    assert reply.status == 200, answer
    assert answer["conversations"] == 0 and answer["handoff_rate_now"] is None


def test_the_documented_bound_is_the_one_enforced() -> None:
    spec = yaml.safe_load((Path(__file__).parents[2] / "webapp" / "openapi.yml").read_text())
    body = spec["paths"][URL]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["last"]["maximum"] == WhatIfSettings().max_conversations


async def test_a_second_what_if_while_one_runs_is_told_to_try_again(
        api: TestClient, redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_what_if(*args: Any, **kwargs: Any) -> Dict[str, Any]:
        started.set()
        await release.wait()
        return await real_what_if(*args, **kwargs)

    real_what_if = webapp.whatif.what_if
    monkeypatch.setattr(webapp.whatif, "what_if", slow_what_if)
    headers = await admin(api, redis)
    body = {"overrides": LOWER, "last": 10}
    first = asyncio.ensure_future(api.post(URL, json=body, headers=headers))
    await asyncio.wait_for(started.wait(), timeout=5)
    second = await asyncio.wait_for(api.post(URL, json=body, headers=headers), timeout=5)
    assert second.status == 429
    assert "already running" in (await second.json())["error"]
    assert "try again in a few seconds" in (await second.json())["error"]
    assert second.headers["Retry-After"] == "5"
    release.set()
    assert (await asyncio.wait_for(first, timeout=10)).status == 200
    # Once it is done, the next one runs.
    assert (await api.post(URL, json=body, headers=headers)).status == 200
