"""Running a what-if on the stored conversations: choose them (the last N, or a time window),
fetch them from Rasa's tracker store batch by batch, replay them (router/whatif.py) in worker
processes while the next batch is fetched, and measure the queue load against the team.

Replaying 10,000 conversations is seconds of CPU: on the web service's event loop it would
hold every other request, so it runs in worker processes (both cores), or, for a few
conversations, in a thread (starting processes would cost more than it saves).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator, Dict, List, Optional, Set, Tuple

from redis import asyncio as aioredis

from router.agents.directory import AgentDirectory
from router.channel_settings import ChannelSettings, Settings
from router.handoff.queue import HandoffQueue
from router.live_settings import by_channel
from router.scoring.combiner import LearnedModel
from router.scoring.settings import SettingsError
from router.settings_versions import SettingsVersions
from router.stored_trackers import StoredTracker, TrackerReading, TrackerStore, newest
from router.whatif import (
    Outcome,
    RawReplay,
    Staffing,
    WhatIfSettings,
    differences_by_channel,
    replay_json,
    summarise,
)


@dataclass(frozen=True)
class Selection:
    """The last `last` conversations, or those whose last event falls in [since, until]."""

    last: Optional[int] = None
    since: Optional[float] = None
    until: Optional[float] = None


@dataclass(frozen=True)
class RunSettings:
    limits: WhatIfSettings = WhatIfSettings()
    reading: TrackerReading = TrackerReading()
    # From this many conversations on, worker processes replay them (below it, a thread):
    # starting two takes ~0.5 s, about what 1,000 conversations take to replay.
    processes_from: int = 1_000
    workers: int = max(os.cpu_count() or 1, 1)


class LiveSettingsInvalid(Exception):
    """The overrides in effect do not validate (written around the settings API and CLI)."""


async def settings_in_effect(redis: aioredis.Redis) -> ChannelSettings:
    """The settings every process uses now (the overrides the settings API and CLI saved,
    merged over the defaults), in general and for each channel with its own."""
    try:
        return by_channel(await SettingsVersions(redis).overrides())
    except SettingsError as error:
        raise LiveSettingsInvalid(str(error)) from error


async def staffing(directory: AgentDirectory, queue: HandoffQueue, since: float,
                   now: float) -> Staffing:
    team = [a for a in await directory.all()
            if not a.disabled and a.last_seen is not None and a.last_seen >= since]
    handled = await queue.handle_times()
    handle = statistics.median(handled) if handled else queue.settings.default_handle_seconds
    return Staffing(len(team), sum(a.capacity for a in team), await queue.agents_online(now),
                    handle, len(handled))


async def what_if(redis: aioredis.Redis, proposed: Settings, selection: Selection,
                  now: float, learned: Optional[LearnedModel] = None,
                  run: RunSettings = RunSettings()) -> Dict[str, Any]:
    """The what-if answer (router/whatif.py `summarise`, with the window, which settings
    change and how many conversations could not be read). `proposed`: as
    router/settings_versions.py `validate` makes them from the overrides an admin would
    save (`validate_by_channel` for each channel's), so the replay shows what saving them
    would do."""
    current = await settings_in_effect(redis)
    store = TrackerStore(redis, run.reading)
    most = min(selection.last or run.limits.max_conversations, run.limits.max_conversations)
    chosen, more = newest(await store.all(), most, selection.since, selection.until)
    # Cut short: more were asked for (a window, or more than the limit) than are replayed.
    capped = more and (selection.last is None or selection.last > most)
    # With a window, only the sessions begun in it (a tracker that moved in it may hold
    # sessions from weeks before).
    within = (selection.since, selection.until if selection.until is not None else now) \
        if selection.since is not None else None
    replayed = await _replay(store, chosen, current, proposed, learned, run, within)
    window = _window(selection, replayed.outcomes, now)
    team = await staffing(AgentDirectory(redis), HandoffQueue(redis), window[0], now)
    answer = summarise(replayed.outcomes, window, team, run.limits)
    return {**answer, "unreadable": replayed.unreadable, "capped": capped,
            "window": {"since": window[0], "until": window[1]},
            "settings_changed": differences_by_channel(current, proposed)}


def _window(selection: Selection, outcomes: List[Outcome], now: float) -> Tuple[float, float]:
    """The time the replayed conversations cover: the window asked for (up to now), or from
    the first line of the oldest session replayed to the last of the newest."""
    if selection.since is not None:
        return selection.since, min(selection.until if selection.until is not None else now, now)
    if not outcomes:
        return now, now
    return min(o.first_at for o in outcomes), max(o.last_at for o in outcomes)


async def _replay(store: TrackerStore, chosen: List[StoredTracker], current: Settings,
                  proposed: Settings, learned: Optional[LearnedModel],
                  run: RunSettings, within: Optional[Tuple[float, float]] = None) -> RawReplay:
    loop = asyncio.get_running_loop()
    outcomes: List[Outcome] = []
    unreadable = 0
    async with _executor(len(chosen), run) as executor:
        running: Set[asyncio.Future[RawReplay]] = set()
        finished: List[asyncio.Future[RawReplay]] = []
        async for batch in store.trackers(chosen):
            # A few batches ahead of the workers, not the whole store in memory at once.
            while len(running) >= 2 * run.workers:
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                finished += done
            running.add(loop.run_in_executor(executor, replay_json, batch, current, proposed,
                                             learned, within))
        if running:
            done, _ = await asyncio.wait(running)
            finished += done
        for future in finished:
            result = future.result()
            outcomes += result.outcomes
            unreadable += result.unreadable
    return RawReplay(outcomes, unreadable)


@asynccontextmanager
async def _executor(conversations: int, run: RunSettings) -> AsyncIterator[Optional[Executor]]:
    """Worker processes for many conversations (spawned: forking a process that runs an event
    loop and threads can copy a lock someone holds), else None: the loop's thread pool."""
    if conversations < run.processes_from or run.workers < 2:
        yield None
        return
    pool = ProcessPoolExecutor(run.workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool
    finally:
        # In a thread: waiting for the workers to stop (a second or more when a replay was
        # cut short mid-batch) would otherwise hold every other request.
        await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
