"""Sign-in sessions: a random token held by the browser (cookie) or a script (Bearer header);
Redis keeps only its SHA-256, with an expiry renewed on use."""

from __future__ import annotations

import hashlib
import secrets
from typing import Optional

from redis import asyncio as aioredis

from router import keys
from router.redis_values import text


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, redis: aioredis.Redis, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds

    async def start(self, agent_id: str) -> str:
        token = secrets.token_urlsafe(32)
        async with self.redis.pipeline(transaction=True) as tx:
            tx.set(keys.session(_digest(token)), agent_id, ex=self.ttl_seconds)
            # Remembered per agent, so a new password can end them all (the set outlives
            # the sessions a little; ending an already expired one is harmless).
            tx.sadd(keys.agent_sessions(agent_id), _digest(token))
            tx.expire(keys.agent_sessions(agent_id), self.ttl_seconds)
            await tx.execute()
        return token

    async def agent_for(self, token: str) -> Optional[str]:
        """The agent a valid token belongs to; using it keeps the session alive."""
        if not token or len(token) > 200:
            return None
        key = keys.session(_digest(token))
        async with self.redis.pipeline(transaction=True) as tx:
            tx.get(key)
            tx.expire(key, self.ttl_seconds)
            agent_id, _ = await tx.execute()
        return None if agent_id is None else text(agent_id)

    async def end(self, token: str) -> None:
        agent_id = await self.redis.get(keys.session(_digest(token)))
        async with self.redis.pipeline(transaction=True) as tx:
            tx.delete(keys.session(_digest(token)))
            if agent_id is not None:
                tx.srem(keys.agent_sessions(text(agent_id)), _digest(token))
            await tx.execute()
