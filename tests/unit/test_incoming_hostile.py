"""Hostile input: parse_message, is_candidate, match and classify never raise, on random
bytes, on mutated corpus messages and on huge messages; what was wrong is flagged."""

from __future__ import annotations

import base64
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iepd.decide.classify import Classification, classify
from iepd.decide.matching import MatchContext, OpenRequest, is_candidate, match
from iepd.inbox.parse import (
    TEXT_LIMIT,
    IncomingMessage,
    message_ids,
    normalize_message_id,
    parse_headers_only,
    parse_message,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
MESSAGES = [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]

CTX = MatchContext(
    parent_addresses=frozenset({"jordan@family.example"}),
    requests=(
        OpenRequest(
            request_id="sam-speech",
            child_id="sam",
            child_name="Sam Rivera",
            sent_message_ids=frozenset({"<a1.iepd@family.example>"}),
            case_manager="dalvarez@district.example",
            principal="lchen@district.example",
            school_domains=("district.example",),
        ),
        OpenRequest(
            request_id="maya-reading",
            child_id="maya",
            child_name="Maya Rivera",
            sent_message_ids=frozenset({"<b1.iepd@family.example>"}),
            case_manager="dalvarez@district.example",
            principal="mbrooks@hamiltonms.example",
            school_domains=("district.example", "hamiltonms.example"),
        ),
    ),
)
HOSTILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_everything(raw: bytes) -> tuple[IncomingMessage, Classification]:
    """Run the whole pure pipeline on raw bytes, as the watcher does."""
    message = parse_message(raw)
    headers = parse_headers_only(raw.split(b"\n\n", 1)[0])
    is_candidate(headers, CTX)
    found = match(message, CTX)
    result = classify(message)
    assert isinstance(message, IncomingMessage)
    assert result.klass in ("bounce", "auto_reply", "invite", "declined", "informal", "answer")
    assert len(result.excerpt) <= 600
    assert found is None or found.request_id in ("sam-speech", "maya-reading")
    return message, result


@HOSTILE
@given(st.binary(max_size=4000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    run_everything(raw)


HEADERISH = st.lists(
    st.sampled_from(
        [
            b"From: ",
            b"To: ",
            b"Subject: ",
            b"Message-ID: <",
            b"In-Reply-To: ",
            b"References: ",
            b"Content-Type: multipart/mixed; boundary=",
            b"Content-Type: text/calendar; method=REQUEST",
            b"Content-Type: message/rfc822",
            b"Content-Type: multipart/report; report-type=delivery-status",
            b"Content-Transfer-Encoding: base64",
            b"Content-Transfer-Encoding: quoted-printable",
            b"=?utf-8?q?",
            b"=?x-unknown?b?",
            b"?=",
            b"<a1.iepd@family.example>",
            b"--",
            b"\r\n",
            b"\n",
            b"\n\n",
            b"BEGIN:VCALENDAR",
            b"BEGIN:VEVENT",
            b"DTSTART;TZID=",
            b"Action: failed",
            b"\xff\xfe",
            b"\x00",
            b"Sam",
            b"mailer-daemon@x.example",
            b"\xc3\xa9",
            b"=\r\n",
            b"\t",
        ]
    ),
    max_size=60,
).map(b"".join)


@HOSTILE
@given(HEADERISH)
def test_mail_shaped_garbage_never_raises(raw: bytes) -> None:
    run_everything(raw)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(MESSAGES)))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["flip", "truncate", "duplicate", "insert", "delete"]))
        if not raw:
            break
        at = draw(st.integers(0, len(raw) - 1))
        if kind == "flip":
            raw[at] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del raw[at:]
        elif kind == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif kind == "delete":
            del raw[at : at + draw(st.integers(1, 200))]
        else:  # duplicate one header line many times
            lines = bytes(raw).split(b"\n")
            header_count = next((i for i, line in enumerate(lines) if line.strip() == b""), 1)
            index = draw(st.integers(0, max(0, header_count - 1)))
            copies = draw(st.integers(2, 50))
            lines[index:index] = [lines[index]] * copies
            raw = bytearray(b"\n".join(lines))
    return bytes(raw)


@HOSTILE
@given(mutated())
def test_mutated_corpus_messages_never_raise(raw: bytes) -> None:
    run_everything(raw)


@HOSTILE
@given(st.text(max_size=300))
def test_message_id_helpers_never_raise(value: str) -> None:
    normalized = normalize_message_id(value)
    assert normalized is None or (normalized.startswith("<") and normalized.endswith(">"))
    assert all(item.startswith("<") for item in message_ids(value))


def test_one_megabyte_header_is_flagged_and_the_message_still_matches() -> None:
    raw = (
        b"From: Dana Alvarez <dalvarez@district.example>\r\n"
        b"X-Junk: " + b"A" * (1024 * 1024) + b"\r\n"
        b"Subject: Re: Request for an IEP meeting for Sam Rivera\r\n"
        b"In-Reply-To: <a1.iepd@family.example>\r\n"
        b"Date: Thu, 3 Dec 2026 10:00:00 -0600\r\nMessage-ID: <big@district.example>\r\n\r\n"
        b"Yes, we will meet.\r\n"
    )
    message, result = run_everything(raw)
    assert any("x-junk" in problem for problem in message.problems)
    assert match(message, CTX) is not None
    assert result.klass == "answer"


