"""The parent's own messages in a request's thread, as the store keeps them.

A message the parent wrote by hand and sent to the school is found in the Sent folder; it is
kept like a school's message (a ``messages`` row, direction ``in`` since iepd read it from
IMAP, no class, its raw copy fsynced with its SHA-256) and marked by its ``parent_message``
event, whose ``detail`` is the moment the parent sent it (ISO 8601, UTC): the school's
clocks restart from there. No schema change: the event is what tells it from the school's
mail. Mixed into ``store.Store``.
"""

from __future__ import annotations

from datetime import datetime

from iepd.store.events import EventLog
from iepd.store.rows import MessageRow
from iepd.store.schema import format_time, parse_time
from iepd.vocabulary import LETTER_PURPOSES, PARENT_MESSAGE


class ParentMessages(EventLog):
    """Reading what the thread holds, and the times of the parent's own messages."""

    def own_message_ids(self) -> frozenset[str]:
        """Return the Message-ID of every message iepd sent or queued (letters, reminders):
        found in the Sent folder, they are already in the record."""
        rows = self._fetchall(
            "SELECT message_id FROM messages WHERE direction = 'out' AND message_id IS NOT NULL"
        )
        return frozenset(str(row["message_id"]).strip().casefold() for row in rows)

    def reminder_message_ids(self) -> frozenset[str]:
        """Return the Message-ID of every reminder iepd sent or queued to the parent: a
        message that replies to one is the parent's word to iepd, not to the school."""
        rows = self._fetchall(
            "SELECT message_id FROM messages WHERE direction = 'out' AND purpose = 'reminder'"
            " AND message_id IS NOT NULL"
        )
        return frozenset(str(row["message_id"]).strip().casefold() for row in rows)

    def thread_messages(self) -> dict[str, list[tuple[str | None, str | None]]]:
        """Return request id -> (Message-ID, From) of every message of its thread: iepd's
        letters to the school and each message recorded from IMAP (the school's, and the
        parent's own). Reminders to the parent are no part of the thread."""
        marks = ", ".join("?" for _ in LETTER_PURPOSES)
        rows = self._fetchall(
            "SELECT request_id, message_id, from_addr FROM messages"  # noqa: S608
            f" WHERE direction = 'in' OR purpose IN ({marks}) ORDER BY id",
            LETTER_PURPOSES,
        )
        found: dict[str, list[tuple[str | None, str | None]]] = {}
        for row in rows:
            found.setdefault(row["request_id"], []).append((row["message_id"], row["from_addr"]))
        return found

    def parent_message_ids(self) -> dict[str, str]:
        """Return Message-ID -> request id of every parent's message recorded in a thread:
        the school's reply to one is in that request's thread."""
        rows = self._fetchall(
            "SELECT message_id, request_id FROM events WHERE kind = ?"
            " AND message_id IS NOT NULL AND request_id IS NOT NULL ORDER BY seq",
            (PARENT_MESSAGE,),
        )
        return {str(row["message_id"]): str(row["request_id"]) for row in rows}

    def last_parent_message_times(self) -> dict[str, datetime]:
        """Return request id -> when the parent sent their newest message in its thread."""
        rows = self._fetchall(
            "SELECT request_id, detail FROM events WHERE kind = ? AND request_id IS NOT NULL",
            (PARENT_MESSAGE,),
        )
        latest: dict[str, datetime] = {}
        for row in rows:
            when = _sent_moment(row["detail"])
            request_id = str(row["request_id"])
            if when is not None and (request_id not in latest or when > latest[request_id]):
                latest[request_id] = when
        return latest

    def record_parent_message(
        self, *, stored: MessageRow, sent_at: datetime, detected_at: datetime
    ) -> None:
        """Given the row of a parent's message just stored (``add_incoming``, in the same
        transaction) and when the parent sent it, append its ``parent_message`` event."""
        self.append_event(
            kind=PARENT_MESSAGE,
            request_id=stored.request_id,
            at=detected_at,
            message_id=stored.message_id,
            from_addr=stored.from_addr,
            subject=stored.subject,
            detail=format_time(sent_at),
        )


def _sent_moment(detail: object) -> datetime | None:
    if not isinstance(detail, str):
        return None
    try:
        return parse_time(detail.strip())
    except ValueError:
        return None
