"""`python -m stack.rasa_server run ...`: `rasa run`, with its API token from the environment.

Rasa takes its token only as `--auth-token`, and a command line is readable by every user of
the machine (`ps`). So we add the option to this process's own argument list, which stays
private, and run Rasa's command-line program in this same process.
"""

from __future__ import annotations

import os
import sys
from typing import List, Mapping

TOKEN_ENV = "RASA_TOKEN"


class TokenMissing(RuntimeError):
    """Rasa's HTTP API would be open to anyone: the message says what to set."""


def rasa_arguments(args: List[str], env: Mapping[str, str]) -> List[str]:
    """Rasa's arguments: ours, and the token from the environment."""
    token = env.get(TOKEN_ENV, "").strip()
    if not token:
        raise TokenMissing(
            f"{TOKEN_ENV} is not set: Rasa's HTTP API would take anyone's commands. Set it "
            "(`make run` does, from var/rasa_token) and call the API with ?token=<it>."
        )
    if any(arg in ("-t", "--auth-token") or arg.startswith("--auth-token=") for arg in args):
        raise TokenMissing(
            f"Do not pass --auth-token: the command line is visible to every user. Set "
            f"{TOKEN_ENV} instead."
        )
    return [*args, "--auth-token", token]


def main() -> None:
    try:
        arguments = rasa_arguments(sys.argv[1:], os.environ)
    except TokenMissing as error:
        sys.exit(f"The Rasa server did not start. {error}")
    from rasa.__main__ import main as rasa_main  # imported late: TensorFlow takes seconds

    sys.argv = ["rasa", *arguments]
    rasa_main()


if __name__ == "__main__":
    main()
