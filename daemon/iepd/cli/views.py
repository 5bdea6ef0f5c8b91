"""What `iepd status` and `iepd timeline` show, as plain data and as text.

The JSON shapes are the SPEC's contract: status rows have ``id, child, state, sent_at,
last_answer_at, next_action, next_due`` and (v2) ``waiting_for``; timeline events have
``at, kind, message_id, from, subject, detail`` with ``at`` in ISO 8601 UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # types only: `iepd status` need not import the trail
    from iepd.config.model import Config, RequestSettings
    from iepd.store.database import EventRow, RequestRow, Store
    from iepd.trail.timeline import Trail

NextStep = Callable[[str], "tuple[str, datetime | None] | None"]

_PLURALS = {"child": "children"}


def counted(number: int, noun: str) -> str:
    """Given a count and an English noun, return them as words: ``1 child``, ``2 children``,
    ``0 requests``."""
    if number == 1:
        return f"1 {noun}"
    return f"{number} {_PLURALS.get(noun, noun + 's')}"


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    # datetime.UTC, not ZoneInfo("UTC"): the same instant and text, without a cache lookup.
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def status_rows(
    store: Store,
    next_step: NextStep,
    requests: Sequence[RequestRow] | None = None,
    waiting: Callable[[str], str] | None = None,
) -> list[dict[str, Any]]:
    """Given the store, a way to ask for a request's next step, (if already read) the
    request rows and a way to ask who owes the next move, return the status rows, times as
    aware datetimes (``json_rows`` writes them in ISO 8601 UTC)."""
    from iepd.trail.postal import summaries_by_request

    rows: list[dict[str, Any]] = []
    # One query for every request's latest answer, not every message of each request.
    answered = store.last_answer_times()
    mailed = summaries_by_request(store)  # printed letters mailed: a key only where any
    for request in store.list_requests() if requests is None else requests:
        step = next_step(request.id)
        rows.append(
            {
                "id": request.id,
                "child": request.child,
                "state": request.state,
                "sent_at": request.sent_at,
                "last_answer_at": answered.get(request.id, request.answered_at),
                "next_action": step[0] if step else None,
                "next_due": step[1] if step else None,
                "waiting_for": waiting(request.id) if waiting else None,
            }
        )
        if request.id in mailed:
            rows[-1]["mailed"] = mailed[request.id]
    return rows


def unrecorded_rows(
    config: Config, requests: Sequence[RequestSettings], now: datetime
) -> list[dict[str, Any]]:
    """Given the config, requests of it that the store has no row for (``iepd run`` has not
    run since they were added, or never ran) and now, return their status rows: nothing
    sent, the state the daemon gives a request when it copies it into the store (``draft``
    on hold, ``closed``, else ``queued``) and the planner's next step from there. They are
    in the store's order of requests copied at one time: by id."""
    if not requests:
        return []
    from iepd.decide.plan import RequestSnapshot, request_next_step
    from iepd.run.snapshots import local_to_utc, rules_for

    rules = rules_for(config)
    timezone = config.parent.timezone
    rows = []
    for request in sorted(requests, key=lambda request: request.id):
        state = "closed" if request.closed else "draft" if request.hold else "queued"
        snapshot = RequestSnapshot(
            id=request.id,
            state=state,
            urgent=request.urgent,
            hold=request.hold,
            closed=request.closed,
            send_at=local_to_utc(request.send_at, timezone),
            meeting_at=local_to_utc(request.meeting_at, timezone),
        )
        step = request_next_step(snapshot, rules, now)
        rows.append(
            {
                "id": request.id,
                "child": request.child,
                "state": state,
                "sent_at": None,
                "last_answer_at": None,
                "next_action": step[0] if step else None,
                "next_due": step[1] if step else None,
                # iepd's own move (the letter goes out when due), or the parent's (the hold)
                "waiting_for": "parent" if state == "draft" else "nothing",
            }
        )
    return rows


def unrecorded_line(row: dict[str, Any], timezone: str, now: datetime) -> str:
    """Given an ``unrecorded_rows`` row, the parent's timezone and now, return the one line
    ``iepd timeline`` shows for a request with nothing recorded yet."""
    if row["state"] == "closed":
        return "closed before it was sent: nothing is sent"
    if row["state"] == "draft":
        return "a draft (hold = true): not sent; `iepd run` sends it once the hold is lifted"
    due = row["next_due"]
    if due is None or due <= now:
        return "not sent yet; `iepd run` sends it"
    return f"not sent yet; `iepd run` sends it at {_local(due, ZoneInfo(timezone))} ({timezone})"


def json_rows(rows: Sequence[dict[str, Any]]) -> str:
    """Given rows, return them as a JSON array with one row per line (datetimes in ISO 8601
    UTC): as easy to read and to grep as indented JSON, and written by json's C encoder,
    which ``indent`` turns off."""
    import json

    if not rows:
        return "[]"
    # One encoder: json.dumps with ``default`` would build a new one for every row.
    encode = json.JSONEncoder(default=_iso_utc_default).encode
    lines = (encode(row) for row in rows)
    return "[\n" + ",\n".join(f"  {line}" for line in lines) + "\n]"


def _iso_utc_default(value: object) -> str:
    if isinstance(value, datetime):
        return iso_utc(value) or ""
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def timeline_rows(events: Sequence[EventRow]) -> list[dict[str, Any]]:
    """Given events, return the SPEC's timeline objects (``at`` in ISO 8601 UTC)."""
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


