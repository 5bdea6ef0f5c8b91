"""The processes of `iepd demo`: the real daemon, ``python -m iepd run``, started as a child
and stopped the way systemd stops it; meanwhile this process logs to a file and takes
SIGTERM as Ctrl-C, so that whatever stops the demo stops everything it started.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

STOP_TIMEOUT = 10.0


def start_daemon(folder: Path, config_path: Path) -> subprocess.Popen[bytes]:
    """Given the demo folder and its config, start ``python -m iepd run`` with its output
    in folder/iepd-run.log and its credentials from folder/credentials; return it."""
    env = dict(os.environ)
    env["CREDENTIALS_DIRECTORY"] = str(folder / "credentials")
    env.pop("NOTIFY_SOCKET", None)  # systemd must not take the demo's daemon for the service
    env.pop("JOURNAL_STREAM", None)
    with open(folder / "iepd-run.log", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "iepd", "--config", str(config_path), "run"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
        )


def stop_daemon(daemon: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as systemd would; return the exit status (SIGKILL after STOP_TIMEOUT)."""
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
    try:
        return daemon.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        daemon.kill()
        return daemon.wait()


@contextlib.contextmanager
def logs_to(path: Path) -> Iterator[None]:
    """Send this process's logging to a file: lines on stderr would tear the live table."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        handler.close()


@contextlib.contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """SIGTERM stops the demo the way Ctrl-C does: everything it started is stopped."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
