"""The export's printable page as rendered from iepd's own template: the words it counts
with, the labels it gives events, and what it makes of hostile values. No store, no mail."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from iepd.store.rows import EventRow, MessageRow, RequestRow
from iepd.trail.export_page import EVENT_LABELS, Body, Cover, plural, render_index
from iepd.trail.timeline import Trail, build_trail, number_messages

T0 = datetime(2026, 11, 16, 14, 0, tzinfo=UTC)
LETTER_ID = "<req@family.example>"
SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '" onmouseover="alert(2)" x="'


class Page(HTMLParser):
    """What a browser would build from the page: its elements, attributes and text."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.title = ""
        self.text = ""
        self.in_title = False
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]
        self.in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self.in_title = False

    def handle_data(self, data: str) -> None:
        self.text += data
        if self.in_title:
            self.title += data


def request_row(**fields: object) -> RequestRow:
    values: dict[str, object] = {
        "id": "sam-1", "child": "sam", "reason": "services_not_delivered", "urgent": False,
        "state": "sent", "subject": "Request", "message_id": LETTER_ID, "created_at": T0,
        "sent_at": T0, "answered_at": None, "meeting_at": None, "meeting_location": None,
        "followup_count": 0, "last_followup_at": None, "updated_at": T0,
    }  # fmt: skip
    values.update(fields)
    return RequestRow(**values)  # type: ignore[arg-type]


def letter_row(subject: str = "Request for an IEP meeting for Sam Rivera") -> MessageRow:
    return MessageRow(
        id=1, request_id="sam-1", direction="out", purpose="request", reminder_kind=None,
        message_id=LETTER_ID, in_reply_to=None, references=(),
        from_addr="jordan@family.example", to_addrs=("dalvarez@district.example",),
        cc_addrs=(), subject=subject, date_header=T0, internaldate=None, detected_at=None,
        created_at=T0, mailbox=None, uidvalidity=None, uid=None,
        sha256=hashlib.sha256(b"1").hexdigest(), eml_path="mail/1.eml",
        raw_path=Path("/state/mail/1.eml"), size=100, klass=None, excerpt=None, problems=None,
    )  # fmt: skip


def event_row(seq: int, kind: str, **fields: object) -> EventRow:
    values: dict[str, object] = {
        "seq": seq, "request_id": "sam-1", "at": T0 + timedelta(minutes=seq), "kind": kind,
        "message_id": LETTER_ID, "from_addr": "jordan@family.example", "subject": None,
        "detail": None, "prev_hash": f"{seq - 1:064x}", "hash": f"{seq:064x}",
    }  # fmt: skip
    values.update(fields)
    return EventRow(**values)  # type: ignore[arg-type]


def trail(events: list[EventRow], subject: str = "Request for an IEP meeting") -> Trail:
    messages = number_messages([letter_row(subject)], {1: (T0, "done")})
    return build_trail(request_row(), events, messages)


def cover(**fields: object) -> Cover:
    values: dict[str, object] = {
        "request_id": "sam-1", "child": "Sam Rivera, 4th grade, Lincoln Elementary School",
        "parent": "Jordan Rivera <jordan@family.example>",
        "case_manager": "Dana Alvarez <dalvarez@district.example>",
        "principal": "Lee Chen <lchen@district.example>",
        "reason": "services not delivered as written in the IEP",
        "concern": "Half of the speech sessions were missed.", "urgent": False,
        "exported_at": T0 + timedelta(days=10), "timezone": "America/Chicago",
    }  # fmt: skip
    values.update(fields)
    return Cover(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("count", "words", "expected"),
    [
        (0, ("event",), "0 events"),
        (1, ("event",), "1 event"),
        (2, ("event",), "2 events"),
        (1, ("letter and answer", "letters and answers"), "1 letter and answer"),
        (6, ("letter and answer", "letters and answers"), "6 letters and answers"),
    ],
)
def test_plural_puts_the_count_with_the_right_form(
    count: int, words: tuple[str, ...], expected: str
) -> None:
    assert plural(count, *words) == expected


def test_one_event_and_one_letter_are_counted_in_the_singular() -> None:
    page = render_index(cover(), trail([event_row(1, "request_sent")]), {})
    text = " ".join(Page(page).text.split())

    assert "1 event and 1 letter and answer of this request follow" in text
    assert "the SHA-256 of the one event in iepd's hash-chained log" in text
    assert "1 events" not in text and "1 letters" not in text


def test_several_events_are_counted_in_the_plural() -> None:
    events = [event_row(1, "request_queued", message_id=None), event_row(2, "request_sent")]
    text = " ".join(Page(render_index(cover(), trail(events), {})).text.split())

    assert "2 events and 1 letter and answer of this request follow" in text
    assert "the newest of the 2 events in iepd's" in text


def test_a_sent_copy_that_could_not_be_filed_is_said_in_words() -> None:
    events = [
        event_row(1, "request_sent"),
        event_row(2, "sent_copy_failed", detail="folder Sent: 6 attempts: NO [TRYCREATE]"),
    ]

    text = Page(render_index(cover(), trail(events), {})).text

    assert EVENT_LABELS["sent_copy_failed"] == "Sent copy could not be filed"
    assert "Sent copy could not be filed (sent_copy_failed)" in text
    assert "NO [TRYCREATE]" in text


def test_hostile_values_stay_text_in_the_title_the_cover_and_the_timeline() -> None:
    school = f"Lincoln {SCRIPT} Elementary</title>{BREAKOUT}"
    subject = f"Re: meeting</title><script>alert(3)</script>{BREAKOUT}"
    hostile = cover(child=f"Sam Rivera, 4th grade, {school}", concern=f"It {BREAKOUT} hurts")
    events = [event_row(1, "request_sent", subject=subject)]
    bodies = {1: Body(text=f"Dear Dana,\n{SCRIPT}</pre>{BREAKOUT}")}

    page = render_index(hostile, trail(events, subject), bodies)
    parsed = Page(page)

    assert "script" not in parsed.tags
    assert parsed.tags.count("title") == 1 and parsed.tags.count("pre") == 1
    assert not [name for name in parsed.attributes if name.startswith("on") or name == "x"]
    assert parsed.title == f"Paper trail: sam-1 (Sam Rivera, 4th grade, {school})"
    for value in (school, subject, f"It {BREAKOUT} hurts", f"{SCRIPT}</pre>{BREAKOUT}"):
        assert value in parsed.text  # shown as the text it is, not lost
    assert SCRIPT not in page and BREAKOUT not in page
