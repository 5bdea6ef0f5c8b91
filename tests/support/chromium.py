"""Headless Chromium (Debian's `chromium` package) for tests: screenshots, PDFs, and the list
of every network request a page makes, read from the DevTools protocol.

Counting connections at a fake resolver does not work: even with every "background" switch
off, Chromium itself calls clients2.google.com, update.googleapis.com and
accounts.google.com at start-up (measured with Chromium 156 on Debian 12). The DevTools
protocol's `Network.requestWillBeSent` events, by contrast, belong to one page only, and
they fire for a request even when its host name does not resolve, so every host is mapped
to NOTFOUND and nothing at all leaves the machine.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
INSTALL = "apt-get install -y chromium"
# Every host name fails to resolve: no test ever reaches the network.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND"


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing; the export's browser checks need Debian's chromium:\n"
            f"  {INSTALL}\n(.ci/run installs it when missing)",
            pytrace=False,
        )


def flags(profile: Path) -> list[str]:
    """The switches for a quiet headless run with a fresh profile folder."""
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        OFFLINE,
        f"--user-data-dir={profile}",
    ]


def run(profile: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """Run Chromium once with the quiet switches and ``args``; return the finished process."""
    require_chromium()
    return subprocess.run(
        [CHROMIUM, *flags(profile), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class DevTools:
    """One Chromium driven over ``--remote-debugging-pipe`` (fd 3 in, fd 4 out, NUL-framed
    JSON), so no debugging port is opened."""

    def __init__(self, profile: Path) -> None:
        require_chromium()
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def onto_fds_3_and_4() -> None:
            # Lift both ends above 4 first, so that neither dup2 overwrites the other;
            # dup2 leaves the copies inheritable.
            reading = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            writing = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, *flags(profile), "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,  # Python's own descriptors are close-on-exec (PEP 446)
            preexec_fn=onto_fds_3_and_4,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _send(self, method: str, params: dict[str, Any], session: str | None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _read(self, deadline: float) -> dict[str, Any] | None:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        frame, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(frame)
        return parsed

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """Send a command and return its result; keep the events that arrive meanwhile."""
        wanted = self._send(method, params or {}, session)
        deadline = time.monotonic() + 30
        while (message := self._read(deadline)) is not None:
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)
        raise TimeoutError(f"no answer to {method}")

    def wait_for(self, method: str, name: str | None = None, timeout: float = 20) -> bool:
        """Wait until an event ``method`` (with params.name ``name``) has arrived."""

        def seen() -> bool:
            return any(
                event.get("method") == method
                and (name is None or event.get("params", {}).get("name") == name)
                for event in self.events
            )

        deadline = time.monotonic() + timeout
        while not seen():
            message = self._read(deadline)
            if message is None:
                return False
            self.events.append(message)
        return True

    def close(self) -> None:
        try:
            self._send("Browser.close", {}, None)
            self.process.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            os.close(self._to_browser)
            os.close(self._from_browser)


def page_requests(profile: Path, url: str) -> list[str]:
    """Load ``url`` in a fresh headless Chromium and return the URL of every request the
    page made (its own document included), once its network has been idle."""
    browser = DevTools(profile)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        browser.call("Network.enable", session=session)
        browser.call("Page.enable", session=session)
        browser.call("Page.setLifecycleEventsEnabled", {"enabled": True}, session=session)
        browser.events.clear()
        browser.call("Page.navigate", {"url": url}, session=session)
        loaded = browser.wait_for("Page.loadEventFired")
        idle = browser.wait_for("Page.lifecycleEvent", "networkIdle")
        if not (loaded and idle):
            raise TimeoutError(f"{url} did not finish loading (load {loaded}, idle {idle})")
    finally:
        browser.close()
    return [
        str(event["params"]["request"]["url"])
        for event in browser.events
        if event.get("method") == "Network.requestWillBeSent" and event.get("sessionId") == session
    ]
