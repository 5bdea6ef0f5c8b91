"""Calendar invitations (text/calendar parts): the only module that imports icalendar."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

logger = logging.getLogger(__name__)

# A real invitation is a few kilobytes; a hostile one must not stall the watcher.
CALENDAR_INPUT_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class Invite:
    """One VEVENT of a calendar object. ``start`` is aware, with a fixed UTC offset that keeps
    the organiser's wall-clock time; ``notes`` says where a guess was made."""

    method: str  # METHOD of the calendar, upper-case ("REQUEST", "CANCEL", ...); "" if absent
    start: datetime | None
    location: str | None
    summary: str
    notes: tuple[str, ...] = ()


def read_invites(data: bytes, method_hint: str = "") -> tuple[Invite, ...]:
    """Given the bytes of a text/calendar part (and the Content-Type ``method`` parameter as a
    hint), return one :class:`Invite` per VEVENT, earliest first. Never raises: unreadable data
    gives an empty tuple."""
    try:
        calendar = icalendar.Calendar.from_ical(data[:CALENDAR_INPUT_LIMIT])
    except Exception as error:  # icalendar raises ValueError, KeyError, TypeError, ...
        logger.info("unreadable calendar part: %s", error)
        return ()
    try:
        method = str(calendar.get("METHOD", "") or method_hint).strip().upper()
        invites = [_read_event(event, method) for event in calendar.walk("VEVENT")]
    except Exception as error:
        logger.info("calendar part with an unreadable event: %s", error)
        return ()
    far_future = datetime.max.replace(tzinfo=UTC)
    return tuple(sorted(invites, key=lambda invite: invite.start or far_future))


def _read_event(event: icalendar.cal.Component, method: str) -> Invite:
    notes: list[str] = []
    start: datetime | None = None
    prop = event.get("DTSTART")
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        start = _aware(value, str(prop.params.get("TZID", "")) if prop.params else "", notes)
    elif isinstance(value, date):
        start = datetime(value.year, value.month, value.day, tzinfo=UTC)
        notes.append("all-day event: start taken as midnight UTC")
    elif prop is not None:
        notes.append("DTSTART could not be read")
    location = event.get("LOCATION")
    summary = event.get("SUMMARY")
    return Invite(
        method=method,
        start=start,
        location=_clean(str(location)) if location is not None else None,
        summary=_clean(str(summary)) if summary is not None else "",
        notes=tuple(notes),
    )


def _aware(value: datetime, tzid: str, notes: list[str]) -> datetime:
    if value.tzinfo is None and tzid:
        try:
            value = value.replace(tzinfo=ZoneInfo(tzid))
        except (ZoneInfoNotFoundError, ValueError):
            notes.append(f"unknown TZID {tzid!r}: time treated as UTC")
    if value.tzinfo is None or value.utcoffset() is None:
        if not tzid:
            notes.append("floating time: treated as UTC")
        return value.replace(tzinfo=UTC)
    offset = value.utcoffset() or timedelta(0)
    # icalendar's own tzinfo classes are replaced by a plain fixed offset: the caller stores
    # and compares this value, and should not depend on icalendar's types.
    return value.astimezone(timezone(offset))


def _clean(text: str) -> str:
    return " ".join(text.split())
