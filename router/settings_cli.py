"""`python -m router.settings_cli`: show and change the router's live settings.

  show                 the settings in effect, marking the ones changed from the defaults;
                       then when people can take over (service.*) and each channel's own
                       overrides (channels.<channel>.*)
  set NAME VALUE       change one (NAME may be weights.SIGNAL; VALUE is YAML: 0.7, [a, b])
  reset [NAME]         back to the default (all of them without NAME)
  history [--limit N]  the versions, newest first: who, when, the comment and what changed
  restore N            a new version with the settings of version N (0: the defaults)

`set` and `reset` take `--comment "why"`. Every change is a new version, made by
`cli:<your user name>` (router/settings_versions.py), the same history admins see in the
console, saved on the version it was made from: if someone saves in between (say in the
console), the change is made once more on what they saved, and refused if it happens again,
so their change is never silently undone. Changes are validated first ("handoff_threshold
must be between 0 and 1, got 1.7") and take effect on the next customer turn in every running
process. `service` and `channels` are set as a whole value, e.g.
`set channels '{socketio: {handoff_threshold: 0.45}}'`. REDIS_URL says which Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from datetime import datetime
from typing import Any, Dict, List, Optional

import yaml
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from router import service_settings
from router.channel_settings import CHANNELS
from router.live_settings import merged
from router.scoring.settings import SettingsError
from router.service_settings import SERVICE, ServiceSettings
from router.settings_versions import SettingsVersions, UnknownVersion, Version, VersionConflict

DEFAULT_REDIS_URL = "redis://127.0.0.1:6390/0"
HISTORY_SHOWN = 20
# A change made on what someone else just saved is tried once more on their version; twice
# in a row means someone is changing the settings right now, and a person should look.
CHANGE_ATTEMPTS = 2


def _set(overrides: Dict[str, Any], name: str, raw: str) -> Dict[str, Any]:
    value = yaml.safe_load(raw)
    changed = dict(overrides)
    if name.startswith("weights."):
        changed["weights"] = {**changed.get("weights", {}), name.split(".", 1)[1]: value}
    else:
        changed[name] = value
    return changed


def _reset(overrides: Dict[str, Any], name: Optional[str]) -> Dict[str, Any]:
    if name is None:
        return {}
    changed = dict(overrides)
    if name.startswith("weights."):
        weights = dict(changed.get("weights", {}))
        weights.pop(name.split(".", 1)[1], None)
        changed["weights"] = weights
    else:
        changed.pop(name, None)
    return changed


def _show(overrides: Dict[str, Any]) -> str:
    effective = merged(overrides).as_dict()
    lines = []
    for name, value in effective.items():
        if name == "weights":
            for signal, weight in value.items():
                mark = " (changed)" if signal in overrides.get("weights", {}) else ""
                lines.append(f"weights.{signal}: {weight}{mark}")
        else:
            mark = " (changed)" if name in overrides else ""
            lines.append(f"{name}: {json.dumps(value)}{mark}")
    return "\n".join([*lines, *_service_lines(overrides), *_channel_lines(overrides)])


def _service_lines(overrides: Dict[str, Any]) -> List[str]:
    """When people can take over, in effect (this process's environment for what is not
    stored)."""
    stored = overrides.get(SERVICE) or {}
    errors = service_settings.field_errors(stored)
    if errors:
        return [f"{SERVICE}: stored but not valid ({'; '.join(errors.values())})"]
    in_effect = service_settings.with_overrides(ServiceSettings.from_env(), stored).written()
    return [f"{SERVICE}.{name}: {json.dumps(value)}{' (changed)' if name in stored else ''}"
            for name, value in in_effect.items()]


def _channel_lines(overrides: Dict[str, Any]) -> List[str]:
    """Each channel's own overrides (a channel without any uses the general settings)."""
    channels = overrides.get(CHANNELS)
    if not isinstance(channels, dict) or not channels:
        return [f"{CHANNELS}: none (every channel uses the settings above)"]
    lines = []
    for channel, own in sorted(channels.items()):
        for name, value in sorted((own or {}).items()):
            if name == "weights" and isinstance(value, dict):
                lines += [f"{CHANNELS}.{channel}.weights.{signal}: {json.dumps(weight)}"
                          for signal, weight in sorted(value.items())]
            else:
                lines.append(f"{CHANNELS}.{channel}.{name}: {json.dumps(value)}")
    return lines


def _described(version: Version) -> str:
    parts = [f"version {version.number}"]
    if version.number:  # the defaults were never saved by anyone
        parts += [datetime.fromtimestamp(version.at).strftime("%Y-%m-%d %H:%M"), version.who]
    parts.append(version.comment)
    changes = [f"    {c['field']}: {json.dumps(c['before'])} -> {json.dumps(c['after'])}"
               for c in version.changes]
    return "\n".join(["  ".join(p for p in parts if p), *changes])


def _positive(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"a whole number from 1, got {raw!r}")
    return int(raw)


def _who() -> str:
    return f"cli:{getpass.getuser()}"


async def _command(args: argparse.Namespace, versions: SettingsVersions) -> str:
    if args.command == "history":
        total, shown = await versions.page(0, args.limit)
        more = total - len(shown)
        return "\n".join([*(_described(v) for v in shown),
                          *([f"({more} older not shown: --limit {total})"] if more else [])])
    if args.command == "restore":
        version = await versions.restore(args.number, _who())
        return f"{_described(version)}\n\n{_show(version.overrides)}"
    if args.command == "show":
        return _show(await versions.overrides())
    version = await _change(args, versions)
    return f"{_described(version)}\n\n{_show(version.overrides)}"


async def _change(args: argparse.Namespace, versions: SettingsVersions) -> Version:
    """`set` or `reset` on the settings as read, saved on the version read."""
    for attempt in range(1, CHANGE_ATTEMPTS + 1):
        # The version first: a save between the two reads then shows as a conflict.
        base_version = await versions.latest()
        overrides = await versions.overrides()
        if args.command == "set":
            changed = _set(overrides, args.name, args.value)
        else:
            changed = _reset(overrides, args.name)
        # Every service field once any is set, as the console stores them.
        changed = service_settings.whole(changed, ServiceSettings.from_env())
        try:
            return await versions.save(changed, _who(), args.comment or "", base_version)
        except VersionConflict:
            if attempt == CHANGE_ATTEMPTS:
                break
    raise VersionConflict("The settings were changed by someone else twice while this change "
                          "was being made; nothing was saved. Run `show` to see them now, "
                          "then make your change again.")


async def run(args: argparse.Namespace, redis_url: str) -> str:
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return await _command(args, SettingsVersions(redis))
    finally:
        await redis.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m router.settings_cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("show")
    setter = commands.add_parser("set")
    setter.add_argument("name")
    setter.add_argument("value")
    setter.add_argument("--comment", help="why (kept in the history)")
    resetter = commands.add_parser("reset")
    resetter.add_argument("name", nargs="?")
    resetter.add_argument("--comment", help="why (kept in the history)")
    history = commands.add_parser("history")
    history.add_argument("--limit", type=_positive, default=HISTORY_SHOWN)
    restorer = commands.add_parser("restore")
    restorer.add_argument("number", type=int, help="the version to go back to (0: defaults)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    try:
        print(asyncio.run(run(args, redis_url)))
        return 0
    except SettingsError as error:
        print(f"error: {error}. Nothing was changed.", file=sys.stderr)
        return 2
    except (UnknownVersion, VersionConflict) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (RedisError, OSError) as error:
        print(f"error: cannot reach Redis at {redis_url} ({error}); start it with `make run` "
              f"or set REDIS_URL.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
