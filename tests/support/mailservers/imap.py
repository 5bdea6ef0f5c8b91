"""Small imaplib helpers that look at a mailbox the way a test wants to (plain IMAP on
loopback; the servers allow LOGIN without TLS there)."""

from __future__ import annotations

import contextlib
import imaplib
import re
from collections.abc import Iterable, Iterator


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextlib.contextmanager
def imap_login(host: str, port: int, user: str, password: str) -> Iterator[imaplib.IMAP4]:
    """Given a plain (loopback) IMAP port and credentials, yield a logged-in imaplib client."""
    connection = imaplib.IMAP4(host, port, timeout=10)
    try:
        connection.login(user, password)
        yield connection
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            connection.logout()


def _select(connection: imaplib.IMAP4, folder: str, readonly: bool = True) -> None:
    status, data = connection.select(_quote(folder), readonly=readonly)
    if status != "OK":
        raise RuntimeError(f"cannot select {folder!r}: {data!r}")


def _uids(connection: imaplib.IMAP4) -> list[int]:
    _, data = connection.uid("SEARCH", "ALL")
    return [int(uid) for uid in (data[0] or b"").split()]


def imap_append(
    host: str,
    port: int,
    user: str,
    password: str,
    folder: str,
    raw: bytes,
    flags: Iterable[str] = (),
) -> int | None:
    """APPEND raw to folder; return its UID when the server reports APPENDUID."""
    with imap_login(host, port, user, password) as connection:
        flag_list = "(" + " ".join(flags) + ")"
        status, data = connection.append(_quote(folder), flag_list, None, raw)
        if status != "OK":
            raise RuntimeError(f"APPEND to {folder!r} failed: {data!r}")
        match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
        return int(match.group(1)) if match else None


def imap_messages(host: str, port: int, user: str, password: str, folder: str) -> list[bytes]:
    """Return the raw messages of folder in UID order, without setting \\Seen."""
    with imap_login(host, port, user, password) as connection:
        _select(connection, folder)
        messages: list[bytes] = []
        for uid in _uids(connection):
            _, data = connection.uid("FETCH", str(uid), "(BODY.PEEK[])")
            messages.extend(part[1] for part in data if isinstance(part, tuple))
        return messages


def imap_flags(
    host: str, port: int, user: str, password: str, folder: str
) -> dict[int, frozenset[str]]:
    """Return {uid: flags} for every message of folder."""
    with imap_login(host, port, user, password) as connection:
        _select(connection, folder)
        if not _uids(connection):
            return {}
        _, data = connection.uid("FETCH", "1:*", "(FLAGS)")
        result: dict[int, frozenset[str]] = {}
        for line in data:
            if not isinstance(line, bytes):
                continue
            uid = re.search(rb"UID (\d+)", line)
            flags = re.search(rb"FLAGS \(([^)]*)\)", line)
            if uid and flags:
                result[int(uid.group(1))] = frozenset(flags.group(1).decode().split())
        return result


def imap_uidvalidity(host: str, port: int, user: str, password: str, folder: str) -> int:
    """Return the UIDVALIDITY of folder."""
    with imap_login(host, port, user, password) as connection:
        _, data = connection.status(_quote(folder), "(UIDVALIDITY)")
        match = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"")
        if match is None:
            raise RuntimeError(f"no UIDVALIDITY for {folder!r}: {data!r}")
        return int(match.group(1))