def test_one_megabyte_references_header_completes_and_finds_the_thread() -> None:
    filler = b" ".join(b"<%d.filler@district.example>" % n for n in range(40_000))
    raw = (
        b"From: dalvarez@district.example\r\nReferences: <a1.iepd@family.example> "
        + filler
        + b"\r\nMessage-ID: <refs@d>\r\n\r\nFine.\r\n"
    )
    message, _ = run_everything(raw)
    assert len(raw) > 1024 * 1024
    found = match(message, CTX)
    assert found is not None and found.request_id == "sam-speech"


def five_megabyte_message(content_type: bytes, body: bytes) -> bytes:
    encoded = base64.encodebytes(body)
    return (
        b"From: dalvarez@district.example\r\nSubject: Sam\r\nMessage-ID: <huge@d>\r\n"
        b"Date: Thu, 3 Dec 2026 10:00:00 -0600\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\n"
        b"Content-Type: "
        + content_type
        + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + encoded
        + b"\r\n--b--\r\n"
    )


def test_five_megabyte_attachment_completes() -> None:
    raw = five_megabyte_message(b"application/pdf", bytes(range(256)) * (5 * 4096))
    message, result = run_everything(raw)
    assert "application/pdf" in message.parts.content_types
    assert result.excerpt == "See attached."


def test_five_megabyte_text_part_completes_and_is_truncated() -> None:
    raw = five_megabyte_message(b"text/plain; charset=utf-8", b"no meeting. " * 440_000)
    message, _ = run_everything(raw)
    assert len(message.text) == TEXT_LIMIT
    assert "body text truncated" in message.problems


def test_five_megabyte_html_part_completes() -> None:
    body = b"<html><body>" + b"<div><p>Sam</p><blockquote>q</blockquote></div>" * 110_000
    raw = (
        b"From: dalvarez@district.example\r\nMessage-ID: <h@d>\r\n"
        b"Content-Type: text/html\r\n\r\n" + body
    )
    message, _ = run_everything(raw)
    assert message.parts.html_only
    assert message.text.startswith("Sam")


def test_deeply_nested_multiparts_are_flagged_not_fatal() -> None:
    depth = 400
    head = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (n, n)
        for n in range(depth)
    )
    raw = b"From: dalvarez@district.example\r\nMessage-ID: <deep@d>\r\n" + head + b"\r\nSam\r\n"
    message, _ = run_everything(raw)
    assert message.problems


def test_thousands_of_parts_are_flagged_not_fatal() -> None:
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\nSam %d\r\n" % n for n in range(3000))
    raw = (
        b"From: dalvarez@district.example\r\nMessage-ID: <many@d>\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + parts + b"--b--\r\n"
    )
    message, _ = run_everything(raw)
    assert "too many MIME parts" in message.problems


def test_empty_input_gives_an_empty_flagged_message() -> None:
    message, result = run_everything(b"")
    assert message.from_addr is None
    assert "no Date header" in message.problems
    assert result.klass == "answer"


def test_garbage_calendar_part_is_no_invite() -> None:
    raw = (
        b"From: dalvarez@district.example\r\nMessage-ID: <cal@d>\r\n"
        b"Content-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\n\xff\xfe\x00"
    )
    message, result = run_everything(raw)
    assert message.parts.calendars
    assert result.klass != "invite"


def test_undecodable_encoded_words_keep_the_rest_of_the_header() -> None:
    raw = (
        b"From: =?x-unknown?q?D=E9na?= <dalvarez@district.example>\r\n"
        b"Subject: =?utf-8?b?!!!notbase64?= about Sam\r\nMessage-ID: <w@d>\r\n\r\nHi\r\n"
    )
    message, _ = run_everything(raw)
    assert message.from_addr == "dalvarez@district.example"
    assert "about Sam" in message.subject
    assert all("\x00" not in value for value in message.headers.values())


def test_control_characters_are_removed_from_headers() -> None:
    raw = b"From: a@b.example\r\nSubject: IEP\x00 \x1b[31mmeeting\x7f\r\nMessage-ID: <c@d>\r\n\r\n"
    message = parse_message(raw)
    assert message.subject == "IEP [31mmeeting"


def test_eight_bit_bytes_in_a_delivery_report_still_give_a_bounce() -> None:
    raw = (CORPUS / "13-postfix-bounce.eml").read_bytes()
    raw = raw.replace(b"Action: failed", "Action: failed (échec)".encode())
    message, result = run_everything(raw)
    assert message.parts.failures.permanent == ("dalvarez@district.example",)
    assert not any("bounce detectors failed" in problem for problem in message.problems)
    assert (result.klass, result.bounced_recipient) == ("bounce", "dalvarez@district.example")
