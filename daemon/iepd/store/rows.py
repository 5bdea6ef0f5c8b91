"""The rows the store hands out: named tuples with times parsed back to aware UTC.

Also the conversions between them and the stored columns (JSON address lists, space-separated
Message-ID lists, parsed Date headers), and ``TableAccess``, the primitives the store's table
groups build on. Pure: no database, no files.
"""

# No `from __future__ import annotations`: typing.NamedTuple would compile every field's
# annotation text again at import.

import json
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from iepd.store.schema import StoredRow, parse_time, required_time


class RequestRow(NamedTuple):
    """One meeting request as the store knows it."""

    id: str
    child: str
    reason: str
    urgent: bool
    state: str
    subject: str | None
    message_id: str | None
    created_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    meeting_at: datetime | None
    meeting_location: str | None
    followup_count: int
    last_followup_at: datetime | None
    updated_at: datetime


class MessageRow(NamedTuple):
    """One message sent or matched, with where its raw copy lives (``raw_path`` absolute)."""

    id: int
    request_id: str
    direction: str
    purpose: str
    reminder_kind: str | None
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    from_addr: str | None
    to_addrs: tuple[str, ...]
    cc_addrs: tuple[str, ...]
    subject: str | None
    date_header: datetime | None
    internaldate: datetime | None
    detected_at: datetime | None
    created_at: datetime
    mailbox: str | None
    uidvalidity: int | None
    uid: int | None
    sha256: str
    eml_path: str
    raw_path: Path
    size: int
    klass: str | None
    excerpt: str | None
    problems: str | None


class OutgoingRow(NamedTuple):
    """An outgoing message joined with its send progress; ``raw_path`` is absolute."""

    message_row: int
    request_id: str
    purpose: str
    reminder_kind: str | None
    dedup_key: str
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str | None
    from_addr: str | None
    to_addrs: tuple[str, ...]
    cc_addrs: tuple[str, ...]
    envelope_from: str
    recipients: tuple[str, ...]
    step: str
    attempts: int
    copy_attempts: int  # failed attempts to file the Sent copy (at step accepted)
    next_try_at: datetime | None
    last_error: str | None
    accepted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    sha256: str
    size: int
    eml_path: str
    raw_path: Path

    def read_raw(self) -> bytes:
        """Return the exact bytes to send (those whose SHA-256 the store recorded)."""
        return self.raw_path.read_bytes()


class EventRow(NamedTuple):
    """One entry of the append-only paper trail."""

    seq: int
    request_id: str | None
    at: datetime
    kind: str
    message_id: str | None
    from_addr: str | None
    subject: str | None
    detail: str | None
    prev_hash: str
    hash: str


def address_json(value: str | Sequence[str] | None) -> str:
    """Given a header value or a list of addresses, return the addr-specs as a JSON list."""
    if value is None:
        return "[]"
    from email.utils import getaddresses  # here: email.utils imports socket; status needs neither

    fields = [value] if isinstance(value, str) else [str(item) for item in value]
    return json.dumps([address for _, address in getaddresses(fields) if address])


def first_address(value: str | None) -> str | None:
    """Given a From-like header value, return its first addr-spec, or None."""
    addresses = json.loads(address_json(value))
    return str(addresses[0]) if addresses else None


def message_id_list(value: str | Sequence[str] | None) -> str | None:
    """Given Message-IDs (a header value or a list), return them space-separated, or None."""
    if value is None:
        return None
    tokens = value.split() if isinstance(value, str) else [str(item) for item in value]
    return " ".join(tokens) or None


