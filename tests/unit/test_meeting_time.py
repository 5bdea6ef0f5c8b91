"""The date and time after MEETING, read in the parent's timezone (decide/meeting_time)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iepd.decide.meeting_time import UnreadableMeetingTime, parse_meeting_time

CHICAGO = ZoneInfo("America/Chicago")
# Saturday, December 5, 2026, 9:00 in Chicago
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Dec 8 3:30 pm", datetime(2026, 12, 8, 15, 30)),
        ("12/8 15:30", datetime(2026, 12, 8, 15, 30)),
        ("Tuesday Dec 8 at 3:30pm", datetime(2026, 12, 8, 15, 30)),
        ("tuesday, december 8th, 3:30 PM", datetime(2026, 12, 8, 15, 30)),
        ("8 Dec 3:30 pm", datetime(2026, 12, 8, 15, 30)),
        ("Dec 8, 2026 at 8 am", datetime(2026, 12, 8, 8, 0)),
        ("12/8/2026 8:15 a.m.", datetime(2026, 12, 8, 8, 15)),
        ("12/8/27 10:00", datetime(2027, 12, 8, 10, 0)),
        ("2026-12-08 15:30", datetime(2026, 12, 8, 15, 30)),
        ("2026-12-08T15:30", datetime(2026, 12, 8, 15, 30)),
        ("Dec 8 noon", datetime(2026, 12, 8, 12, 0)),
        # a year-less date is the next such date: today counts, yesterday is next year
        ("Dec 5 4pm", datetime(2026, 12, 5, 16, 0)),
        ("Dec 4 4pm", datetime(2027, 12, 4, 16, 0)),
        ("Jan 12 3:30pm", datetime(2027, 1, 12, 15, 30)),
        ("2/29 3pm", datetime(2028, 2, 29, 15, 0)),
        # a weekday alone is the next one; today only while its time is ahead
        ("Tuesday 3:30pm", datetime(2026, 12, 8, 15, 30)),
        ("Saturday 10am", datetime(2026, 12, 5, 10, 0)),
        ("Saturday 8am", datetime(2026, 12, 12, 8, 0)),
        # no am/pm: 1 to 6 o'clock is the afternoon, the rest as written
        ("Dec 8 3:30", datetime(2026, 12, 8, 15, 30)),
        ("Dec 8 7:45", datetime(2026, 12, 8, 7, 45)),
        # Spanish
        ("martes 8 de diciembre a las 15:30", datetime(2026, 12, 8, 15, 30)),
        ("8 de dic 3:30 pm", datetime(2026, 12, 8, 15, 30)),
    ],
)
def test_a_written_meeting_time_is_read_in_the_parents_timezone(
    written: str, expected: datetime
) -> None:
    found = parse_meeting_time(written, NOW, CHICAGO)

    assert found == expected.replace(tzinfo=CHICAGO)
    assert found.utcoffset() is not None


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("", "no date and time"),
        ("next week", "could not find a date"),
        ("Dec 8", "could not find a time"),
        ("3:30 pm", "could not find a date"),
        ("Wednesday Dec 8 3:30 pm", "is a Tuesday, not a Wednesday"),
        ("13/8 3pm", "not a date on the calendar"),
        ("Feb 30 3pm", "not a date on the calendar"),
        ("Dec 8 25:00", "not a time of day"),
        ("Dec 8 15:30 pm", "not a time of day"),
        ("Monday Tuesday 3pm", "two different weekdays"),
        ("Dec 8 3:30 pm " + "x" * 300, "too long"),
    ],
)
def test_an_unreadable_meeting_time_is_refused_with_a_reason(written: str, reason: str) -> None:
    with pytest.raises(UnreadableMeetingTime, match=reason):
        parse_meeting_time(written, NOW, CHICAGO)


def test_the_meeting_time_is_read_in_the_parents_timezone_not_utc() -> None:
    # 03:30 UTC on Dec 6 is still Dec 5 in Chicago: "Dec 5" is today, not last year's
    late = datetime(2026, 12, 6, 3, 30, tzinfo=ZoneInfo("UTC"))

    assert parse_meeting_time("Dec 5 11pm", late, CHICAGO) == datetime(
        2026, 12, 5, 23, 0, tzinfo=CHICAGO
    )


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_any_text_gives_a_time_or_a_reason_never_another_error(written: str) -> None:
    try:
        found = parse_meeting_time(written, NOW, CHICAGO)
    except UnreadableMeetingTime as error:
        assert str(error)
    else:
        assert found.tzinfo is CHICAGO


@pytest.mark.parametrize(
    ("written", "language", "expected"),
    [
        # English: a numeric date is month/day, as the school writes it
        ("8/12 3:30 pm", "en", datetime(2027, 8, 12, 15, 30)),
        ("12/8 3:30 pm", "en", datetime(2026, 12, 8, 15, 30)),
        # Spanish: a date that reads only one way is read that way
        ("25/12 10:00", "es", datetime(2026, 12, 25, 10, 0)),
        ("12/25 10:00", "es", datetime(2026, 12, 25, 10, 0)),
        ("8/8/2027 10:00", "es", datetime(2027, 8, 8, 10, 0)),
        ("8 dic 3:30 pm", "es", datetime(2026, 12, 8, 15, 30)),
        ("2026-12-08 15:30", "es", datetime(2026, 12, 8, 15, 30)),
    ],
)
def test_a_numeric_date_is_read_for_the_parents_language(
    written: str, language: str, expected: datetime
) -> None:
    assert parse_meeting_time(written, NOW, CHICAGO, language) == expected.replace(
        tzinfo=CHICAGO
    )


@pytest.mark.parametrize("written", ["8/12 3:30 pm", "12/8 15:30", "1/2/2027 10:00"])
def test_a_numeric_date_that_reads_both_ways_is_refused_in_spanish(written: str) -> None:
    # families from Mexico and Central America write 8/12 for December 8: no guessing
    with pytest.raises(UnreadableMeetingTime, match="write the month in letters"):
        parse_meeting_time(written, NOW, CHICAGO, "es")
