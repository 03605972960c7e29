"""Agent accounts in Redis: created whole and once, changed field by field; strong passwords;
the sign-in lockout; disabled accounts."""

from __future__ import annotations

import asyncio

import pytest
from redis import asyncio as aioredis

from router import keys
from router.agents.directory import AccountDisabled, AccountError, AgentDirectory, WrongPassword
from router.agents.lockout import LockoutLimits, SignInLocked, SignInLockout
from router.agents.passwords import (
    MIN_LENGTH,
    WeakPassword,
    check_strength,
    hash_password,
    verify_password,
)


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


@pytest.mark.parametrize("password, personal, reason", [
    ("", (), f"at least {MIN_LENGTH} characters; this one has 0"),
    ("          ", ("admin", "Admin"), "at least 12"),
    ("\t" * 12, (), "only spaces"),
    ("password1234", (), "very common password"),
    ("pinecone-admin", ("admin", "Admin"), "your id, your name"),
    ("Sam Lee Sam Lee 1", ("sam", "Sam Lee"), "your id, your name"),
    ("qwertyuiopasdf", (), "similar to a commonly used password"),
    ("a" * 200, (), "Repeats"),
])
def test_weak_passwords_are_refused_with_a_reason_a_person_can_act_on(
    password: str, personal: tuple, reason: str,
) -> None:
    with pytest.raises(WeakPassword, match=reason):
        check_strength(password, personal)


@pytest.mark.parametrize("password", ["a long password", "  a new secret  ",
                                      "Sam's tartan umbrella", "x7#Lq9!vRt2$"])
def test_strong_passwords_pass(password: str) -> None:
    check_strength(password, ("sam", "Sam Lee"))


async def test_concurrent_attempts_are_counted_before_any_is_let_through(
        redis: aioredis.Redis) -> None:
    lockout = SignInLockout(redis, LockoutLimits(per_address=5, per_account=50))
    outcomes = await asyncio.gather(*(lockout.attempt("sam", "10.0.0.1") for _ in range(40)),
                                    return_exceptions=True)
    assert outcomes.count(None) == 5
    assert all(isinstance(o, SignInLocked) for o in outcomes if o is not None)
    assert int(await redis.get(keys.account_sign_in_attempts("sam"))) == 5  # refusals uncounted


async def test_the_account_ceiling_stops_many_addresses_and_unlock_lifts_it(
        redis: aioredis.Redis) -> None:
    limits = LockoutLimits(per_address=3, per_account=4, lock_seconds=60)
    lockout = SignInLockout(redis, limits)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"):
        await lockout.attempt("sam", address)
    assert not await lockout.is_locked("ana") and await lockout.is_locked("sam")
    with pytest.raises(SignInLocked) as locked:
        await lockout.attempt("sam", "10.0.0.5")
    assert 0 < locked.value.retry_after <= 60 and "1 minute," in str(locked.value)
    await lockout.attempt("ana", "10.0.0.5")  # other accounts are not affected
    await lockout.unlock("sam")
    assert not await lockout.is_locked("sam")
    await lockout.attempt("sam", "10.0.0.5")
    assert await redis.ttl(keys.sign_in_attempt_keys("sam")) > 0  # nothing left forever


async def test_nobody_elsewhere_can_lock_a_person_out_of_their_own_address(
        redis: aioredis.Redis) -> None:
    """The account ceiling stops a guesser spread over many addresses, not the person from
    where they signed in before (else ten addresses could lock the whole team out)."""
    lockout = SignInLockout(redis, LockoutLimits(per_address=3, per_account=4, lock_seconds=60))
    await lockout.attempt("sam", "192.0.2.10")
    await lockout.passed("sam", "192.0.2.10")  # Sam's own desk
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"):
        try:
            await lockout.attempt("sam", address)
        except SignInLocked:
            pass
    with pytest.raises(SignInLocked):
        await lockout.attempt("sam", "10.0.0.6")  # a new address meets the ceiling
    await lockout.attempt("sam", "192.0.2.10")  # Sam's does not
    assert 0 < await redis.ttl(keys.sign_in_known_addresses("sam")) <= 30 * 24 * 3600


async def test_the_right_password_clears_only_its_own_address(redis: aioredis.Redis) -> None:
    lockout = SignInLockout(redis, LockoutLimits(per_address=2, per_account=50))
    for address in ("10.0.0.1", "10.0.0.1", "10.0.0.2"):
        await lockout.attempt("sam", address)
    await lockout.passed("sam", "10.0.0.2")
    with pytest.raises(SignInLocked):
        await lockout.attempt("sam", "10.0.0.1")
    assert int(await redis.get(keys.account_sign_in_attempts("sam"))) == 2


async def test_sign_in_refuses_a_wrong_password_a_lock_and_a_disabled_account(
        redis: aioredis.Redis) -> None:
    directory = AgentDirectory(redis)
    await directory.create("sam", "Sam", "a long password")
    await directory.create("boss", "Boss", "a long password", role="admin")
    with pytest.raises(WrongPassword):
        await directory.sign_in("sam", "a wrong password", "10.0.0.1")
    assert (await directory.sign_in("sam", "a long password", "10.0.0.1")).id == "sam"
    await directory.update("sam", disabled=True)
    with pytest.raises(AccountDisabled):
        await directory.sign_in("sam", "a long password", "10.0.0.1")
    assert (await directory.get("sam")).disabled  # type: ignore[union-attr]
    await directory.update("sam", disabled=False)
    assert not (await directory.sign_in("sam", "a long password", "10.0.0.1")).disabled


async def test_the_last_enabled_admin_cannot_be_disabled_or_demoted(
        redis: aioredis.Redis) -> None:
    directory = AgentDirectory(redis)
    await directory.create("boss", "Boss", "a long password", role="admin")
    await directory.create("cleo", "Cleo", "a long password", role="admin")
    await directory.update("cleo", disabled=True)
    for change in ({"disabled": True}, {"role": "agent"}):
        with pytest.raises(AccountError, match="last admin"):
            await directory.update("boss", **change)  # type: ignore[arg-type]
    boss = await directory.get("boss")
    assert boss is not None and (boss.role, boss.disabled) == ("admin", False)
    await directory.update("cleo", role="agent")  # a disabled admin is no safeguard
    with pytest.raises(LookupError):
        await directory.update("nobody", disabled=True)
