"""The paper trail of the store: the append-only, hash-chained event log and its check.

Each event's hash covers the previous event's hash and its own fields (``schema.event_hash``),
so an edit, an insertion or a deletion made behind SQLite's back shows in ``verify``, which
also checks every stored ``.eml`` against its SHA-256. Mixed into ``store.Store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from iepd.store import files as mailfolder
from iepd.store.rows import EventRow, TableAccess, event_row, message_row
from iepd.store.schema import (
    EVENT_TRIGGERS,
    GENESIS_HASH,
    chain_problems,
    event_fields,
    event_hash,
    format_time,
)


class EventLog(TableAccess):
    """The ``events`` table and the verification of the whole record."""

    def append_event(
        self,
        *,
        request_id: str | None,
        kind: str,
        at: datetime,
        message_id: str | None = None,
        from_addr: str | None = None,
        subject: str | None = None,
        detail: str | None = None,
    ) -> EventRow:
        """Append one event to the hash-chained log and return it."""
        stamp = format_time(at)
        with self.transaction():
            last = self._fetchall("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
            seq = int(last[0]["seq"]) + 1 if last else 1
            prev_hash = str(last[0]["hash"]) if last else GENESIS_HASH
            fields = event_fields(
                seq, request_id, stamp, kind, message_id, from_addr, subject, detail
            )
            columns = {key: value for key, value in fields.items() if key != "from"}
            self._insert(
                "events",
                {
                    **columns,
                    "from_addr": from_addr,
                    "prev_hash": prev_hash,
                    "hash": event_hash(prev_hash, fields),
                },
            )
            return event_row(self._fetchall("SELECT * FROM events WHERE seq = ?", (seq,))[0])

    def events(self, request_id: str | None = None) -> list[EventRow]:
        """Return the events (of one request, if given), oldest first."""
        rows = self._fetchall(
            "SELECT * FROM events WHERE ? IS NULL OR request_id = ? ORDER BY seq",
            (request_id, request_id),
        )
        return [event_row(row) for row in rows]

    def events_of_kinds(self, kinds: Sequence[str]) -> list[EventRow]:
        """Return every request's events of these kinds, oldest first."""
        marks = ", ".join("?" for _ in kinds)
        rows = self._fetchall(
            f"SELECT * FROM events WHERE kind IN ({marks}) ORDER BY seq",  # noqa: S608
            tuple(kinds),
        )
        return [event_row(row) for row in rows]

    def has_event(self, request_id: str, kind: str, message_id: str) -> bool:
        """Return whether the request's log holds an event of this kind for this message."""
        rows = self._fetchall(
            "SELECT 1 FROM events WHERE request_id = ? AND kind = ? AND message_id = ? LIMIT 1",
            (request_id, kind, message_id),
        )
        return bool(rows)

    def chain_head(self) -> str:
        """Return the hash of the newest event (64 zeros for an empty log)."""
        rows = self._fetchall("SELECT hash FROM events ORDER BY seq DESC LIMIT 1")
        return str(rows[0]["hash"]) if rows else GENESIS_HASH

    def verify(self, request_id: str | None = None) -> list[str]:
        """Return the problems found, one line each: a missing append-only trigger, broken
        chain links and edited or missing events (naming the seq), missing or changed
        ``.eml`` files (only one request's, if given; the chain is always checked whole).
        An empty list means everything verifies.
        """
        problems: list[str] = []
        with self._snapshot():
            triggers = self._fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
            )
            events = self._fetchall("SELECT * FROM events ORDER BY seq")
            issued = self._fetchall("SELECT seq FROM sqlite_sequence WHERE name = 'events'")
            messages = self._fetchall(
                "SELECT * FROM messages WHERE ? IS NULL OR request_id = ? ORDER BY id",
                (request_id, request_id),
            )
        present = {row["name"] for row in triggers}
        problems += [
            f"the append-only trigger {name} on events is missing"
            for name in EVENT_TRIGGERS
            if name not in present
        ]
        problems += chain_problems(events, int(issued[0]["seq"]) if issued else None)
        for message in (message_row(row, self.state_dir) for row in messages):
            label = f"message {message.id} ({message.message_id or 'no Message-ID'})"
            try:
                found = mailfolder.file_sha256(message.raw_path)
            except FileNotFoundError:
                problems.append(f"{label}: {message.eml_path} is missing")
                continue
            except OSError as error:
                problems.append(f"{label}: {message.eml_path} cannot be read: {error}")
                continue
            if found != message.sha256:
                problems.append(
                    f"{label}: {message.eml_path} changed: sha256 should be {message.sha256},"
                    f" found {found}"
                )
        return problems
