"""parent_messages: is a message in the Sent folder the parent's own message in a request's
thread, and from when does it count (pure, table-driven)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from iepd.decide.matching import OpenRequest
from iepd.decide.parent_messages import (
    SentContext,
    parent_message_request,
    sent_moment,
    worth_fetching,
)
from iepd.inbox.parse import IncomingMessage

PARENT = "jordan@family.example"
LETTER, FOLLOWUP = "<a1.iepd@family.example>", "<a2.iepd@family.example>"
SCHOOL_REPLY = "<reply-7@district.example>"
MAYA_LETTER = "<b1.iepd@family.example>"
REMINDER = "<reminder-9.iepd@family.example>"

SAM = OpenRequest(
    request_id="sam-speech",
    child_id="sam",
    child_name="Sam Rivera",
    sent_message_ids=frozenset({LETTER, FOLLOWUP, SCHOOL_REPLY}),
    case_manager="dalvarez@district.example",
    principal="lchen@district.example",
    school_domains=("district.example",),
)
MAYA = OpenRequest(
    request_id="maya-reading",
    child_id="maya",
    child_name="Maya Rivera",
    sent_message_ids=frozenset({MAYA_LETTER}),
    case_manager="pgomez@hamiltonms.example",
    principal="mbrooks@hamiltonms.example",
    school_domains=("hamiltonms.example",),
)
CTX = SentContext(
    parent_addresses=frozenset({PARENT}),
    own_message_ids=frozenset({LETTER, FOLLOWUP, MAYA_LETTER, REMINDER}),
    threads=(SAM, MAYA),
    # The district's coordinator answered in Sam's thread from a domain of her own.
    correspondents=MappingProxyType({"sam-speech": frozenset({"coord@special-ed.example"})}),
)


def sent(
    *,
    to: tuple[str, ...] = ("dalvarez@district.example",),
    cc: tuple[str, ...] = (),
    in_reply_to: tuple[str, ...] = (),
    references: tuple[str, ...] = (),
    subject: str = "",
    text: str = "",
    message_id: str = "<handwritten-1@family.example>",
    headers: dict[str, str] | None = None,
) -> IncomingMessage:
    return IncomingMessage(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        from_addr=PARENT,
        to_addrs=to,
        cc_addrs=cc,
        subject=subject,
        text=text,
        headers=MappingProxyType(dict(headers or {})),
    )


CASES = [
    ("a reply to the school's answer", sent(in_reply_to=(SCHOOL_REPLY,)), "sam-speech", "thread"),
    ("a reply to iepd's follow-up, References only", sent(references=(LETTER, FOLLOWUP)),
     "sam-speech", "thread"),
    ("a reply in the thread to the coordinator who wrote in it",
     sent(to=("coord@special-ed.example",), in_reply_to=(SCHOOL_REPLY,)), "sam-speech", "thread"),
    ("a new message to the case manager naming the child",
     sent(subject="Sam's speech sessions", text="Could we talk about Sam?"),
     "sam-speech", "sender_names_child"),
    ("a new message to the principal, copied, naming the child",
     sent(to=("someone@elsewhere.example",), cc=("lchen@district.example",),
          text="Sam Rivera still has no speech services. When is the meeting?"),
     "sam-speech", "sender_names_child"),
    # the parent's "my letter" is the school's "your letter"
    ("a new message asking whether the case manager got the parent's letter",
     sent(subject="Sam", text="Did you get my letter about Sam's IEP?"),
     "sam-speech", "sender_names_child"),
    ("a new message about the parent's own field trip form",
     sent(subject="Sam", text="Sam's field trip form is in his folder."), None, None),
    ("to Maya's school about Maya",
     sent(to=("pgomez@hamiltonms.example",), text="When is Maya's IEP meeting?"),
     "maya-reading", "sender_names_child"),
    ("to the school asking about the IEP meeting, one open request there",
     sent(to=("pgomez@hamiltonms.example",), subject="The IEP meeting"),
     "maya-reading", "sole_open_request"),
    ("iepd's own letter in the Sent folder", sent(message_id=LETTER, in_reply_to=()), None, None),
    ("iepd's own letter, Message-ID in another case",
     sent(message_id=LETTER.upper(), text="Sam"), None, None),
    ("an iepd reminder filed in Sent by the provider",
     sent(to=(PARENT,), message_id=REMINDER, headers={"x-iepd-kind": "sent"}), None, None),
    ("a forward of the school's answer to an advocate, in the thread",
     sent(to=("advocate@help.example",), references=(LETTER, SCHOOL_REPLY), text="Sam"),
     None, None),
    ("an unrelated message to a friend", sent(to=("friend@example.org",), text="Dinner?"),
     None, None),
    ("to the school, naming no child, about something else",
     sent(subject="Bake sale", text="I can bring cookies."), None, None),
    ("to the school naming another child", sent(text="About Alex's field trip."), None, None),
    ("to the parent alone", sent(to=(PARENT,), in_reply_to=(SCHOOL_REPLY,)), None, None),
    ("to both schools, naming both children",
     sent(to=("dalvarez@district.example", "pgomez@hamiltonms.example"),
          text="Sam and Maya both need a meeting."), None, None),
]  # fmt: skip


@pytest.mark.parametrize(("message", "request_id", "reason"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])  # fmt: skip
def test_parent_message_request_follows_matching_rules_from_the_schools_side(
    message: IncomingMessage, request_id: str | None, reason: str | None
) -> None:
    found = parent_message_request(message, CTX)
    got = (found.request_id, found.reason) if found else (None, None)
    assert got == (request_id, reason)


def test_a_message_in_the_thread_of_a_request_that_is_not_open_belongs_to_none() -> None:
    closed = SentContext(CTX.parent_addresses, CTX.own_message_ids, threads=(MAYA,))
    assert parent_message_request(sent(in_reply_to=(SCHOOL_REPLY,)), closed) is None


def test_nothing_is_worth_fetching_before_any_request_is_sent() -> None:
    empty = SentContext(CTX.parent_addresses, frozenset(), threads=())
    assert not worth_fetching(sent(in_reply_to=(SCHOOL_REPLY,)), empty)


@pytest.mark.parametrize(
    ("message", "wanted"),
    [
        (sent(), True),
        (sent(to=("friend@example.org",), cc=("coord@special-ed.example",)), True),
        (sent(to=("x@sub.district.example",)), True),
        (sent(to=("friend@example.org",)), False),
        (sent(to=(PARENT,)), False),
        (sent(message_id=LETTER), False),
        (sent(headers={"x-iepd-kind": "answer"}), False),
    ],
)
def test_worth_fetching_reads_the_recipients_and_skips_iepds_own(
    message: IncomingMessage, wanted: bool
) -> None:
    assert worth_fetching(message, CTX) is wanted


FOUND = datetime(2026, 12, 9, 18, 0, tzinfo=UTC)
FILED = FOUND - timedelta(hours=5)
WRITTEN = FOUND - timedelta(days=1)


@pytest.mark.parametrize(
    ("date_header", "internaldate", "expected"),
    [
        (WRITTEN, FILED, FILED),  # written offline, sent later: it reached the school then
        (None, FILED, FILED),
        (WRITTEN, None, WRITTEN),
        (None, None, FOUND),
        (FOUND + timedelta(days=3), None, FOUND),  # a clock set ahead
        (WRITTEN, FOUND + timedelta(hours=1), WRITTEN),  # a server clock ahead
        (FOUND + timedelta(days=3), FOUND + timedelta(hours=1), FOUND),
    ],
)
def test_sent_moment_is_when_the_server_filed_it_never_after_iepd_found_it(
    date_header: datetime | None, internaldate: datetime | None, expected: datetime
) -> None:
    assert sent_moment(date_header, internaldate, FOUND) == expected
