"""`make run`'s program: it starts everything, prints one URL, and Ctrl-C stops every process."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from stack.redis_server import free_port
from stack.settings import PROJECT_ROOT

STARTUP_SECONDS = 300


def port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_run_starts_everything_and_ctrl_c_stops_it_all(tmp_path: Path) -> None:
    ports = {name: free_port() for name in
             ("RASA_PORT", "ACTIONS_PORT", "WEB_PORT", "EMBEDDED_REDIS_PORT")}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()},
           "DATA_DIR": str(tmp_path), "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("REDIS_URL", None)
    # Started with SIGINT ignored, as a shell does for `make run &`: Ctrl-C must still work.
    run = subprocess.Popen([sys.executable, "-m", "stack.run"], cwd=PROJECT_ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert run.stdout is not None
    seen = []
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while time.monotonic() < deadline:
            line = run.stdout.readline()
            seen.append(line)
            if "Open the chat:" in line or run.poll() is not None:
                break
        output = "".join(seen)
        assert f"Open the chat: http://localhost:{ports['WEB_PORT']}/" in output, output
        assert "embedded, data in" in output
        page = requests.get(f"http://127.0.0.1:{ports['WEB_PORT']}/", timeout=10)
        assert 'id="composer"' in page.text
        assert all(port_is_open(port) for port in ports.values())
    finally:
        run.send_signal(signal.SIGINT)
        rest, _ = run.communicate(timeout=60)
    assert run.returncode == 0
    assert "all stopped" in rest
    time.sleep(0.5)
    still_open = [name for name, port in ports.items() if port_is_open(port)]
    assert still_open == [], f"still listening after Ctrl-C: {still_open}"
    assert (tmp_path / "redis" / "appendonly.aof").exists()  # Redis kept its data on disk
