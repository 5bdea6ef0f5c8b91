"""PURE: the date and time a parent writes after ``MEETING`` (or ``iepd meeting ID WHEN``).

Given the words ("Dec 8 3:30 pm", "12/8 15:30", "Tuesday Dec 8 at 3:30pm", "8 de diciembre
15:30"), the present moment and the parent's timezone, return an aware datetime, or raise
UnreadableMeetingTime with a reason the parent can act on. Nothing here reads a clock.

The rules, written for a parent in the US:
- a numeric date is month/day ("12/8" is December 8), as the school writes it; but for a
  parent who writes Spanish (``language`` "es"), whose families often write day/month, a
  numeric date that reads both ways ("8/12") is refused with a request to write the month
  in letters, and one that reads only one way ("25/12", "12/25") is read that way;
- a date without a year is the next such date (today counts);
- a weekday alone is the next such day (today counts while its time is still ahead);
- a weekday beside a date must agree with it ("Wednesday Dec 8" in 2026 is refused);
- a time without am/pm from 1 to 6 o'clock is afternoon: no school meets at 3:30 a.m.;
  the confirmation repeats the time, so a wrong guess shows at once;
- a time is required: a meeting needs one for its reminders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

MONTHS = {
    "jan": 1, "january": 1, "ene": 1, "enero": 1,
    "feb": 2, "february": 2, "febrero": 2,
    "mar": 3, "march": 3, "marzo": 3,
    "apr": 4, "april": 4, "abr": 4, "abril": 4,
    "may": 5, "mayo": 5,
    "jun": 6, "june": 6, "junio": 6,
    "jul": 7, "july": 7, "julio": 7,
    "aug": 8, "august": 8, "ago": 8, "agosto": 8,
    "sep": 9, "sept": 9, "september": 9, "septiembre": 9, "setiembre": 9,
    "oct": 10, "october": 10, "octubre": 10,
    "nov": 11, "november": 11, "noviembre": 11,
    "dec": 12, "december": 12, "dic": 12, "diciembre": 12,
}  # fmt: skip
WEEKDAYS = {
    "mon": 0, "monday": 0, "lunes": 0,
    "tue": 1, "tues": 1, "tuesday": 1, "martes": 1,
    "wed": 2, "wednesday": 2, "miercoles": 2, "miércoles": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "jueves": 3,
    "fri": 4, "friday": 4, "viernes": 4,
    "sat": 5, "saturday": 5, "sabado": 5, "sábado": 5,
    "sun": 6, "sunday": 6, "domingo": 6,
}  # fmt: skip
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TEXT_LIMIT = 200  # a date and a time fit; a longer "argument" is not one

_WORD = r"[a-záéíóúñ]+"
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?:t(?=\d))?")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?\b")
_MONTH_DAY = re.compile(rf"\b({_WORD})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}})\b)?")
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:de\s+|of\s+)?({_WORD})\b\.?(?:,?\s*(?:de\s+)?(\d{{4}})\b)?"
)
_CLOCK = re.compile(r"\b(\d{1,2})(?::|\.|h)(\d{2})\s*(a\.?\s?m\.?|p\.?\s?m\.?)?(?![\w])")
_HOUR_ONLY = re.compile(r"\b(\d{1,2})\s*(a\.?\s?m\.?|p\.?\s?m\.?)(?![\w])")
_NOON = re.compile(r"\b(noon|mediod[ií]a)\b")
_WORDS = re.compile(_WORD)


class UnreadableMeetingTime(ValueError):
    """The words hold no date and time iepd can be sure of; str() says why, for the parent."""


@dataclass(frozen=True)
class _Found:
    day: date | None
    weekday: int | None
    clock: time | None


def parse_meeting_time(text: str, now: datetime, zone: tzinfo, language: str = "en") -> datetime:
    """Given what the parent wrote, the present moment (aware), the parent's timezone and
    language, return the meeting's start as an aware datetime in that timezone.

    Raise UnreadableMeetingTime if no date (or weekday) and time can be read, or they
    contradict each other."""
    example = 'write it like "MEETING Dec 8 3:30 pm" or "MEETING 12/8 15:30"'
    words = " ".join(text.split()).lower()
    if not words:
        raise UnreadableMeetingTime(f"no date and time were given: {example}")
    if len(words) > TEXT_LIMIT:
        raise UnreadableMeetingTime(f"that is too long to be a date and time: {example}")
    today = now.astimezone(zone).date()
    found = _read(words, today, language)
    if found.day is None and found.weekday is None:
        raise UnreadableMeetingTime(f'iepd could not find a date in "{text.strip()}": {example}')
    if found.clock is None:
        raise UnreadableMeetingTime(
            f'iepd could not find a time of day in "{text.strip()}": {example}'
        )
    day = found.day
    if day is None:
        assert found.weekday is not None
        day = _next_weekday(found.weekday, found.clock, now.astimezone(zone))
    elif found.weekday is not None and day.weekday() != found.weekday:
        raise UnreadableMeetingTime(
            f"{day:%B} {day.day}, {day.year} is a {WEEKDAY_NAMES[day.weekday()]}, "
            f"not a {WEEKDAY_NAMES[found.weekday]}: please check the date"
        )
    return datetime.combine(day, found.clock, tzinfo=zone)


def _read(words: str, today: date, language: str) -> _Found:
    day, rest = _date(words, today, language)
    clock, rest = _clock(rest)
    weekdays = {WEEKDAYS[word] for word in _WORDS.findall(rest) if word in WEEKDAYS}
    if len(weekdays) > 1:
        raise UnreadableMeetingTime("two different weekdays were given: please give one")
    return _Found(day, weekdays.pop() if weekdays else None, clock)


def _date(words: str, today: date, language: str) -> tuple[date | None, str]:
    """Return the first date written in ``words`` and the words without it."""
    iso = _ISO_DATE.search(words)
    if iso:
        iso_year, iso_month, iso_day = (int(group) for group in iso.groups())
        return _day(iso_year, iso_month, iso_day), _cut(words, iso)
    numeric = _NUMERIC_DATE.search(words)
    if numeric:
        written_year = numeric.group(3)
        full_year = None
        if written_year is not None:
            full_year = int(written_year) + (2000 if len(written_year) == 2 else 0)
        month_day = _month_day(
            numeric.group(0), int(numeric.group(1)), int(numeric.group(2)), language
        )
        return _dated(full_year, *month_day, today), _cut(words, numeric)
    # "8 Dec 3:30" holds both "8 dec" and "dec 3": the one written first is the date
    named: list[tuple[int, int, int, re.Match[str]]] = []
    for pattern, month_group, day_group in ((_MONTH_DAY, 1, 2), (_DAY_MONTH, 2, 1)):
        for written in pattern.finditer(words):
            month_number = MONTHS.get(written.group(month_group).rstrip("."))
            if month_number is not None:
                day_number = int(written.group(day_group))
                named.append((written.start(), month_number, day_number, written))
    if not named:
        return None, words
    _, month, day, written = min(named, key=lambda found: found[0])
    named_year = None if written.group(3) is None else int(written.group(3))
    return _dated(named_year, month, day, today), _cut(words, written)


def _month_day(written: str, first: int, second: int, language: str) -> tuple[int, int]:
    """A numeric date's (month, day): month/day, except as the module's docstring says."""
    if language != "es":
        return first, second
    if 1 <= first <= 12 and 1 <= second <= 12 and first != second:
        raise UnreadableMeetingTime(
            f'iepd cannot tell the month from the day in "{written}": write the month in'
            ' letters, like "MEETING 8 Dec 3:30 pm"'
        )
    if first > 12 >= second:
        return second, first
    return first, second


def _dated(year: int | None, month: int, day: int, today: date) -> date:
    if year is not None:
        return _day(year, month, day)
    for candidate in range(today.year, today.year + 5):  # five years hold a February 29
        try:
            found = date(candidate, month, day)
        except ValueError:
            continue
        if found >= today:
            return found
    raise UnreadableMeetingTime(f"{month}/{day} is not a date on the calendar")


def _day(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as error:
        raise UnreadableMeetingTime(
            f"{month}/{day}/{year} is not a date on the calendar"
        ) from error


def _clock(words: str) -> tuple[time | None, str]:
    """Return the time of day written in ``words`` and the words without it."""
    if noon := _NOON.search(words):
        return time(12, 0), _cut(words, noon)
    written = _CLOCK.search(words)
    if written:
        hour, minute, half = int(written.group(1)), int(written.group(2)), written.group(3)
    elif written := _HOUR_ONLY.search(words):
        hour, minute, half = int(written.group(1)), 0, written.group(2)
    else:
        return None, words
    if minute > 59 or hour > 23 or (half and not 1 <= hour <= 12):
        raise UnreadableMeetingTime(f'"{written.group(0).strip()}" is not a time of day')
    if half:
        afternoon = half.startswith("p")
        hour = hour % 12 + (12 if afternoon else 0)
    elif 1 <= hour <= 6:
        hour += 12  # see the module's docstring: a school meets in the afternoon
    return time(hour, minute), _cut(words, written)


def _next_weekday(weekday: int, clock: time, local_now: datetime) -> date:
    today = local_now.date()
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and clock <= local_now.time().replace(tzinfo=None):
        ahead = 7
    return today + timedelta(days=ahead)


def _cut(words: str, found: re.Match[str]) -> str:
    return f"{words[: found.start()]} {words[found.end() :]}"
