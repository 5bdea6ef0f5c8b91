"""The watcher's catch-up by UID: what it hands over, and where it keeps its place.

EXAMINE -> the last UID processed (memory, else the ledger) -> UID SEARCH past it ->
headers in batches -> each candidate fetched whole (BODY.PEEK, no flag changed) and
delivered -> the ledger advanced, in UID order. With no last UID (first run, or a new
UIDVALIDITY, announced as UidValidityChanged) the messages SINCE rescan_since() are looked
at instead. Everything here runs in the watcher thread; see watcher.py for the contract.
"""

from __future__ import annotations

import imaplib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeAlias

from iepd.errors import MailServerError
from iepd.inbox.idle_io import MESSAGE_ERRORS, aware, fetch_headers, take_announced_count

# Called only from the watcher thread: it logs as the watcher, like idle_io.
logger = logging.getLogger("iepd.inbox.watcher")

HEADER_BATCH = 500
# A message whose fetch broke the connection this many times in a row is skipped, so that
# one poisonous message can never stall the watcher.
SKIP_AFTER_FAILURES = 3
# imapclient's errors all derive from imaplib's; ssl errors are OSErrors.
CONNECTION_ERRORS = (OSError, imaplib.IMAP4.error, MailServerError)

_HEADER = b"BODY[HEADER]"
_BODY = b"BODY[]"


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


Handover: TypeAlias = FetchedMessage | UidValidityChanged


class UidLedger(Protocol):
    """Where the watcher's progress is kept (the store implements it)."""

    def last_uid(self, mailbox: str, uidvalidity: int) -> int | None: ...

    def set_last_uid(self, mailbox: str, uidvalidity: int, uid: int) -> None: ...

    def known_uidvalidity(self, mailbox: str) -> int | None: ...


class CatchUp:
    """Given a mailbox and where to record progress, bring the watcher up to date with it,
    one connection after another: the position is kept across reconnects."""

    def __init__(
        self,
        mailbox: str,
        *,
        ledger: UidLedger,
        is_candidate: Callable[[bytes], bool],
        hand_over: Callable[[Handover], None],
        rescan_since: Callable[[], date | None],
        stopping: threading.Event,
    ) -> None:
        self.mailbox = mailbox
        self._ledger = ledger
        self._is_candidate = is_candidate
        self._hand_over = hand_over
        self._rescan_since = rescan_since
        self._stopping = stopping
        self._position: tuple[int, int] | None = None  # (uidvalidity, last uid processed)
        self._announced: int | None = None  # the UIDVALIDITY a change was delivered for
        self._failures: dict[tuple[int, int], int] = {}
        self.exists = 0  # the message count the last EXAMINE gave

    def run(self, client: Any) -> None:
        """Deliver every candidate past the last UID processed; return early on stop.
        Raise a CONNECTION_ERRORS error when the connection fails."""
        selected = client.select_folder(self.mailbox, readonly=True)  # EXAMINE
        # The count EXAMINE gave, and no other kept: a different count announced from here on
        # is mail that came during this catch-up, which the watcher looks for before IDLE.
        take_announced_count(client._imap)
        self.exists = int(selected.get(b"EXISTS", 0))
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
            self._hand_over(UidValidityChanged(self.mailbox, old, uidvalidity))
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
                except CONNECTION_ERRORS:
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
        except MESSAGE_ERRORS as exc:
            logger.warning("IMAP watcher: fetching UID %d failed (%s); skipped", uid, exc)
            return
        if not isinstance(body, bytes) or not body:
            logger.warning("IMAP watcher: UID %d came without a body; skipped", uid)
            return
        when = aware(data.get(b"INTERNALDATE"), uid)
        logger.debug("IMAP watcher: UID %d (%d bytes) delivered", uid, len(body))
        self._hand_over(FetchedMessage(self.mailbox, uidvalidity, uid, when, body))

    def _advance(self, uidvalidity: int, uid: int) -> None:
        # The ledger first: if it fails, the message is delivered again, never lost.
        self._ledger.set_last_uid(self.mailbox, uidvalidity, uid)
        self._position = (uidvalidity, uid)
