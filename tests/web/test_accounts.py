"""Agent accounts that cannot be abused: the sign-in lockout (counted before a password is
checked, per client address and per account), the password policy, and admins unlocking,
disabling and enabling accounts."""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Callable, Dict, List

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from redis import asyncio as aioredis

from router import keys
from router.agents import directory as directory_module
from router.agents.lockout import LIMITS
from tests.web.conftest import PASSWORD, make_agent, sign_in, waiting_customer

LOGIN = "/api/auth/login"
WRONG = {"agent_id": "ana", "password": "not the password"}
RIGHT = {"agent_id": "ana", "password": PASSWORD}


@pytest.fixture
async def elsewhere(api: TestClient) -> AsyncIterator[Callable[..., Any]]:
    """Posts to the service from another client address (127.0.0.2: still this machine's
    loopback, but another remote address to the server)."""
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.0.2", 0)))

    async def post(path: str, body: Dict[str, Any]) -> aiohttp.ClientResponse:
        return await session.post(api.make_url(path), json=body)

    yield post
    await session.close()


@pytest.fixture
def checked_passwords(monkeypatch: pytest.MonkeyPatch) -> List[str]:
    """Every password the service actually checked against a stored hash."""
    checked: List[str] = []
    real = directory_module.verify_password

    def counting(password: str, stored: str) -> bool:
        checked.append(password)
        return real(password, stored)

    monkeypatch.setattr(directory_module, "verify_password", counting)
    return checked


async def lock_out(api: TestClient, body: Dict[str, Any] = WRONG) -> None:
    for _ in range(LIMITS.per_address):
        reply = await api.post(LOGIN, json=body)
        assert reply.status == 401, await reply.text()


# --- The lockout ---------------------------------------------------------------------------

async def test_a_hundred_guesses_at_once_get_only_the_limit_checked(
    api: TestClient, redis: aioredis.Redis, checked_passwords: List[str],
) -> None:
    await make_agent(redis, "ana")
    replies = await asyncio.gather(*(api.post(LOGIN, json=WRONG) for _ in range(100)))
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [401] * LIMITS.per_address + [429] * (100 - LIMITS.per_address)
    assert len(checked_passwords) == LIMITS.per_address


async def test_a_locked_sign_in_says_when_to_retry_and_that_an_admin_can_unlock(
    api: TestClient, redis: aioredis.Redis, checked_passwords: List[str],
) -> None:
    await make_agent(redis, "ana")
    await lock_out(api)
    reply = await api.post(LOGIN, json=RIGHT)
    assert reply.status == 429  # the right password too: it is not even checked
    error = (await reply.json())["error"]
    assert "try again in 15 minutes" in error and "ask an admin to unlock" in error
    assert len(checked_passwords) == LIMITS.per_address
    assert "Set-Cookie" not in reply.headers


async def test_a_lock_from_one_address_does_not_stop_another(
    api: TestClient, redis: aioredis.Redis, elsewhere: Callable[..., Any],
) -> None:
    await make_agent(redis, "ana")
    await lock_out(api)
    reply = await elsewhere(LOGIN, RIGHT)
    assert reply.status == 200, await reply.text()
    assert (await api.post(LOGIN, json=RIGHT)).status == 429  # still locked where it was


