"""The drafts table: the letters iepd wrote in the school's thread, waiting for the parent.

A draft is rendered once, with its Message-ID and Date, and its exact bytes are kept in the
mail folder; approving it queues those bytes in the outbox, so the letter that goes out is
the one the parent was shown. Mixed into ``store.Store``.
"""

# No `from __future__ import annotations`: typing.NamedTuple would compile every field's
# annotation text again at import.

from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from iepd.errors import StoreError
from iepd.store.events import EventLog
from iepd.store.files import sha256_hex
from iepd.store.schema import StoredRow, format_time, parse_time, required_time
from iepd.vocabulary import (
    ANSWER_CLASSES,
    DRAFT_APPROVED,
    DRAFT_CREATED,
    DRAFT_KINDS,
    DRAFT_WITHDRAWN,
    RECLASSIFIED,
)


class DraftRow(NamedTuple):
    """One drafted letter and where it stands; ``raw_path`` is absolute."""

    id: int
    request_id: str
    kind: str  # one of vocabulary.DRAFT_KINDS
    dedup_key: str  # what it answers: made once per key
    status: str  # pending | approved | withdrawn
    replies_to: str | None  # the Message-ID of the school's message it answers
    message_id: str
    subject: str
    created_at: datetime
    sha256: str
    eml_path: str
    raw_path: Path
    decided_at: datetime | None  # approved or withdrawn
    decided_by: str | None  # approved: the via ("cli", "email:<id>", "auto"); withdrawn: why
    outbox_key: str | None  # the outbox dedup key once approved

    def read_raw(self) -> bytes:
        """Return the exact bytes the parent was shown, and that SEND sends."""
        return self.raw_path.read_bytes()


class SchoolAnswer(NamedTuple):
    message_id: str
    klass: str
    at: datetime
    excerpt: str
    with_notice: bool


class ApprovedLetter(NamedTuple):
    request_id: str
    kind: str
    message_id: str
    step: str
    accepted_at: datetime | None
    updated_at: datetime


def draft_row(row: StoredRow, state_dir: Path) -> DraftRow:
    """Given a stored drafts row and the state folder, return it as a DraftRow."""
    return DraftRow(
        id=int(row["id"]),
        request_id=row["request_id"],
        kind=row["kind"],
        dedup_key=row["dedup_key"],
        status=row["status"],
        replies_to=row["replies_to"],
        message_id=row["message_id"],
        subject=row["subject"],
        created_at=required_time(row["created_at"]),
        sha256=row["sha256"],
        eml_path=row["eml_path"],
        raw_path=state_dir / row["eml_path"],
        decided_at=parse_time(row["decided_at"]),
        decided_by=row["decided_by"],
        outbox_key=row["outbox_key"],
    )


