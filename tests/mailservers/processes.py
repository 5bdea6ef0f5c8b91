"""Child server processes: free ports, start-up greetings, and stopping a whole process group."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
START_TIMEOUT = 15.0
PORT_ATTEMPTS = 3


def free_ports(count: int, host: str = HOST) -> list[int]:
    """Return `count` distinct ports the OS reports free on host (held open together so
    that they differ; another process may still take one before it is used)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((host, 0))
        return [sock.getsockname()[1] for sock in sockets]


class PortTakenError(RuntimeError):
    """The server could not bind a port: another process took it after free_ports."""


def wait_for_greeting(
    port: int, expected: bytes, process: subprocess.Popen[bytes], log: Path
) -> None:
    """Return once a connection to port reads a first line holding expected. Raise
    PortTakenError if the server exited for want of its port, RuntimeError otherwise."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if has_exited(process.pid):
            tail = _tail(log)
            error = PortTakenError if "address already in use" in tail.lower() else RuntimeError
            raise error(f"server exited; see {log}:\n{tail}")
        try:
            with socket.create_connection((HOST, port), timeout=2) as sock:
                if expected in sock.recv(512).split(b"\r\n", 1)[0]:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(
        f"no {expected!r} greeting on port {port} after {START_TIMEOUT} s; see {log}:\n{_tail(log)}"
    )


def _tail(log: Path) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-20:])
    except OSError:
        return "(no log)"


def stop_process_group(process: subprocess.Popen[bytes] | None, sig: int) -> None:
    """Send sig to the leader, wait up to 10 s for it to exit, then SIGKILL whatever is
    left of its process group and reap the leader."""
    if process is None:
        return
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, sig)
        deadline = time.monotonic() + 10
        while not has_exited(process.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
    # The servers run in their own session, so their group id is the leader's pid; the
    # leader is not reaped yet, so that id cannot have been reused. This ends the workers
    # that outlive the leader (dovecot's imap and lmtp processes after a SIGKILL).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def has_exited(pid: int) -> bool:
    """Return whether child pid has exited, leaving it unreaped: while the leader is a
    zombie its pid, which is also the process group id, cannot be reused."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def live_processes_in_group(group: int) -> list[int]:
    """Return the pids of the running (not zombie) processes in a process group (Linux)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        state, process_group = fields[0], int(fields[2])
        if process_group == group and state != "Z":
            pids.append(int(stat.parent.name))
    return pids
