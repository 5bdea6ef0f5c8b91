"""pymap (a small asyncio IMAP server) with its in-memory backend, as a child process."""

from __future__ import annotations

import imaplib
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
    START_TIMEOUT,
    PortTakenError,
    ServerProcess,
    free_ports,
    has_exited,
    wait_for_greeting,
)


class Pymap(ServerProcess):
    """pymap's in-memory dict backend as a subprocess with one user; plain IMAP, or
    STARTTLS when given tls. It has no LMTP: deliver by APPEND. Its mail lives in memory
    only: close() loses it."""

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

    def __repr__(self) -> str:
        return f"Pymap(imap={self.imap_port})"

    def _command(self) -> list[str]:
        tls_args = (
            ["--cert", str(self.tls.cert_file), "--key", str(self.tls.key_file)]
            if self.tls
            else ["--no-tls"]
        )
        return [
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
            # one argument, so that a random password starting with "-" is not read as an option
            f"--demo-password={self.password}",
        ]

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        wait_for_greeting(self.imap_port, b"* OK", process, self.log)
        self._check_it_is_ours(process)

    def _choose_ports(self) -> None:
        self.imap_port = free_ports(1)[0]

    def _check_it_is_ours(self, process: subprocess.Popen[bytes]) -> None:
        """pymap's greeting names nobody, so a server that took the port first would pass
        for it; only ours accepts this user's (random) password."""
        try:
            with imap_login(self.host, self.imap_port, self.user, self.password):
                return
        except imaplib.IMAP4.error:
            deadline = time.monotonic() + START_TIMEOUT
            while not has_exited(process.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if has_exited(process.pid):
                raise PortTakenError(f"another server answered on {self.imap_port}") from None
            raise RuntimeError(f"{self!r} refused its own user; see {self.log}") from None

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
