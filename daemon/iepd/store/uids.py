"""The UID ledger of the store: how far the catch-up has read each IMAP mailbox.

One row per mailbox and UIDVALIDITY: a new UIDVALIDITY means the server renumbered the
mailbox, so the catch-up rescans it rather than trusting a UID of the old numbering. Mixed
into ``store.Store``.
"""

from __future__ import annotations

from datetime import datetime

from iepd.store.rows import TableAccess
from iepd.store.schema import format_time


class UidLedger(TableAccess):
    """The ``imap_state`` table: the highest UID processed per mailbox generation."""

    def last_uid(self, mailbox: str, uidvalidity: int) -> int | None:
        """Return the highest UID processed in that mailbox generation, or None."""
        rows = self._fetchall(
            "SELECT last_uid FROM imap_state WHERE mailbox = ? AND uidvalidity = ?",
            (mailbox, uidvalidity),
        )
        return int(rows[0]["last_uid"]) if rows else None

    def known_uidvalidity(self, mailbox: str) -> int | None:
        """Return the UIDVALIDITY last recorded for a mailbox (a change means a rescan)."""
        rows = self._fetchall(
            "SELECT uidvalidity FROM imap_state WHERE mailbox = ?"
            " ORDER BY updated_at DESC, rowid DESC LIMIT 1",
            (mailbox,),
        )
        return int(rows[0]["uidvalidity"]) if rows else None

    def set_last_uid(self, mailbox: str, uidvalidity: int, uid: int, *, now: datetime) -> None:
        """Record that UIDs up to ``uid`` are processed; a lower value changes nothing."""
        with self.transaction():
            self._execute(
                "INSERT INTO imap_state (mailbox, uidvalidity, last_uid, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (mailbox, uidvalidity) DO UPDATE SET"
                " last_uid = excluded.last_uid, updated_at = excluded.updated_at"
                " WHERE excluded.last_uid > imap_state.last_uid",
                (mailbox, uidvalidity, uid, format_time(now)),
            )
