"""GET /api/admin/conversations/{id} and POST .../replay on conversations Rasa's own
RedisTrackerStore saved in the test Redis: the story numbers the customer's messages and
carries the assessments recorded live; the replay's scores per message are the ones
`assess_all` (the scorer the bot runs) gives here on turns written beside the events; bad
requests are refused with a message and change nothing; agents are refused."""

from __future__ import annotations

import asyncio
from itertools import chain
from typing import Any, Dict, List, Optional, Tuple

import pytest
from aiohttp.test_utils import TestClient
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from redis import asyncio as aioredis

import webapp.stored_conversations
from router import keys
from router.analytics import KIND_WORDS
from router.scoring import ScorerSettings, assess_all
from tests.router.whatif_talks import DEFAULTS, Talk, all_talks, expected, handed_back
from tests.web.conftest import make_agent, refused_and_nothing_changed, sign_in
from tests.web.test_whatif import admin, domain, rasa_store, save  # noqa: F401 (fixtures)

STORY = "/api/admin/conversations/{}"
REPLAY = "/api/admin/conversations/{}/replay"
LOWER = {"handoff_threshold": 0.35}
# Changes the evidence itself: each side is scored in a pass of its own.
SLOWER_FADE = {"retention": 0.95}


def scored(talk: Talk, s: ScorerSettings) -> List[Dict[str, Any]]:
    """Each replayed message's number, score and handoff as the bot would have scored it."""
    return [{"message": message, "score": assessment.score, "handoff": assessment.handoff}
            for turns, messages in zip(talk.stretches, talk.messages, strict=True)
            for message, assessment in zip(messages, assess_all(turns, s), strict=True)]


def decided(first: Optional[Tuple[int, str]]) -> Optional[Tuple[int, str]]:
    """A first handoff as the what-if compares them: the message, and a score's reason
    without the score (another threshold says another number, not another reason)."""
    if first is None:
        return None
    message, reason = first
    return message, "frustration" if reason.startswith("frustration") else reason


def seen(replayed: Dict[str, Any], side: str) -> List[Dict[str, Any]]:
    return [{"message": m["message"], "score": pytest.approx(m[side]["score"]),
             "handoff": m[side]["handoff"]} for m in replayed["messages"]]


async def test_the_story_numbers_the_customers_messages_with_the_live_assessments(
        api: TestClient, redis: aioredis.Redis, rasa_store: RedisTrackerStore,  # noqa: F811
        domain: Domain) -> None:  # noqa: F811
    talk = handed_back()
    await save(rasa_store, domain, [talk])
    reply = await api.get(STORY.format(talk.conversation_id), headers=await admin(api, redis))
    story = await reply.json()
    assert reply.status == 200, story
    customer = [line for line in story["lines"] if line["from"] == "customer"]
    assert [line["message_number"] for line in customer] == [1, 2, 3, 4]
    assert [line["text"] for line in customer][2] == "get me a human, now"
    assert customer[0]["intent_phrase"] == "asked where an order is"
    assert customer[2]["intent_phrase"] == "asked for a person"
    # The policy recorded an assessment after each line it scored; none while Sam had it.
    live = {"score": 0.99, "handoff": True}
    assert [line["assessment"] for line in customer] == [live, live, None, live]
    assert story["handed_off_live"] == [1, 2, 4]
    assert [t["message"] for t in story["timeline"]] == [1, 2, 4]
    assert [line["from"] for line in story["lines"]].count("agent") == 2
    assert story["messages"] == 4
    assert story["first_at"] == talk.events[0]["timestamp"]
    assert story["last_at"] == talk.events[-1]["timestamp"]


@pytest.mark.parametrize("overrides", [LOWER, SLOWER_FADE], ids=["threshold", "retention"])
async def test_the_replay_scores_each_message_as_the_bot_would_under_each_settings(
        api: TestClient, redis: aioredis.Redis, rasa_store: RedisTrackerStore,  # noqa: F811
        domain: Domain, overrides: Dict[str, Any]) -> None:  # noqa: F811
    talks = all_talks()
    await save(rasa_store, domain, talks)
    headers = await admin(api, redis)
    proposed = ScorerSettings.from_mapping(overrides)
    changed = rescored = 0
    for talk in talks:
        reply = await api.post(REPLAY.format(talk.conversation_id),
                               json={"overrides": overrides}, headers=headers)
        replayed = await reply.json()
        assert reply.status == 200, replayed
        assert seen(replayed, "now") == scored(talk, DEFAULTS), talk.conversation_id
        assert seen(replayed, "after") == scored(talk, proposed), talk.conversation_id
        rescored += scored(talk, DEFAULTS) != scored(talk, proposed)
        now, after = expected(talk, DEFAULTS), expected(talk, proposed)
        assert (replayed["now"] or {}).get("message") == (now or [None])[0]
        assert (replayed["after"] or {}).get("message") == (after or [None])[0]
        if decided(now) != decided(after):
            changed += 1
            assert replayed["message"] == min(d[0] for d in (now, after) if d)
        else:
            assert replayed["message"] is None
        assert replayed["settings_changed"] == sorted(overrides)
    # So the comparisons compare something: a threshold moves decisions, a slower fade
    # changes the scores themselves.
    assert changed if overrides == LOWER else rescored


