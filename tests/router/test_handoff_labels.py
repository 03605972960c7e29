"""Labels on handoffs: which labels exist, who may set them, and the store on a real Redis (a
label goes on the case and into the index together, the last one counts, and an expired case
is neither labelled nor read)."""

from __future__ import annotations

import time

import pytest
from redis import asyncio as aioredis

from router import keys
from router.agents.directory import AgentDirectory
from router.handoff.queue import RESOLVED, HandoffQueue
from router.handoff_labels import (
    LABELS,
    NEEDED,
    TOO_EARLY,
    TOO_LATE,
    CaseNotFound,
    HandoffLabels,
    Label,
    UnknownLabel,
    checked_label,
    label_of,
    may_label,
)
from router.history import case_view


async def resolved_case(redis: aioredis.Redis, conversation_id: str) -> str:
    """A handoff Ana takes and resolves; its case number."""
    queue, now = HandoffQueue(redis), time.time()
    await queue.enqueue({"conversation_id": conversation_id, "created_at": now,
                         "reason": "customer asked for a person", "assessment": {"score": 0.7},
                         "transcript": []})
    directory = AgentDirectory(redis)
    if await directory.get("ana") is None:
        await directory.create("ana", "Ana", "a long password", capacity=20)
    await directory.heartbeat("ana", now, "online")
    await queue.claim("ana", now, conversation_id)
    released = await queue.release(conversation_id, now + 1, RESOLVED, {"kind": "resume"},
                                   by_agent="ana")
    assert released.previous_agent == "ana"
    return released.case_id


def test_only_the_three_labels_are_taken_and_a_refusal_lists_them() -> None:
    assert [checked_label(label) for label in LABELS] == [NEEDED, TOO_EARLY, TOO_LATE]
    for wrong in ("maybe", "NEEDED", "", None, 1, ["needed"]):
        with pytest.raises(UnknownLabel, match="'needed'.*'too_early'.*'too_late'"):
            checked_label(wrong)


def test_the_agent_who_had_the_case_or_an_admin_may_label_it() -> None:
    case = {"agent_id": "ana"}
    assert may_label(case, "ana", False)
    assert not may_label(case, "ben", False)
    assert may_label(case, "ben", True)
    assert not may_label({"agent_id": ""}, "", False)   # a ticket nobody had: admins only


async def test_a_label_goes_on_the_case_and_the_last_one_counts(redis: aioredis.Redis) -> None:
    case_id = await resolved_case(redis, "c1")
    labels = HandoffLabels(redis)
    assert await labels.labelled_cases(10) == []
    await labels.set(case_id, TOO_EARLY, "ana", 100.0)
    saved = await labels.set(case_id, NEEDED, "ana", 200.0)
    assert saved == Label(case_id, NEEDED, "ana", 200.0)
    case = await redis.hgetall(keys.history_case(case_id))
    assert label_of(case) == saved
    assert case_view(case, "Ana")["label"] == NEEDED
    assert [c["case_id"] for c in await labels.labelled_cases(10)] == [case_id]
    assert await redis.zscore(keys.HISTORY_LABELLED, case_id) == 200.0


async def test_the_newest_labels_come_first_and_expired_cases_leave_the_index(
    redis: aioredis.Redis,
) -> None:
    first, second = await resolved_case(redis, "c1"), await resolved_case(redis, "c2")
    labels = HandoffLabels(redis)
    await labels.set(first, NEEDED, "ana", 100.0)
    await labels.set(second, TOO_LATE, "ana", 200.0)
    assert [c["case_id"] for c in await labels.labelled_cases(10)] == [second, first]
    assert [c["case_id"] for c in await labels.labelled_cases(1)] == [second]
    await redis.delete(keys.history_case(first))   # history's time is up for it
    assert [c["case_id"] for c in await labels.labelled_cases(10)] == [second]
    assert await redis.zrange(keys.HISTORY_LABELLED, 0, -1) == [second]


async def test_an_unknown_case_is_not_labelled(redis: aioredis.Redis) -> None:
    with pytest.raises(CaseNotFound):
        await HandoffLabels(redis).set("404", NEEDED, "ana", 1.0)
    assert not await redis.exists(keys.history_case("404"), keys.HISTORY_LABELLED)


async def test_labelled_cases_are_read_in_a_few_round_trips_with_only_the_fields_asked(
    redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch,
) -> None:
    labels = HandoffLabels(redis)
    for number in range(1, 31):
        case_id = str(number)
        await redis.hset(keys.history_case(case_id), mapping={
            "case_id": case_id, "agent_id": "ana", "packet": "{}", "summary": "long text"})
        await labels.set(case_id, NEEDED, "ana", float(number))
    single_commands = []
    real = redis.execute_command

    async def counted(*args: object, **options: object) -> object:
        single_commands.append(args[0])
        return await real(*args, **options)

    monkeypatch.setattr(redis, "execute_command", counted)
    cases = await labels.labelled_cases(100, fields=("packet",))
    assert [c["case_id"] for c in cases] == [str(n) for n in range(30, 0, -1)]
    assert cases[0] == {"case_id": "30", "label": NEEDED, "packet": "{}"}
    # The index once; the cases together in a pipeline, not one command each.
    assert single_commands == ["ZREVRANGE"]
