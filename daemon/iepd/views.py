"""What `iepd status` and `iepd timeline` show, as plain data and as text.

The JSON shapes are the SPEC's contract: status rows have ``id, child, state, sent_at,
last_answer_at, next_action, next_due``; timeline events have ``at, kind, message_id, from,
subject, detail`` with ``at`` in ISO 8601 UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from iepd.store import EventRow, Store

ANSWER_CLASSES = frozenset({"answer", "declined", "informal", "invite"})

NextStep = Callable[[str], "tuple[str, datetime | None] | None"]


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")


def status_rows(store: Store, next_step: NextStep) -> list[dict[str, Any]]:
    """Given the store and a way to ask for a request's next step, return the status rows."""
    rows = []
    for request in store.list_requests():
        answers = [
            message.detected_at
            for message in store.messages_for(request.id)
            if message.direction == "in"
            and message.klass in ANSWER_CLASSES
            and message.detected_at is not None
        ]
        step = next_step(request.id)
        rows.append(
            {
                "id": request.id,
                "child": request.child,
                "state": request.state,
                "sent_at": iso_utc(request.sent_at),
                "last_answer_at": iso_utc(max(answers) if answers else request.answered_at),
                "next_action": step[0] if step else None,
                "next_due": iso_utc(step[1]) if step else None,
            }
        )
    return rows


def timeline_rows(events: Sequence[EventRow]) -> list[dict[str, Any]]:
    return [
        {
            "at": iso_utc(event.at),
            "kind": event.kind,
            "message_id": event.message_id,
            "from": event.from_addr,
            "subject": event.subject,
            "detail": event.detail,
        }
        for event in events
    ]


def _local(value: str | None, zone: ZoneInfo) -> str:
    if value is None:
        return "-"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=False))
        for line in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def format_status(rows: Sequence[dict[str, Any]], timezone: str, now: datetime) -> str:
    zone = ZoneInfo(timezone)
    table = []
    for row in rows:
        days = "-"
        if row["sent_at"]:
            sent = datetime.fromisoformat(row["sent_at"].replace("Z", "+00:00"))
            days = str((now - sent).days)
        table.append(
            [
                row["id"],
                row["child"],
                row["state"],
                _local(row["sent_at"], zone),
                days,
                _local(row["last_answer_at"], zone),
                row["next_action"] or "-",
                _local(row["next_due"], zone),
            ]
        )
    header = ["REQUEST", "CHILD", "STATE", "SENT", "DAYS", "LAST ANSWER", "NEXT", "WHEN"]
    if not table:
        return "no requests yet: add a [[request]] to the config"
    return format_table(header, table) + f"\n(times in {timezone})"


def format_timeline(rows: Sequence[dict[str, Any]], timezone: str) -> str:
    zone = ZoneInfo(timezone)
    out = []
    for row in rows:
        when = f"{_local(row['at'], zone)} {timezone}  ({row['at']})"
        out.append(f"{when}  {row['kind']}")
        for label, key in (
            ("from", "from"),
            ("subject", "subject"),
            ("message-id", "message_id"),
            ("detail", "detail"),
        ):
            if row[key]:
                out.append(f"    {label}: {row[key]}")
    return "\n".join(out) if out else "no events yet"