class DraftTable(EventLog):
    """The ``drafts`` table (each with its ``draft_*`` events) and the ``moves`` ledger."""

    def add_draft(
        self,
        *,
        request_id: str,
        kind: str,
        dedup_key: str,
        replies_to: str | None,
        message_id: str,
        subject: str,
        raw: bytes,
        now: datetime,
    ) -> DraftRow:
        """Given a rendered letter, record it as the request's pending draft, with its
        ``draft_created`` event, and return its row.

        Idempotent on ``dedup_key`` (the same draft for the same school message is made
        once). The raw copy is fsynced before the row commits.
        """
        if kind not in DRAFT_KINDS:
            raise ValueError(f"unknown draft kind {kind!r}")
        existing = self.draft_by_key(dedup_key)
        if existing is not None:
            return existing
        digest = sha256_hex(raw)
        name = f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-draft-{dedup_key}-{digest[:12]}"
        eml_path, digest = self.write_eml(raw, name)
        with self.transaction():
            existing = self.draft_by_key(dedup_key)
            if existing is not None:
                return existing
            row_id = self._insert(
                "drafts",
                {
                    "request_id": request_id,
                    "kind": kind,
                    "dedup_key": dedup_key,
                    "status": "pending",
                    "replies_to": replies_to,
                    "message_id": message_id,
                    "subject": subject,
                    "created_at": format_time(now),
                    "sha256": digest,
                    "eml_path": eml_path,
                },
            )
            self.append_event(
                request_id=request_id,
                kind=DRAFT_CREATED,
                at=now,
                message_id=message_id,
                subject=subject,
                detail=kind if replies_to is None else f"{kind} in reply to {replies_to}",
            )
            return self._required_draft(row_id)

    def draft_by_key(self, dedup_key: str) -> DraftRow | None:
        rows = self._fetchall("SELECT * FROM drafts WHERE dedup_key = ?", (dedup_key,))
        return draft_row(rows[0], self.state_dir) if rows else None

    def _required_draft(self, draft_id: int) -> DraftRow:
        rows = self._fetchall("SELECT * FROM drafts WHERE id = ?", (draft_id,))
        if not rows:
            raise StoreError(f"no draft {draft_id}")
        return draft_row(rows[0], self.state_dir)

    def drafts(self, request_id: str | None = None) -> list[DraftRow]:
        """Return the drafts (of one request, or all), oldest first."""
        if request_id is None:
            rows = self._fetchall("SELECT * FROM drafts ORDER BY id")
        else:
            rows = self._fetchall(
                "SELECT * FROM drafts WHERE request_id = ? ORDER BY id", (request_id,)
            )
        return [draft_row(row, self.state_dir) for row in rows]

    def pending_draft(self, request_id: str) -> DraftRow | None:
        """Return the request's newest draft still waiting for the parent, if any."""
        rows = self._fetchall(
            "SELECT * FROM drafts WHERE request_id = ? AND status = 'pending'"
            " ORDER BY id DESC LIMIT 1",
            (request_id,),
        )
        return draft_row(rows[0], self.state_dir) if rows else None

    def decide_draft(
        self, draft_id: int, *, status: str, by: str, now: datetime, outbox_key: str | None = None
    ) -> DraftRow:
        """Move a pending draft to ``approved`` (by: the via; outbox_key: where its letter
        was queued) or ``withdrawn`` (by: why), with its event, and return it.

        Raise StoreError if the draft is no longer pending: a draft is decided once.
        """
        if status not in ("approved", "withdrawn"):
            raise ValueError(f"a draft cannot become {status!r}")
        with self.transaction():
            draft = self._required_draft(draft_id)
            if draft.status != "pending":
                raise StoreError(f"draft {draft_id} is already {draft.status}")
            self._execute(
                "UPDATE drafts SET status = ?, decided_at = ?, decided_by = ?, outbox_key = ?"
                " WHERE id = ?",
                (status, format_time(now), by, outbox_key, draft_id),
            )
            self.append_event(
                request_id=draft.request_id,
                kind=DRAFT_APPROVED if status == "approved" else DRAFT_WITHDRAWN,
                at=now,
                message_id=draft.message_id,
                subject=draft.subject,
                detail=f"{draft.kind}: {by}",
            )
            return self._required_draft(draft_id)

    # -- the parent's moves, each carried out once per via

    def move_said(self, via: str) -> str | None:
        """Return what the move made under this via said, or None if none was made."""
        rows = self._fetchall("SELECT said FROM moves WHERE via = ?", (via,))
        return str(rows[0]["said"]) if rows else None

    def record_move(
        self, *, via: str, request_id: str, move: str, said: str, now: datetime
    ) -> None:
        """Record that a move was made under this via (join the move's transaction)."""
        self._insert(
            "moves",
            {"via": via, "request_id": request_id, "move": move, "said": said,
             "at": format_time(now)},
        )  # fmt: skip

    # -- what the planner reads of the conversation (one query each, for every request)

    def school_answers(self, *, include_all: bool = False) -> dict[str, SchoolAnswer]:
        """Return request id -> the newest message the school answered with (not an
        auto-reply, not a bounce: ``include_all`` counts those too), its class as corrected
        by the parent if it was, and whether its recorded evidence names a prior written
        notice sent with it."""
        rows = self._fetchall(
            'SELECT request_id, message_id, "class", detected_at, created_at, excerpt'
            " FROM messages WHERE direction = 'in' AND \"class\" IS NOT NULL ORDER BY id"
        )
        notes: dict[str, str] = {}
        corrected: dict[str, str] = {}
        for event in self._fetchall(
            "SELECT kind, message_id, detail FROM events WHERE kind IN (?, ?) ORDER BY seq",
            ("reply_received", RECLASSIFIED),
        ):
            if event["message_id"] is None:
                continue
            if event["kind"] == RECLASSIFIED:
                corrected[event["message_id"]] = str(event["detail"] or "").split(":")[0]
            else:
                notes[event["message_id"]] = str(event["detail"] or "")
        newest = {}
        for row in rows:
            klass = corrected.get(row["message_id"], row["class"])
            if include_all or klass in ANSWER_CLASSES:
                newest[row["request_id"]] = (row, klass)
        return {
            request_id: SchoolAnswer(
                message_id=row["message_id"] or f"<row-{request_id}>",
                klass=klass,
                at=required_time(row["detected_at"] or row["created_at"]),
                excerpt=row["excerpt"] or "",
                with_notice="prior written notice:" in notes.get(row["message_id"], ""),
            )
            for request_id, (row, klass) in newest.items()
        }

    def approved_letters(self) -> list[ApprovedLetter]:
        """Return every approved draft with its outbox progress, oldest first."""
        rows = self._fetchall(
            "SELECT d.request_id, d.kind, d.message_id, o.step, o.accepted_at, o.updated_at"
            " FROM drafts AS d JOIN outbox AS o ON o.dedup_key = d.outbox_key"
            " WHERE d.status = 'approved' ORDER BY d.id"
        )
        return [
            ApprovedLetter(
                row["request_id"],
                row["kind"],
                row["message_id"],
                row["step"],
                parse_time(row["accepted_at"]),
                required_time(row["updated_at"]),
            )
            for row in rows
        ]
