"""The shape of the state database: tables, migrations, send steps, the timestamp format
and the event hash chain.

Pure data and functions; ``store.py`` is the only module that talks to SQLite. A migration
is a tuple of single SQL statements (never a script: ``executescript`` would commit the
surrounding transaction), applied in order inside one ``BEGIN IMMEDIATE`` transaction that
also sets ``PRAGMA user_version``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, Protocol

from iepd.store.files import sha256_hex
from iepd.vocabulary import (
    DRAFT_KINDS,
    DRAFT_STATUSES,
    FAILURE_STEPS,
    FINAL_STEPS,
    MESSAGE_CLASSES,
    OUTGOING_PURPOSES,
    REQUEST_STATES,
    SEND_STEPS,
)

GENESIS_HASH = "0" * 64


class StoredRow(Protocol):
    """A row read from SQLite, indexable by column name and iterable in the order of its
    columns (sqlite3.Row is one)."""

    def __getitem__(self, key: str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


# The states and purposes as version 1 knew them: a migration, once released, must build the
# same tables whatever the vocabulary grows into later (version 3 widens both).
_V1_STATES = (
    "draft", "queued", "sent", "followed_up", "escalated", "answered", "declined",
    "meeting_scheduled", "undeliverable", "failed", "closed", "uncertain",
)  # fmt: skip
_V1_PURPOSES = ("request", "followup", "escalation", "reminder")


def _requests_table(name: str, states: tuple[str, ...]) -> str:
    return f"""
        CREATE TABLE {name} (
            id TEXT PRIMARY KEY,
            child TEXT NOT NULL,
            reason TEXT NOT NULL,
            urgent INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
            state TEXT NOT NULL CHECK ({_in("state", states)}),
            subject TEXT,
            message_id TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            answered_at TEXT,
            meeting_at TEXT,
            meeting_location TEXT,
            followup_count INTEGER NOT NULL DEFAULT 0,
            last_followup_at TEXT,
            updated_at TEXT NOT NULL
        )
        """


def _messages_table(name: str, purposes: tuple[str, ...]) -> str:
    return f"""
        CREATE TABLE {name} (
            id INTEGER PRIMARY KEY,
            request_id TEXT NOT NULL REFERENCES requests(id),
            direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
            purpose TEXT NOT NULL CHECK (
                (direction = 'out' AND {_in("purpose", purposes)})
                OR (direction = 'in' AND purpose = 'incoming')),
            reminder_kind TEXT,
            message_id TEXT,
            in_reply_to TEXT,
            references_ TEXT,
            from_addr TEXT,
            to_addrs TEXT NOT NULL DEFAULT '[]',
            cc_addrs TEXT NOT NULL DEFAULT '[]',
            subject TEXT,
            date_header TEXT,
            internaldate TEXT,
            detected_at TEXT,
            created_at TEXT NOT NULL,
            mailbox TEXT,
            uidvalidity INTEGER,
            uid INTEGER,
            sha256 TEXT NOT NULL,
            eml_path TEXT NOT NULL,
            size INTEGER NOT NULL,
            "class" TEXT CHECK ("class" IS NULL OR {_in('"class"', MESSAGE_CLASSES)}),
            excerpt TEXT,
            problems TEXT,
            UNIQUE (mailbox, uidvalidity, uid)
        )
        """


_V1: tuple[str, ...] = (
    _requests_table("requests", _V1_STATES),
    _messages_table("messages", _V1_PURPOSES),
    "CREATE INDEX messages_by_request ON messages (request_id, id)",
    "CREATE INDEX messages_by_message_id ON messages (message_id)",
    f"""
    CREATE TABLE outbox (
        message_row INTEGER PRIMARY KEY REFERENCES messages(id),
        dedup_key TEXT NOT NULL UNIQUE,
        envelope_from TEXT NOT NULL,
        recipients TEXT NOT NULL,
        step TEXT NOT NULL CHECK ({_in("step", SEND_STEPS + FAILURE_STEPS)}),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try_at TEXT,
        last_error TEXT,
        accepted_at TEXT,
        updated_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id TEXT,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        message_id TEXT,
        from_addr TEXT,
        subject TEXT,
        detail TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )
    """,
    "CREATE INDEX events_by_request ON events (request_id, seq)",
    """
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END
    """,
    """
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END
    """,
    """
    CREATE TABLE imap_state (
        mailbox TEXT NOT NULL,
        uidvalidity INTEGER NOT NULL,
        last_uid INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (mailbox, uidvalidity)
    )
    """,
)

_V2: tuple[str, ...] = (
    # The failed attempts to file the Sent copy of a letter the server accepted: the letter
    # is sent all the same, and this count (with the time since) says when to give up.
    "ALTER TABLE outbox ADD COLUMN copy_attempts INTEGER NOT NULL DEFAULT 0",
)

# Version 3 (the conversation, issue 15): the v2 request states and the drafted letters'
# purposes (a CHECK cannot be altered in SQLite, so both tables are rebuilt; the migration
# runs with foreign keys off and checks them before it commits), the drafts, and the ledger
# of the parent's moves (each carried out once per reply or command).
_V3: tuple[str, ...] = (
    _requests_table("requests_v3", REQUEST_STATES),
    "INSERT INTO requests_v3 SELECT * FROM requests",
    "DROP TABLE requests",
    "ALTER TABLE requests_v3 RENAME TO requests",
    _messages_table("messages_v3", OUTGOING_PURPOSES),
    "INSERT INTO messages_v3 SELECT * FROM messages",
    "DROP TABLE messages",
    "ALTER TABLE messages_v3 RENAME TO messages",
    "CREATE INDEX messages_by_request ON messages (request_id, id)",
    "CREATE INDEX messages_by_message_id ON messages (message_id)",
    f"""
    CREATE TABLE drafts (
        id INTEGER PRIMARY KEY,
        request_id TEXT NOT NULL REFERENCES requests(id),
        kind TEXT NOT NULL CHECK ({_in("kind", DRAFT_KINDS)}),
        dedup_key TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK ({_in("status", DRAFT_STATUSES)}),
        replies_to TEXT,
        message_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        eml_path TEXT NOT NULL,
        decided_at TEXT,
        decided_by TEXT,
        outbox_key TEXT
    )
    """,
    "CREATE INDEX drafts_by_request ON drafts (request_id, id)",
    """
    CREATE TABLE moves (
        via TEXT PRIMARY KEY,
        request_id TEXT NOT NULL,
        move TEXT NOT NULL,
        said TEXT NOT NULL,
        at TEXT NOT NULL
    )
    """,
)

# MIGRATIONS[n] brings a database from user_version n to n + 1; append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)
EVENT_TRIGGERS = ("events_no_update", "events_no_delete")


def format_time(moment: datetime) -> str:
    """Given an aware datetime, return ISO 8601 UTC text like 2026-12-01T14:03:05.123456Z.

    Raise ValueError if it is naive: a naive time in the paper trail would be ambiguous.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the store needs timezone-aware times")
    # isoformat, not strftime: glibc's %Y writes the year 226 as "226", which fromisoformat
    # refuses, and a hostile Date header can carry any year
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def format_optional_time(moment: datetime | None) -> str | None:
    """Given an aware datetime or None, return its stored text or None."""
    return None if moment is None else format_time(moment)


