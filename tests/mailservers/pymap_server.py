"""pymap (a small asyncio IMAP server) with its in-memory backend, as a child process."""

from __future__ import annotations

import imaplib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from .certificates import TlsFiles
from .imap import imap_append, imap_flags, imap_login, imap_messages
from .processes import (
    HOST,
    PORT_ATTEMPTS,
    START_TIMEOUT,
    PortTakenError,
    free_ports,
    has_exited,
    stop_process_group,
    wait_for_greeting,
)


class Pymap:
    """pymap's in-memory dict backend as a subprocess with one user; plain IMAP, or
    STARTTLS when given tls. It has no LMTP: deliver by APPEND."""

    host = HOST

    def __init__(
        self,
        user: str = "parent@example.test",
        password: str = "pymap-password",
        tls: TlsFiles | None = None,
    ) -> None:
        self.user = user
        self.password = password
        self.tls = tls
        self.ca_file = tls.ca_file if tls else None
        self.imap_port = free_ports(1)[0]
        self.directory = Path(tempfile.mkdtemp(prefix="iepd-pymap-"))
        self.log = self.directory / "pymap.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"Pymap(imap={self.imap_port})"

    def __enter__(self) -> Pymap:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        """Start pymap; return once it greets. A port taken meanwhile is replaced."""
        for attempt in range(PORT_ATTEMPTS):
            try:
                self._start_once()
                return
            except PortTakenError:
                if attempt == PORT_ATTEMPTS - 1:
                    raise
                self.imap_port = free_ports(1)[0]

    def _start_once(self) -> None:
        tls_args = (
            ["--cert", str(self.tls.cert_file), "--key", str(self.tls.key_file)]
            if self.tls
            else ["--no-tls"]
        )
        command = [
            # pymap has no __main__ module; its console script calls pymap.main.main.
            sys.executable,
            "-c",
            "import sys; from pymap.main import main; sys.exit(main())",
            "--host",
            HOST,
            "--port",
            str(self.imap_port),
            *tls_args,
            "dict",
            "--demo-user",
            self.user,
            "--demo-password",
            self.password,
        ]
        with open(self.log, "ab") as output:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
        try:
            wait_for_greeting(self.imap_port, b"* OK", self._process, self.log)
            self._check_it_is_ours()
        except BaseException:
            self.kill()
            raise

    def _check_it_is_ours(self) -> None:
        """pymap's greeting names nobody, so a server that took the port first would pass
        for it; only ours accepts this user's (random) password."""
        try:
            with imap_login(self.host, self.imap_port, self.user, self.password):
                return
        except imaplib.IMAP4.error:
            deadline = time.monotonic() + START_TIMEOUT
            while not has_exited(self._pid()) and time.monotonic() < deadline:
                time.sleep(0.05)
            if has_exited(self._pid()):
                raise PortTakenError(f"another server answered on {self.imap_port}") from None
            raise RuntimeError(f"{self!r} refused its own user; see {self.log}") from None

    def _pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def stop(self) -> None:
        stop_process_group(self._process, signal.SIGTERM)
        self._process = None

    def kill(self) -> None:
        stop_process_group(self._process, signal.SIGKILL)
        self._process = None

    def close(self) -> None:
        """Kill pymap (its mail lives in memory only) and delete its folder."""
        self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)

    def append(
        self, user: str, password: str, folder: str, raw: bytes, flags: Iterable[str] = ()
    ) -> int | None:
        return imap_append(self.host, self.imap_port, user, password, folder, raw, flags)

    def deliver(self, user: str, raw: bytes) -> int | None:
        """Put raw in user's INBOX (by APPEND: pymap has no LMTP)."""
        return self.append(user, self.password, "INBOX", raw)

    def messages(self, user: str, password: str, folder: str = "INBOX") -> list[bytes]:
        return imap_messages(self.host, self.imap_port, user, password, folder)

    def flags(self, user: str, password: str, folder: str = "INBOX") -> dict[int, frozenset[str]]:
        return imap_flags(self.host, self.imap_port, user, password, folder)
