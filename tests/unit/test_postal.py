"""The paper trail of letters sent by post (trail/postal.py): details written and read back,
mailings folded from the events, and the checks that keep the record consistent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from iepd.errors import IepdError
from iepd.store.database import EventRow, Store
from iepd.trail.postal import (
    Mailing,
    checked_tracking,
    delivered_detail,
    describe,
    mailed_detail,
    mailings,
    parse_detail,
    record_delivered,
    record_mailed,
    request_deliveries,
    summary,
)

NOW = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
TRACKING = "9400 1118 9922 3197 4284 90"


def event(seq: int, kind: str, detail: str, request_id: str = "sam") -> EventRow:
    return EventRow(seq, request_id, NOW, kind, None, None, None, detail, "", "")


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("9400 1118  9922 3197 4284 90", TRACKING),
        (" RA123456789US ", "RA123456789US"),
        ("9400 1118\n9922", "9400 1118 9922"),  # pasted across two lines
        ("1Z-999-AA1-01-2345-6784", "1Z-999-AA1-01-2345-6784"),
    ],
)
def test_a_tracking_number_keeps_its_letters_digits_and_single_spaces(
    typed: str, kept: str
) -> None:
    assert checked_tracking(typed) == kept


@pytest.mark.parametrize("typed", ["", "94", "9400; x", "9400\x00", "<9400>", "9" * 51])
def test_a_tracking_number_with_anything_else_is_refused(typed: str) -> None:
    with pytest.raises(IepdError, match="tracking number"):
        checked_tracking(typed)


def test_details_read_back_as_written() -> None:
    mailed = mailed_detail("request", date(2026, 12, 1), TRACKING, "ab" * 32)
    assert (
        mailed
        == f"letter: request; mailed: 2026-12-01; tracking: {TRACKING}; pdf sha256: {'ab' * 32}"
    )
    assert parse_detail(mailed) == {
        "letter": "request", "mailed": "2026-12-01", "tracking": TRACKING, "pdf sha256": "ab" * 32,
    }  # fmt: skip
    delivered = delivered_detail("followup", date(2026, 12, 3), TRACKING)
    assert parse_detail(delivered)["delivered"] == "2026-12-03"
    assert "pdf sha256" not in mailed_detail("request", date(2026, 12, 1), TRACKING, None)


def test_mailings_join_each_delivery_to_the_letter_it_delivered() -> None:
    events = [
        event(1, "request_drafted", "draft"),
        event(2, "mailed", mailed_detail("request", date(2026, 12, 1), "A111", None)),
        event(3, "mailed", mailed_detail("followup", date(2026, 12, 9), "B222", None)),
        event(4, "mailed", mailed_detail("request", date(2026, 12, 2), "C333", None), "maya"),
        event(5, "mail_delivered", delivered_detail("request", date(2026, 12, 3), "A111")),
        event(6, "mail_delivered", "something unreadable"),
    ]
    found = mailings(events)
    assert [(m.request_id, m.letter, m.tracking, m.delivered_on) for m in found] == [
        ("sam", "request", "A111", date(2026, 12, 3)),
        ("sam", "followup", "B222", None),
        ("maya", "request", "C333", None),
    ]
    assert (
        describe(found[0])
        == "request letter mailed 2026-12-01 (tracking A111), delivered 2026-12-03"
    )
    assert describe(summary(found[1])) == (
        "follow-up letter mailed 2026-12-09 (tracking B222), not delivered yet"
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(tmp_path / "state")
    opened.upsert_request(
        id="sam", child="sam", reason="general", urgent=False, state_if_new="draft",
        subject="", now=NOW,
    )  # fmt: skip
    return opened


def test_recording_mailed_and_delivered_appends_two_chained_events(store: Store) -> None:
    mailed = record_mailed(
        store, "sam", "request", day=date(2026, 12, 1), tracking=TRACKING, pdf_sha256=None, now=NOW
    )
    assert isinstance(mailed, Mailing)
    again = record_mailed(
        store, "sam", "request", day=date(2026, 12, 1), tracking=TRACKING, pdf_sha256=None, now=NOW
    )
    assert again is None  # the same letter and tracking number: recorded once
    delivered = record_delivered(
        store, "sam", "request", day=date(2026, 12, 3), tracking=None, now=NOW
    )
    assert delivered.delivered_on == date(2026, 12, 3) and delivered.tracking == TRACKING
    assert [e.kind for e in store.events("sam")] == ["request_drafted", "mailed", "mail_delivered"]
    assert store.verify() == []
    assert request_deliveries(store) == {"sam": delivered}
    with pytest.raises(IepdError, match="already recorded as delivered on 2026-12-03"):
        record_delivered(store, "sam", "request", day=date(2026, 12, 4), tracking=None, now=NOW)


def test_a_delivery_needs_a_mailing_and_cannot_come_before_it(store: Store) -> None:
    with pytest.raises(IepdError, match="was recorded as mailed"):
        record_delivered(store, "sam", "request", day=date(2026, 12, 3), tracking=None, now=NOW)
    record_mailed(
        store, "sam", "request", day=date(2026, 12, 5), tracking=TRACKING, pdf_sha256=None, now=NOW
    )
    with pytest.raises(
        IepdError, match=r"before the day the request letter was mailed \(2026-12-05\)"
    ):
        record_delivered(store, "sam", "request", day=date(2026, 12, 3), tracking=None, now=NOW)
    with pytest.raises(IepdError, match="with tracking number OTHER1"):
        record_delivered(store, "sam", "request", day=date(2026, 12, 6), tracking="OTHER1", now=NOW)
    assert request_deliveries(store) == {}
