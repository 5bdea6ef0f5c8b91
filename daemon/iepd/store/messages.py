"""The message tables of the store: every message sent or matched, and the outbox that
records how far each outgoing one got.

An outgoing message is recorded, its raw copy fsynced first, before any SMTP command, under
a dedup key that makes recording it again a no-op; its send step then only moves forward
(see ``schema.allowed_steps``). Mixed into ``store.Store``, which provides the connection.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from iepd.errors import StoreError
from iepd.faults import crashpoint
from iepd.store.files import sha256_hex
from iepd.store.rows import (
    MessageRow,
    OutgoingRow,
    TableAccess,
    address_json,
    date_header,
    first_address,
    header_lookup,
    message_id_list,
    message_row,
    outgoing_row,
)
from iepd.store.schema import (
    allowed_steps,
    format_optional_time,
    format_time,
    parse_time,
    required_time,
)
from iepd.vocabulary import (
    ANSWER_CLASSES,
    FAILURE_STEPS,
    FINAL_STEPS,
    LETTER_PURPOSES,
    MESSAGE_CLASSES,
    OUTGOING_PURPOSES,
    SEND_STEPS,
)

_OUTGOING_SELECT = (
    "SELECT m.id AS message_row, m.*, o.dedup_key, o.envelope_from, o.recipients, o.step,"
    " o.attempts, o.copy_attempts, o.next_try_at, o.last_error, o.accepted_at, o.updated_at"
    " FROM outbox AS o JOIN messages AS m ON m.id = o.message_row"
)
_SUMMARY_SELECT = (
    "SELECT m.request_id, m.purpose, o.dedup_key, o.step, o.accepted_at, o.updated_at"
    " FROM outbox AS o JOIN messages AS m ON m.id = o.message_row"
)

# The classes of an incoming message that count as the school answering.


class OutgoingSummary(NamedTuple):
    """The part of an outgoing message the planner reads: no addresses, paths or headers,
    so reading a thousand of them on every pass stays cheap."""

    request_id: str
    purpose: str
    dedup_key: str
    step: str
    accepted_at: datetime | None
    updated_at: datetime


class InvalidStepError(StoreError):
    """A send step change that would go backwards or leave a final step."""


class MessageTables(TableAccess):
    """The ``messages`` and ``outbox`` tables."""

    def add_outgoing(
        self,
        *,
        request_id: str,
        purpose: str,
        reminder_kind: str | None,
        dedup_key: str,
        message_id: str,
        envelope_from: str,
        recipients: Sequence[str],
        raw: bytes,
        headers: Mapping[str, str],
        now: datetime,
    ) -> OutgoingRow:
        """Given a message about to be sent, record it (step ``queued``) and return its row.

        Idempotent on ``dedup_key``: if it is already recorded, return that row untouched,
        so a restarted process resends the same bytes and Message-ID, never a second
        letter. The raw copy is fsynced before the rows commit. For purpose ``request`` the
        request's ``message_id`` is set in the same transaction when still empty.
        """
        if purpose not in OUTGOING_PURPOSES:
            raise ValueError(f"unknown outgoing purpose {purpose!r}")
        if not recipients:
            raise ValueError("an outgoing message needs at least one recipient")
        existing = self.get_outgoing(dedup_key)
        if existing is not None:
            return existing
        # The digest in the name keeps a crash-then-rerender (a new Date header) from
        # colliding with the orphaned copy of the first rendering.
        digest = sha256_hex(raw)
        name = f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-out-{dedup_key}-{digest[:12]}"
        eml_path, digest = self.write_eml(raw, name)
        crashpoint("store.outgoing_eml_written")
        header = header_lookup(headers)
        stamp = format_time(now)
        with self.transaction():
            existing = self.get_outgoing(dedup_key)
            if existing is not None:
                return existing
            row_id = self._insert(
                "messages",
                {
                    "request_id": request_id,
                    "direction": "out",
                    "purpose": purpose,
                    "reminder_kind": reminder_kind,
                    "message_id": message_id,
                    "in_reply_to": message_id_list(header.get("in-reply-to")),
                    "references_": message_id_list(header.get("references")),
                    "from_addr": first_address(header.get("from")),
                    "to_addrs": address_json(header.get("to")),
                    "cc_addrs": address_json(header.get("cc")),
                    "subject": header.get("subject"),
                    "date_header": format_optional_time(date_header(header.get("date"))),
                    "created_at": stamp,
                    "sha256": digest,
                    "eml_path": eml_path,
                    "size": len(raw),
                },
            )
            self._insert(
                "outbox",
                {
                    "message_row": row_id,
                    "dedup_key": dedup_key,
                    "envelope_from": envelope_from,
                    "recipients": json.dumps(list(recipients)),
                    "step": "queued",
                    "attempts": 0,
                    "updated_at": stamp,
                },
            )
            if purpose == "request":
                self._execute(
                    "UPDATE requests SET message_id = ?, updated_at = ?"
                    " WHERE id = ? AND message_id IS NULL",
                    (message_id, stamp, request_id),
                )
            return self._required_outgoing(row_id)

    def get_outgoing(self, dedup_key: str) -> OutgoingRow | None:
        """Given a dedup key, return the outgoing message recorded under it, or None."""
        rows = self._fetchall(f"{_OUTGOING_SELECT} WHERE o.dedup_key = ?", (dedup_key,))
        return outgoing_row(rows[0], self.state_dir) if rows else None

    def _required_outgoing(self, row_id: int) -> OutgoingRow:
        rows = self._fetchall(f"{_OUTGOING_SELECT} WHERE o.message_row = ?", (row_id,))
        if not rows:
            raise StoreError(f"no outgoing message {row_id}")
        return outgoing_row(rows[0], self.state_dir)

    def list_outgoing(self, request_id: str | None = None) -> list[OutgoingRow]:
        """Return every outgoing message (of one request, if given), oldest first."""
        where, parameters = (
            ("", ()) if request_id is None else ("WHERE m.request_id = ?", (request_id,))
        )
        rows = self._fetchall(f"{_OUTGOING_SELECT} {where} ORDER BY m.id", parameters)
        return [outgoing_row(row, self.state_dir) for row in rows]

    def outgoing_summaries(self, request_id: str | None = None) -> list[OutgoingSummary]:
        """Return the summary of every outgoing message (of one request, if given), oldest
        first: the same messages as ``list_outgoing``, without building whole rows."""
        where, parameters = (
            ("", ()) if request_id is None else ("WHERE m.request_id = ?", (request_id,))
        )
        rows = self._fetchall(f"{_SUMMARY_SELECT} {where} ORDER BY m.id", parameters)
        # By position, in _SUMMARY_SELECT's order: the planner reads these on every pass.
        return [
            OutgoingSummary(
                request_id, purpose, dedup_key, step, parse_time(accepted), required_time(updated)
            )
            for request_id, purpose, dedup_key, step, accepted, updated in rows
        ]

    def pending_outgoing(self) -> list[OutgoingRow]:
        """Return the outgoing messages whose step is not final, oldest first."""
        placeholders = ", ".join("?" for _ in FINAL_STEPS)
        rows = self._fetchall(
            f"{_OUTGOING_SELECT} WHERE o.step NOT IN ({placeholders}) ORDER BY m.id",
            FINAL_STEPS,
        )
        return [outgoing_row(row, self.state_dir) for row in rows]

    def set_step(
        self,
        message_row: int,
        step: str,
        *,
        now: datetime,
        error: str | None = None,
        next_try_at: datetime | None = None,
    ) -> OutgoingRow:
        """Given an outgoing message, move it to ``step`` and commit durably; return it.

        Entering ``smtp`` counts an attempt; entering ``accepted`` records ``accepted_at``;
        ``error`` (when given) becomes last_error; ``next_try_at`` is stored as given (None
        clears it). ``data -> queued`` needs ``error``: the server's 4xx reply, the proof
        that nothing was kept. Raise InvalidStepError for a move ``allowed_steps`` forbids.
        Inside an outer transaction the move is durable when that one commits.
        """
        if step not in SEND_STEPS and step not in FAILURE_STEPS:
            raise InvalidStepError(f"unknown send step {step!r}")
        stamp = format_time(now)
        with self.transaction():
            current = self._required_outgoing(message_row)
            if step not in allowed_steps(current.step, with_reply=bool(error)):
                raise InvalidStepError(
                    f"outgoing message {message_row} ({current.dedup_key}) cannot move"
                    f" from {current.step} to {step}"
                )
            self._execute(
                "UPDATE outbox SET step = ?, attempts = attempts + ?,"
                " last_error = COALESCE(?, last_error), next_try_at = ?,"
                " accepted_at = COALESCE(accepted_at, ?), updated_at = ? WHERE message_row = ?",
                (
                    step,
                    1 if step == "smtp" else 0,
                    error,
                    format_optional_time(next_try_at),
                    stamp if step == "accepted" else None,
                    stamp,
                    message_row,
                ),
            )
            return self._required_outgoing(message_row)

    def postpone_copy(
        self, message_row: int, *, now: datetime, error: str, next_try_at: datetime
    ) -> OutgoingRow:
        """Given an accepted outgoing message whose Sent copy could not be filed, count the
        failed attempt, keep the error and when to try again, and commit; return the row.

        Raise InvalidStepError unless the message is at step ``accepted``.
        """
        with self.transaction():
            current = self._required_outgoing(message_row)
            if current.step != "accepted":
                raise InvalidStepError(
                    f"outgoing message {message_row} ({current.dedup_key}) is at step"
                    f" {current.step}, not accepted: no Sent copy is owed"
                )
            self._execute(
                "UPDATE outbox SET copy_attempts = copy_attempts + 1, last_error = ?,"
                " next_try_at = ?, updated_at = ? WHERE message_row = ?",
                (error, format_time(next_try_at), format_time(now), message_row),
            )
            return self._required_outgoing(message_row)

    # -- incoming messages

    def add_incoming(
        self,
        *,
        request_id: str,
        message_id: str | None,
        in_reply_to: str | None,
        references: str | Sequence[str] | None,
        from_addr: str | None,
        to_addrs: str | Sequence[str] | None,
        cc_addrs: str | Sequence[str] | None,
        subject: str | None,
        date_header: datetime | None,
        internaldate: datetime | None,
        detected_at: datetime,
        mailbox: str,
        uidvalidity: int,
        uid: int,
        raw: bytes,
        klass: str | None,
        excerpt: str | None,
        problems: str | None,
    ) -> MessageRow | None:
        """Given a matched incoming message, store its raw copy and row; return the row.

        Return None when that (mailbox, uidvalidity, uid) is already recorded, or the same
        Message-ID from the same sender with the same SHA-256 is (a UIDVALIDITY rescan).
        """
        if klass is not None and klass not in MESSAGE_CLASSES:
            raise ValueError(f"unknown message class {klass!r}")
        digest = sha256_hex(raw)
        known = (mailbox, uidvalidity, uid, message_id, from_addr, digest)
        if self._incoming_known(*known):
            return None
        name = f"{detected_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-in-{mailbox}-{uidvalidity}-{uid}"
        eml_path, digest = self.write_eml(raw, f"{name}-{digest[:12]}")
        detected = format_time(detected_at)
        with self.transaction():
            if self._incoming_known(*known):
                return None
            row_id = self._insert(
                "messages",
                {
                    "request_id": request_id,
                    "direction": "in",
                    "purpose": "incoming",
                    "message_id": message_id,
                    "in_reply_to": message_id_list(in_reply_to),
                    "references_": message_id_list(references),
                    "from_addr": from_addr,
                    "to_addrs": address_json(to_addrs),
                    "cc_addrs": address_json(cc_addrs),
                    "subject": subject,
                    "date_header": format_optional_time(date_header),
                    "internaldate": format_optional_time(internaldate),
                    "detected_at": detected,
                    "created_at": detected,
                    "mailbox": mailbox,
                    "uidvalidity": uidvalidity,
                    "uid": uid,
                    "sha256": digest,
                    "eml_path": eml_path,
                    "size": len(raw),
                    "class": klass,
                    "excerpt": excerpt,
                    "problems": problems,
                },
            )
            rows = self._fetchall("SELECT * FROM messages WHERE id = ?", (row_id,))
            return message_row(rows[0], self.state_dir)

    def _incoming_known(
        self,
        mailbox: str,
        uidvalidity: int,
        uid: int,
        message_id: str | None,
        from_addr: str | None,
        digest: str,
    ) -> bool:
        rows = self._fetchall(
            "SELECT 1 FROM messages WHERE direction = 'in' AND ("
            " (mailbox = ? AND uidvalidity = ? AND uid = ?)"
            " OR (message_id IS ? AND from_addr IS ? AND sha256 = ?)) LIMIT 1",
            (mailbox, uidvalidity, uid, message_id, from_addr, digest),
        )
        return bool(rows)

    def has_message_id(self, message_id: str, direction: str | None = None) -> bool:
        """Return whether a message with this Message-ID is recorded (in that direction)."""
        rows = self._fetchall(
            "SELECT 1 FROM messages WHERE message_id = ? AND (? IS NULL OR direction = ?)",
            (message_id, direction, direction),
        )
        return bool(rows)

    def messages_for(self, request_id: str) -> list[MessageRow]:
        """Return every message of a request, both directions, in the order recorded."""
        rows = self._fetchall(
            "SELECT * FROM messages WHERE request_id = ? ORDER BY id", (request_id,)
        )
        return [message_row(row, self.state_dir) for row in rows]

    def last_answer_times(self) -> dict[str, datetime]:
        """Return request id -> when the latest answer was detected, for every request with
        an incoming message of an answering class (``ANSWER_CLASSES``)."""
        placeholders = ", ".join("?" for _ in ANSWER_CLASSES)
        rows = self._fetchall(
            "SELECT request_id, detected_at FROM messages WHERE direction = 'in'"  # noqa: S608
            f" AND class IN ({placeholders}) AND detected_at IS NOT NULL",
            tuple(sorted(ANSWER_CLASSES)),
        )
        # Compared as times, not as stored text: the text's offset form is not guaranteed.
        latest: dict[str, datetime] = {}
        for row in rows:
            detected = required_time(row["detected_at"])
            if row["request_id"] not in latest or detected > latest[row["request_id"]]:
                latest[row["request_id"]] = detected
        return latest

    def sent_message_ids(self) -> dict[str, str]:
        """Return Message-ID -> request id for every letter to the school we recorded."""
        placeholders = ", ".join("?" for _ in LETTER_PURPOSES)
        rows = self._fetchall(
            "SELECT message_id, request_id FROM messages WHERE direction = 'out'"  # noqa: S608
            f" AND purpose IN ({placeholders}) AND message_id IS NOT NULL"
            " ORDER BY id",
            LETTER_PURPOSES,
        )
        return {row["message_id"]: row["request_id"] for row in rows}
