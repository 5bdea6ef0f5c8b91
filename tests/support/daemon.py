"""`iepd` as a real process (``python -m iepd``) against the test servers, and systemd's side
of its ``NOTIFY_SOCKET``: a SIGKILL, a full disk or a leaked password is observed exactly as
a user would meet it. Also one pass of the daemon in the test's own process, on a clock the
test moves (``run_once_here``).
"""

from __future__ import annotations

import asyncio
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from iepd.run.daemon import Daemon
from iepd.store.database import Store
from support.family import Family

RUN_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
WAIT = 40.0


def environ(family: Family, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment iepd runs in: PATH, HOME in the family's folder, its config and
    credential folder, then extra."""
    env = family.environ({"PATH": os.environ["PATH"], "HOME": str(family.root)})
    env.update(extra or {})
    return env


@contextmanager
def family_environment(family: Family) -> Iterator[None]:
    """This process's environment as the family's daemon sees it, restored on leaving."""
    saved = {key: os.environ.get(key) for key in family.environ()}
    os.environ.update(family.environ())
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_once_here(family: Family, clock: Callable[[], datetime]) -> None:
    """`iepd run --once` in this process, with the family's environment and ``clock``."""
    with family_environment(family):
        asyncio.run(Daemon(family.config_path, clock).run(once=True))


def run_iepd(
    family: Family,
    *args: str,
    crash_at: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `iepd ARGS` (default: run --once) to its end; return its status and output.
    crash_at names the crash point where it kills itself (see iepd/faults.py)."""
    env = environ(family, extra_env)
    if crash_at:
        env["IEPD_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "iepd", *(args or ("run", "--once"))],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


def start_daemon(
    family: Family,
    *args: str,
    extra_env: Mapping[str, str] | None = None,
    log: Path | None = None,
) -> subprocess.Popen[str]:
    """Start `iepd ARGS` (default: run, the daemon) and return at once. Its stderr goes to
    log, which a test can read while it runs, or else to a pipe stop_daemon reads."""
    command = [sys.executable, "-m", "iepd", *(args or ("run",))]
    if log is None:
        return subprocess.Popen(
            command,
            env=environ(family, extra_env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    with log.open("w") as output:
        return subprocess.Popen(
            command, env=environ(family, extra_env), stdout=subprocess.DEVNULL, stderr=output
        )


def stop_daemon(process: subprocess.Popen[str]) -> tuple[int, str]:
    """SIGTERM the daemon (SIGKILL if it lingers past STOP_TIMEOUT); return its status and
    its stderr ("" when it went to a log)."""
    if process.poll() is None:
        process.terminate()
    try:
        _, stderr = process.communicate(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        _dump_stacks(process.pid)
        process.kill()
        _, stderr = process.communicate()
    return process.returncode, stderr or ""


def _dump_stacks(pid: int) -> None:
    """Print where a daemon that ignored SIGTERM hangs, when py-spy is installed."""
    spy = Path(sys.executable).parent / "py-spy"
    if spy.exists():
        dump = subprocess.run(
            [str(spy), "dump", "--pid", str(pid)], capture_output=True, text=True, check=False
        )
        print(f"iepd ignored SIGTERM for {STOP_TIMEOUT:g} s:\n{dump.stdout}", file=sys.stderr)


def wait_for(condition: Callable[[], bool], what: str, deadline: float = WAIT) -> None:
    """Poll condition until it holds; raise AssertionError naming what after deadline s."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def request_state(family: Family, request_id: str = "sam-speech") -> str | None:
    """The request's state in the family's store; None before the store or the request."""
    if not (family.state_dir / "iepd.sqlite3").exists():
        return None
    with Store.open(family.state_dir) as store:
        row = store.get_request(request_id)
    return row.state if row else None


class NotifyListener:
    """systemd's side of ``NOTIFY_SOCKET`` (sd_notify: READY=1, STATUS=..., STOPPING=1).

    A thread reads every datagram as it comes: an unread socket fills after a few
    datagrams, and the daemon's next notification would then be lost. ``with`` closes it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(path))
        self._socket.setblocking(False)
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._read, name="notify", daemon=True)
        self._thread.start()

    def environ(self) -> dict[str, str]:
        """The variable that points iepd at this listener."""
        return {"NOTIFY_SOCKET": str(self.path)}

    def _read(self) -> None:
        while not self._closed.is_set():
            readable, _, _ = select.select([self._socket], [], [], 0.2)
            if readable:
                self._drain()

    def _drain(self) -> None:
        # Reading and recording under one lock keeps the lines in the order they were sent,
        # whether the thread or a caller of lines() reads them.
        with self._changed:
            while True:
                try:
                    data = self._socket.recv(4096)
                except (BlockingIOError, InterruptedError):
                    return
                self._lines.extend(data.decode(errors="replace").splitlines())
                self._changed.notify_all()

    def lines(self) -> list[str]:
        """Every line received so far, datagrams still queued included, in order."""
        self._drain()
        with self._changed:
            return list(self._lines)

    def saw(self, line: str) -> bool:
        """Whether iepd has sent line (e.g. "READY=1") so far."""
        return line in self.lines()

    def ready(self) -> bool:
        """Whether iepd has said its start-up is done (READY=1)."""
        return self.saw("READY=1")

    def statuses(self) -> list[str]:
        """The STATUS= texts received so far, oldest first."""
        return [line.removeprefix("STATUS=") for line in self.lines() if line.startswith("STATUS=")]

    def wait_for(
        self, line: str, process: subprocess.Popen[Any] | None = None, timeout: float = WAIT
    ) -> float:
        """Wait until iepd sends line; return the perf_counter() when it was seen. Raise
        RuntimeError if process exits first or nothing comes within timeout s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while line not in self._lines:
                if process is not None and process.poll() is not None:
                    raise RuntimeError(f"iepd exited {process.returncode} before {line}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no {line} from iepd within {timeout:g} s")
                self._changed.wait(0.1)
        return time.perf_counter()

    def close(self) -> None:
        self._closed.set()
        self._thread.join(2)
        self._socket.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
