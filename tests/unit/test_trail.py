"""The paper trail as plain data: ordering, joining events to messages, and what the
timeline, the CSV, the checksum list and the printable page make of it. No I/O."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iepd.cli.views import format_timeline, local_and_utc, trail_rows
from iepd.store.rows import EventRow, MessageRow, RequestRow
from iepd.trail.export import CSV_COLUMNS, sha256sums, timeline_csv
from iepd.trail.export_page import Body, Cover, render_index
from iepd.trail.timeline import Trail, build_trail, message_kind, number_messages

T0 = datetime(2026, 11, 16, 14, 0, tzinfo=UTC)
ZONE = "America/Chicago"
SPEC_KEYS = {"at", "kind", "message_id", "from", "subject", "detail"}


def message(
    row_id: int,
    *,
    direction: str = "in",
    purpose: str = "incoming",
    klass: str | None = "answer",
    reminder_kind: str | None = None,
    message_id: str | None = None,
    created: datetime = T0,
    internaldate: datetime | None = None,
    date_header: datetime | None = None,
    from_addr: str = "dalvarez@district.example",
) -> MessageRow:
    return MessageRow(
        id=row_id,
        request_id="sam-1",
        direction=direction,
        purpose=purpose,
        reminder_kind=reminder_kind,
        message_id=message_id,
        in_reply_to=None,
        references=(),
        from_addr=from_addr,
        to_addrs=("jordan@family.example",),
        cc_addrs=(),
        subject=f"subject {row_id}",
        date_header=date_header,
        internaldate=internaldate,
        detected_at=created if direction == "in" else None,
        created_at=created,
        mailbox="INBOX" if direction == "in" else None,
        uidvalidity=1 if direction == "in" else None,
        uid=row_id if direction == "in" else None,
        sha256=hashlib.sha256(str(row_id).encode()).hexdigest(),
        eml_path=f"mail/{row_id}.eml",
        raw_path=Path(f"/state/mail/{row_id}.eml"),
        size=100,
        klass=klass if direction == "in" else None,
        excerpt=None,
        problems=None,
    )


def letter(
    row_id: int,
    purpose: str = "request",
    *,
    reminder_kind: str | None = None,
    message_id: str | None = None,
    created: datetime = T0,
) -> MessageRow:
    base = message(
        row_id,
        direction="out",
        purpose=purpose,
        klass=None,
        reminder_kind=reminder_kind,
        message_id=message_id,
        created=created,
    )
    return base._replace(from_addr="jordan@family.example")


def event(
    seq: int, kind: str, at: datetime, request_id: str = "sam-1", **fields: object
) -> EventRow:
    values: dict[str, object] = {"message_id": None, "from_addr": None, "subject": None}
    values.update(fields)
    return EventRow(
        seq=seq,
        request_id=request_id,
        at=at,
        kind=kind,
        message_id=values["message_id"],  # type: ignore[arg-type]
        from_addr=values["from_addr"],  # type: ignore[arg-type]
        subject=values["subject"],  # type: ignore[arg-type]
        detail=values.get("detail"),  # type: ignore[arg-type]
        prev_hash=f"{seq - 1:064x}",
        hash=f"{seq:064x}",
    )


REQUEST = RequestRow(
    id="sam-1",
    child="sam",
    reason="services_not_delivered",
    urgent=False,
    state="answered",
    subject="Request for an IEP meeting for Sam Rivera",
    message_id="<req@family.example>",
    created_at=T0,
    sent_at=T0,
    answered_at=T0 + timedelta(days=3),
    meeting_at=None,
    meeting_location=None,
    followup_count=0,
    last_followup_at=None,
    updated_at=T0,
)


# -- names and order


@pytest.mark.parametrize(
    ("row", "kind"),
    [
        (letter(1), "request"),
        (letter(1, "followup"), "followup"),
        (letter(1, "escalation"), "escalation"),
        (letter(1, "reminder", reminder_kind="auto_reply"), "reminder-auto_reply"),
        (letter(1, "reminder", reminder_kind=None), "reminder-other"),
        (message(1, klass="answer"), "answer"),
        (message(1, klass="auto_reply"), "auto_reply"),
        (message(1, klass="bounce"), "bounce"),
        (message(1, klass=None), "incoming"),
        (letter(1, "reminder", reminder_kind="../Weird Kind"), "reminder-___weird_kind"),
    ],
)
def test_message_kind_names_the_exported_file(row: MessageRow, kind: str) -> None:
    assert message_kind(row) == kind


def test_messages_are_numbered_by_when_they_went_out_or_reached_the_server_not_by_date_header() -> (
    None
):
    request = letter(1, created=T0)  # queued at T0, accepted by the server two days later
    early_answer = message(
        2,
        created=T0 + timedelta(days=3),  # recorded late: the daemon was down
        internaldate=T0 + timedelta(days=1),
        date_header=T0 + timedelta(days=30),  # a sender's clock far off
    )
    reminder = letter(3, "reminder", reminder_kind="answer", created=T0 + timedelta(days=3))
    no_internaldate = message(4, created=T0 + timedelta(days=4))
    outbox = {
        1: (T0 + timedelta(days=2), "done"),
        3: (T0 + timedelta(days=3, minutes=1), "done"),
    }

    numbered = number_messages([no_internaldate, reminder, early_answer, request], outbox)

    assert [m.row.id for m in numbered] == [2, 1, 3, 4]
    assert [m.filename for m in numbered] == [
        "001-answer.eml", "002-request.eml", "003-reminder-answer.eml", "004-answer.eml",
    ]  # fmt: skip
    assert numbered[1].sent_at == T0 + timedelta(days=2) and numbered[1].step == "done"
    assert numbered[0].sent_at is None and numbered[0].step is None
    assert numbered[0].recorded_at == T0 + timedelta(days=3)


def test_an_unsent_letter_is_ordered_by_when_it_was_queued() -> None:
    failed = letter(1, created=T0 + timedelta(hours=1))
    answer = message(2, internaldate=T0 + timedelta(hours=2))

    numbered = number_messages([answer, failed], {1: (None, "failed")})

    assert [m.row.id for m in numbered] == [1, 2]
    assert numbered[0].step == "failed" and numbered[0].sent_at is None


def test_ties_keep_the_recording_order() -> None:
    rows = [message(index, internaldate=T0) for index in (5, 3, 9)]
    assert [m.row.id for m in number_messages(rows, {})] == [3, 5, 9]


# -- joining events to messages


def history() -> Trail:
    sent_at = T0 + timedelta(minutes=1)
    rows = [
        letter(1, message_id="<req@family.example>"),
        # The school's server echoes our Message-ID (a copy sent back): the same ID, inbound.
        message(2, message_id="<req@family.example>", internaldate=T0 + timedelta(hours=1)),
        message(3, message_id=None, created=T0 + timedelta(days=2), klass="auto_reply"),
        message(4, message_id="<ans@district.example>", internaldate=T0 + timedelta(days=3)),
    ]
    numbered = number_messages(rows, {1: (sent_at, "done")})
    events = [
        event(1, "request_queued", T0),
        event(2, "request_sent", sent_at, message_id="<req@family.example>"),
        event(3, "request_queued", T0, request_id="other-request"),
        event(
            4,
            "auto_reply_received",
            T0 + timedelta(days=2),
            from_addr="dalvarez@district.example",
        ),
        event(
            5,
            "reply_received",
            T0 + timedelta(days=3),
            message_id="<ans@district.example>",
            from_addr="dalvarez@district.example",
            subject="Re: Request",
            detail="answer",
        ),
        event(6, "send_failed", T0, message_id="<never-stored@family.example>"),
        event(7, "request_queued", T0, request_id="other-request"),
    ]
    return build_trail(REQUEST, events, numbered)


def test_the_trail_holds_only_the_requests_events_but_the_head_of_the_whole_log() -> None:
    trail = history()

    assert [entry.event.seq for entry in trail.entries] == [1, 2, 4, 5, 6]
    assert trail.head == f"{7:064x}"
    assert trail.event_count == 7


def test_events_join_the_message_they_are_about() -> None:
    joined = {entry.event.seq: entry.message for entry in history().entries}

    assert joined[1] is None
    sent = joined[2]
    assert sent is not None and sent.row.id == 1  # the outgoing one, not the inbound echo
    auto_reply = joined[4]
    assert auto_reply is not None and auto_reply.row.id == 3  # no Message-ID: time and sender
    answer = joined[5]
    assert answer is not None and answer.row.id == 4
    assert joined[6] is None  # names a Message-ID nothing stored carries


def test_trail_rows_keep_the_spec_keys_and_add_the_message() -> None:
    rows = trail_rows(history())

    for row in rows:
        assert row.keys() >= SPEC_KEYS
        assert row["at"].endswith("Z")
    sent = rows[1]
    assert sent["kind"] == "request_sent"
    assert sent["at"] == "2026-11-16T14:01:00Z"
    assert sent["direction"] == "out"
    assert sent["sent_at"] == "2026-11-16T14:01:00Z"
    assert sent["to"] == ["jordan@family.example"]
    assert sent["file"] == "messages/001-request.eml"
    answer = rows[3]
    assert answer["from"] == "dalvarez@district.example"
    assert answer["class"] == "answer"
    assert answer["internaldate"] == "2026-11-19T14:00:00Z"
    assert answer["recorded_at"] == "2026-11-16T14:00:00Z"
    assert answer["seq"] == 5 and answer["hash"] == f"{5:064x}"
    assert "direction" not in rows[0]


def test_the_timeline_text_gives_local_time_with_utc_and_the_three_times() -> None:
    text = format_timeline(trail_rows(history()), ZONE)

    assert "Mon 2026-11-16 08:01:00 CST (2026-11-16 14:01:00 UTC)  request_sent  #2" in text
    assert "    INTERNALDATE: Thu 2026-11-19 08:00:00 CST (2026-11-19 14:00:00 UTC)" in text
    assert "    accepted:     Mon 2026-11-16 08:01:00 CST" in text
    assert "    class:        auto_reply" in text
    assert text.endswith("(times in America/Chicago, UTC in brackets)")


def test_local_time_follows_daylight_saving() -> None:
    zone_name = "America/Chicago"
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_name)
    summer = local_and_utc("2026-07-01T14:00:00Z", zone)
    assert summer == "Wed 2026-07-01 09:00:00 CDT (2026-07-01 14:00:00 UTC)"
    assert local_and_utc(None, zone) == "-"


def test_no_events_says_so() -> None:
    assert format_timeline([], ZONE) == "no events yet"


# -- the export's files, as text


def test_timeline_csv_has_a_row_per_event_with_utc_and_local_times() -> None:
    text = timeline_csv(history(), ZONE)

    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0].keys()) == list(CSV_COLUMNS)
    assert [row["seq"] for row in rows] == ["1", "2", "4", "5", "6"]
    assert rows[1]["at_utc"] == "2026-11-16T14:01:00Z"
    assert rows[1]["at_local"] == "2026-11-16T08:01:00-06:00"
    assert rows[1]["file"] == "messages/001-request.eml"
    assert rows[3]["internaldate_local"] == "2026-11-19T08:00:00-06:00"
    assert rows[3]["hash"] == f"{5:064x}" and rows[3]["prev_hash"] == f"{4:064x}"
    assert rows[0]["file"] == "" and rows[0]["sha256"] == ""


def test_sha256sums_is_in_the_format_sha256sum_checks() -> None:
    text = sha256sums([("timeline.csv", b"b"), ("index.html", b"a")])

    assert text == (
        f"{hashlib.sha256(b'a').hexdigest()}  index.html\n"
        f"{hashlib.sha256(b'b').hexdigest()}  timeline.csv\n"
    )


HOSTILE = '<script>alert(1)</script><img src="https://evil.example/p.gif"> & </pre>'


def cover() -> Cover:
    return Cover(
        request_id="sam-1",
        child="Sam Rivera, 4th grade, Lincoln Elementary School",
        parent="Jordan Rivera <jordan@family.example>",
        case_manager="Dana Alvarez <dalvarez@district.example>",
        principal="Lee Chen <lchen@district.example>",
        reason="services not delivered as written in the IEP",
        concern="Half of the speech sessions were missed.",
        urgent=True,
        exported_at=T0 + timedelta(days=10),
        timezone=ZONE,
    )


def test_the_page_escapes_everything_a_message_brings() -> None:
    trail = history()
    answer = trail.messages[-1]
    hostile_row = answer.row._replace(subject=HOSTILE, from_addr="x@district.example")
    hostile = answer._replace(row=hostile_row)
    trail = trail._replace(messages=(*trail.messages[:-1], hostile))
    bodies = {hostile.number: Body(text=f"Dear Jordan,\n{HOSTILE}\nDana")}

    page = render_index(cover(), trail, bodies)

    assert "<script" not in page
    assert "<img" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("</pre>") == page.count("<pre")  # a body cannot close its own block


def test_the_first_page_has_the_head_hash_the_export_date_and_the_disclaimer() -> None:
    page = render_index(cover(), history(), {})
    first = page.split("</header>", 1)[0]

    assert f"{7:064x}" in first
    assert "Thu 2026-11-26 08:00:00 CST" in first
    assert "not legal advice" in first
    assert "<b>urgent</b>" in first
    assert "default-src 'none'" in first