async def test_a_changed_message_in_the_what_if_is_the_one_the_replay_names(
        api: TestClient, redis: aioredis.Redis, rasa_store: RedisTrackerStore,  # noqa: F811
        domain: Domain) -> None:  # noqa: F811
    await save(rasa_store, domain, all_talks())
    headers = await admin(api, redis)
    reply = await api.post("/api/admin/what-if", json={"overrides": LOWER, "last": 50},
                           headers=headers)
    answer = await reply.json()
    assert answer["changed"]
    for change in answer["changed"]:
        one = await api.post(REPLAY.format(change["conversation_id"]),
                             json={"overrides": LOWER}, headers=headers)
        assert (await one.json())["message"] == change["message"]
    # The reasons in words add up to the handoffs on each side.
    reasons = answer["reasons"]
    assert sum(r["now"] for r in reasons) == answer["handoffs_now"]
    assert sum(r["after"] for r in reasons) == answer["handoffs_after"]
    assert all(r["words"] == KIND_WORDS[r["kind"]] for r in reasons)
    by_kind = {r["kind"]: r for r in reasons}
    assert by_kind["asked_for_a_person"]["now"] == answer["by_reason_now"]["asked_for_a_person"]
    assert by_kind["frustration"]["after"] == answer["by_reason_after"]["frustration"]


BAD: List[Any] = [
    (b"{", "not valid JSON"),
    ({}, "'overrides' is missing"),
    ({"overrides": 5}, "must be an object"),
    ({"overrides": {"handoff_threshold": 1.7}}, "handoff_threshold"),
    ({"overrides": {"handoff_threshold": "high"}}, "handoff_threshold"),
    ({"overrides": {"no_such_setting": 1}}, "no_such_setting"),
    ({"overrides": {"weights": {"insult": 2}}}, "insult"),
]


@pytest.mark.parametrize("body, says", BAD)
async def test_a_bad_replay_is_refused_and_changes_nothing(
        api: TestClient, redis: aioredis.Redis, rasa_store: RedisTrackerStore,  # noqa: F811
        domain: Domain, body: Any, says: str) -> None:  # noqa: F811
    await save(rasa_store, domain, all_talks()[:2])
    await refused_and_nothing_changed(api, redis, REPLAY.format("calm"), body,
                                      await admin(api, redis), says)


async def test_invalid_overrides_name_each_wrong_field(api: TestClient,
                                                       redis: aioredis.Redis) -> None:
    reply = await api.post(REPLAY.format("calm"),
                           json={"overrides": {"handoff_threshold": -1,
                                               "weights": {"insult": -1}}},
                           headers=await admin(api, redis))
    assert reply.status == 400
    assert set((await reply.json())["fields"]) == {"handoff_threshold", "weights.insult"}


async def test_an_unknown_or_unreadable_conversation_is_said_so(
        api: TestClient, redis: aioredis.Redis) -> None:
    headers = await admin(api, redis)
    for reply in (await api.get(STORY.format("nobody"), headers=headers),
                  await api.post(REPLAY.format("nobody"), json={"overrides": {}},
                                 headers=headers)):
        assert reply.status == 404
        assert "No stored conversation has the id nobody" in (await reply.json())["error"]
    reply = await api.get(STORY.format("bad!id"), headers=headers)
    assert reply.status == 404 and "error" in await reply.json()
    await redis.set(keys.rasa_tracker("garbled"), "{not json")
    for reply in (await api.get(STORY.format("garbled"), headers=headers),
                  await api.post(REPLAY.format("garbled"), json={"overrides": {}},
                                 headers=headers)):
        assert reply.status == 409
        assert "not as a Rasa tracker" in (await reply.json())["error"]


async def test_only_admins_read_and_replay_stored_conversations(
        api: TestClient, redis: aioredis.Redis, rasa_store: RedisTrackerStore,  # noqa: F811
        domain: Domain) -> None:  # noqa: F811
    await save(rasa_store, domain, [handed_back()])
    await make_agent(redis, "ana")
    agent = await sign_in(api, "ana")
    for reply in (await api.get(STORY.format("handed_back"), headers=agent),
                  await api.post(REPLAY.format("handed_back"), json={"overrides": {}},
                                 headers=agent)):
        assert reply.status == 403 and "admin" in (await reply.json())["error"]
    api.session.cookie_jar.clear()  # signing in left ana's cookie
    assert (await api.get(STORY.format("handed_back"))).status == 401
    assert (await api.post(REPLAY.format("handed_back"), json={"overrides": {}})).status == 401


def test_the_replayed_talks_cover_every_stretch() -> None:
    # The handed-back talk's third message was written while a person had it: not replayed.
    talk = handed_back()
    assert list(chain(*talk.messages)) == [1, 2, 4]


async def test_a_second_replay_while_one_runs_is_told_to_try_again(
        api: TestClient, redis: aioredis.Redis, rasa_store: RedisTrackerStore,  # noqa: F811
        domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    talk = handed_back()
    await save(rasa_store, domain, [talk])
    started, release = asyncio.Event(), asyncio.Event()
    real = webapp.stored_conversations.settings_in_effect

    async def slow_settings(redis: aioredis.Redis) -> Any:
        started.set()
        await release.wait()
        return await real(redis)

    monkeypatch.setattr(webapp.stored_conversations, "settings_in_effect", slow_settings)
    headers = await admin(api, redis)
    path = REPLAY.format(talk.conversation_id)
    first = asyncio.ensure_future(api.post(path, json={"overrides": LOWER}, headers=headers))
    await asyncio.wait_for(started.wait(), timeout=5)
    second = await asyncio.wait_for(api.post(path, json={"overrides": LOWER},
                                             headers=headers), timeout=5)
    assert second.status == 429
    assert "already running" in (await second.json())["error"]
    assert second.headers["Retry-After"] == "5"
    # Reading a story is no replay: it is not held up.
    assert (await api.get(STORY.format(talk.conversation_id), headers=headers)).status == 200
    release.set()
    assert (await asyncio.wait_for(first, timeout=10)).status == 200
    assert (await api.post(path, json={"overrides": LOWER}, headers=headers)).status == 200
