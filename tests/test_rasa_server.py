"""The Rasa launcher takes the API token from the environment, never from its command line."""

import subprocess

import pytest

from stack.processes import base_env, python_module
from stack.rasa_server import TOKEN_ENV, TokenMissing, rasa_arguments
from stack.settings import PROJECT_ROOT


def test_the_token_is_added_inside_the_process() -> None:
    arguments = rasa_arguments(["run", "--enable-api"], {TOKEN_ENV: "the-token"})
    assert arguments == ["run", "--enable-api", "--auth-token", "the-token"]


@pytest.mark.parametrize("env", [{}, {TOKEN_ENV: ""}, {TOKEN_ENV: "  "}])
def test_without_a_token_rasa_is_not_started(env: dict) -> None:
    with pytest.raises(TokenMissing, match=f"{TOKEN_ENV} is not set"):
        rasa_arguments(["run", "--enable-api"], env)


@pytest.mark.parametrize("given", [["--auth-token", "x"], ["-t", "x"], ["--auth-token=x"]])
def test_a_token_on_the_command_line_is_refused(given: list) -> None:
    with pytest.raises(TokenMissing, match="Do not pass --auth-token"):
        rasa_arguments(["run", *given], {TOKEN_ENV: "the-token"})


def test_the_launcher_says_what_to_set() -> None:
    env = base_env({})
    env.pop(TOKEN_ENV, None)
    started = subprocess.run(python_module("stack.rasa_server", "run", "--enable-api"),
                             cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                             timeout=60)
    assert started.returncode != 0
    assert f"{TOKEN_ENV} is not set" in started.stderr
