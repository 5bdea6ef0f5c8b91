"""The requests table of the store: one row per meeting request, copied from the config.

The config says what the parent wants; this row holds what happened to the request (its
state, when it was sent and answered). Mixed into ``store.Store``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from iepd.errors import StoreError
from iepd.store.events import EventLog
from iepd.store.rows import REQUESTS_SELECT, RequestRow, request_row
from iepd.store.schema import format_optional_time, format_time
from iepd.vocabulary import REQUEST_STATES

_TIME_COLUMNS = frozenset({"sent_at", "answered_at", "meeting_at", "last_followup_at"})
_REQUEST_COLUMNS = _TIME_COLUMNS | {
    "child",
    "reason",
    "urgent",
    "state",
    "subject",
    "message_id",
    "meeting_location",
    "followup_count",
}


def _column_value(column: str, value: Any) -> Any:
    if column in _TIME_COLUMNS:
        return format_optional_time(value)
    if column == "urgent":
        return int(bool(value))
    return value


class RequestTable(EventLog):
    """The ``requests`` table; a new request's first event goes to the event log."""

    def upsert_request(
        self,
        *,
        id: str,
        child: str,
        reason: str,
        urgent: bool,
        state_if_new: str,
        subject: str | None,
        now: datetime,
    ) -> RequestRow:
        """Given a request from the config, insert it (state ``state_if_new``) or refresh it.

        A new row logs ``request_drafted`` (state draft) or ``request_queued``; an existing
        row gets child, reason, urgent and subject updated, never its state.
        """
        if state_if_new not in REQUEST_STATES:
            raise ValueError(f"unknown request state {state_if_new!r}")
        stamp = format_time(now)
        wanted = {"child": child, "reason": reason, "urgent": int(bool(urgent)), "subject": subject}
        with self.transaction():
            existing = self.get_request(id)
            if existing is None:
                timestamps = {"created_at": stamp, "updated_at": stamp}
                self._insert("requests", {"id": id, "state": state_if_new, **wanted, **timestamps})
                kind = "request_drafted" if state_if_new == "draft" else "request_queued"
                self.append_event(
                    request_id=id, kind=kind, at=now, subject=subject, detail=state_if_new
                )
            elif (existing.child, existing.reason, existing.urgent, existing.subject) != (
                child,
                reason,
                bool(urgent),
                subject,
            ):
                self.update_request(id, now=now, **wanted)
            return self._required_request(id)

    def get_request(self, request_id: str) -> RequestRow | None:
        """Given a request id, return its row, or None if the store has none."""
        rows = self._fetchall(f"{REQUESTS_SELECT} WHERE id = ?", (request_id,))
        return request_row(rows[0]) if rows else None

    def _required_request(self, request_id: str) -> RequestRow:
        row = self.get_request(request_id)
        if row is None:
            raise StoreError(f"no request {request_id!r} in the store")
        return row

    def list_requests(self) -> list[RequestRow]:
        """Return every request, oldest first."""
        rows = self._fetchall(f"{REQUESTS_SELECT} ORDER BY created_at, id")
        return [request_row(row) for row in rows]

    def update_request(self, request_id: str, *, now: datetime, **fields: Any) -> RequestRow:
        """Given a request id and column values, update them and return the new row.

        Datetimes must be aware (None clears). Raise ValueError for a column that may not
        be changed this way or an unknown state, StoreError for an unknown request.
        """
        unknown = sorted(set(fields) - _REQUEST_COLUMNS)
        if unknown:
            raise ValueError(f"update_request cannot change {', '.join(unknown)}")
        if "state" in fields and fields["state"] not in REQUEST_STATES:
            raise ValueError(f"unknown request state {fields['state']!r}")
        values = {column: _column_value(column, value) for column, value in fields.items()}
        values["updated_at"] = format_time(now)
        assignments = ", ".join(f"{column} = ?" for column in values)
        with self.transaction():
            self._required_request(request_id)
            self._execute(
                f"UPDATE requests SET {assignments} WHERE id = ?",  # noqa: S608 (whitelisted)
                (*values.values(), request_id),
            )
            return self._required_request(request_id)
