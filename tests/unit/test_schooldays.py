"""School days, the send window and DST-safe local time (America/Chicago).

2026-11-01 (Sunday): clocks fall back from 02:00 CDT (UTC-5) to 01:00 CST (UTC-6).
2027-03-14 (Sunday): clocks spring forward from 02:00 CST to 03:00 CDT.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from iepd.config.model import Duration, SendWindow
from iepd.decide.schooldays import (
    add_school_days,
    in_send_window,
    is_school_day,
    localize,
    next_window_instant,
    shift,
    wall_time,
)

CHICAGO = ZoneInfo("America/Chicago")
SCHOOL_HOURS = SendWindow(frozenset(range(5)), time(7, 30), time(16, 0))
EVERY_DAY = frozenset(range(7))
THANKSGIVING = frozenset({date(2026, 11, 26), date(2026, 11, 27)})


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        pytest.param(datetime(2026, 12, 1, 8, 0), utc(2026, 12, 1, 14, 0), id="winter_is_cst"),
        pytest.param(datetime(2026, 10, 1, 8, 0), utc(2026, 10, 1, 13, 0), id="summer_is_cdt"),
        pytest.param(
            datetime(2027, 3, 14, 2, 30),
            utc(2027, 3, 14, 8, 30),  # 03:30 CDT
            id="skipped_time_moves_forward_by_the_gap",
        ),
        pytest.param(
            datetime(2026, 11, 1, 1, 30),
            utc(2026, 11, 1, 6, 30),  # 01:30 CDT, not 01:30 CST
            id="repeated_time_takes_the_first_occurrence",
        ),
        pytest.param(
            datetime(2027, 3, 15, 7, 30), utc(2027, 3, 15, 12, 30), id="day_after_spring_forward"
        ),
        pytest.param(
            datetime(2026, 11, 2, 7, 30), utc(2026, 11, 2, 13, 30), id="day_after_fall_back"
        ),
    ],
)
def test_localize_returns_the_instant_a_chicago_wall_time_names(
    local: datetime, expected: datetime
) -> None:
    assert localize(local, CHICAGO) == expected
    assert localize(local, CHICAGO).tzinfo is UTC


def test_localize_rejects_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        localize(utc(2026, 12, 1, 8, 0), CHICAGO)


def test_wall_time_of_the_second_occurrence_of_a_repeated_hour_reads_the_same_clock() -> None:
    assert wall_time(utc(2026, 11, 1, 7, 30), CHICAGO) == datetime(2026, 11, 1, 1, 30)


@pytest.mark.parametrize(
    ("day", "holidays", "expected"),
    [
        pytest.param(date(2026, 11, 23), frozenset(), True, id="monday"),
        pytest.param(date(2026, 11, 28), frozenset(), False, id="saturday"),
        pytest.param(date(2026, 11, 29), frozenset(), False, id="sunday"),
        pytest.param(date(2026, 11, 26), THANKSGIVING, False, id="holiday_on_a_weekday"),
    ],
)
def test_is_school_day_excludes_weekends_and_holidays(
    day: date, holidays: frozenset[date], expected: bool
) -> None:
    assert is_school_day(day, holidays) is expected


@pytest.mark.parametrize(
    ("day", "count", "holidays", "expected"),
    [
        pytest.param(date(2026, 11, 19), 1, frozenset(), date(2026, 11, 20), id="thu_plus_1"),
        pytest.param(date(2026, 11, 20), 1, frozenset(), date(2026, 11, 23), id="fri_plus_1"),
        pytest.param(date(2026, 11, 21), 1, frozenset(), date(2026, 11, 23), id="sat_plus_1"),
        pytest.param(date(2026, 11, 16), 5, frozenset(), date(2026, 11, 23), id="a_school_week"),
        pytest.param(
            date(2026, 11, 25),
            1,
            THANKSGIVING,
            date(2026, 11, 30),
            id="holidays_before_a_weekend_are_skipped_with_it",
        ),
        pytest.param(
            date(2026, 11, 25), 2, THANKSGIVING, date(2026, 12, 1), id="two_across_thanksgiving"
        ),
        pytest.param(
            date(2026, 12, 1), -2, THANKSGIVING, date(2026, 11, 25), id="backwards_across_both"
        ),
        pytest.param(date(2026, 11, 21), 0, frozenset(), date(2026, 11, 21), id="zero_stays"),
    ],
)
def test_add_school_days_skips_weekends_and_holidays(
    day: date, count: int, holidays: frozenset[date], expected: date
) -> None:
    assert add_school_days(day, count, holidays) == expected


@pytest.mark.parametrize(
    ("start", "duration", "business_days", "backwards", "expected"),
    [
        pytest.param(
            utc(2026, 10, 28, 15, 0),  # Wed 10:00 CDT
            Duration(days=7),
            False,
            False,
            utc(2026, 11, 4, 16, 0),  # Wed 10:00 CST: 169 hours later
            id="calendar_week_across_fall_back_keeps_local_time",
        ),
        pytest.param(
            utc(2027, 3, 12, 16, 0),  # Fri 10:00 CST
            Duration(days=1),
            True,
            False,
            utc(2027, 3, 15, 15, 0),  # Mon 10:00 CDT: 71 hours later
            id="one_school_day_across_spring_forward_weekend_keeps_local_time",
        ),
        pytest.param(
            utc(2026, 11, 20, 15, 0),  # Fri 09:00 CST
            Duration(days=1, seconds=12 * 3600),
            True,
            False,
            utc(2026, 11, 24, 3, 0),  # Mon 21:00 CST
            id="one_school_day_then_twelve_hours",
        ),
        pytest.param(
            utc(2026, 11, 20, 15, 0),  # Fri 09:00 CST
            Duration(seconds=36 * 3600),
            True,
            False,
            utc(2026, 11, 22, 3, 0),  # Sat 21:00 CST
            id="hours_are_elapsed_time_even_with_business_days",
        ),
        pytest.param(
            utc(2026, 11, 25, 15, 0),  # Wed before Thanksgiving, 09:00 CST
            Duration(days=2),
            True,
            False,
            utc(2026, 12, 1, 15, 0),  # Tue 09:00 CST
            id="school_days_skip_holidays_and_the_weekend",
        ),
        pytest.param(
            utc(2027, 3, 16, 20, 30),  # Tue 15:30 CDT
            Duration(days=3),
            False,
            True,
            utc(2027, 3, 13, 21, 30),  # Sat 15:30 CST
            id="backwards_calendar_days_across_spring_forward_keep_local_time",
        ),
        pytest.param(
            utc(2027, 3, 13, 8, 30),  # Sat 02:30 CST
            Duration(days=1),
            False,
            False,
            utc(2027, 3, 14, 8, 30),  # 02:30 does not exist: 03:30 CDT
            id="landing_in_the_skipped_hour_moves_forward",
        ),
        pytest.param(
            utc(2026, 11, 1, 7, 30),  # 01:30 CST, the second 01:30
            Duration(seconds=3600),
            False,
            False,
            utc(2026, 11, 1, 8, 30),
            id="hours_from_the_repeated_hour_do_not_jump_back_to_its_first_occurrence",
        ),
        pytest.param(
            utc(2026, 11, 1, 7, 30),  # 01:30 CST, the second 01:30 (its wall time has fold=1)
            Duration(days=371),
            False,
            False,
            utc(2027, 11, 7, 6, 30),  # 01:30 is repeated again: its first occurrence, CDT
            id="days_from_a_second_occurrence_land_on_the_first_of_a_repeated_hour",
        ),
    ],
)
def test_shift_counts_days_in_local_time_and_hours_as_elapsed_time(
    start: datetime,
    duration: Duration,
    business_days: bool,
    backwards: bool,
    expected: datetime,
) -> None:
    result = shift(
        start,
        duration,
        CHICAGO,
        backwards=backwards,
        business_days=business_days,
        holidays=THANKSGIVING,
    )
    assert result == expected


@pytest.mark.parametrize(
    ("window", "instant", "expected"),
    [
        pytest.param(
            SCHOOL_HOURS,
            utc(2027, 3, 12, 23, 0),  # Fri 17:00 CST
            utc(2027, 3, 15, 12, 30),  # Mon 07:30 CDT
            id="opening_the_monday_after_spring_forward",
        ),
        pytest.param(
            SCHOOL_HOURS,
            utc(2026, 10, 30, 22, 0),  # Fri 17:00 CDT
            utc(2026, 11, 2, 13, 30),  # Mon 07:30 CST
            id="opening_the_monday_after_fall_back",
        ),
        pytest.param(
            SCHOOL_HOURS,
            utc(2026, 11, 3, 16, 0),  # Tue 10:00 CST
            utc(2026, 11, 3, 16, 0),
            id="inside_the_window_is_now",
        ),
        pytest.param(
            SCHOOL_HOURS,
            utc(2026, 11, 3, 12, 0),  # Tue 06:00 CST
            utc(2026, 11, 3, 13, 30),
            id="before_opening_waits_for_the_same_day",
        ),
        pytest.param(
            SCHOOL_HOURS,
            utc(2026, 11, 3, 22, 0),  # Tue 16:00 CST: the end is not inside
            utc(2026, 11, 4, 13, 30),
            id="at_closing_waits_for_the_next_day",
        ),
        pytest.param(
            SendWindow(EVERY_DAY, time(2, 30), time(4, 0)),
            utc(2027, 3, 14, 7, 0),  # Sun 01:00 CST
            utc(2027, 3, 14, 8, 30),  # 02:30 skipped: 03:30 CDT
            id="skipped_opening_moves_forward",
        ),
        pytest.param(
            SendWindow(EVERY_DAY, time(1, 30), time(3, 0)),
            utc(2026, 11, 1, 5, 0),  # Sun 00:00 CDT
            utc(2026, 11, 1, 6, 30),  # the first 01:30
            id="repeated_opening_takes_the_first",
        ),
        pytest.param(
            SendWindow(frozenset(range(5)), time(22, 0), time(6, 0)),
            utc(2026, 11, 28, 9, 0),  # Sat 03:00 CST, in Friday's overnight window
            utc(2026, 11, 28, 9, 0),
            id="overnight_window_opened_the_evening_before",
        ),
        pytest.param(
            SendWindow(frozenset({0}), time(9, 0), time(10, 0)),
            utc(2026, 11, 30, 17, 0),  # Mon 11:00 CST
            utc(2026, 12, 7, 15, 0),  # next Mon 09:00
            id="a_monday_only_window_waits_a_week",
        ),
    ],
)
def test_next_window_instant_is_the_earliest_instant_inside_the_window(
    window: SendWindow, instant: datetime, expected: datetime
) -> None:
    assert next_window_instant(instant, window, CHICAGO) == expected
    assert in_send_window(expected, window, CHICAGO)


def test_next_window_instant_without_a_window_is_the_instant_itself() -> None:
    instant = utc(2026, 11, 28, 9, 0)
    assert next_window_instant(instant, None, CHICAGO) == instant
    assert in_send_window(instant, None, CHICAGO)


def test_in_send_window_is_false_on_a_weekend_and_true_in_school_hours() -> None:
    assert not in_send_window(utc(2026, 11, 28, 16, 0), SCHOOL_HOURS, CHICAGO)
    assert in_send_window(utc(2026, 11, 30, 16, 0), SCHOOL_HOURS, CHICAGO)


def test_next_window_instant_rejects_a_window_without_weekdays() -> None:
    with pytest.raises(ValueError, match="never opens"):
        next_window_instant(
            utc(2026, 11, 30, 16, 0), SendWindow(frozenset(), time(8), time(9)), CHICAGO
        )


def test_schooldays_rejects_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="aware"):
        shift(datetime(2026, 11, 30, 8, 0), Duration(days=1), CHICAGO)
