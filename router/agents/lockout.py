"""Sign-in lockout: how many passwords may be tried on an account, counted per client address
and per account, atomically in Redis and before the password is checked.

Per address, so a stranger guessing the `admin` password from elsewhere cannot lock the real
admin out; per account, with a much higher ceiling, to slow a guesser spread over many
addresses, except from the addresses the account signed in from lately (else that ceiling
would let anyone with ten addresses lock the whole team out). Only the right password (for
its address) or an admin's unlock clears a count.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis import asyncio as aioredis

from router import keys
from router.handoff.scripts import Scripts
from router.redis_values import text


@dataclass(frozen=True)
class LockoutLimits:
    # Ten wrong passwords from one place: a person has mistyped enough to want help.
    per_address: int = 10
    # A hundred from anywhere: far more than the team mistypes in a quarter of an hour, few
    # enough that a distributed guesser gets ~10,000 tries a day (a zxcvbn-3 password takes
    # 10^8).
    per_account: int = 100
    # Each counter lapses this long after its last counted attempt.
    lock_seconds: int = 15 * 60
    # An address the right password came from stays the account's own this long (renewed
    # on every sign-in): the account-wide ceiling never locks it.
    known_address_seconds: int = 30 * 24 * 3600


LIMITS = LockoutLimits()


class SignInLocked(Exception):
    """Too many attempts; `retry_after` seconds until the lock lifts on its own."""

    def __init__(self, retry_after: int) -> None:
        minutes = -(-retry_after // 60)
        super().__init__(f"Too many wrong passwords for this account: try again in {minutes} "
                         f"minute{'s' if minutes != 1 else ''}, or ask an admin to unlock it.")
        self.retry_after = retry_after


class SignInLockout:
    def __init__(self, redis: aioredis.Redis, limits: LockoutLimits = LIMITS) -> None:
        self.redis = redis
        self.limits = limits
        self.scripts = Scripts(redis)

    async def attempt(self, agent_id: str, address: str) -> None:
        """Counts an attempt before its password is checked; raises SignInLocked instead when
        the account is locked for this address."""
        retry_after = int(await self.scripts.run(
            "agent_sign_in_attempt", keys.sign_in_attempts(agent_id, address),
            keys.account_sign_in_attempts(agent_id), keys.sign_in_attempt_keys(agent_id),
            self.limits.per_address, self.limits.per_account, self.limits.lock_seconds,
            keys.sign_in_known_addresses(agent_id), address))
        if retry_after > 0:
            raise SignInLocked(retry_after)

    async def passed(self, agent_id: str, address: str) -> None:
        """The right password: this address's count is cleared."""
        await self.scripts.run("agent_sign_in_passed", keys.sign_in_attempts(agent_id, address),
                               keys.account_sign_in_attempts(agent_id),
                               keys.sign_in_known_addresses(agent_id), address,
                               self.limits.known_address_seconds)

    async def unlock(self, agent_id: str) -> None:
        """Clears every count of the account, from every address (an admin's unlock)."""
        await self.scripts.run("agent_unlock", keys.account_sign_in_attempts(agent_id),
                               keys.sign_in_attempt_keys(agent_id))

    async def is_locked(self, agent_id: str) -> bool:
        """Locked for everyone, or for at least one address."""
        per_address = sorted(text(counter) for counter in
                             await self.redis.smembers(keys.sign_in_attempt_keys(agent_id)))
        account, *counts = await self.redis.mget(
            [keys.account_sign_in_attempts(agent_id), *per_address])
        return int(account or 0) >= self.limits.per_account or any(
            int(count or 0) >= self.limits.per_address for count in counts)