def parse_time(text: str | None) -> datetime | None:
    """Given stored text (or None), return an aware UTC datetime (or None)."""
    if text is None:
        return None
    return datetime.fromisoformat(text).astimezone(UTC)


def required_time(text: str) -> datetime:
    """Given stored text of a NOT NULL column, return an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """Given the previous hash and an event's fields, return this event's SHA-256 hex.

    The fields are seq, request_id, at (stored text), kind, message_id, from, subject, detail;
    the canonical JSON sorts keys and has no spaces, so any reader can recompute it.
    """
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256_hex(f"{prev_hash}\n{canonical}".encode())


def event_fields(
    seq: int,
    request_id: str | None,
    at: str,
    kind: str,
    message_id: str | None,
    from_addr: str | None,
    subject: str | None,
    detail: str | None,
) -> dict[str, Any]:
    """Given an event's stored values, return the dict its hash covers."""
    return {
        "seq": seq,
        "request_id": request_id,
        "at": at,
        "kind": kind,
        "message_id": message_id,
        "from": from_addr,
        "subject": subject,
        "detail": detail,
    }


def chain_problems(events: Iterable[StoredRow], issued: int | None) -> list[str]:
    """Given the stored events in seq order (columns as stored) and the highest seq SQLite
    ever issued, return one line per broken link, edited event or missing event.

    Each event's hash is recomputed from its own stored text, so an edit is named by its
    seq; a re-hashed edit breaks the next event's prev_hash; a deleted event leaves a gap.
    """
    problems: list[str] = []
    expected_prev, expected_seq = GENESIS_HASH, 1
    for event in events:
        seq = int(event["seq"])
        if seq != expected_seq:
            problems.append(f"events {expected_seq} to {seq - 1} are missing")
        if event["prev_hash"] != expected_prev:
            problems.append(
                f"event {seq}: chain broken: prev_hash should be {expected_prev},"
                f" found {event['prev_hash']}"
            )
        fields = event_fields(
            seq,
            event["request_id"],
            event["at"],
            event["kind"],
            event["message_id"],
            event["from_addr"],
            event["subject"],
            event["detail"],
        )
        computed = event_hash(str(event["prev_hash"]), fields)
        if computed != event["hash"]:
            problems.append(
                f"event {seq}: content changed: hash should be {computed}, found {event['hash']}"
            )
        expected_prev, expected_seq = str(event["hash"]), seq + 1
    if issued is not None and issued >= expected_seq:
        problems.append(f"events {expected_seq} to {issued} are missing from the end of the log")
    return problems


def allowed_steps(step: str, *, with_reply: bool = False) -> frozenset[str]:
    """Given a send step, return the steps it may move to.

    Forward moves only (skipping is allowed: a Sent copy found after a crash in ``data``
    means ``accepted``), plus ``smtp -> queued``: before DATA nothing can have been
    delivered, so a 4xx or a broken connection there is safe to retry. ``data -> queued``
    only ``with_reply``: a 4xx reply to DATA or to its end proves the server kept nothing;
    a lost connection there proves nothing. ``failed`` (a 5xx) can end any step before
    ``accepted``; ``uncertain`` only ``data``, the window where the outcome is unknown.
    """
    if step in FINAL_STEPS:
        return frozenset()
    later = set(SEND_STEPS[SEND_STEPS.index(step) + 1 :])
    if step == "smtp" or (step == "data" and with_reply):
        later.add("queued")
    if step in ("queued", "smtp", "data"):
        later.add("failed")
    if step == "data":
        later.add("uncertain")
    return frozenset(later)
