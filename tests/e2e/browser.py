"""A real headless Chromium, driven over the DevTools protocol with websocket-client: no
browser downloads, no extra test framework."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from typing import Any, Callable, Iterator, Optional

import requests
import websocket

from stack.redis_server import free_port

CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    # This machine has no internet: without these Chromium keeps trying to reach Google.
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Chromium is not installed: `make test` installs Debian's `chromium`"
                           " (or run `apt-get install chromium`).")
    return path


class Browser:
    def __init__(self) -> None:
        self.port = free_port()
        self.profile = tempfile.TemporaryDirectory()
        self.process = subprocess.Popen(
            [chromium_path(), *CHROMIUM_FLAGS, f"--user-data-dir={self.profile.name}",
             f"--remote-debugging-port={self.port}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # Debian's `chromium` is a wrapper script: its own process group lets close()
            # stop the browser and every helper process it starts.
            start_new_session=True)
        self.socket = websocket.create_connection(self._page_socket_url(), timeout=30,
                                                  suppress_origin=True)
        self._ids = itertools.count(1)

    def _page_socket_url(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                targets = requests.get(f"http://127.0.0.1:{self.port}/json/list", timeout=2).json()
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("Chromium's DevTools endpoint did not come up within 30 s")

    def command(self, method: str, **params: Any) -> dict:
        message_id = next(self._ids)
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.socket.recv())
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method} failed: {reply['error']}")
                return reply.get("result", {})

    def open(self, url: str) -> None:
        self.command("Page.navigate", url=url)

    def js(self, expression: str) -> Any:
        result = self.command("Runtime.evaluate", expression=expression, returnByValue=True,
                              awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 20,
                 check: Optional[Callable[[Any], bool]] = None) -> Any:
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            try:
                value = self.js(expression)
            except RuntimeError:
                value = None
            if (check(value) if check else bool(value)):
                return value
            time.sleep(0.1)
        raise AssertionError(f"waited {timeout}s for {expression!r}; last value {value!r}")

    def before_page_scripts(self, source: str) -> None:
        """Runs `source` in every page this tab opens from now on, before the page's own
        scripts: how a test puts a fault (a failing request, a lost frame) in the network."""
        self.command("Page.enable")  # without it Chromium does not run the script
        self.command("Page.addScriptToEvaluateOnNewDocument", source=source)

    def set_viewport(self, width: int, height: int) -> None:
        """Makes the tab a phone-sized screen (CSS pixels, touch-style viewport)."""
        self.command("Emulation.setDeviceMetricsOverride", width=width, height=height,
                     deviceScaleFactor=1, mobile=True)

    def click(self, selector: str) -> None:
        """Clicks the middle of the element as a person's mouse would (it must be visible
        and not covered: the click lands on whatever is on top there)."""
        box = self.wait_for(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return r.width && r.height ? [r.x + r.width / 2, r.y + r.height / 2] : null; })()")
        for event in ("mousePressed", "mouseReleased"):
            self.command("Input.dispatchMouseEvent", type=event, x=box[0], y=box[1],
                         button="left", clickCount=1)

    def type_text(self, selector: str, text: str) -> None:
        """Clicks into a field and types `text` into it, as the keyboard would."""
        self.click(selector)
        self.command("Input.insertText", text=text)

    def press_enter(self) -> None:
        for event in ("keyDown", "keyUp"):
            self.command("Input.dispatchKeyEvent", type=event, key="Enter", code="Enter",
                         windowsVirtualKeyCode=13, text="\r" if event == "keyDown" else "")

    def close(self) -> None:
        self.socket.close()
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.profile.cleanup()


def running_browser() -> Iterator[Browser]:
    """A browser for a fixture: started, yielded, always closed."""
    made = Browser()
    try:
        yield made
    finally:
        made.close()
