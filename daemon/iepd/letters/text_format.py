"""How the text of a letter looks: lines wrapped at 72 columns (list items and quoted lines
with a hanging indent), no control characters or runs of blank lines, and dates written out
in the parent's timezone and language (Babel's, through ``localized``). Used by
``letters`` and ``reminders``, and by the ``longdate`` and ``longdatetime`` template filters.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from iepd.config.model import Config
from iepd.letters.localized import full_date, plural_form, time_of_day, zone_local
from iepd.letters.words import AT_TIME, ZONE_WORDS

WRAP_WIDTH = 72

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


# A school named for what it is ("Escuela Primaria Lincoln") takes the article in Spanish
# prose ("en la Escuela Primaria Lincoln"); one named otherwise ("Lincoln Elementary") does not.
_ARTICLES = {
    "es": {
        "escuela": "la", "academia": "la", "primaria": "la", "secundaria": "la",
        "preparatoria": "la", "universidad": "la",
        "colegio": "el", "centro": "el", "instituto": "el", "liceo": "el", "jardín": "el",
        "jardin": "el", "programa": "el",
    },
}  # fmt: skip


def with_article(name: str, language: str = "en") -> str:
    """Given a school's name and a language, return the name as it reads in running text:
    in Spanish, "la Escuela Primaria Lincoln", "el Colegio San José"; otherwise unchanged."""
    first = name.split(maxsplit=1)[0].lower() if name.strip() else ""
    article = _ARTICLES.get(language, {}).get(first)
    return f"{article} {name}" if article else name


def long_date(moment: date, zone: tzinfo, language: str = "en") -> str:
    """Given a date or datetime, return its day in ``zone`` written out in ``language``:
    "Tuesday, December 1, 2026", "martes 1 de diciembre de 2026"."""
    return full_date(zone_local(moment, zone), language)


def long_datetime(moment: datetime, zone: tzinfo, language: str = "en") -> str:
    """Given a datetime, return it in ``zone`` as "Tuesday, December 1, 2026 at 3:30 pm CST"
    or "martes 1 de diciembre de 2026 a las 3:30 p.m. (hora del Centro)"."""
    local = zone_local(moment, zone)
    assert isinstance(local, datetime)
    at = AT_TIME[language][plural_form(local.hour % 12 or 12, language)]
    abbreviation = local.tzname() if local.tzinfo is not None else None
    said = ZONE_WORDS.get(language, {}).get(abbreviation or "")
    zone_name = f" ({said})" if said else f" {abbreviation}" if abbreviation else ""
    return f"{full_date(local, language)}{at}{time_of_day(local, language)}{zone_name}"


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
