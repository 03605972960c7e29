"""Background work of the web service: tell waiting customers their new place in line, and
return the conversations of agents whose console went quiet."""

from __future__ import annotations

import asyncio
import logging
import time

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from router import keys
from router.handoff.queue import EXPIRED, HandoffQueue, QueueError
from router.relay.notices import queue_notice, returned_notice
from router.relay.outbox import Outbox, line_command, resume_command

log = logging.getLogger(__name__)


async def tell_positions(queue: HandoffQueue, outbox: Outbox, now: float) -> int:
    """A notice to every waiting customer whose place changed; returns how many."""
    told = 0
    for entry in await queue.positions_to_tell():
        notice = queue_notice(entry.position, await queue.estimated_wait(entry.position, now))
        await outbox.put(entry.conversation_id, line_command(notice["text"], notice["metadata"]))
        await queue.mark_told(entry.conversation_id, entry.position)
        told += 1
    return told


async def return_lost_agents(queue: HandoffQueue, outbox: Outbox, now: float) -> int:
    returned = 0
    for agent_id, conversations in (await queue.return_lost_agents(now)).items():
        for conversation_id in conversations:
            notice = returned_notice()
            await outbox.put(conversation_id, line_command(notice["text"], notice["metadata"]))
            returned += 1
        if conversations:
            log.info("Agent %s went quiet: %d conversations back in the queue", agent_id,
                     len(conversations))
    return returned


async def expire_waiting(queue: HandoffQueue, now: float) -> int:
    """Customers waiting longer than `max_wait` become tickets; the bot tells them so."""
    expired = 0
    for entry in await queue.waiting():
        if now - entry.enqueued_at < queue.settings.max_wait:
            continue  # the line is ordered by score, not age: look at everyone
        try:
            await queue.release(entry.conversation_id, now, EXPIRED,
                                resume_command(EXPIRED, ""), by_agent=None)
        except QueueError:
            continue  # claimed a moment ago: the agent has it now
        await queue.create_ticket(entry.packet or {"conversation_id": entry.conversation_id},
                                  "(no message: waited too long for a person)")
        expired += 1
    return expired


async def run(redis: aioredis.Redis, queue: HandoffQueue, outbox: Outbox,
              interval: float, stop: asyncio.Event) -> None:
    """Every `interval` seconds, and at once when the queue changes, until `stop` is set."""
    while not stop.is_set():
        try:
            async with redis.pubsub() as changes:
                await changes.subscribe(keys.QUEUE_CHANGED)
                while not stop.is_set():
                    now = time.time()
                    await return_lost_agents(queue, outbox, now)
                    await expire_waiting(queue, now)
                    await tell_positions(queue, outbox, now)
                    await changes.get_message(ignore_subscribe_messages=True, timeout=interval)
        except (RedisError, OSError) as error:
            log.warning("Housekeeping: Redis unreachable (%s); retrying.", error)
            await asyncio.sleep(interval)
