"""Starting our servers as child processes, waiting until they answer, and stopping them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, TextIO

from stack.private_files import PRIVATE_UMASK, open_private_log
from stack.settings import PROJECT_ROOT


class ServiceDidNotStart(RuntimeError):
    """A server exited or never became healthy; the message points at its log."""


def base_env(extra: Dict[str, str]) -> Dict[str, str]:
    """The environment every child gets: our packages importable, no telemetry."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
    )
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"  # TensorFlow's start-up chatter hides our own messages
    env.update(extra)
    return env


def is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return 200 <= reply.status < 300
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Service:
    """One server: how to start it and how to tell it is ready."""

    name: str
    command: Sequence[str]
    health_url: str
    log_path: Path
    env: Dict[str, str] = field(default_factory=dict)
    # A line in the log that means the server will never become healthy (Rasa keeps running
    # without a model when loading it fails), so we stop waiting at once.
    fatal_log_line: Optional[str] = None
    process: Optional[subprocess.Popen] = None
    _log_start: int = 0

    def start(self) -> Service:
        # Logs are appended across runs; only what this run writes counts as its news.
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open_private_log(self.log_path)
        # Its own process group, so stopping it also stops anything it forked (Sanic workers).
        # Whatever it writes (databases, Redis's files, logs) is this user's alone.
        try:
            self.process = subprocess.Popen(
                list(self.command), cwd=PROJECT_ROOT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, umask=PRIVATE_UMASK,
            )
        finally:
            os.close(log)
        return self

    def wait_until_healthy(self, timeout: float, progress: Optional[TextIO] = None) -> float:
        """Seconds it took; prints a dot every few seconds so a long start is not silence."""
        started = time.monotonic()
        next_dot = started + 3
        while time.monotonic() - started < timeout:
            assert self.process is not None
            if self.process.poll() is not None:
                raise ServiceDidNotStart(
                    f"{self.name} exited with code {self.process.returncode}. "
                    f"Last lines of {self.log_path}:\n{tail(self.log_path)}"
                )
            if is_healthy(self.health_url):
                return time.monotonic() - started
            if self.fatal_log_line and self.fatal_log_line in self._new_log():
                raise ServiceDidNotStart(
                    f"{self.name} failed to start. Last lines of {self.log_path}:\n"
                    f"{tail(self.log_path)}"
                )
            if progress and time.monotonic() > next_dot:
                progress.write(".")
                progress.flush()
                next_dot += 3
            time.sleep(0.25)
        raise ServiceDidNotStart(
            f"{self.name} did not answer {self.health_url} within {timeout:.0f}s. "
            f"Last lines of {self.log_path}:\n{tail(self.log_path)}"
        )

    def _new_log(self) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(self._log_start)
            return log.read().decode(errors="replace")

    def stop(self, timeout: float = 15) -> None:
        stop_group(self.process, timeout)


def stop_group(process: Optional[subprocess.Popen], timeout: float) -> None:
    """Stop a child started in its own session, and everything it started: politely first,
    then for good after `timeout` seconds."""
    if not process or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log written)"


def python_module(module: str, *args: str) -> List[str]:
    """A command running a module with this interpreter (the project's virtual environment)."""
    return [sys.executable, "-m", module, *args]
