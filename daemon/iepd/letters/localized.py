"""Dates, times and plurals in the parent's language, from Babel's CLDR data: the one module
that imports babel.

English keeps iepd's own US style ("Tuesday, December 1, 2026 at 3:30 pm CST", as the AP
writes times); Spanish follows CLDR's US Spanish ("martes 8 de diciembre de 2026 a las
3:30 p.m.") but for the comma after the weekday, which Spanish prose does not write ("el
martes 8 de diciembre"). The words around the numbers ("school day", "and") are in
``iepd.letters.words``; only which plural form a number takes comes from here.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

# US English and US Spanish: iepd's parents live in the US, and es_US writes "p.m." and
# the 12-hour clock they see at school, where CLDR's plain "es" writes 13:05.
_LOCALES = {"en": "en_US", "es": "es_US"}


# Babel is imported when iepd first writes a date, not when the daemon starts: Babel and one
# locale's CLDR data cost ~5.7 MiB of RSS (measured: rendering four messages grew the process
# by 0.2 MiB before Babel, 5.9 MiB with it), which a daemon with nothing to write need not
# hold; Python keeps that memory once loaded.
@lru_cache(maxsize=4)
def _locale(language: str) -> Locale:
    from babel import Locale

    return Locale.parse(_LOCALES[language])


def full_date(day: date, language: str) -> str:
    """Given a local date, return it written out: "Tuesday, December 8, 2026" or
    "martes 8 de diciembre de 2026". Raise KeyError for a language iepd does not write."""
    from babel.dates import format_date

    written = format_date(day, format="full", locale=_locale(language))
    return written.replace(", ", " ", 1) if language == "es" else written


def weekday_and_day(day: date, language: str) -> str:
    """Given a local date, return the weekday, month and day without the year: "Tuesday,
    December 8" or "martes 8 de diciembre"."""
    if language == "en":
        return full_date(day, language).rsplit(",", 1)[0]
    # CLDR has no skeleton with the full weekday and no year that every locale fills in; the
    # full date less its year is the same words in the same order
    return full_date(day, language).rsplit(" de ", 1)[0]


def time_of_day(moment: datetime, language: str) -> str:
    """Given a local datetime, return its time on a 12-hour clock: "3:30 pm", "3:30 p.m."."""
    from babel.dates import format_time

    text = format_time(moment, "h:mm a", locale=_locale(language))
    if language == "en":
        # CLDR writes "PM"; iepd's English has always written "pm", and old letters stay alike
        text = text.replace("\N{NARROW NO-BREAK SPACE}", " ")
        return text.replace("AM", "am").replace("PM", "pm")
    return text


def short_weekday(day: date, language: str) -> str:
    """Given a date, return its weekday abbreviated: "Tue", "mar"."""
    from babel.dates import format_date

    return format_date(day, "EEE", locale=_locale(language)).rstrip(".")


def plural_form(count: int, language: str) -> str:
    """Given a count, return its CLDR plural category in the language ("one", "other")."""
    return str(_locale(language).plural_form(count))


def zone_local(moment: date, zone: tzinfo) -> date:
    """Given a date or datetime, return it in ``zone``; a naive datetime is already the
    parent's local time (meeting_at, send_at in the config), and a date has no zone."""
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return moment.astimezone(zone)
    return moment
