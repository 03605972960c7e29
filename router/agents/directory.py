"""Agent accounts in Redis: who they are, their role, capacity and teams, presence, whether
they may sign in, and signing in."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from redis import asyncio as aioredis

from router import keys
from router.agents.lockout import SignInLockout
from router.agents.passwords import check_strength, hash_password, verify_password
from router.handoff.queue import HandoffQueue
from router.handoff.scripts import Scripts
from router.redis_values import text, text_map

ROLES = ("agent", "admin")
PRESENCES = ("online", "away", "offline")
AGENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MAX_CAPACITY = 20


class AccountError(ValueError):
    """Bad account data, said so a person can fix it."""


class WrongPassword(Exception):
    """The agent id and password do not match (which of the two is wrong is not said)."""


class AccountDisabled(Exception):
    """The right password for an account an admin has disabled."""


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    role: str
    capacity: int
    teams: List[str] = field(default_factory=list)
    presence: str = "offline"
    last_seen: Optional[float] = None
    disabled: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def public(self) -> Dict[str, Any]:
        """Everything but the password hash."""
        return {"id": self.id, "name": self.name, "role": self.role, "capacity": self.capacity,
                "teams": self.teams, "presence": self.presence, "last_seen": self.last_seen,
                "disabled": self.disabled}


def validate(agent_id: str, name: str, role: str, capacity: int, teams: Sequence[str]) -> None:
    if not AGENT_ID.match(agent_id):
        raise AccountError("An agent id is 2-32 lowercase letters, digits, '.', '_' or '-', "
                           "starting with a letter or digit.")
    if not name.strip() or len(name) > 60:
        raise AccountError("A display name is 1-60 characters: customers see it.")
    if role not in ROLES:
        raise AccountError(f"The role must be one of {', '.join(ROLES)}.")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise AccountError(f"Capacity is the number of conversations at once: 1-{MAX_CAPACITY}.")
    if any(not isinstance(team, str) or not team.strip() or len(team) > 40 for team in teams):
        raise AccountError("Teams are a list of names of 1-40 characters.")


class AgentDirectory:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self.scripts = Scripts(redis)
        self.lockout = SignInLockout(redis)

    async def create(self, agent_id: str, name: str, password: str, role: str = "agent",
                     capacity: int = 3, teams: Sequence[str] = ()) -> Agent:
        teams = _unique(teams)
        validate(agent_id, name, role, capacity, teams)
        await asyncio.to_thread(check_strength, password, (agent_id, name))
        password_hash = await asyncio.to_thread(hash_password, password)
        fields: Dict[str, Any] = {"name": name.strip(), "role": role, "capacity": capacity,
                                  "teams": json.dumps(teams), "presence": "offline",
                                  "password_hash": password_hash, "created_at": time.time()}
        # One script: two admins creating the same id cannot both win, and a crash leaves
        # either the whole account or none.
        if not await self.scripts.run("agent_create", agent_id, json.dumps(fields)):
            raise AccountError(f"An agent with id '{agent_id}' exists already.")
        return Agent(agent_id, fields["name"], role, capacity, teams)

    async def update(self, agent_id: str, *, name: Optional[str] = None,
                     role: Optional[str] = None, capacity: Optional[int] = None,
                     teams: Optional[Sequence[str]] = None,
                     password: Optional[str] = None, disabled: Optional[bool] = None) -> Agent:
        """Changes only the given fields (two admins editing different fields do not undo
        each other). A new password signs the agent out everywhere; so does disabling the
        account, which also puts its conversations back at the front of the queue."""
        current = await self.get(agent_id)
        if current is None:
            raise LookupError(agent_id)
        teams = None if teams is None else _unique(teams)
        validate(agent_id, current.name if name is None else name, role or current.role,
                 current.capacity if capacity is None else capacity,
                 current.teams if teams is None else teams)
        fields: Dict[str, Any] = {}
        if name is not None:
            fields["name"] = name.strip()
        if role is not None:
            fields["role"] = role
        if capacity is not None:
            fields["capacity"] = capacity
        if teams is not None:
            fields["teams"] = json.dumps(teams)
        if password is not None:
            await asyncio.to_thread(check_strength, password,
                                    (agent_id, current.name if name is None else name))
            fields["password_hash"] = await asyncio.to_thread(hash_password, password)
        if disabled is not None:
            fields["disabled"] = "1" if disabled else "0"
        ends_sessions = password is not None or disabled is True
        outcome = text(await self.scripts.run("agent_update", agent_id, json.dumps(fields),
                                               "1" if ends_sessions else "0"))
        if outcome == "unknown":
            raise LookupError(agent_id)
        if outcome == "last_admin":
            raise AccountError("This is the last admin who can sign in: make someone else "
                               "an admin first.")
        if disabled:
            # After the sessions ended, so the agent cannot take a conversation meanwhile.
            await HandoffQueue(self.redis).agent_gone(agent_id, time.time())
        return await self.get(agent_id) or current

    async def get(self, agent_id: str) -> Optional[Agent]:
        raw = await self.redis.hgetall(keys.agent(agent_id))
        return _agent(agent_id, raw) if raw and "role" in text_map(raw) else None

    async def all(self) -> List[Agent]:
        ids = sorted(text(i) for i in await self.redis.smembers(keys.AGENT_IDS))
        agents = [await self.get(agent_id) for agent_id in ids]
        return [a for a in agents if a is not None]

    async def count(self) -> int:
        return int(await self.redis.scard(keys.AGENT_IDS))

    async def sign_in(self, agent_id: str, password: str, address: str) -> Agent:
        """The account, if the password is right, the account is enabled and not locked for
        this client address. Raises SignInLocked, WrongPassword or AccountDisabled."""
        if not AGENT_ID.match(agent_id):
            # No account has such an id; hash anyway, so it takes as long as any other.
            await asyncio.to_thread(hash_password, password)
            raise WrongPassword(agent_id)
        await self.lockout.attempt(agent_id, address)
        agent = await self.authenticate(agent_id, password)
        if agent is None:
            raise WrongPassword(agent_id)
        await self.lockout.passed(agent_id, address)
        if agent.disabled:
            raise AccountDisabled(agent_id)
        return agent

    async def authenticate(self, agent_id: str, password: str) -> Optional[Agent]:
        """The account if the password is right (no lockout: use sign_in for people)."""
        stored = await self.redis.hget(keys.agent(agent_id), "password_hash")
        if stored is None:
            # Hash anyway, so a wrong id takes as long as a wrong password.
            await asyncio.to_thread(hash_password, password)
            return None
        if not await asyncio.to_thread(verify_password, password, text(stored)):
            return None
        return await self.get(agent_id)

    async def unlock(self, agent_id: str) -> None:
        """Lifts every sign-in lock of the account (an admin's decision)."""
        if await self.get(agent_id) is None:
            raise LookupError(agent_id)
        await self.lockout.unlock(agent_id)

    async def conversations(self, agent_id: str) -> List[str]:
        return sorted(text(c) for c in await self.redis.smembers(
            keys.agent_conversations(agent_id)))

    async def heartbeat(self, agent_id: str, now: float, presence: str = "") -> str:
        """Seen now; optionally with a new presence (online or away)."""
        return text(await self.scripts.run("presence", agent_id, now, presence))


def _unique(teams: Sequence[str]) -> List[str]:
    return list(dict.fromkeys(team.strip() for team in teams))


def _agent(agent_id: str, raw: Dict[Any, Any]) -> Agent:
    fields = text_map(raw)
    last_seen = fields.get("last_seen")
    return Agent(agent_id, fields.get("name", agent_id), fields["role"],
                 int(fields.get("capacity", "1")), json.loads(fields.get("teams", "[]")),
                 fields.get("presence", "offline"), float(last_seen) if last_seen else None,
                 fields.get("disabled") == "1")
