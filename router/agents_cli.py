"""`python -m router.agents_cli`: manage agent accounts from a shell (e.g. a forgotten admin
password), without the console.

  list                               every account, its role, teams, presence, and
                                     whether it is disabled or locked
  add ID NAME [--role admin] [--capacity 3] [--teams billing,orders]
  password ID                        set a new password
  unlock ID                          lift the account's sign-in locks (too many wrong
                                     passwords), from every address
  disable ID                         the account cannot sign in: its sessions end and its
                                     conversations go back to the front of the queue
  enable ID                          it can sign in again

Passwords are read from the terminal (not echoed), or from standard input when it is not a
terminal, so they never appear in the shell history. REDIS_URL says which Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from typing import List, Optional

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from router.agents.directory import AccountError, Agent, AgentDirectory
from router.agents.passwords import WeakPassword
from router.settings_cli import DEFAULT_REDIS_URL


def read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != first:
            raise AccountError("The two passwords differ; nothing was changed.")
        return first
    return sys.stdin.readline().rstrip("\n")


async def run(args: argparse.Namespace, redis_url: str) -> str:
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return await _command(args, AgentDirectory(redis))
    finally:
        await redis.close()


async def _command(args: argparse.Namespace, directory: AgentDirectory) -> str:
    if args.command == "list":
        lines = [await _listed(directory, agent) for agent in await directory.all()]
        return "\n".join(lines) or "No accounts yet."
    if args.command == "add":
        teams = [t.strip() for t in (args.teams or "").split(",") if t.strip()]
        agent = await directory.create(args.id, args.name, read_password(),
                                       role=args.role, capacity=args.capacity, teams=teams)
        return f"Created {agent.id} ({agent.role})."
    if args.command == "unlock":
        await directory.unlock(args.id)
        return f"{args.id} can try to sign in again, from anywhere."
    if args.command in ("disable", "enable"):
        await directory.update(args.id, disabled=args.command == "disable")
        return f"{args.id} is {args.command}d."
    await directory.update(args.id, password=read_password())
    return f"New password set for {args.id}."


async def _listed(directory: AgentDirectory, a: Agent) -> str:
    flags = ["disabled"] if a.disabled else []
    if await directory.lockout.is_locked(a.id):
        flags.append("locked")
    return (f"{a.id:16s} {a.name:24s} {a.role:6s} capacity {a.capacity}  "
            f"teams {','.join(a.teams) or '-'}  {a.presence}  {' '.join(flags)}").rstrip()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Manage agent accounts.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list")
    add = commands.add_parser("add")
    add.add_argument("id")
    add.add_argument("name")
    add.add_argument("--role", default="agent", choices=["agent", "admin"])
    add.add_argument("--capacity", type=int, default=3)
    add.add_argument("--teams", default="")
    for command in ("password", "unlock", "disable", "enable"):
        commands.add_parser(command).add_argument("id")
    args = parser.parse_args(argv)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    try:
        print(asyncio.run(run(args, redis_url)))
    except (AccountError, WeakPassword) as error:
        print(error, file=sys.stderr)
        return 2
    except LookupError:
        print(f"No agent has the id '{args.id}'.", file=sys.stderr)
        return 2
    except (RedisError, OSError) as error:
        print(f"Cannot reach Redis at {redis_url} ({error}). Is `make run` running, or is "
              "REDIS_URL right?", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