async def test_the_right_password_starts_its_address_afresh(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    for _ in range(LIMITS.per_address - 1):
        await api.post(LOGIN, json=WRONG)
    assert (await api.post(LOGIN, json=RIGHT)).status == 200
    await lock_out(api)  # another full allowance of mistakes
    assert int(await redis.get(keys.account_sign_in_attempts("ana"))) == \
        2 * LIMITS.per_address - 1  # the right password was no guess


async def test_guesses_from_many_addresses_meet_the_accounts_ceiling(
    api: TestClient, redis: aioredis.Redis, elsewhere: Callable[..., Any],
) -> None:
    await make_agent(redis, "ana")
    # As if other addresses had guessed all but one of the ceiling already.
    await redis.set(keys.account_sign_in_attempts("ana"), LIMITS.per_account - 1, ex=60)
    assert (await api.post(LOGIN, json=WRONG)).status == 401
    reply = await elsewhere(LOGIN, RIGHT)
    assert reply.status == 429
    assert "ask an admin" in (await reply.json())["error"]


async def test_an_unknown_id_is_answered_like_a_wrong_password(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    reply = await api.post(LOGIN, json={"agent_id": "nobody", "password": PASSWORD})
    assert reply.status == 401
    assert (await reply.json())["error"] == "That agent id and password do not match."


@pytest.mark.parametrize("agent_id", ["Bad Id!", "ana:sign_in_attempts", "x"])
async def test_an_id_no_account_can_have_touches_no_counter(
    api: TestClient, redis: aioredis.Redis, agent_id: str,
) -> None:
    await make_agent(redis, "ana")
    before = sorted(await redis.keys("*"))
    reply = await api.post(LOGIN, json={"agent_id": agent_id, "password": PASSWORD})
    assert reply.status in (400, 401)  # 400 where the request's ids are checked first
    assert "agent id" in (await reply.json())["error"]
    assert sorted(await redis.keys("*")) == before


async def test_an_admin_sees_who_is_locked_and_unlocks_them(
    api: TestClient, redis: aioredis.Redis, elsewhere: Callable[..., Any],
) -> None:
    await make_agent(redis, "boss", role="admin")
    await make_agent(redis, "ana")
    boss = await sign_in(api, "boss")
    await lock_out(api)
    for _ in range(LIMITS.per_address):
        await elsewhere(LOGIN, WRONG)
    listed = await (await api.get("/api/agents", headers=boss)).json()
    assert {a["id"]: a["locked"] for a in listed["agents"]} == {"ana": True, "boss": False}
    reply = await api.post("/api/agents/ana/unlock", json={}, headers=boss)
    assert reply.status == 200 and (await reply.json()) == {"unlocked": "ana"}
    assert (await elsewhere(LOGIN, RIGHT)).status == 200
    assert (await api.post(LOGIN, json=RIGHT)).status == 200
    assert not await redis.keys(keys.sign_in_attempts("ana", "*"))
    listed = await (await api.get("/api/agents", headers=boss)).json()
    assert not any(a["locked"] for a in listed["agents"])


async def test_only_admins_see_locks_and_only_admins_unlock(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    await make_agent(redis, "bo")
    bo = await sign_in(api, "bo")
    await lock_out(api)
    listed = await (await api.get("/api/agents", headers=bo)).json()
    assert all("locked" not in agent for agent in listed["agents"])
    reply = await api.post("/api/agents/ana/unlock", json={}, headers=bo)
    assert reply.status == 403 and "admin" in (await reply.json())["error"]
    assert (await api.post(LOGIN, json=RIGHT)).status == 429  # still locked


async def test_unlocking_an_unknown_agent_is_a_404(api: TestClient,
                                                   redis: aioredis.Redis) -> None:
    await make_agent(redis, "boss", role="admin")
    reply = await api.post("/api/agents/nobody/unlock", json={},
                           headers=await sign_in(api, "boss"))
    assert reply.status == 404 and "nobody" in (await reply.json())["error"]


# --- Passwords -----------------------------------------------------------------------------

@pytest.mark.parametrize("agent_id, password, reason", [
    ("dee", "          ", "at least 12 characters"),
    ("dee", " " * 12, "only spaces"),
    ("dee", "password12", "at least 12 characters"),
    ("dee", "password1234", "very common password"),
    ("admin", "pinecone-admin", "your id, your name or the service's name"),
    ("dee", "dee dee dee dee", "Repeats"),
])
async def test_weak_passwords_are_refused_with_a_reason(
    api: TestClient, redis: aioredis.Redis, agent_id: str, password: str, reason: str,
) -> None:
    await make_agent(redis, "boss", role="admin")
    boss = await sign_in(api, "boss")
    reply = await api.post("/api/agents", headers=boss, json={
        "id": agent_id, "name": agent_id.title(), "password": password})
    assert reply.status == 400
    assert reason in (await reply.json())["error"]
    assert not await redis.exists(keys.agent(agent_id))
    reply = await api.patch("/api/agents/boss", json={"password": password}, headers=boss)
    assert reply.status == 400
    assert "password" in (await reply.json())["error"]
    assert (await api.get("/api/me", headers=boss)).status == 200  # unchanged, still in


# --- Disabling -----------------------------------------------------------------------------

async def test_a_disabled_account_is_signed_out_at_once_and_its_conversations_go_back(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "boss", role="admin")
    await make_agent(redis, "ana")
    boss, ana = await sign_in(api, "boss"), await sign_in(api, "ana")
    await waiting_customer(redis, "c1", created_at=time.time() - 60)
    await waiting_customer(redis, "c2")
    assert (await api.post("/api/queue/claim", json={"conversation_id": "c2"},
                           headers=ana)).status == 200
    reply = await api.patch("/api/agents/ana", json={"disabled": True}, headers=boss)
    assert reply.status == 200 and (await reply.json())["agent"]["disabled"] is True
    me = await api.get("/api/me", headers=ana)
    assert me.status == 401
    assert await redis.zrange(keys.HANDOFF_QUEUE, 0, -1) == ["c2", "c1"]  # at the front
    assert await redis.get(keys.conversation_owner("c2")) == "queue"
    assert not await redis.smembers(keys.agent_conversations("ana"))
    assert await redis.zscore(keys.AGENTS_ONLINE, "ana") is None
    reply = await api.post(LOGIN, json=RIGHT)
    assert reply.status == 403
    assert (await reply.json())["error"] == "This account is disabled; ask an admin."
    assert (await api.post(LOGIN, json=WRONG)).status == 401  # says nothing to a guesser
    reply = await api.patch("/api/agents/ana", json={"disabled": False}, headers=boss)
    assert (await reply.json())["agent"]["disabled"] is False
    assert (await api.post(LOGIN, json=RIGHT)).status == 200


async def test_a_session_of_a_disabled_account_is_refused_even_if_it_survived(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "ana")
    ana = await sign_in(api, "ana")
    await redis.hset(keys.agent("ana"), "disabled", "1")  # as if mid-way through disabling
    reply = await api.get("/api/me", headers=ana)
    assert reply.status == 401
    assert "disabled" in (await reply.json())["error"]


async def test_the_last_admin_who_can_sign_in_stays(
    api: TestClient, redis: aioredis.Redis,
) -> None:
    await make_agent(redis, "boss", role="admin")
    await make_agent(redis, "cleo", role="admin")
    boss = await sign_in(api, "boss")
    reply = await api.patch("/api/agents/boss", json={"disabled": True}, headers=boss)
    assert reply.status == 400 and "your own account" in (await reply.json())["error"]
    assert (await api.patch("/api/agents/cleo", json={"disabled": True},
                            headers=boss)).status == 200
    reply = await api.patch("/api/agents/boss", json={"role": "agent"}, headers=boss)
    assert reply.status == 400 and "last admin" in (await reply.json())["error"]
    assert (await redis.hget(keys.agent("boss"), "role")) == "admin"


@pytest.mark.parametrize("value", ["yes", 1, 0, "true", [], {}])
async def test_disabled_must_be_true_or_false(
    api: TestClient, redis: aioredis.Redis, value: Any,
) -> None:
    await make_agent(redis, "boss", role="admin")
    await make_agent(redis, "ana")
    reply = await api.patch("/api/agents/ana", json={"disabled": value},
                            headers=await sign_in(api, "boss"))
    assert reply.status == 400
    assert (await reply.json())["error"] == "The field 'disabled' must be true or false."
    assert await redis.hget(keys.agent("ana"), "disabled") is None
    assert (await api.post(LOGIN, json=RIGHT)).status == 200


async def test_disabling_an_unknown_agent_is_a_404(api: TestClient,
                                                   redis: aioredis.Redis) -> None:
    await make_agent(redis, "boss", role="admin")
    reply = await api.patch("/api/agents/nobody", json={"disabled": True},
                            headers=await sign_in(api, "boss"))
    assert reply.status == 404 and "nobody" in (await reply.json())["error"]
    assert not await redis.exists(keys.agent("nobody"))
