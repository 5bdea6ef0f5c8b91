"""How the text of a letter looks: lines wrapped at 72 columns (list items and quoted lines
with a hanging indent), no control characters or runs of blank lines, and dates written out
in English in the parent's timezone. Used by ``letters`` and ``reminders``, and by the
``longdate`` and ``longdatetime`` template filters.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from iepd.config.model import Config

WRAP_WIDTH = 72

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_LINE_PREFIX = re.compile(r"(?P<quote>[ \t]*(?:>[ \t]?)*)(?P<marker>(?:[-*•]|\d+[.)])[ \t]+)?")
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def tidy(text: str) -> str:
    """Given rendered text, return it with LF line ends, no control characters, no runs of
    blank lines, long lines wrapped at 72 columns and one final newline."""
    text = _LINE_BREAKS.sub("\n", text).expandtabs(4)
    text = "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")
    lines: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip()
        if not line and (not lines or not lines[-1]):
            continue
        lines.extend(_wrap(line))
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def _wrap(line: str) -> list[str]:
    if len(line) <= WRAP_WIDTH:
        return [line]
    prefix = _LINE_PREFIX.match(line)
    assert prefix is not None  # the pattern matches the empty string
    first = prefix.group(0)
    hanging = prefix.group("quote") + " " * len(prefix.group("marker") or "")
    wrapped = textwrap.wrap(
        line[len(first) :],
        width=WRAP_WIDTH,
        initial_indent=first,
        subsequent_indent=hanging,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return wrapped or [line]


def long_date(moment: date, zone: tzinfo) -> str:
    """Given a date or datetime, return its day in ``zone`` as "Tuesday, December 1, 2026"
    (in English whatever the locale)."""
    day = _local(moment, zone)
    return f"{_WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}, {day.year}"


def long_datetime(moment: datetime, zone: tzinfo) -> str:
    """Given a datetime, return it in ``zone`` as "Tuesday, December 1, 2026 at 3:30 pm CST"."""
    local = _local(moment, zone)
    assert isinstance(local, datetime)
    hour = local.hour % 12 or 12
    meridiem = "am" if local.hour < 12 else "pm"
    zone_name = f" {local.tzname()}" if local.tzinfo is not None else ""
    return f"{long_date(local, zone)} at {hour}:{local.minute:02d} {meridiem}{zone_name}"


def parent_zone(config: Config) -> tzinfo:
    """Given a config, return the parent's timezone."""
    return zone_named(config.parent.timezone)


def zone_named(name: str) -> tzinfo:
    """Given an IANA zone name, return that zone; given "", this machine's local zone."""
    if name:
        return ZoneInfo(name)
    local = datetime.now().astimezone().tzinfo
    assert local is not None  # astimezone() always sets one
    return local


def _local(moment: date, zone: tzinfo) -> date:
    # a naive datetime is already the parent's local time (meeting_at, send_at in the config)
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return moment.astimezone(zone)
    return moment
