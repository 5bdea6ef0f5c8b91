"""Times are stored as sortable UTC text and read back unchanged, whatever the year: a hostile
Date header may carry the year 226 or 9999."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from iepd.store.schema import format_time, parse_time

SOME_ZONE = timezone(timedelta(hours=-6))


def test_a_year_below_1000_is_written_with_four_digits_and_reads_back() -> None:
    moment = datetime(226, 12, 10, 17, 2, 33, tzinfo=UTC)
    assert format_time(moment) == "0226-12-10T17:02:33.000000Z"
    assert parse_time(format_time(moment)) == moment


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)))
def test_every_time_reads_back_and_sorts_as_its_text(naive: datetime) -> None:
    moment = naive.replace(tzinfo=SOME_ZONE)
    assert parse_time(format_time(moment)) == moment
    later = moment + timedelta(microseconds=1)
    assert format_time(moment) < format_time(later)