def trail_rows(trail: Trail) -> list[dict[str, Any]]:
    """Given a request's trail, return the SPEC's timeline objects with added keys: the
    event's ``seq`` and ``hash``, and for an event about a stored message its ``direction``,
    ``to``, ``cc``, ``class``, the times ``date_header``, ``internaldate`` (incoming),
    ``sent_at`` (outgoing: accepted by the SMTP server), ``recorded_at``, its ``sha256``,
    ``stored_as`` (path in the state folder) and ``file`` (its name in an export).
    """
    rows = []
    for entry, row in zip(
        trail.entries, timeline_rows([entry.event for entry in trail.entries]), strict=True
    ):
        row["seq"] = entry.event.seq
        row["hash"] = entry.event.hash
        message = entry.message
        if message is not None:
            stored = message.row
            row.update(
                {
                    "direction": stored.direction,
                    "message_from": stored.from_addr,
                    "to": list(stored.to_addrs),
                    "cc": list(stored.cc_addrs),
                    "class": stored.klass or message.kind,
                    "date_header": iso_utc(stored.date_header),
                    "internaldate": iso_utc(stored.internaldate),
                    "sent_at": iso_utc(message.sent_at),
                    "recorded_at": iso_utc(message.recorded_at),
                    "sha256": stored.sha256,
                    "stored_as": stored.eml_path,
                    "file": f"messages/{message.filename}",
                }
            )
        rows.append(row)
    return rows


def local_and_utc(value: str | datetime | None, zone: ZoneInfo) -> str:
    """Given a UTC ISO text or an aware datetime, return it in local time with UTC beside:
    ``Mon 2026-11-16 08:00:00 CST (2026-11-16 14:00:00 UTC)``.
    """
    if value is None:
        return "-"
    moment = value if isinstance(value, datetime) else _parse(value)
    local = moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M:%S %Z")
    utc = moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{local} ({utc})"


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "-"
    # isoformat is "YYYY-MM-DD HH:MM:..." and quicker than strftime, once per cell.
    return moment.astimezone(zone).isoformat(" ", "minutes")[:16]


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Given a header and rows of text cells, return them as columns two spaces apart."""
    widths = [max(map(len, column)) for column in zip(header, *rows, strict=True)]
    # One format string for every line: str.format pads in C, not a cell at a time in Python.
    line = "  ".join(f"{{:<{width}}}" for width in widths)
    return "\n".join(line.format(*cells).rstrip() for cells in [header, *rows])


def format_status(
    rows: Sequence[dict[str, Any]], timezone: str, now: datetime, unrecorded: int = 0
) -> str:
    """Given ``status_rows``, the parent's timezone, now and how many of the rows are
    ``unrecorded_rows``, return the table the parent reads, times in local time."""
    zone = ZoneInfo(timezone)
    table = []
    for row in rows:
        days = "-"
        if row["sent_at"]:
            days = str((now - row["sent_at"]).days)
        table.append(
            [
                row["id"],
                row["child"],
                row["state"],
                row.get("waiting_for") or "-",
                _local(row["sent_at"], zone),
                days,
                _local(row["last_answer_at"], zone),
                row["next_action"] or "-",
                _local(row["next_due"], zone),
            ]
        )
    header = [
        "REQUEST", "CHILD", "STATE", "WAITING FOR", "SENT", "DAYS SINCE SENT", "LAST ANSWER",
        "NEXT", "WHEN",
    ]  # fmt: skip
    if not table:
        return "no requests yet: add a [[request]] to the config"
    note = ""
    if unrecorded:
        them = "it" if unrecorded == 1 else "them"
        note = f"\n{counted(unrecorded, 'request')} new in the config: not sent yet;"
        note += f" `iepd run` takes {them} up"
    note += _mailed_note(rows)
    return format_table(header, table) + note + f"\n(times in {timezone})"


def _mailed_note(rows: Sequence[dict[str, Any]]) -> str:
    """One line per printed letter mailed, under the table: by post, with its dates."""
    if not any(row.get("mailed") for row in rows):
        return ""
    from iepd.trail.postal import describe

    lines = [f"{row['id']}: {describe(item)}" for row in rows for item in row.get("mailed", ())]
    return "\nby post:\n" + "\n".join(f"  {line}" for line in lines)


_OUT_TIMES = (("Date header", "date_header"), ("accepted", "sent_at"), ("recorded", "recorded_at"))
_IN_TIMES = (
    ("Date header", "date_header"),
    ("INTERNALDATE", "internaldate"),
    ("recorded", "recorded_at"),
)


def format_timeline(rows: Sequence[dict[str, Any]], timezone: str) -> str:
    """Given timeline rows (``trail_rows`` or ``timeline_rows``), return the text the
    parent reads: each event in local time with UTC beside it, then who wrote to whom, the
    subject, the class and the three times of the message it is about.
    """
    zone = ZoneInfo(timezone)
    out = []
    for row in rows:
        seq = f"  #{row['seq']}" if "seq" in row else ""
        out.append(f"{local_and_utc(row['at'], zone)}  {row['kind']}{seq}")
        fields: list[tuple[str, str | None]] = [
            ("from", row["from"] or row.get("message_from")),
            ("to", ", ".join(row.get("to") or []) or None),
            ("cc", ", ".join(row.get("cc") or []) or None),
            ("subject", row["subject"]),
            ("class", row.get("class")),
        ]
        if "direction" in row:
            times = _OUT_TIMES if row["direction"] == "out" else _IN_TIMES
            fields += [(label, local_and_utc(row[key], zone)) for label, key in times]
        fields += [
            ("message-id", row["message_id"]),
            ("detail", row["detail"]),
            ("file", row.get("stored_as")),
        ]
        out += [f"    {label + ':':<14}{value}" for label, value in fields if value]
    if not out:
        return "no events yet"
    return "\n".join(out) + f"\n(times in {timezone}, UTC in brackets)"
