"""The inbox watcher: one IMAP connection in a thread of its own that notices new mail
within a second, hands each candidate message over, and never changes a flag.

connect -> EXAMINE -> catch up by UID (catchup.py) -> IDLE (or poll) -> news, a refresh or
catch_up_now() -> leave IDLE -> catch up -> IDLE ...; any trouble -> reconnect with backoff.
Each catch-up first reads the Sent folder (sent_catchup.py, given ``sent_folder``) for the
parent's own messages, then the inbox, which stays selected for IDLE.

Threading contract (the service wires it; the watcher knows nothing of requests):

- ``hand_over``, ``is_candidate``, ``rescan_since``, ``on_caught_up`` and the ledger are all
  called in the watcher thread. ``hand_over`` must not block; the service passes
  ``lambda item: loop.call_soon_threadsafe(queue.put_nowait, item)``.
- ``ledger.set_last_uid(mailbox, uidvalidity, uid)`` is called right after ``hand_over()`` of
  that UID (or after deciding to skip it), in UID order. The store must not record a UID
  before the message it stands for: when ``hand_over`` only queues the message, the ledger's
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
import logging
import random
import selectors
import socket
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from iepd.errors import IepdError, MailServerError
from iepd.inbox.catchup import CONNECTION_ERRORS, CatchUp, Handover, UidLedger
from iepd.inbox.idle_io import buffered, is_news, lasting, take_announced_count, tune
from iepd.inbox.sent_catchup import SentFolderCatchUp
from iepd.mail.imap import ImapSession

logger = logging.getLogger(__name__)

FIRST_BACKOFF = 1.0
# A connection that stayed up this long was a good one: the next failure starts the
# backoff from the beginning instead of continuing to double it.
STABLE_AFTER = 60.0

# Trouble worth a warning and a reconnect, not a traceback (a locked keyring, say).
_EXPECTED_ERRORS = (*CONNECTION_ERRORS, IepdError)


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
        hand_over: Callable[[Handover], None],
        idle_refresh: float,
        poll_every: float,
        rescan_since: Callable[[], date | None],
        on_caught_up: Callable[[], None] = lambda: None,
        backoff_cap: float = 300.0,
        use_idle: bool = True,
        sent_folder: str | None = None,
        is_sent_candidate: Callable[[bytes], bool] | None = None,
    ) -> None:
        self.mailbox = mailbox
        self._connect = connect
        self._idle_refresh = idle_refresh
        self._poll_every = poll_every
        self._on_caught_up = on_caught_up
        self._backoff_cap = backoff_cap
        self._failed_connections = 0  # since the last connection that stayed up
        self._use_idle = use_idle
        self._stopping = threading.Event()
        self._catchup = CatchUp(
            mailbox,
            ledger=ledger,
            is_candidate=is_candidate,
            hand_over=hand_over,
            rescan_since=rescan_since,
            stopping=self._stopping,
        )
        # The parent's own messages: the Sent folder is caught up before each inbox catch-up.
        self._sent: SentFolderCatchUp | None = None
        if sent_folder is not None and is_sent_candidate is not None:
            self._sent = SentFolderCatchUp(
                sent_folder,
                mailbox,
                ledger=ledger,
                is_candidate=is_sent_candidate,
                hand_over=hand_over,
                rescan_since=rescan_since,
                stopping=self._stopping,
            )
        # stop() and catch_up_now() write a byte here to wake the thread from IDLE or a pause.
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._thread: threading.Thread | None = None
        self._session: ImapSession | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
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
        stopped). Never call it from the watcher thread (from hand_over, say)."""
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
        if self._sent is not None:
            self._sent.new_connection()
        self._catch_up(client)
        while not self._stopping.is_set():
            announced = take_announced_count(client._imap)
            if announced is not None and announced != self._catchup.exists:
                # Mail arrived during the catch-up: IDLE would not announce it again.
                self._catch_up(client)
                continue
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
        session = self._session
        if self._sent is not None and session is not None:
            # First, so that the inbox is the folder left selected for IDLE.
            self._sent.run(session)
            if self._stopping.is_set():
                return
        self._catchup.run(client)
        if self._stopping.is_set():
            return
        with self._progress:
            self._completed = max(self._completed, ticket)
            self._progress.notify_all()
        try:
            self._on_caught_up()
        except Exception:
            logger.exception("IMAP watcher: on_caught_up failed")

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
