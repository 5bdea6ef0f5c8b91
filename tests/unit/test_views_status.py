"""What `iepd status` prints, from status rows: the table in local time and the SPEC's JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from iepd.cli.views import counted, format_status, json_rows, unrecorded_line

NOW = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
SENT = datetime(2026, 11, 16, 14, 0, tzinfo=UTC)


def row(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "sam-speech",
        "child": "sam",
        "state": "sent",
        "sent_at": SENT,
        "last_answer_at": None,
        "next_action": "follow-up",
        "next_due": SENT + timedelta(days=7),
        "waiting_for": "school",
    }
    return {**base, **changes}


def test_json_rows_writes_utc_iso_times_one_row_per_line() -> None:
    # An aware time in another zone is written as the same instant in UTC.
    answered = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=-6)))
    rows = [row(), row(id="maya-iep", child="maya", last_answer_at=answered, next_due=None)]

    text = json_rows(rows)

    lines = text.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 4
    parsed = json.loads(text)
    assert parsed[0] == {
        "id": "sam-speech",
        "child": "sam",
        "state": "sent",
        "sent_at": "2026-11-16T14:00:00Z",
        "last_answer_at": None,
        "next_action": "follow-up",
        "next_due": "2026-11-23T14:00:00Z",
        "waiting_for": "school",
    }
    assert parsed[1]["last_answer_at"] == "2026-11-20T15:00:00Z"
    assert parsed[1]["next_due"] is None
    assert json.loads(lines[2]) == parsed[1]


def test_json_rows_of_nothing_is_an_empty_array() -> None:
    assert json.loads(json_rows([])) == []


def test_json_rows_refuses_a_value_json_cannot_hold() -> None:
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        json_rows([row(state={"sent"})])


def test_format_status_shows_local_times_days_since_sent_and_dashes() -> None:
    rows = [
        row(),
        row(id="maya-iep", child="maya", state="queued", sent_at=None, next_due=None,
            waiting_for="nothing"),
    ]  # fmt: skip

    text = format_status(rows, "America/Chicago", NOW)

    header, sam, maya, footer = text.splitlines()
    assert header.split("  ")[0] == "REQUEST" and "DAYS SINCE SENT" in header
    # 14:00 UTC is 08:00 in Chicago (CST); sent twelve days before NOW.
    assert sam.split() == [
        "sam-speech", "sam", "sent", "school", "2026-11-16", "08:00", "12", "-", "follow-up",
        "2026-11-23", "08:00",
    ]  # fmt: skip
    assert maya.split() == [
        "maya-iep", "maya", "queued", "nothing", "-", "-", "-", "follow-up", "-",
    ]  # fmt: skip
    assert footer == "(times in America/Chicago)"
    # The columns line up: every row's state starts where the header's STATE does.
    assert sam.index("sent") == header.index("STATE") == maya.index("queued")


def test_format_status_with_no_requests_says_how_to_add_one() -> None:
    assert "add a [[request]]" in format_status([], "America/Chicago", NOW)


@pytest.mark.parametrize(
    ("number", "noun", "words"),
    [
        (1, "child", "1 child"),
        (2, "child", "2 children"),
        (1, "request", "1 request"),
        (2, "request", "2 requests"),
        (0, "request", "0 requests"),
        (1, "stored message", "1 stored message"),
        (3, "stored message", "3 stored messages"),
    ],
)
def test_counted_writes_the_singular_only_for_one(number: int, noun: str, words: str) -> None:
    assert counted(number, noun) == words


def unrecorded(**changes: Any) -> dict[str, Any]:
    not_sent = {"state": "queued", "sent_at": None, "next_action": "send", "next_due": NOW}
    return row(**{**not_sent, **changes})


@pytest.mark.parametrize(
    ("count", "note"),
    [
        (1, "1 request new in the config: not sent yet; `iepd run` takes it up"),
        (2, "2 requests new in the config: not sent yet; `iepd run` takes them up"),
    ],
)
def test_format_status_says_which_requests_iepd_run_has_not_taken_up(count: int, note: str) -> None:
    rows = [unrecorded(id=f"sam-{number}") for number in range(count)]

    lines = format_status(rows, "America/Chicago", NOW, unrecorded=count).splitlines()

    assert lines[-2:] == [note, "(times in America/Chicago)"]
    assert [line.split()[:3] for line in lines[1:-2]] == [
        [f"sam-{number}", "sam", "queued"] for number in range(count)
    ]


def test_format_status_of_recorded_requests_has_no_note() -> None:
    lines = format_status([row()], "America/Chicago", NOW).splitlines()
    assert len(lines) == 3 and lines[-1] == "(times in America/Chicago)"


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({}, "not sent yet; `iepd run` sends it"),
        (
            {"next_due": datetime(2026, 12, 1, 14, 0, tzinfo=UTC)},
            "not sent yet; `iepd run` sends it at 2026-12-01 08:00 (America/Chicago)",
        ),
        (
            {"state": "draft", "next_action": None, "next_due": None},
            "a draft (hold = true): not sent; `iepd run` sends it once the hold is lifted",
        ),
        (
            {"state": "closed", "next_action": None, "next_due": None},
            "closed before it was sent: nothing is sent",
        ),
    ],
)
def test_unrecorded_line_says_what_happens_to_a_request_not_yet_sent(
    changes: dict[str, Any], line: str
) -> None:
    assert unrecorded_line(unrecorded(**changes), "America/Chicago", NOW) == line
