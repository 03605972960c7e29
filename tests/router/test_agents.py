"""Agent accounts in Redis: created whole and once, changed field by field."""

from __future__ import annotations

import asyncio

import pytest
from redis import asyncio as aioredis

from router.agents.directory import AccountError, AgentDirectory
from router.agents.passwords import hash_password, verify_password


async def test_two_admins_creating_the_same_id_one_wins(redis: aioredis.Redis) -> None:
    directory = AgentDirectory(redis)
    outcomes = await asyncio.gather(
        directory.create("sam", "Sam A", "a long password"),
        directory.create("sam", "Sam B", "another password"), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["AccountError", "Agent"]
    assert await directory.count() == 1


async def test_an_update_changes_only_what_it_names(redis: aioredis.Redis) -> None:
    directory = AgentDirectory(redis)
    await directory.create("sam", "Sam", "a long password", teams=["billing", "billing "])
    assert (await directory.get("sam")).teams == ["billing"]  # type: ignore[union-attr]
    await asyncio.gather(directory.update("sam", capacity=5),
                         directory.update("sam", teams=["orders"]))
    sam = await directory.get("sam")
    assert sam is not None and (sam.capacity, sam.teams) == (5, ["orders"])
    with pytest.raises(LookupError):
        await directory.update("nobody", capacity=2)
    with pytest.raises(AccountError):
        await directory.update("sam", capacity=0)


def test_passwords_are_salted_hashes_that_verify() -> None:
    first, second = hash_password("a long password"), hash_password("a long password")
    assert first != second and "a long password" not in first
    assert verify_password("a long password", first)
    assert not verify_password("a long passworD", first)
    assert not verify_password("a long password", "md5$nonsense")
