"""A what-if run on a real Redis: which stored conversations are replayed (the last N, a
window), against which live settings, in a thread or in worker processes with the same
answer, and the team the queue load is measured against."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any, Dict, List

import pytest
from redis import asyncio as aioredis

from router import keys
from router.agents.directory import AgentDirectory
from router.scoring import ScorerSettings
from router.whatif_run import LiveSettingsInvalid, RunSettings, Selection, what_if
from tests.router.whatif_talks import (
    DEFAULTS,
    START,
    Talk,
    all_talks,
    expected,
    sessions_in,
    stuck_politely,
)

HOUR = 3600.0


async def store(redis: aioredis.Redis, talks: List[Talk]) -> None:
    for talk in talks:
        await redis.set(keys.rasa_tracker(talk.conversation_id), talk.as_json())


def hourly_stuck(count: int) -> List[Talk]:
    """The same stuck conversation once an hour, oldest first: s0 at START, s1 an hour on..."""
    return [stuck_politely().moved(f"s{n}", START + n * HOUR) for n in range(count)]


def ids(answer: Dict[str, Any]) -> List[str]:
    return sorted(change["conversation_id"] for change in answer["changed"])


async def test_the_last_n_are_the_newest_conversations(redis: aioredis.Redis) -> None:
    await store(redis, hourly_stuck(5))
    answer = await what_if(redis, replace(DEFAULTS, handoff_threshold=0.35), Selection(last=2),
                           START + 10 * HOUR)
    assert answer["conversations"] == 2 and ids(answer) == ["s3", "s4"]
    assert answer["capped"] is False  # only a window can be cut short
    talk = hourly_stuck(5)[3]
    # From the first line of the oldest session replayed (the customer's) to the newest's last.
    assert answer["window"] == {"since": talk.events[1]["timestamp"],
                                "until": hourly_stuck(5)[4].events[-1]["timestamp"]}


async def test_a_window_replays_the_conversations_that_last_moved_in_it(
        redis: aioredis.Redis) -> None:
    talks = hourly_stuck(5)
    await store(redis, talks)
    lower = replace(DEFAULTS, handoff_threshold=0.35)
    # s1 and s2 last moved within [START + 1 h, START + 3 h).
    answer = await what_if(redis, lower, Selection(since=START + HOUR, until=START + 3 * HOUR),
                           START + 10 * HOUR)
    assert ids(answer) == ["s1", "s2"]
    assert answer["window"] == {"since": START + HOUR, "until": START + 3 * HOUR}
    assert answer["queue_load"]["window_hours"] == 2.0
    assert answer["queue_load"]["handoffs_per_hour_now"] == 1.0
    capped = await what_if(redis, lower, Selection(since=START), START + 10 * HOUR,
                           run=RunSettings(limits=replace(RunSettings().limits,
                                                          max_conversations=3)))
    assert capped["capped"] is True and ids(capped) == ["s2", "s3", "s4"]


async def test_now_is_the_live_settings(redis: aioredis.Redis) -> None:
    await store(redis, [stuck_politely()])
    live = {"handoff_threshold": 0.35}
    await redis.set(keys.ROUTER_SETTINGS, json.dumps(live))
    answer = await what_if(redis, DEFAULTS, Selection(last=5), START + HOUR)
    [change] = answer["changed"]
    now, after = expected(stuck_politely(), ScorerSettings.from_mapping(live)), \
        expected(stuck_politely(), DEFAULTS)
    assert now and after
    assert (change["now"]["message"], change["after"]["message"]) == (now[0], after[0])
    assert answer["settings_changed"] == ["handoff_threshold"]


async def test_broken_live_settings_are_said_so(redis: aioredis.Redis) -> None:
    await redis.set(keys.ROUTER_SETTINGS, json.dumps({"handoff_threshold": 7}))
    with pytest.raises(LiveSettingsInvalid, match="handoff_threshold"):
        await what_if(redis, DEFAULTS, Selection(last=5), START)


async def test_worker_processes_give_the_answer_a_thread_gives(redis: aioredis.Redis) -> None:
    talks = [talk.moved(f"{talk.conversation_id}-{n}", START + (n * 10 + index) * 600)
             for n in range(3) for index, talk in enumerate(all_talks())]
    await store(redis, talks)
    # Events that Rasa would never write: found by its time, but not replayable.
    await redis.set(keys.rasa_tracker("damaged"),
                    json.dumps({"events": [{"event": "action", "timestamp": START}, 3]}))
    proposed = replace(DEFAULTS, handoff_threshold=0.35, retention=0.8)
    in_thread = await what_if(redis, proposed, Selection(last=100), START + HOUR,
                              run=RunSettings(processes_from=10_000))
    in_processes = await what_if(redis, proposed, Selection(last=100), START + HOUR,
                                 run=RunSettings(processes_from=1, workers=2,
                                                 reading=replace(RunSettings().reading,
                                                                 batch=4)))
    assert in_thread["conversations"] == sessions_in(talks) and in_thread["changed_count"] > 0
    assert in_thread["unreadable"] == 1
    assert in_processes == in_thread


async def test_the_team_is_the_accounts_seen_in_the_window(redis: aioredis.Redis) -> None:
    await store(redis, hourly_stuck(3))
    directory = AgentDirectory(redis)
    now = time.time()
    for agent_id, capacity in (("ana", 2), ("ben", 4), ("old", 5)):
        await directory.create(agent_id, agent_id.title(), "a long password 42",
                               capacity=capacity)
    await directory.heartbeat("ana", now, "online")
    await directory.heartbeat("ben", START + HOUR, "online")
    await directory.heartbeat("old", START - HOUR, "online")
    await redis.lpush(keys.HANDLE_TIMES, 100, 300, 200)
    answer = await what_if(redis, DEFAULTS, Selection(since=START), now)
    load = answer["queue_load"]
    assert (load["agents"], load["capacity_at_once"], load["agents_online_now"]) == (2, 6, 1)
    assert load["handle_seconds"] == 200.0
    assert load["capacity_per_hour"] == round(6 * 3600 / 200, 2)