def date_header(value: str | None) -> datetime | None:
    """Given a Date header value, return it as an aware datetime, or None if unreadable."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime  # lazily, as in address_json

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    # RFC 5322 "-0000" (zone unknown) parses naive; UTC is the honest reading.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def header_lookup(headers: Mapping[str, str]) -> dict[str, str]:
    """Given message headers, return them keyed by lower-case name."""
    return {str(name).lower(): str(value) for name, value in headers.items()}


def _addresses(text: str | None) -> tuple[str, ...]:
    return tuple(str(item) for item in json.loads(text)) if text else ()


def _ids(text: str | None) -> tuple[str, ...]:
    return tuple((text or "").split())


# A RequestRow's columns in its field order, to unpack by position: `iepd status` reads a
# row per request, and unpacking is quicker than looking each column up by name.
REQUESTS_SELECT = f"SELECT {', '.join(RequestRow._fields)} FROM requests"  # noqa: S608 - our names


def request_row(row: StoredRow) -> RequestRow:
    """Given a stored requests row selected by ``REQUESTS_SELECT``, return a RequestRow."""
    (
        request_id, child, reason, urgent, state, subject, message_id, created_at, sent_at,
        answered_at, meeting_at, meeting_location, followup_count, last_followup_at, updated_at,
    ) = row  # fmt: skip
    return RequestRow(
        request_id,
        child,
        reason,
        bool(urgent),
        state,
        subject,
        message_id,
        required_time(created_at),
        parse_time(sent_at),
        parse_time(answered_at),
        parse_time(meeting_at),
        meeting_location,
        followup_count,
        parse_time(last_followup_at),
        required_time(updated_at),
    )


def message_row(row: StoredRow, state_dir: Path) -> MessageRow:
    """Given a stored messages row and the state folder, return it as a MessageRow."""
    return MessageRow(
        id=row["id"],
        request_id=row["request_id"],
        direction=row["direction"],
        purpose=row["purpose"],
        reminder_kind=row["reminder_kind"],
        message_id=row["message_id"],
        in_reply_to=row["in_reply_to"],
        references=_ids(row["references_"]),
        from_addr=row["from_addr"],
        to_addrs=_addresses(row["to_addrs"]),
        cc_addrs=_addresses(row["cc_addrs"]),
        subject=row["subject"],
        date_header=parse_time(row["date_header"]),
        internaldate=parse_time(row["internaldate"]),
        detected_at=parse_time(row["detected_at"]),
        created_at=required_time(row["created_at"]),
        mailbox=row["mailbox"],
        uidvalidity=row["uidvalidity"],
        uid=row["uid"],
        sha256=row["sha256"],
        eml_path=row["eml_path"],
        raw_path=state_dir / row["eml_path"],
        size=row["size"],
        klass=row["class"],
        excerpt=row["excerpt"],
        problems=row["problems"],
    )


def outgoing_row(row: StoredRow, state_dir: Path) -> OutgoingRow:
    """Given a stored messages-join-outbox row and the state folder, return an OutgoingRow."""
    return OutgoingRow(
        message_row=row["message_row"],
        request_id=row["request_id"],
        purpose=row["purpose"],
        reminder_kind=row["reminder_kind"],
        dedup_key=row["dedup_key"],
        message_id=row["message_id"],
        in_reply_to=row["in_reply_to"],
        references=_ids(row["references_"]),
        subject=row["subject"],
        from_addr=row["from_addr"],
        to_addrs=_addresses(row["to_addrs"]),
        cc_addrs=_addresses(row["cc_addrs"]),
        envelope_from=row["envelope_from"],
        recipients=_addresses(row["recipients"]),
        step=row["step"],
        attempts=row["attempts"],
        copy_attempts=row["copy_attempts"],
        next_try_at=parse_time(row["next_try_at"]),
        last_error=row["last_error"],
        accepted_at=parse_time(row["accepted_at"]),
        created_at=required_time(row["created_at"]),
        updated_at=required_time(row["updated_at"]),
        sha256=row["sha256"],
        size=row["size"],
        eml_path=row["eml_path"],
        raw_path=state_dir / row["eml_path"],
    )


def event_row(row: StoredRow) -> EventRow:
    """Given a stored events row, return it as an EventRow."""
    return EventRow(
        seq=row["seq"],
        request_id=row["request_id"],
        at=required_time(row["at"]),
        kind=row["kind"],
        message_id=row["message_id"],
        from_addr=row["from_addr"],
        subject=row["subject"],
        detail=row["detail"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


class TableAccess:
    """What the table groups (``store_messages``, ``store_trail``, ``store_uids``) need from
    the store.

    ``Store`` provides these over its one SQLite connection; the groups stay free of
    sqlite3 so that ``store.py`` remains its only importer.
    """

    state_dir: Path

    def transaction(self) -> AbstractContextManager[None]:
        """Run a block in one write transaction (nested blocks join it)."""
        raise NotImplementedError

    def _snapshot(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> Sequence[StoredRow]:
        raise NotImplementedError

    def _execute(self, sql: str, parameters: Sequence[Any] = ()) -> object:
        raise NotImplementedError

    def _insert(self, table: str, values: Mapping[str, Any]) -> int:
        raise NotImplementedError

    def write_eml(self, raw: bytes, name: str) -> tuple[str, str]:
        """Write a raw copy durably; return (relative path, sha256)."""
        raise NotImplementedError
