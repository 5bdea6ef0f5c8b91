"""classify and excerpt: the class of a matched message, decided on its new text (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType

import pytest

from iepd.decide.classify import classify
from iepd.decide.excerpt import html_to_text, make_excerpt, new_text
from iepd.inbox.bounces import Failures
from iepd.inbox.invites import Invite
from iepd.inbox.parse import IncomingMessage, MessageParts, parse_message

QUOTED_LETTER = """
On Tue, Dec 1, 2026 at 8:02 AM Jordan Rivera <jordan@family.example> wrote:
> I am asking for a formal IEP meeting with the full IEP team, not an
> informal check-in or a quick call. Please do not deny my request.
"""


def message(
    text: str = "",
    *,
    subject: str = "Re: Request for an IEP meeting for Sam Rivera",
    sender: str = "dalvarez@district.example",
    headers: dict[str, str] | None = None,
    parts: MessageParts | None = None,
    from_name: str = "",
) -> IncomingMessage:
    return IncomingMessage(
        message_id="<x@district.example>",
        from_addr=sender,
        from_name=from_name,
        subject=subject,
        text=text,
        headers=MappingProxyType(dict(headers or {})),
        parts=parts or MessageParts(),
    )


WORDING = [
    ("We do not believe a meeting is necessary at this time.", "declined"),
    ("The team doesn't think another IEP meeting is warranted.", "declined"),
    ("I am denying your request.", "declined"),
    ("Your request for an IEP meeting has been denied.", "declined"),
    ("An additional meeting is not necessary.", "declined"),
    ("We are not able to schedule a meeting at this time.", "declined"),
    ("We cannot hold an IEP meeting this semester.", "declined"),
    ("There is no need for another IEP meeting.", "declined"),
    ("We are not able to schedule the meeting on the 9th; would the 10th work?", "answer"),
    ("We can't hold the meeting on Monday, but how about Wednesday at 3?", "answer"),
    ("I'd be happy to set up a quick call to go over your concerns.", "informal"),
    ("Could we do an informal check-in after school on Tuesday?", "informal"),
    ("Rather than convening the full team, let's talk first.", "informal"),
    ("Would you be open to a parent-teacher conference?", "informal"),
    ("Let me give you a call tomorrow to touch base.", "informal"),
    ("I'll check in with the team and get back to you with dates.", "answer"),
    ("We will hold the IEP meeting on December 10. Happy to set up a quick call before.", "answer"),
    ("The IEP meeting is scheduled for December 10 at 3:30.", "answer"),
    ("Received, thank you.", "answer"),
    ("", "answer"),
]


@pytest.mark.parametrize(("text", "expected"), WORDING)
def test_classify_reads_the_wording_of_the_new_text(text: str, expected: str) -> None:
    assert classify(message(text)).klass == expected


@pytest.mark.parametrize("text", [text for text, _ in WORDING])
def test_classify_ignores_wording_in_quoted_history(text: str) -> None:
    reply = "Thanks, I got your letter and will send dates on Friday.\n" + QUOTED_LETTER
    history = f"Sure.\n\n-----Original Message-----\nFrom: Dana\n{text}\n"
    assert classify(message(reply)).klass == "answer"
    assert classify(message(history)).klass == "answer"


AUTO_REPLIES = [
    (dict(headers={"auto-submitted": "auto-replied"}), "auto_reply"),
    # Generated, with nothing of an absence: read by its words (a ticket desk's update), unsure
    (dict(headers={"auto-submitted": "auto-generated; owner-email=x@y"}), "answer"),
    (
        dict(headers={"auto-submitted": "auto-generated"}, text="I am away until January 4."),
        "auto_reply",
    ),
    (dict(headers={"auto-submitted": "no"}), "answer"),
    (dict(headers={"x-autoreply": "yes"}), "auto_reply"),
    (dict(headers={"x-autorespond": "Out of office"}), "auto_reply"),
    (dict(headers={"precedence": "auto_reply"}), "auto_reply"),
    (
        dict(headers={"x-auto-response-suppress": "All", "x-ms-exchange-inbox-rules-loop": "a@b"}),
        "auto_reply",
    ),
    (dict(subject="Automatic reply: Request"), "answer"),
    (
        dict(subject="Automatic reply: Request", headers={"x-auto-response-suppress": "All"}),
        "auto_reply",
    ),
    (
        dict(subject="Out of Office: Request", text="I am out of the office until Monday."),
        "auto_reply",
    ),
    # an Exchange server rule's reply: the loop header and the subject, no suppression header
    (
        dict(subject="Out of Office - Dana", headers={"x-ms-exchange-inbox-rules-loop": "a@b"}),
        "auto_reply",
    ),
    (
        dict(subject="Out of Office", text="I am in meetings and unable to check email today."),
        "auto_reply",
    ),
    (dict(subject="Re: Request", text="I am out of the office until Monday."), "answer"),
    # a system's notice of the meeting says its mailbox is unattended and suppresses replies
    (
        dict(
            subject="Invitation to a Meeting - Sam Rivera",
            headers={"x-auto-response-suppress": "OOF, AutoReply"},
            text="An Invitation to a Meeting has been issued: Monday, December 14 at 3:45 PM. "
            "This message was generated automatically. This mailbox is not monitored.",
        ),
        "answer",
    ),
    # a records system's notice of refusal, generated, says its mailbox is unattended
    (
        dict(
            subject="Prior Written Notice issued - RIVERA, SAM",
            headers={"auto-submitted": "auto-generated"},
            text="This is an automated notification from the special education records system."
            "\n\nDocument: Prior Written Notice\nAction: Refused - Parent request to convene "
            "the IEP team\n\nPlease do not reply. This mailbox is not monitored.",
        ),
        "declined",
    ),
    (
        dict(
            subject="Automatic reply: Request",
            headers={"x-auto-response-suppress": "All"},
            text="This mailbox is not monitored. Please write to the main office.",
        ),
        "auto_reply",
    ),
    (dict(subject="Re: Out of office days", text="Yes, we can meet on Monday."), "answer"),
]


@pytest.mark.parametrize(("fields", "expected"), AUTO_REPLIES)
def test_classify_auto_reply_needs_a_strong_sign_or_two_weak_ones(
    fields: dict[str, object], expected: str
) -> None:
    fields = {"text": "Thanks, dates to follow.", **fields}
    assert classify(message(**fields)).klass == expected  # type: ignore[arg-type]


def test_classify_failed_delivery_status_is_a_bounce_with_its_recipient() -> None:
    status = (
        "Reporting-MTA: dns; mx\n\n"
        "Final-Recipient: rfc822; dalvarez@district.example\nAction: failed"
    )
    parts = MessageParts(report_type="delivery-status", delivery_status=status)
    result = classify(message("The mail system", parts=parts, sender="postmaster@x.example"))
    assert (result.klass, result.bounced_recipient) == ("bounce", "dalvarez@district.example")


def test_classify_delayed_delivery_status_is_an_auto_reply_not_an_answer() -> None:
    status = "Final-Recipient: rfc822; dalvarez@district.example\nAction: delayed"
    parts = MessageParts(report_type="delivery-status", delivery_status=status)
    result = classify(message("", parts=parts, sender="mailer-daemon@x.example"))
    assert result.klass == "auto_reply"
    assert result.bounced_recipient is None


def test_classify_temporary_failures_only_is_a_delay() -> None:
    parts = MessageParts(failures=Failures(temporary=("a@b.example",)))
    assert (
        classify(message("", parts=parts, sender="mailer-daemon@x.example")).klass == "auto_reply"
    )


def test_classify_delay_subject_from_the_mail_system_is_a_delay() -> None:
    incoming = message(
        "Delivery to the following recipient has been delayed",
        subject="Warning: message 1tHmQz-0004Xy-2k delayed 24 hours",
        sender="mailer-daemon@mx.family.example",
    )
    assert classify(incoming).klass == "auto_reply"


def test_classify_x_failed_recipients_is_a_bounce() -> None:
    incoming = message("", headers={"x-failed-recipients": "Lee <lchen@district.example>"})
    result = classify(incoming)
    assert (result.klass, result.bounced_recipient) == ("bounce", "lchen@district.example")


def test_classify_failure_notice_from_mailer_daemon_without_report_is_a_bounce() -> None:
    incoming = message(
        "Hi. This is the qmail-send program.\n<dalvarez@district.example>:\nUser unknown",
        subject="failure notice",
        sender="mailer-daemon@mx.family.example",
    )
    result = classify(incoming)
    assert (result.klass, result.bounced_recipient) == ("bounce", "dalvarez@district.example")


def test_classify_a_person_writing_about_delivery_is_no_bounce() -> None:
    incoming = message("Your letter could not be delivered to my old address; use this one.")
    assert classify(incoming).klass == "answer"


START = datetime(2026, 12, 10, 15, 30, tzinfo=timezone(timedelta(hours=-6)))


def test_classify_calendar_request_is_an_invite_with_start_and_place() -> None:
    invite = Invite("REQUEST", START, "Room 114", "IEP meeting")
    result = classify(message("See invite", parts=MessageParts(invites=(invite,))))
    assert (result.klass, result.meeting_start, result.meeting_location) == (
        "invite",
        START,
        "Room 114",
    )


def test_classify_calendar_cancel_is_no_invite() -> None:
    invite = Invite("CANCEL", START, "Room 114", "IEP meeting")
    assert classify(message("Cancelled", parts=MessageParts(invites=(invite,)))).klass == "answer"


def test_classify_auto_replied_invite_is_still_an_auto_reply() -> None:
    invite = Invite("REQUEST", START, None, "")
    parts = MessageParts(invites=(invite,))
    incoming = message("", headers={"auto-submitted": "auto-replied"}, parts=parts)
    assert classify(incoming).klass == "auto_reply"


def test_classify_invite_from_real_bytes_honours_tzid() -> None:
    raw = (
        b"From: dalvarez@district.example\r\nSubject: IEP\r\n"
        b"Date: Thu, 3 Dec 2026 10:00:00 -0600\r\n"
        b"Message-ID: <i@d>\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n"
        b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
        b"DTSTART;TZID=America/New_York:20260610T090000\r\nLOCATION:Library\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    result = classify(parse_message(raw))
    assert result.klass == "invite"
    assert result.meeting_start == datetime(2026, 6, 10, 13, 0, tzinfo=UTC)
    assert result.meeting_start is not None
    assert result.meeting_start.utcoffset() == timedelta(hours=-4)


def test_excerpt_drops_history_signature_and_collapses_whitespace() -> None:
    text = (
        "Hi Jordan,\n\n  Yes,   we can meet.\n\n-- \nDana Alvarez\nCase manager\n" + QUOTED_LETTER
    )
    assert make_excerpt(text) == "Hi Jordan, Yes, we can meet."


def test_excerpt_is_cut_at_a_word_boundary() -> None:
    excerpt = make_excerpt("word " * 400)
    assert len(excerpt) <= 600
    assert excerpt.endswith("word…")


@pytest.mark.parametrize(
    "marker",
    [
        "On Tue, Dec 1, 2026 at 8:02 AM Jordan Rivera <jordan@family.example> wrote:",
        "On Tue, Dec 1, 2026 at 8:02 AM Jordan Rivera <\njordan@family.example> wrote:",
        "-----Original Message-----",
        "________________________________\nFrom: Jordan",
        "From: Jordan Rivera <jordan@family.example>\nSent: Tuesday, December 1, 2026 8:02 AM",
        "---------- Forwarded message ---------",
        "Le mar. 1 déc. 2026 à 08:02, Jordan Rivera <jordan@family.example> a écrit :",
    ],
)
def test_new_text_stops_at_quoted_history_markers(marker: str) -> None:
    assert new_text(f"New words.\n\n{marker}\nOld words.") == "New words."


def test_new_text_keeps_inline_answers_between_quotes() -> None:
    text = "> Can you meet Monday?\nYes, Monday works.\n> Room?\nRoom 114."
    assert new_text(text) == "Yes, Monday works.\nRoom 114."


def test_html_to_text_marks_blockquotes_and_skips_scripts() -> None:
    html = (
        "<html><head><style>p{}</style><script>alert(1)</script></head><body>"
        "<p>Yes &amp; thanks</p><blockquote><p>old letter</p></blockquote></body></html>"
    )
    assert html_to_text(html) == "Yes & thanks\n\n> old letter"
    assert new_text(html_to_text(html)) == "Yes & thanks"


def test_html_to_text_of_broken_html_does_not_raise() -> None:
    assert "text" in html_to_text("<p>text<div><<<</b></i><!-- unterminated")


def test_new_text_reads_an_answer_written_below_the_quote() -> None:
    text = (
        "On Tue, Dec 1, 2026 at 8:02 AM Jordan Rivera <jordan@family.example>\n"
        "wrote:\n\n> Please propose dates for an IEP meeting, not a quick call.\n\n"
        "We will hold the meeting on December 10.\n"
    )
    assert new_text(text) == "We will hold the meeting on December 10."
    assert classify(message(text)).klass == "answer"


def test_new_text_cuts_an_attribution_above_unquoted_history() -> None:
    text = "Yes.\nOn Tue, Dec 1, 2026, Jordan Rivera wrote:\nPlease, not a quick call.\n"
    assert new_text(text) == "Yes."
