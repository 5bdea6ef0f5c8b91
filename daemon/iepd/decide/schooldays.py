"""School days, the send window and wall-clock time in the parent's timezone. Pure.

Every function takes and returns aware datetimes and returns them in UTC. Two aware
datetimes that share a tzinfo compare and subtract by wall time (PEP 495), which is wrong
across a fall-back hour; keeping instants in UTC avoids that trap for every caller.
"""

from __future__ import annotations

import logging
from collections.abc import Set
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from iepd.config.model import Duration, SendWindow

logger = logging.getLogger(__name__)

WEEKEND = frozenset({5, 6})  # Saturday, Sunday (date.weekday())

# A window with at least one weekday opens within a week; the extra days cover a window
# that opened the evening before and one that is empty on a DST day.
_WINDOW_SEARCH_DAYS = 10


def as_utc(instant: datetime) -> datetime:
    """Given an aware datetime, return the same instant in UTC. Raise ValueError if it is
    naive, because a naive time has no place on the timeline."""
    if instant.tzinfo is UTC:  # most callers pass UTC already; astimezone would return it
        return instant
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {instant.isoformat()}")
    return instant.astimezone(UTC)


def localize(local: datetime, zone: ZoneInfo) -> datetime:
    """Given a naive wall-clock datetime in zone, return the instant it names, in UTC.

    A wall time that does not exist (skipped when clocks spring forward) moves forward by
    the length of the gap, as the clocks did (02:30 becomes 03:30); a wall time that occurs
    twice (fall-back) takes the first occurrence. Raise ValueError if local is aware.
    """
    if local.tzinfo is not None:
        raise ValueError(f"expected a naive local datetime, got {local.isoformat()}")
    # Under PEP 495, fold=0 applies the offset in force before a change: for a skipped time
    # that lands after the gap, shifted by its length; for a repeated time it is the first.
    # The constructor gives fold=0 more cheaply than replace(tzinfo=zone, fold=0), and the
    # planner localizes for every request on every pass.
    aware = datetime(
        local.year, local.month, local.day, local.hour, local.minute, local.second,
        local.microsecond, zone,
    )  # fmt: skip
    return aware.astimezone(UTC)


def wall_time(instant: datetime, zone: ZoneInfo) -> datetime:
    """Given an aware instant, return the naive wall-clock datetime it shows in zone."""
    return as_utc(instant).astimezone(zone).replace(tzinfo=None)


def is_school_day(day: date, holidays: Set[date]) -> bool:
    """Given a date, return whether it is Monday to Friday and not one of holidays."""
    return day.weekday() not in WEEKEND and day not in holidays


def add_school_days(day: date, count: int, holidays: Set[date]) -> date:
    """Given a date and a count, return the date count school days later (earlier when
    negative). Weekends and holidays are stepped over, so Friday plus one is Monday; a
    count of zero returns day itself even when it is not a school day."""
    step = timedelta(days=1 if count >= 0 else -1)
    remaining = abs(count)
    while remaining:
        day += step
        if is_school_day(day, holidays):
            remaining -= 1
    return day


def shift(
    instant: datetime,
    duration: Duration,
    zone: ZoneInfo,
    *,
    backwards: bool = False,
    business_days: bool = False,
    holidays: Set[date] = frozenset(),
) -> datetime:
    """Given an instant and a duration, return the instant that far later (or earlier when
    backwards), in UTC.

    Days are counted on the local calendar of zone and keep the local time of day, so "7d"
    from 10:00 is 10:00 a week later even across a DST change; with business_days they are
    school days ("1d" from a Friday is the Monday). Hours, minutes and seconds are then
    added as elapsed time: "1d12h" is one day, then twelve hours.
    """
    moved = as_utc(instant)
    if duration.days:
        # Aware, not wall_time(): its date and time are the wall clock's, without the cost
        # of replace(tzinfo=None) (localize() drops the fold it carries).
        local = moved.astimezone(zone)
        days = -duration.days if backwards else duration.days
        if business_days:
            day = add_school_days(local.date(), days, holidays)
        else:
            day = local.date() + timedelta(days=days)
        moved = localize(datetime.combine(day, local.time()), zone)
    if not duration.seconds:
        return moved
    seconds = timedelta(seconds=duration.seconds)
    return moved - seconds if backwards else moved + seconds


def window_bounds(day: date, window: SendWindow, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Given a local date and a send window, return the UTC instants at which the window
    opening on that date opens and closes (the close falls on the next date when the
    window's end is not after its start). On a DST day the two may be equal or reversed,
    which means the window is empty that day."""
    end_day = day if window.end > window.start else day + timedelta(days=1)
    opens = localize(datetime.combine(day, window.start), zone)
    closes = localize(datetime.combine(end_day, window.end), zone)
    return opens, closes


def next_window_instant(instant: datetime, window: SendWindow | None, zone: ZoneInfo) -> datetime:
    """Given an instant, return the earliest instant at or after it inside the send window,
    in UTC (the instant itself when it is inside, or when there is no window).

    The window opens at its start time on each of its weekdays, in zone's local time, so a
    07:30 opening the day after a DST change is at that day's 07:30. Raise ValueError if
    the window never opens (no weekdays).
    """
    moment = as_utc(instant)
    if window is None:
        return moment
    first_day = wall_time(moment, zone).date() - timedelta(days=1)
    for offset in range(_WINDOW_SEARCH_DAYS):
        day = first_day + timedelta(days=offset)
        if day.weekday() not in window.weekdays:
            continue
        opens, closes = window_bounds(day, window, zone)
        if closes > opens and closes > moment:
            return max(opens, moment)
    raise ValueError("the send window never opens: it names no weekday")


def in_send_window(instant: datetime, window: SendWindow | None, zone: ZoneInfo) -> bool:
    """Given an instant, return whether a letter may go out at that instant."""
    return next_window_instant(instant, window, zone) == as_utc(instant)
