"""Background work of the web service: tell waiting customers their new place in line,
return the conversations of agents whose console went quiet, turn customers who waited
too long into tickets, and file ended handoffs in the history's search index."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import List, Optional

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from router import keys, metrics, service_settings
from router.customer_limits import CustomerLimits
from router.handoff.ordering import estimated_wait_minutes
from router.handoff.queue import EXPIRED, HandoffQueue, QueueError, Waiting
from router.history import History
from router.redis_values import text
from router.relay.notices import queue_notice, returned_notice
from router.relay.outbox import Outbox, line_command, resume_command
from router.tickets import Ticket, TicketNotFound, TicketStore

log = logging.getLogger(__name__)

# The message of a ticket made for a customer who waited too long and left none.
WAITED_TOO_LONG = "(no message: waited too long for a person)"
# The field of the handoff's state that keeps that ticket's reference (keys.handoff_state).
EXPIRY_TICKET = "expiry_ticket"


async def tell_positions(queue: HandoffQueue, outbox: Outbox, now: float,
                         waiting: Optional[List[Waiting]] = None) -> int:
    """A notice to every waiting customer whose place changed; returns how many.
    `waiting`: the line if the caller has just read it."""
    changed = await queue.positions_to_tell(waiting)
    if not changed:
        return 0
    # Read once for all of them: the agents online and the recent handling times.
    agents_online, handle_times = await queue.agents_online(now), await queue.handle_times()
    told = 0
    for entry in changed:
        minutes = estimated_wait_minutes(entry.position, agents_online, handle_times,
                                         queue.settings)
        notice = queue_notice(entry.position, minutes)
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


async def expire_waiting(queue: HandoffQueue, tickets: TicketStore, now: float,
                         max_wait: float, waiting: Optional[List[Waiting]] = None) -> int:
    """Customers waiting longer than `max_wait` seconds (the live service setting) become
    tickets; the bot tells them so, with
    the ticket's reference. The ticket is made first, so the reference can travel with the
    command that hands the conversation back to the bot (one step: either both happen or the
    customer is still waiting)."""
    expired = 0
    for entry in await queue.waiting() if waiting is None else waiting:
        if now - entry.enqueued_at < max_wait:
            continue  # the line is ordered by score, not age: look at everyone
        ticket = await _expiry_ticket(queue, tickets, entry, now)
        try:
            await queue.release(entry.conversation_id, now, EXPIRED,
                                resume_command(EXPIRED, "", ticket.reference), by_agent=None,
                                only_if_waiting=True)
        except QueueError:
            # Claimed a moment ago: the agent has it now, and nobody was told of the ticket.
            await tickets.withdraw(ticket.reference)
            await queue.redis.hdel(keys.handoff_state(entry.conversation_id), EXPIRY_TICKET)
            continue
        await metrics.count(queue.redis, metrics.TICKETS_OPENED, metrics.WAITED_TOO_LONG)
        expired += 1
    return expired


async def _expiry_ticket(queue: HandoffQueue, tickets: TicketStore, entry: Waiting,
                         now: float) -> Ticket:
    """The ticket of a customer who waited too long, made once: if handing the conversation
    back fails (Redis away, the process stopped) the next round uses the same ticket rather
    than leave the customer a second one."""
    state = keys.handoff_state(entry.conversation_id)
    made = await queue.redis.hget(state, EXPIRY_TICKET)
    if made:
        try:
            return await tickets.get(text(made))
        except TicketNotFound:
            pass  # withdrawn meanwhile: make a new one
    ticket = await tickets.create(entry.packet or {"conversation_id": entry.conversation_id},
                                  WAITED_TOO_LONG, now=now)
    await queue.redis.hset(state, EXPIRY_TICKET, ticket.reference)
    return ticket


async def run(redis: aioredis.Redis, queue: HandoffQueue, outbox: Outbox,
              interval: float, stop: asyncio.Event) -> None:
    """Every `interval` seconds, and at once when the queue changes, until `stop` is set."""
    tickets = TicketStore(redis, CustomerLimits.from_env().max_message_chars)
    history = History(redis, tickets)
    while not stop.is_set():
        try:
            async with redis.pubsub() as changes:
                await changes.subscribe(keys.QUEUE_CHANGED)
                while not stop.is_set():
                    now = time.time()
                    await return_lost_agents(queue, outbox, now)
                    waiting = await queue.waiting()
                    service = await service_settings.live(redis)  # an admin may change it
                    if await expire_waiting(queue, tickets, now, service.max_wait_seconds,
                                            waiting):
                        waiting = await queue.waiting()  # the line moved up
                    await tell_positions(queue, outbox, now, waiting)
                    await history.index_pending()  # ended handoffs a process left unfiled
                    await changes.get_message(ignore_subscribe_messages=True, timeout=interval)
        except (RedisError, OSError) as error:
            log.warning("Housekeeping: Redis unreachable (%s); retrying.", error)
            await asyncio.sleep(interval)
        except Exception:
            # A bug (or a record no code expected) must not stop the work customers wait on:
            # places in line, lost agents, expiry. Logged loudly, tried again next round.
            log.exception("Housekeeping: a round failed; trying again.")
            await asyncio.sleep(interval)
