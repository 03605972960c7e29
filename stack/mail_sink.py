"""An embedded mail sink for machines with no mail server: an SMTP server on loopback that
delivers nothing and keeps every mail it receives as a `.eml` file (readable by this user
alone), so what customers would get can be read on the admins' /mail page.

`make run` starts it as a child process (like the embedded Redis) when SMTP_URL is not set:
    python -m stack.mail_sink --port 2525 --dir var/mail
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Dict, List, Optional

from aiosmtpd.smtp import SMTP, Envelope, Session

from stack.private_files import PRIVATE_FILE_MODE, PRIVATE_UMASK, make_private_dir, open_private_log
from stack.processes import python_module, stop_group

LOG_FILE = "mail_sink.log"
SUFFIX = ".eml"
# No mail we send is near this; a bigger one is refused rather than fill the disk.
MAX_MAIL_BYTES = 1024 * 1024


class MailSinkDidNotStart(RuntimeError):
    """The sink exited or never greeted on its port."""


class KeepEveryMail:
    """aiosmtpd handler: each mail becomes one private file, named by when it came."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        await asyncio.to_thread(self._keep, content)
        return "250 Kept (this sink delivers nothing)"

    def _keep(self, content: bytes) -> None:
        name = f"{time.time_ns()}-{secrets.token_hex(4)}{SUFFIX}"
        fd = os.open(self.directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                     PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as file:
            file.write(content)


async def serve(directory: Path, host: str, port: int, name: str) -> None:
    """Until SIGTERM or SIGINT; `name` is the host name its greeting gives."""
    make_private_dir(directory)
    handler = KeepEveryMail(directory)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, data_size_limit=MAX_MAIL_BYTES, hostname=name),
        host, port)
    stop = asyncio.Event()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, stop.set)
    print(f"mail sink on {host}:{port}, keeping mail in {directory}", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


# --- Reading what it kept (the web service's /mail page) ----------------------------------

def kept_mails(directory: Path, limit: int) -> List[Dict[str, Any]]:
    """The newest `limit` mails in `directory`, newest first (blocking: run it in a thread)."""
    files = sorted(directory.glob(f"*{SUFFIX}"), reverse=True)[:limit]
    return [_described(path) for path in files]


def count_kept(directory: Path) -> int:
    return sum(1 for _ in directory.glob(f"*{SUFFIX}"))


def _described(path: Path) -> Dict[str, Any]:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(("plain",)) if isinstance(message, EmailMessage) else None
    return {"file": path.name, "received_at": int(path.name.split("-")[0]) / 1e9,
            "from": str(message.get("From", "")), "to": str(message.get("To", "")),
            "subject": str(message.get("Subject", "")),
            "text": body.get_content().replace("\r\n", "\n") if body is not None else ""}


# --- Running it as a child process ---------------------------------------------------------

def _greets(port: int, name: str) -> bool:
    """True once our sink (greeting with `name`, not another server on the port) answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            return conn.recv(256).startswith(f"220 {name} ".encode())
    except OSError:
        return False


@dataclass
class EmbeddedMailSink:
    """The sink as a child process. Use `start()`, then `url`, then `stop()`."""

    directory: Path
    port: int
    process: Optional[subprocess.Popen] = None
    # The host name in its greeting: tells our sink from another server on the same port.
    name: str = field(default_factory=lambda: f"mail-sink-{secrets.token_hex(6)}")

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> EmbeddedMailSink:
        make_private_dir(self.directory)
        log = open_private_log(self.directory / LOG_FILE)
        try:
            self.process = subprocess.Popen(
                python_module("stack.mail_sink", "--port", str(self.port),
                              "--dir", str(self.directory.resolve()), "--name", self.name),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                umask=PRIVATE_UMASK)
        finally:
            os.close(log)
        self._wait_until_ready(timeout)
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise MailSinkDidNotStart(
                    f"the mail sink exited with code {self.process.returncode}; see "
                    f"{self.directory / LOG_FILE} (is port {self.port} taken?).")
            if _greets(self.port, self.name):
                return
            time.sleep(0.05)
        self.stop()
        raise MailSinkDidNotStart(f"the mail sink did not answer on port {self.port} in "
                                  f"{timeout}s.")

    def stop(self) -> None:
        stop_group(self.process, timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True, help="where mails are kept")
    parser.add_argument("--host", default="127.0.0.1", help="loopback unless you mean it")
    parser.add_argument("--name", default="mail-sink", help="the host name it greets with")
    args = parser.parse_args()
    os.umask(PRIVATE_UMASK)
    asyncio.run(serve(args.dir, args.host, args.port, args.name))


if __name__ == "__main__":
    main()
