"""`python -m router.settings_cli`: show and change the router's live settings.

  show                 the settings in effect, marking the ones changed from the defaults
  set NAME VALUE       change one (NAME may be weights.SIGNAL; VALUE is YAML: 0.7, [a, b])
  reset [NAME]         back to the default (all of them without NAME)

Changes are validated first ("handoff_threshold must be between 0 and 1, got 1.7") and take
effect on the next customer turn in every running process. REDIS_URL says which Redis.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Dict, List, Optional

import redis
import yaml

from router.live_settings import merged, read_overrides, write_overrides
from router.scoring.settings import SettingsError

DEFAULT_REDIS_URL = "redis://127.0.0.1:6390/0"


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
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m router.settings_cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("show")
    setter = commands.add_parser("set")
    setter.add_argument("name")
    setter.add_argument("value")
    resetter = commands.add_parser("reset")
    resetter.add_argument("name", nargs="?")
    args = parser.parse_args(argv)
    client = redis.Redis.from_url(os.environ.get("REDIS_URL", DEFAULT_REDIS_URL))
    try:
        overrides = read_overrides(client)
        if args.command == "set":
            overrides = _set(overrides, args.name, args.value)
        elif args.command == "reset":
            overrides = _reset(overrides, args.name)
        if args.command != "show":
            write_overrides(client, overrides)
        print(_show(overrides))
        return 0
    except SettingsError as error:
        print(f"error: {error}. Nothing was changed.", file=sys.stderr)
        return 2
    except redis.RedisError as error:
        print(f"error: cannot reach Redis at {os.environ.get('REDIS_URL', DEFAULT_REDIS_URL)} "
              f"({error}); start it with `make run` or set REDIS_URL.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
