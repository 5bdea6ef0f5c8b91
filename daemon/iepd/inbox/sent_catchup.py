"""The Sent folder's catch-up: the parent's own messages, read on the watcher's connection.

The watcher runs it just before each catch-up of the inbox (so the inbox is the folder left
selected for IDLE): at every connection, after every IDLE refresh or poll, on news in the
inbox, and whenever ``catch_up_now`` asks (before any follow-up goes out). No IDLE on the
Sent folder itself: a message the parent sends is seen within one refresh. Its position is
kept by UID in the ledger under the Sent folder's own name, as the inbox's is under its own.
The folder is looked for once per connection (``ImapSession.locate_sent_folder``: the
configured name, the folder flagged \\Sent, the namespace's variants); an account without
one, or a folder the server will not open, only means no Sent catch-up until the next
connection, never a broken watch on the inbox.
"""

from __future__ import annotations

import imaplib
import logging
import threading
from collections.abc import Callable
from datetime import date

from iepd.inbox.catchup import CatchUp, Handover, UidLedger
from iepd.mail.imap import ImapSession

# Runs in the watcher thread: it logs as the watcher, like catchup.
logger = logging.getLogger("iepd.inbox.watcher")


class SentFolderCatchUp:
    """Given the configured Sent folder's name and where progress goes, bring the watcher
    up to date with the Sent folder on each call of ``run``."""

    def __init__(
        self,
        configured: str,
        inbox: str,
        *,
        ledger: UidLedger,
        is_candidate: Callable[[bytes], bool],
        hand_over: Callable[[Handover], None],
        rescan_since: Callable[[], date | None],
        stopping: threading.Event,
    ) -> None:
        self._configured = configured
        self._inbox = inbox

        def make(folder: str) -> CatchUp:
            return CatchUp(
                folder,
                ledger=ledger,
                is_candidate=is_candidate,
                hand_over=hand_over,
                rescan_since=rescan_since,
                stopping=stopping,
            )

        self._make = make
        self._catchups: dict[str, CatchUp] = {}  # by folder name: positions survive reconnects
        self._folder: str | None = None
        self._located = False

    def new_connection(self) -> None:
        """Look for the Sent folder again at the next run (it may have been renamed)."""
        self._located = False

    def run(self, session: ImapSession) -> None:
        """Deliver every candidate in the Sent folder past the last UID processed.

        Raise a CONNECTION_ERRORS error when the connection fails; a folder the server
        refuses to open is logged and skipped until the next connection."""
        if not self._located:
            self._folder = session.locate_sent_folder(self._configured)
            self._located = True
            if self._folder is None:
                logger.info("IMAP watcher: no Sent folder found; the parent's own messages"
                            " will not be read")  # fmt: skip
            elif self._folder == self._inbox:
                self._folder = None
        if self._folder is None:
            return
        catchup = self._catchups.get(self._folder)
        if catchup is None:
            catchup = self._catchups[self._folder] = self._make(self._folder)
        try:
            catchup.run(session.client)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as error:
            # A NO or BAD from the server (the folder was deleted, say): the connection
            # itself is fine, and the inbox must go on being watched.
            logger.warning("IMAP watcher: cannot read %s: %s", self._folder, error)
            self._folder = None
