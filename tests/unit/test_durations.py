from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from iepd.config.durations import DURATION_FORMAT, MAX_DAYS, format_duration, parse_duration
from iepd.config.model import Duration

VALID = [
    ("7d", Duration(days=7)),
    ("36h", Duration(seconds=36 * 3600)),
    ("15m", Duration(seconds=15 * 60)),
    ("90s", Duration(seconds=90)),
    ("1d12h", Duration(days=1, seconds=12 * 3600)),
    ("2h30m", Duration(seconds=2 * 3600 + 30 * 60)),
    ("1d2h3m4s", Duration(days=1, seconds=2 * 3600 + 3 * 60 + 4)),
    ("0d1s", Duration(seconds=1)),
    ("007d", Duration(days=7)),
    ("1h0m", Duration(seconds=3600)),
]

INVALID = [
    "",
    "7",
    "d",
    "7 d",
    " 7d",
    "7d ",
    "7D",
    "7days",
    "1.5d",
    "-1d",
    "+1d",
    "12h1d",
    "1d1d",
    "1m1h",
    "0s",
    "0d0h0m0s",
    "1w",
    "1d 12h",
    "٧d",  # an Arabic-Indic seven: int() reads it, the config format does not
    f"{MAX_DAYS + 1}d",
    f"{MAX_DAYS * 24 + 24}h",
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[text for text, _ in VALID])
def test_parse_duration_reads_units_in_order(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", INVALID, ids=[repr(text) for text in INVALID])
def test_parse_duration_rejects_anything_else_and_explains_the_format(text: str) -> None:
    with pytest.raises(ValueError, match="expected") as caught:
        parse_duration(text)
    assert repr(text) in str(caught.value)


def test_parse_duration_error_names_the_format() -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration("a week")
    assert str(caught.value) == f"expected {DURATION_FORMAT}, got 'a week'"
    assert '"1d12h"' in DURATION_FORMAT


def test_hours_are_not_folded_into_days_because_a_day_may_be_a_school_day() -> None:
    assert parse_duration("36h").days == 0
    assert parse_duration("48h") != parse_duration("2d")


def test_parse_duration_accepts_exactly_a_century() -> None:
    assert parse_duration(f"{MAX_DAYS}d") == Duration(days=MAX_DAYS)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (Duration(days=7), "7d"),
        (Duration(seconds=36 * 3600), "36h"),
        (Duration(seconds=90), "1m30s"),
        (Duration(days=1, seconds=12 * 3600), "1d12h"),
        (Duration(days=1, seconds=3 * 3600 + 4), "1d3h4s"),
    ],
)
def test_format_duration_writes_the_shortest_text(duration: Duration, text: str) -> None:
    assert format_duration(duration) == text


@pytest.mark.parametrize("duration", [Duration(), Duration(days=-1), Duration(seconds=-5)])
def test_format_duration_refuses_a_duration_that_is_not_positive(duration: Duration) -> None:
    with pytest.raises(ValueError, match="positive"):
        format_duration(duration)


@given(
    # Hours past a day count toward the century limit, so stay three days under it.
    days=st.integers(min_value=0, max_value=MAX_DAYS - 3),
    seconds=st.integers(min_value=0, max_value=86_399 * 3),
)
def test_format_then_parse_gives_back_the_same_duration(days: int, seconds: int) -> None:
    assume(days or seconds)
    duration = Duration(days=days, seconds=seconds)
    assert parse_duration(format_duration(duration)) == duration


@given(
    parts=st.lists(
        st.tuples(st.integers(min_value=0, max_value=999), st.sampled_from("dhms")),
        min_size=1,
        max_size=6,
    )
)
def test_parse_accepts_text_only_when_units_are_ordered_unique_and_nonzero(
    parts: list[tuple[int, str]],
) -> None:
    text = "".join(f"{number}{unit}" for number, unit in parts)
    units = [unit for _, unit in parts]
    well_formed = units == sorted(set(units), key="dhms".index)
    positive = any(number for number, _ in parts)
    if well_formed and positive:
        duration = parse_duration(text)
        factor = {"h": 3600, "m": 60, "s": 1}
        assert duration.days == sum(number for number, unit in parts if unit == "d")
        assert duration.seconds == sum(n * factor[u] for n, u in parts if u != "d")
    else:
        with pytest.raises(ValueError):
            parse_duration(text)
