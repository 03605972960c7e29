"""`make run`'s program: it starts everything, prints one URL, and Ctrl-C stops every process."""

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import requests

from stack.redis_server import free_port
from stack.settings import PROJECT_ROOT
from tests.listening import LOOPBACK, listening_addresses

STARTUP_SECONDS = 300


def port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def descendants(pid: int) -> List[int]:
    """Every process started by `pid`, and by those, and so on (servers run in own sessions)."""
    parents: Dict[int, int] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name, in parentheses, may hold spaces: the parent id follows it.
            parents[int(stat_file.parent.name)] = int(stat_file.read_text().rsplit(")", 1)[1]
                                                      .split()[1])
        except (OSError, IndexError, ValueError):
            continue  # it ended while we looked
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def check_private(data_dir: Path, run_pid: int, ports: Dict[str, int]) -> None:
    """Nothing `make run` started shows a secret to `ps`, listens beyond loopback, or writes
    a file another user could read."""
    secrets = [(data_dir / name).read_text().strip() for name in
               ("rasa_token", "action_server_secret", "redis/redis_password")]
    children = descendants(run_pid)
    assert len(children) >= 4, children  # Redis, action server, Rasa, web service
    for pid in [run_pid, *children]:
        shown = command_line(pid)
        assert not [s for s in secrets if s in shown], f"a secret in `ps`: {shown}"
        assert "--auth-token" not in shown
    assert {name: listening_addresses(port) for name, port in ports.items()} == \
        {name: {LOOPBACK} for name in ports}
    assert mode(data_dir) == 0o700
    files = [path for path in data_dir.rglob("*") if path.is_file()]
    assert {"shop.db", "actions.log", "rasa.log", "web.log", "appendonly.aof"} <= \
        {path.name for path in files}
    assert [str(path) for path in files if mode(path) & 0o077] == []


def test_run_starts_everything_and_ctrl_c_stops_it_all(tmp_path: Path) -> None:
    ports = {name: free_port() for name in
             ("RASA_PORT", "ACTIONS_PORT", "WEB_PORT", "EMBEDDED_REDIS_PORT",
              "EMBEDDED_MAIL_PORT")}
    # A data directory left open by an older run: `make run` closes it.
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    data_dir.chmod(0o755)
    env = {**os.environ, **{k: str(v) for k, v in ports.items()},
           "DATA_DIR": str(data_dir), "PYTHONPATH": str(PROJECT_ROOT)}
    for inherited in ("REDIS_URL", "BIND_HOST", "RASA_TOKEN", "ACTION_SERVER_SECRET",
                      "SMTP_URL"):
        env.pop(inherited, None)
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
        # No SMTP_URL: mail goes to the embedded sink, which admins read at /mail.
        assert "mail: kept in" in output
        assert requests.get(f"http://127.0.0.1:{ports['WEB_PORT']}/mail", timeout=10).ok
        assert all(port_is_open(port) for port in ports.values())
        check_private(data_dir, run.pid, ports)
    finally:
        run.send_signal(signal.SIGINT)
        rest, _ = run.communicate(timeout=60)
    assert run.returncode == 0
    assert "all stopped" in rest
    time.sleep(0.5)
    still_open = [name for name, port in ports.items() if port_is_open(port)]
    assert still_open == [], f"still listening after Ctrl-C: {still_open}"
    assert (data_dir / "redis" / "appendonly.aof").exists()  # Redis kept its data on disk
