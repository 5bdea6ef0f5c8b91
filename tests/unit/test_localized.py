"""Dates, times and plurals in the parent's language, from Babel (issue 16): Spanish as a
Spanish-speaking parent in the US reads it, English exactly as iepd always wrote it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from iepd.config.model import Duration
from iepd.letters.reminders import duration_words
from iepd.letters.text_format import long_date, long_datetime

CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    ("moment", "english", "spanish"),
    [
        (date(2026, 12, 8), "Tuesday, December 8, 2026", "martes 8 de diciembre de 2026"),
        (date(2027, 1, 1), "Friday, January 1, 2027", "viernes 1 de enero de 2027"),
        # 02:00 UTC is the evening before in Chicago
        (
            datetime(2026, 12, 9, 2, 0, tzinfo=UTC),
            "Tuesday, December 8, 2026",
            "martes 8 de diciembre de 2026",
        ),
    ],
)
def test_long_date_in_both_languages(moment: date, english: str, spanish: str) -> None:
    assert long_date(moment, CHICAGO) == english
    assert long_date(moment, CHICAGO, "es") == spanish


@pytest.mark.parametrize(
    ("moment", "english", "spanish"),
    [
        (
            datetime(2026, 12, 8, 15, 30, tzinfo=CHICAGO),
            "Tuesday, December 8, 2026 at 3:30 pm CST",
            "martes 8 de diciembre de 2026 a las 3:30 p.m. (hora del Centro)",
        ),
        (
            datetime(2026, 12, 8, 13, 5, tzinfo=CHICAGO),
            "Tuesday, December 8, 2026 at 1:05 pm CST",
            "martes 8 de diciembre de 2026 a la 1:05 p.m. (hora del Centro)",
        ),
        (
            datetime(2026, 6, 1, 0, 0, tzinfo=CHICAGO),
            "Monday, June 1, 2026 at 12:00 am CDT",
            "lunes 1 de junio de 2026 a las 12:00 a.m. (hora del Centro)",
        ),
    ],
)
def test_long_datetime_in_both_languages(moment: datetime, english: str, spanish: str) -> None:
    assert long_datetime(moment, CHICAGO) == english
    assert long_datetime(moment, CHICAGO, "es") == spanish


@pytest.mark.parametrize(
    ("duration", "business", "english", "spanish"),
    [
        (Duration(days=7), True, "7 school days", "7 días escolares"),
        (Duration(days=1), False, "1 day", "1 día"),
        (Duration(days=1, seconds=12 * 3600), False, "1 day and 12 hours", "1 día y 12 horas"),
        (Duration(seconds=60), False, "1 minute", "1 minuto"),
    ],
)
def test_duration_words_in_both_languages(
    duration: Duration, business: bool, english: str, spanish: str
) -> None:
    assert duration_words(duration, business) == english
    assert duration_words(duration, business, "es") == spanish
