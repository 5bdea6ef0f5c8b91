"""The inbox watcher: one IMAP connection in a thread of its own that notices new mail
within a second, hands each candidate message over, and never changes a flag.

connect -> EXAMINE -> catch up by UID -> IDLE (or poll) -> news, a refresh or
catch_up_now() -> leave IDLE -> catch up -> IDLE ...; any trouble -> reconnect with backoff.

Threading contract (the service wires it; the watcher knows nothing of requests):

- ``deliver``, ``is_candidate``, ``rescan_since``, ``on_caught_up`` and the ledger are all
  called in the watcher thread. ``deliver`` must not block; the service passes
  ``lambda item: loop.call_soon_threadsafe(queue.put_nowait, item)``.
- ``ledger.set_last_uid(mailbox, uidvalidity, uid)`` is called right after ``deliver()`` of
  that UID (or after deciding to skip it), in UID order. The store must not record a UID
  before the message it stands for: when ``deliver`` only queues the message, the ledger's
  ``set_last_uid`` must be queued on the same queue. ``last_uid`` and
  ``known_uidvalidity`` are read from this thread, and only at the first catch-up after
  ``start()`` (the watcher keeps its position in memory), so the Store, whose connection
  allows other threads under its lock, can answer them directly. A ledger that lags only
  means a message is delivered again; the service de-duplicates by Message-ID.
- ``connect()`` returns a new ImapSession that is not yet open; the watcher opens and closes
  it. Its ``timeout`` is the read timeout: after each IDLE refresh the watcher talks to the
  server again, so a silently dead connection is noticed within one refresh plus that
  timeout (TCP keepalive usually notices sooner).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import random
import selectors
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeAlias

from iepd.errors import IepdError, MailServerError
from iepd.idle_io import MESSAGE_ERRORS, aware, buffered, fetch_headers, is_news, lasting, tune
from iepd.imap import ImapSession

logger = logging.getLogger(__name__)

HEADER_BATCH = 500
FIRST_BACKOFF = 1.0
# A connection that stayed up this long was a good one: the next failure starts the
# backoff from the beginning instead of continuing to double it.
STABLE_AFTER = 60.0
# A message whose fetch broke the connection this many times in a row is skipped, so that
# one poisonous message can never stall the watcher.
SKIP_AFTER_FAILURES = 3

_HEADER = b"BODY[HEADER]"
_BODY = b"BODY[]"
# imapclient's errors all derive from imaplib's; ssl errors are OSErrors.
_CONNECTION_ERRORS = (OSError, imaplib.IMAP4.error, MailServerError)
# A refusal or an unparsable answer about one message: skip it, the connection is fine.
_MESSAGE_ERRORS = MESSAGE_ERRORS
# Trouble worth a warning and a reconnect, not a traceback (a locked keyring, say).
_EXPECTED_ERRORS = (*_CONNECTION_ERRORS, IepdError)


@dataclass(frozen=True)
class FetchedMessage:
    """A candidate message, fetched whole with BODY.PEEK (no flag changed)."""

    mailbox: str
    uidvalidity: int
    uid: int
    internaldate: datetime  # aware
    raw: bytes = field(repr=False)


@dataclass(frozen=True)
class UidValidityChanged:
    """The mailbox's UIDVALIDITY changed: every stored UID is void and a rescan follows.
    May be delivered again for the same change if the rescan is interrupted."""

    mailbox: str
    old: int | None
    new: int


Delivery: TypeAlias = FetchedMessage | UidValidityChanged


class UidLedger(Protocol):
    """Where the watcher's progress is kept (the store implements it)."""

    def last_uid(self, mailbox: str, uidvalidity: int) -> int | None: ...

    def set_last_uid(self, mailbox: str, uidvalidity: int, uid: int) -> None: ...

    def known_uidvalidity(self, mailbox: str) -> int | None: ...


class _StartFailed(Exception):
    """The first connection failed for a reason that retrying cannot fix."""


