"""The watcher's socket-level helpers: reading IDLE lines, fetching headers in batches,
telling lasting failures from passing ones. Kept apart so watcher.py holds the thread's
logic alone; everything here is called from the watcher thread.
"""

from __future__ import annotations

import contextlib
import imaplib
import io
import logging
import socket
import ssl
from datetime import UTC, datetime
from typing import Any

from iepd.errors import MailServerError
from iepd.mail.tls import find_tls_error

logger = logging.getLogger("iepd.inbox.watcher")

HEADER_ITEMS = ("BODY.PEEK[HEADER]", "INTERNALDATE", "RFC822.SIZE")
# A refusal or an unparsable answer about one message: skip it, the connection is fine.
MESSAGE_ERRORS = (imaplib.IMAP4.error, ValueError)


def fetch_headers(client: Any, batch: list[int]) -> dict[int, Any]:
    """Fetch headers, INTERNALDATE and size of batch; if the server refuses the batch,
    fetch one by one and leave out (with a warning) the messages it refuses."""
    try:
        return dict(client.fetch(batch, list(HEADER_ITEMS)))
    except imaplib.IMAP4.abort:
        raise
    except MESSAGE_ERRORS as exc:
        if len(batch) == 1:
            logger.warning("IMAP watcher: fetching UID %d failed (%s); skipped", batch[0], exc)
            return {}
        logger.warning("IMAP watcher: a header FETCH failed (%s); fetching one by one", exc)
        headers: dict[int, Any] = {}
        for uid in batch:
            headers.update(fetch_headers(client, [uid]))
        return headers


def buffered(imap: Any, sock: socket.socket) -> bool:
    """Return True if a read would find data at once: in imaplib's buffer, in the TLS
    layer or on the socket (a peek that never blocks and consumes nothing)."""
    reader = getattr(imap, "file", None)
    if not isinstance(reader, io.BufferedReader):
        return False  # Python 3.14's imaplib keeps its own buffer; polling still works
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        return bool(reader.peek(1))
    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return False
    finally:
        sock.settimeout(timeout)


def take_announced_count(imap: Any) -> int | None:
    """Remove the message counts (EXISTS, and RECENT with them) that imaplib has kept aside
    from the server's replies; return the last EXISTS count, or None if none was announced.
    Mail that arrives while other commands run is announced in their replies, and is not
    announced again once IDLE starts."""
    kept = getattr(imap, "untagged_responses", {})
    kept.pop("RECENT", None)
    counts = kept.pop("EXISTS", None) or []
    try:
        return int(counts[-1]) if counts else None
    except (TypeError, ValueError):
        return None


def is_news(line: bytes) -> bool:
    """Given a line read during IDLE, return True if the mailbox may have changed.
    Raise imaplib.IMAP4.abort if the server ended the connection or the IDLE."""
    head = line[:6].upper()
    if head.startswith(b"* BYE"):
        raise imaplib.IMAP4.abort(f"the server said {line[:200]!r}")
    if head.startswith(b"* OK"):
        return False  # "Still here"
    if head.startswith(b"* "):
        return True  # EXISTS, RECENT, EXPUNGE, FETCH: look
    raise imaplib.IMAP4.abort(f"unexpected line during IDLE: {line[:200]!r}")


def aware(value: object, uid: int) -> datetime:
    if isinstance(value, datetime):
        # astimezone also replaces imapclient's own FixedOffset with the standard UTC.
        return value.astimezone(UTC)
    logger.warning("IMAP watcher: UID %d has no INTERNALDATE; using the time now", uid)
    return datetime.now(UTC)


def tune(sock: socket.socket) -> None:
    """Let TCP notice a dead peer within a few minutes, even in the middle of IDLE, and
    send each command at once (imapclient writes some in pieces, and with Nagle's algorithm
    and delayed ACKs the second piece waits for the server's delayed ACK)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 15), ("TCP_KEEPCNT", 4)):
            option = getattr(socket, name, None)
            if option is not None:
                sock.setsockopt(socket.IPPROTO_TCP, option, value)


def lasting(exc: BaseException) -> bool:
    """Return True if a failed first connection will fail again however often it is
    retried: a refused login, a TLS failure, a configuration problem."""
    if not isinstance(exc, MailServerError):
        return True
    tls = find_tls_error(exc)
    if tls is not None:
        return not isinstance(tls, (ssl.SSLEOFError, ssl.SSLZeroReturnError))
    original = exc.__cause__ or exc.__context__
    if isinstance(original, imaplib.IMAP4.abort):
        return False
    if isinstance(original, imaplib.IMAP4.error):
        # RFC 5530: [UNAVAILABLE] is a temporary failure of the login.
        return "UNAVAILABLE" not in str(original).upper()
    if isinstance(original, (FileNotFoundError, PermissionError)):
        return True
    return not isinstance(original, OSError)
