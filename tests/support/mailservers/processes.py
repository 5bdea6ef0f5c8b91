"""Child server processes: free ports, start-up greetings, stopping a whole process group,
and ServerProcess, the start/stop/close life of Dovecot and pymap alike."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Self

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


class ServerProcess:
    """A test server run as a child in its own session, its output appended to ``log``;
    ``with Server(...) as server:`` starts it and closes it even when start-up fails.

    A subclass sets ``directory`` (deleted by close()) and ``log``, and gives the command,
    the wait until the server is ready (wait_for_greeting, say) and a way to pick new ports.
    """

    directory: Path
    log: Path
    _process: subprocess.Popen[bytes] | None = None
    _started = False

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        """Return once the server serves; raise PortTakenError if it lost its port."""
        raise NotImplementedError

    def _choose_ports(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._process is not None and not has_exited(self._process.pid)

    @property
    def pid(self) -> int | None:
        """The server's pid, which is also its process group id; None when stopped."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the server; return once it is ready. Until the first start succeeds, a
        port taken meanwhile is replaced by a new one (a restart keeps its ports)."""
        if self.running:
            raise RuntimeError(f"{self!r} is already running")
        for attempt in range(PORT_ATTEMPTS):
            try:
                self._start_once()
            except PortTakenError:
                if self._started or attempt == PORT_ATTEMPTS - 1:
                    raise
                self._choose_ports()
            else:
                self._started = True
                return

    def _start_once(self) -> None:
        # The server's own start-up errors (a port taken) go to the same log as the rest.
        with open(self.log, "ab") as output:
            self._process = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
        try:
            self._wait_until_ready(self._process)
        except BaseException:
            self.kill()
            raise

    def stop(self) -> None:
        """SIGTERM the server and wait until it and its whole process group are gone."""
        stop_process_group(self._process, signal.SIGTERM)
        self._process = None

    def kill(self) -> None:
        """SIGKILL the server and all its workers at once, as a crash would."""
        stop_process_group(self._process, signal.SIGKILL)
        self._process = None

    def close(self) -> None:
        """Kill the server and delete its folder (nothing in it is kept, so no clean stop)."""
        self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


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
