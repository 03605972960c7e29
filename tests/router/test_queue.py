"""The handoff queue against a real Redis: order and aging, atomic claims, capacity, teams,
lost agents, transfer, resolve, hand back and position updates."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List

import pytest
from redis import asyncio as aioredis

from router import keys
from router.agents.directory import AgentDirectory
from router.handoff.ordering import QueueSettings, estimated_wait_minutes, queue_score
from router.handoff.queue import HANDED_BACK, RESOLVED, HandoffQueue, QueueError, Released

SETTINGS = QueueSettings(frustration_head_start=300, priority_head_start=600,
                         heartbeat_timeout=60)
NOW = 1_800_000_000.0


def packet(conversation_id: str, at: float, score: float = 0.0, priority: int = 0,
           wants: str = "order_status") -> Dict[str, Any]:
    return {"conversation_id": conversation_id, "created_at": at, "reason": "test",
            "channel": "rest", "assessment": {"score": score}, "customer_priority": priority,
            "summary": {"customer_wants": wants}}


@pytest.fixture
def queue(redis: aioredis.Redis) -> HandoffQueue:
    return HandoffQueue(redis, SETTINGS)


async def agent(redis: aioredis.Redis, agent_id: str, capacity: int = 3,
                teams: List[str] = (), online: bool = True) -> None:  # type: ignore[assignment]
    directory = AgentDirectory(redis)
    await directory.create(agent_id, agent_id.title(), "a long password", capacity=capacity,
                           teams=list(teams))
    if online:
        await directory.heartbeat(agent_id, NOW, "online")


def test_frustration_buys_a_bounded_head_start() -> None:
    calm_early = queue_score(NOW, 0.0, 0, SETTINGS)
    angry_later = queue_score(NOW + 200, 1.0, 0, SETTINGS)
    angry_much_later = queue_score(NOW + 400, 1.0, 0, SETTINGS)
    assert angry_later < calm_early  # 200 s later but furious: goes first
    assert calm_early < angry_much_later  # aging: after 300 s nobody overtakes the calm one
    assert queue_score(NOW + 500, 0.0, 1, SETTINGS) < calm_early  # priority: 600 s


def test_the_estimated_wait_shares_the_line_among_agents() -> None:
    assert estimated_wait_minutes(1, 1, [], SETTINGS) == 4  # the default 240 s
    assert estimated_wait_minutes(4, 2, [60, 120, 600], SETTINGS) == 4  # 2 rounds x 120 s
    assert estimated_wait_minutes(3, 0, [30], SETTINGS) == 2  # nobody online counts as one


async def test_enqueue_orders_by_age_frustration_and_priority(queue: HandoffQueue) -> None:
    assert await queue.enqueue(packet("calm", NOW)) == 1
    # Head starts pass others, but not the customer told they are next.
    assert await queue.enqueue(packet("angry", NOW + 10, score=0.9)) == 2
    assert await queue.enqueue(packet("vip", NOW + 20, priority=2)) == 2
    assert await queue.enqueue(packet("late", NOW + 30)) == 4
    assert [w.conversation_id for w in await queue.waiting()] == ["calm", "vip", "angry", "late"]
    assert await queue.owner("calm") == "queue"
    assert (await queue.packet("calm"))["reason"] == "test"  # type: ignore[index]


async def test_many_agents_claiming_at_once_each_conversation_goes_to_one(
    redis: aioredis.Redis, queue: HandoffQueue,
) -> None:
    for index in range(30):
        await queue.enqueue(packet(f"c{index}", NOW + index))
    agents = [f"agent{n}" for n in range(12)]
    for agent_id in agents:
        await agent(redis, agent_id, capacity=3)

    async def claim_all(agent_id: str) -> List[str]:
        won = []
        for _ in range(4):  # one more than the capacity
            try:
                won.append(await queue.claim(agent_id, NOW))
            except QueueError as error:
                assert error.code in ("at_capacity", "nothing_waiting")
        return won

    results = await asyncio.gather(*(claim_all(a) for a in agents))
    claimed = [c for won in results for c in won]
    assert sorted(claimed) == sorted(f"c{i}" for i in range(30))  # each exactly once
    assert all(len(won) <= 3 for won in results)
    for agent_id, won in zip(agents, results, strict=True):
        for conversation_id in won:
            assert await queue.owner(conversation_id) == f"agent:{agent_id}"
    assert await queue.length() == 0


async def test_claiming_a_specific_conversation_twice_has_one_winner(
    redis: aioredis.Redis, queue: HandoffQueue,
) -> None:
    await queue.enqueue(packet("only", NOW))
    await agent(redis, "ana")
    await agent(redis, "ben")
    outcomes = await asyncio.gather(queue.claim("ana", NOW, "only"),
                                    queue.claim("ben", NOW, "only"), return_exceptions=True)
    winners = [o for o in outcomes if o == "only"]
    losers = [o for o in outcomes if isinstance(o, QueueError)]
    assert len(winners) == 1 and len(losers) == 1 and losers[0].code == "not_waiting"


async def test_a_disabled_agent_takes_nothing_even_if_a_late_heartbeat_lands(
    redis: aioredis.Redis, queue: HandoffQueue,
) -> None:
    await agent(redis, "ana")
    await agent(redis, "boss")  # an admin must remain: the last one cannot be disabled
    await AgentDirectory(redis).update("boss", role="admin")
    await queue.enqueue(packet("c1", NOW))
    await AgentDirectory(redis).update("ana", disabled=True)
    await AgentDirectory(redis).heartbeat("ana", NOW + 1, "online")  # sent before the disable
    with pytest.raises(QueueError) as refused:
        await queue.claim("ana", NOW + 2)
    assert refused.value.code == "not_online"


async def test_capacity_presence_and_teams_limit_claims(
    redis: aioredis.Redis, queue: HandoffQueue,
) -> None:
    await agent(redis, "solo", capacity=1)
    await agent(redis, "offline", online=False)
    await agent(redis, "biller", teams=["billing"])
    await queue.enqueue(packet("refund", NOW, wants="refund_status"), team="billing")
    await queue.enqueue(packet("stock", NOW + 1), team=None)
    await queue.enqueue(packet("other", NOW + 2), team="orders")

    with pytest.raises(QueueError) as error:
        await queue.claim("offline", NOW)
    assert error.value.code == "not_online"
    with pytest.raises(QueueError) as error:
        await queue.claim("biller", NOW, "other")
    assert error.value.code == "other_team"
    assert await queue.claim("biller", NOW) == "refund"
    assert await queue.claim("biller", NOW) == "stock"  # no team: anyone may take it
    assert await queue.claim("solo", NOW) == "other"  # no teams: takes any team's
    with pytest.raises(QueueError) as error:
        await queue.claim("solo", NOW)
    assert error.value.code == "at_capacity"
    # A heartbeat older than the timeout is not online.
    with pytest.raises(QueueError) as error:
        await queue.claim("biller", NOW + 61)
    assert error.value.code == "not_online"


async def test_away_agents_keep_their_conversations_but_get_no_new_ones(
    redis: aioredis.Redis, queue: HandoffQueue,
) -> None:
    await agent(redis, "ana")
    await queue.enqueue(packet("a", NOW))
    await queue.enqueue(packet("b", NOW + 1))
    assert await queue.claim("ana", NOW) == "a"
    await AgentDirectory(redis).heartbeat("ana", NOW + 5, "away")
    with pytest.raises(QueueError):
        await queue.claim("ana", NOW + 5)
    assert await queue.owner("a") == "agent:ana"
    assert await queue.agents_online(NOW + 5) == 0


async def test_a_lost_agents_conversations_return_to_the_front(
    redis: aioredis.Redis, queue: HandoffQueue,
) -> None:
    await agent(redis, "ana")
    await agent(redis, "ben")
    await queue.enqueue(packet("first", NOW))
    await queue.enqueue(packet("second", NOW + 1))
    assert await queue.claim("ana", NOW) == "first"
    await queue.enqueue(packet("third", NOW + 2, score=1.0))
    # ben keeps beating; ana's console went quiet.
    await AgentDirectory(redis).heartbeat("ben", NOW + 90)
    returned = await queue.return_lost_agents(NOW + 90)
    assert returned == {"ana": ["first"]}
    assert [w.conversation_id for w in await queue.waiting()] == ["first", "third", "second"]
    assert await queue.owner("first") == "queue"
    assert (await AgentDirectory(redis).get("ana")).presence == "offline"  # type: ignore[union-attr]
    assert await queue.claim("ben", NOW + 90) == "first"


async def test_a_heartbeat_in_time_keeps_the_conversations(
    redis: aioredis.Redis, queue: HandoffQueue,
) -> None:
    await agent(redis, "ana")
    await queue.enqueue(packet("a", NOW))
    await queue.claim("ana", NOW)
    await AgentDirectory(redis).heartbeat("ana", NOW + 50)
    assert await queue.return_lost_agents(NOW + 100) == {}
    assert await queue.owner("a") == "agent:ana"


async def test_transfer_to_an_agent_or_back_to_a_teams_queue(
    redis: aioredis.Redis, queue: HandoffQueue,
) -> None:
    await agent(redis, "ana")
    await agent(redis, "ben", capacity=1)
    await agent(redis, "cy", online=False)
    await queue.enqueue(packet("x", NOW))
    await queue.enqueue(packet("y", NOW + 1))
    await queue.claim("ana", NOW, "x")
    for by, to, code in [("ben", "cy", "not_yours"), ("ana", "cy", "target_not_online"),
                         ("ana", "ana", "same_agent")]:
        with pytest.raises(QueueError) as error:
            await queue.transfer("x", NOW, by_agent=by, to_agent=to)
        assert error.value.code == code
    assert await queue.transfer("x", NOW, by_agent="ana", to_agent="ben") == "agent:ben"
    assert await queue.owner("x") == "agent:ben"
    assert await AgentDirectory(redis).conversations("ana") == []
    with pytest.raises(QueueError) as error:  # ben is full now
        await queue.transfer("y", NOW, by_agent=None, to_agent="ben")
    assert error.value.code == "target_at_capacity"
    assert await queue.transfer("x", NOW, by_agent="ben", to_team="billing") == "queue"
    assert [w.conversation_id for w in await queue.waiting()] == ["x", "y"]  # at the front
    assert (await queue.state("x"))["team"] == "billing"


async def test_resolve_and_hand_back_free_the_agent_and_queue_the_resume(
    redis: aioredis.Redis, queue: HandoffQueue,
) -> None:
    await agent(redis, "ana")
    await queue.enqueue(packet("r", NOW))
    await queue.enqueue(packet("h", NOW + 1))
    await queue.claim("ana", NOW, "r")
    await queue.claim("ana", NOW, "h")
    with pytest.raises(QueueError) as error:
        await queue.release("r", NOW + 100, RESOLVED, {"kind": "resume"}, by_agent="ben")
    assert error.value.code == "not_yours"
    assert await queue.release("r", NOW + 100, RESOLVED,
                               {"kind": "resume", "conversation_id": "r"},
                               by_agent="ana") == Released("ana", "1")
    assert await queue.release("h", NOW + 300, HANDED_BACK,
                               {"kind": "resume", "conversation_id": "h"},
                               by_agent=None) == Released("ana", "2")
    assert await queue.owner("r") is None and await queue.owner("h") is None
    assert await AgentDirectory(redis).conversations("ana") == []
    commands = [fields for _, fields in await redis.xrange(keys.RELAY_OUTBOX)]
    assert [c["conversation_id"] for c in commands] == ["r", "h"]
    assert sorted(await queue.handle_times()) == [100.0, 300.0]
    assert (await queue.state("h"))["outcome"] == HANDED_BACK
    with pytest.raises(QueueError) as error:  # already back with the bot
        await queue.release("h", NOW, RESOLVED, {"kind": "resume"}, by_agent=None)
    assert error.value.code == "not_handed_off"


async def test_positions_are_told_once_per_change(
    redis: aioredis.Redis, queue: HandoffQueue,
) -> None:
    await agent(redis, "ana")
    await queue.enqueue(packet("a", NOW))
    await queue.enqueue(packet("b", NOW + 1))
    await queue.enqueue(packet("c", NOW + 2))
    assert await queue.positions_to_tell() == []  # each was told at entry
    await queue.claim("ana", NOW)
    changed = await queue.positions_to_tell()
    assert [(w.conversation_id, w.position) for w in changed] == [("b", 1), ("c", 2)]
    for entry in changed:
        await queue.mark_told(entry.conversation_id, entry.position)
    assert await queue.positions_to_tell() == []


async def test_a_place_in_line_never_gets_worse_in_what_a_customer_hears(
    redis: aioredis.Redis, queue: HandoffQueue,
) -> None:
    """A polite customer was told 1, then 2, 3, 2 as angrier ones arrived: now the one told
    they are next stays next, the others keep the place they heard until it improves."""
    await agent(redis, "ana")
    assert await queue.enqueue(packet("polite", NOW)) == 1
    assert await queue.enqueue(packet("second", NOW + 1)) == 2
    # Furious and later: a head start of 300 s would put them first.
    assert await queue.enqueue(packet("furious", NOW + 5, score=1.0)) == 2
    order = [w.conversation_id for w in await queue.waiting()]
    assert order == ["polite", "furious", "second"]  # priority still decides who is next-but-one
    assert await queue.positions_to_tell() == []  # "second" is now 3rd: not told it
    assert await queue.claim("ana", NOW + 10) == "polite"
    changed = {w.conversation_id: w.position for w in await queue.positions_to_tell()}
    assert changed == {"furious": 1}  # "second" is 2nd now, as they were told: nothing new
    await queue.mark_told("furious", 1)
    await agent(redis, "ben")
    assert await queue.claim("ben", NOW + 11) == "furious"
    assert {w.conversation_id: w.position for w in await queue.positions_to_tell()} == \
        {"second": 1}


async def test_a_conversation_with_an_agent_cannot_be_queued_again(
    redis: aioredis.Redis, queue: HandoffQueue,
) -> None:
    await agent(redis, "ana")
    await queue.enqueue(packet("a", NOW))
    await queue.claim("ana", NOW)
    with pytest.raises(QueueError) as error:
        await queue.enqueue(packet("a", NOW + 5))
    assert error.value.code == "already_with_agent"
    assert json.loads(await redis.get(keys.handoff_packet("a")))["created_at"] == NOW


async def test_a_customer_put_back_in_line_waits_from_then_and_keeps_their_first_claim(
    redis: aioredis.Redis, queue: HandoffQueue,
) -> None:
    await agent(redis, "ana")
    await agent(redis, "ben")
    await queue.enqueue(packet("c", NOW))
    await queue.claim("ana", NOW + 60, "c")
    assert (await queue.waiting()) == []
    await queue.agent_gone("ana", NOW + 1200)  # Ana's console went quiet after 20 minutes
    [back] = await queue.waiting()
    assert back.waiting_since == NOW + 1200  # waiting for a person again since then
    assert back.as_dict(NOW + 1260)["waiting_seconds"] == 60
    assert back.as_dict(NOW + 1260)["returned"] is True
    await AgentDirectory(redis).heartbeat("ben", NOW + 1290, "online")
    await queue.claim("ben", NOW + 1300, "c")
    state = await queue.state("c")
    assert float(state["first_claimed_at"]) == NOW + 60  # the first wait was one minute
    assert float(state["claimed_at"]) == NOW + 1300