class Watcher:
    """Watch one mailbox in a thread; see the module docstring for the contract."""

    def __init__(
        self,
        connect: Callable[[], ImapSession],
        mailbox: str,
        *,
        ledger: UidLedger,
        is_candidate: Callable[[bytes], bool],
        deliver: Callable[[Delivery], None],
        idle_refresh: float,
        poll_every: float,
        rescan_since: Callable[[], date | None],
        on_caught_up: Callable[[], None] = lambda: None,
        backoff_cap: float = 300.0,
        use_idle: bool = True,
    ) -> None:
        self.mailbox = mailbox
        self._connect = connect
        self._ledger = ledger
        self._is_candidate = is_candidate
        self._deliver = deliver
        self._idle_refresh = idle_refresh
        self._poll_every = poll_every
        self._rescan_since = rescan_since
        self._on_caught_up = on_caught_up
        self._backoff_cap = backoff_cap
        self._failed_connections = 0  # since the last connection that stayed up
        self._use_idle = use_idle
        self._stopping = threading.Event()
        # stop() and catch_up_now() write a byte here to wake the thread from IDLE or a pause.
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._thread: threading.Thread | None = None
        self._session: ImapSession | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._position: tuple[int, int] | None = None  # (uidvalidity, last uid processed)
        self._announced: int | None = None  # the UIDVALIDITY a change was delivered for
        self._failures: dict[tuple[int, int], int] = {}
        self._progress = threading.Condition()
        self._requested = 0
        self._completed = 0

    def __repr__(self) -> str:
        return f"<Watcher {self.mailbox!r} {self._session!r}>"

    # -- the caller's side

    def start(self) -> None:
        """Start the thread and return once the first connection was tried.

        Raise MailServerError (or the CredentialError of connect()) if the first login is
        refused or TLS verification fails; connection trouble is retried in the thread.
        """
        if self._thread is not None:
            raise RuntimeError("the watcher was already started")
        self._thread = threading.Thread(
            target=self._run, name=f"iepd-watcher-{self.mailbox}", daemon=True
        )
        self._thread.start()
        self._started.wait()
        if self._start_error is not None:
            self._thread.join()
            self._close_wake()
            raise self._start_error

    def stop(self, timeout: float = 3.0) -> None:
        """End IDLE, log out and join the thread, within about timeout seconds."""
        self._stopping.set()
        self._wake()
        thread = self._thread
        if thread is not None:
            thread.join(timeout / 2)
            if thread.is_alive():
                # Stuck in a blocking read (a slow server, a large FETCH): cut it short.
                self._abort_connection()
                thread.join(timeout / 2)
            if thread.is_alive():
                logger.warning("the IMAP watcher thread did not stop within %.1f s", timeout)
                return
        self._close_wake()

    def catch_up_now(self, timeout: float) -> bool:
        """Ask the thread to catch up at once; return True once a catch-up that began
        after this call has finished, False if none did within timeout (disconnected,
        stopped). Never call it from the watcher thread (from deliver, say)."""
        thread = self._thread
        if thread is None or not thread.is_alive() or self._stopping.is_set():
            return False
        if threading.current_thread() is thread:
            raise RuntimeError("catch_up_now() called from the watcher thread itself")
        with self._progress:
            self._requested += 1
            ticket = self._requested
        self._wake()
        with self._progress:
            return self._progress.wait_for(lambda: self._completed >= ticket, timeout)

    # -- the thread

    def _run(self) -> None:
        first = True
        try:
            while not self._stopping.is_set():
                connected_at: float | None = None
                try:
                    session = self._open(first)
                    connected_at = time.monotonic()
                    self._watch(session)
                except _StartFailed:
                    return
                except _EXPECTED_ERRORS as exc:
                    if self._stopping.is_set():
                        break
                    logger.warning("IMAP watcher on %s: %s; reconnecting", self.mailbox, exc)
                    self._abort_connection()
                except Exception:
                    logger.exception("IMAP watcher on %s: unexpected error", self.mailbox)
                    self._abort_connection()
                finally:
                    first = False
                    self._started.set()
                    self._close_session()
                if connected_at is not None and time.monotonic() - connected_at >= STABLE_AFTER:
                    self._failed_connections = 0
                if not self._stopping.is_set():
                    # Exponential backoff with full jitter: uniform in [0, min(cap, 1 s * 2^n)].
                    ceiling = FIRST_BACKOFF * 2 ** min(self._failed_connections, 32)
                    self._failed_connections += 1
                    delay = random.uniform(0, min(self._backoff_cap, ceiling))  # noqa: S311 (jitter)
                    logger.info("IMAP watcher: reconnecting in %.1f s", delay)
                    self._pause(delay)
        finally:
            self._started.set()

    def _open(self, first: bool) -> ImapSession:
        try:
            session = self._connect()
            session.open()
        except Exception as exc:
            if first and lasting(exc):
                self._start_error = exc
                raise _StartFailed from exc
            raise
        self._session = session
        if first:
            self._started.set()
        client = session.client
        # Aware INTERNALDATEs, in the server's own offset.
        client.normalise_times = False
        tune(client.socket())
        return session

    def _watch(self, session: ImapSession) -> None:
        client = session.client
        idle = self._use_idle and bool(client.has_capability("IDLE"))
        how = "IDLE" if idle else f"polling every {self._poll_every:g} s"
        logger.info("IMAP watcher: %s, watching %s (%s)", session.where, self.mailbox, how)
        self._catch_up(client)
        while not self._stopping.is_set():
            if idle:
                client.idle()
                self._wait_in_idle(client, time.monotonic() + self._idle_refresh)
                # DONE; what it returns (an EXISTS, say) is covered by the catch-up below.
                client.idle_done()
            else:
                self._pause(self._poll_every)
            if not self._stopping.is_set():
                self._catch_up(client)

    def _wait_in_idle(self, client: Any, deadline: float) -> None:
        """Return at news from the server, a wake-up or the deadline. Lines are read
        whole with blocking reads: pymap sends them in pieces, and imapclient's
        non-blocking idle_check() then fails with "unterminated line" (its issue 519)."""
        imap = client._imap
        sock = client.socket()
        looked_empty = False
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while True:
                if buffered(imap, sock):
                    looked_empty = False
                    if is_news(imap._get_line()):
                        return
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping.is_set():
                    return
                ready = {key.fileobj for key, _ in selector.select(remaining)}
                if self._wake_reader in ready:
                    self._drain_wake()
                    return
                if sock in ready:
                    # Readable with nothing to read, twice in a row: the server closed the
                    # connection (or sent a TLS record without data); a blocking read tells.
                    if looked_empty and is_news(imap._get_line()):
                        return
                    looked_empty = not looked_empty

    def _catch_up(self, client: Any) -> None:
        with self._progress:
            ticket = self._requested
        selected = client.select_folder(self.mailbox, readonly=True)  # EXAMINE
        if b"UIDVALIDITY" not in selected:
            raise imaplib.IMAP4.abort(f"EXAMINE {self.mailbox} gave no UIDVALIDITY")
        uidvalidity = int(selected[b"UIDVALIDITY"])
        last = self._last_uid(uidvalidity)
        if last is None:
            self._rescan(client, uidvalidity, selected.get(b"UIDNEXT"))
        else:
            found = client.search(["UID", f"{last + 1}:*"])
            # "N:*" always names the highest message, even when its UID is below N.
            self._process(client, uidvalidity, sorted(uid for uid in found if uid > last))
        if self._stopping.is_set():
            return
        with self._progress:
            self._completed = max(self._completed, ticket)
            self._progress.notify_all()
        try:
            self._on_caught_up()
        except Exception:
            logger.exception("IMAP watcher: on_caught_up failed")

    def _last_uid(self, uidvalidity: int) -> int | None:
        """Return the last UID processed under uidvalidity, or None when a rescan is due
        (first run ever, or a new UIDVALIDITY, which is delivered as UidValidityChanged)."""
        if self._position is not None:
            if self._position[0] == uidvalidity:
                return self._position[1]
            old: int | None = self._position[0]
        else:
            old = self._ledger.known_uidvalidity(self.mailbox)
            if old == uidvalidity:
                last = self._ledger.last_uid(self.mailbox, uidvalidity)
                if last is not None:
                    self._position = (uidvalidity, last)
                    return last
        if old is not None and old != uidvalidity and self._announced != uidvalidity:
            logger.warning("IMAP watcher: UIDVALIDITY %d -> %d: rescanning", old, uidvalidity)
            self._deliver(UidValidityChanged(self.mailbox, old, uidvalidity))
            self._announced = uidvalidity
        return None

    def _rescan(self, client: Any, uidvalidity: int, uidnext: object) -> None:
        """Deliver the candidates SINCE rescan_since(), then record the highest UID."""
        if isinstance(uidnext, int) and uidnext > 0:
            highest = uidnext - 1
        else:
            highest = max(client.search(["UID", "*"]), default=0)
        since = self._rescan_since()
        if since is not None:
            found = client.search(["SINCE", since])
            # Newer messages are the next catch-up's; a crash repeats the whole rescan.
            uids = sorted(uid for uid in found if uid <= highest)
            logger.info("IMAP watcher: looking at %d messages since %s", len(uids), since)
            self._process(client, uidvalidity, uids, record=False)
            if self._stopping.is_set():
                return
        else:
            logger.info("IMAP watcher: nothing open; starting after UID %d", highest)
        self._advance(uidvalidity, highest)

    def _process(
        self, client: Any, uidvalidity: int, uids: Sequence[int], *, record: bool = True
    ) -> None:
        for start in range(0, len(uids), HEADER_BATCH):
            batch = list(uids[start : start + HEADER_BATCH])
            headers = fetch_headers(client, batch)
            for uid in batch:
                if self._stopping.is_set():
                    return
                key = (uidvalidity, uid)
                try:
                    self._handle(client, uidvalidity, uid, headers.get(uid))
                except _CONNECTION_ERRORS:
                    self._failures[key] = self._failures.get(key, 0) + 1
                    if self._failures[key] < SKIP_AFTER_FAILURES:
                        raise
                    logger.error("IMAP watcher: UID %d broke the connection; skipped", uid)
                self._failures.pop(key, None)
                if record:
                    self._advance(uidvalidity, uid)

    def _handle(self, client: Any, uidvalidity: int, uid: int, data: Any) -> None:
        if not data:
            logger.info("IMAP watcher: UID %d is gone (expunged); skipped", uid)
            return
        header = data.get(_HEADER)
        if not isinstance(header, bytes):
            # No header to judge by: look at the whole message rather than miss it.
            logger.warning("IMAP watcher: UID %d came without a header", uid)
            header = b""
        try:
            wanted = header == b"" or self._is_candidate(header)
        except Exception:
            logger.exception("IMAP watcher: is_candidate failed on UID %d; fetching it", uid)
            wanted = True
        if not wanted:
            return
        try:
            body = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(_BODY)
        except imaplib.IMAP4.abort:
            raise
        except _MESSAGE_ERRORS as exc:
            logger.warning("IMAP watcher: fetching UID %d failed (%s); skipped", uid, exc)
            return
        if not isinstance(body, bytes) or not body:
            logger.warning("IMAP watcher: UID %d came without a body; skipped", uid)
            return
        when = aware(data.get(b"INTERNALDATE"), uid)
        logger.debug("IMAP watcher: UID %d (%d bytes) delivered", uid, len(body))
        self._deliver(FetchedMessage(self.mailbox, uidvalidity, uid, when, body))

    def _advance(self, uidvalidity: int, uid: int) -> None:
        # The ledger first: if it fails, the message is delivered again, never lost.
        self._ledger.set_last_uid(self.mailbox, uidvalidity, uid)
        self._position = (uidvalidity, uid)

    # -- waiting, waking, closing

    def _pause(self, seconds: float) -> None:
        if self._stopping.is_set():
            return
        with selectors.DefaultSelector() as selector:
            selector.register(self._wake_reader, selectors.EVENT_READ)
            if selector.select(seconds):
                self._drain_wake()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full (a wake-up is pending anyway) or closed
            self._wake_writer.send(b"\0")

    def _drain_wake(self) -> None:
        with contextlib.suppress(OSError):
            while self._wake_reader.recv(512):
                pass

    def _close_wake(self) -> None:
        self._wake_reader.close()
        self._wake_writer.close()

    def _abort_connection(self) -> None:
        """Shut the socket down (from any thread) so that a blocking read ends at once and
        close() does not wait for a LOGOUT answer from a dead server."""
        session = self._session
        if session is None:
            return
        with contextlib.suppress(OSError, MailServerError):
            # The plain socket's shutdown: SSLSocket.shutdown would also drop its SSL
            # object under the feet of a reading thread.
            socket.socket.shutdown(session.client.socket(), socket.SHUT_RDWR)

    def _close_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()
