"""MessageRecorder.handle against a real config, a real store and the real sender's queue.

A request is put in the "sent" state the way the daemon does it (support.offline.sent_request:
queued, walked through the outbox steps, recorded); then messages built like the school's
mail are handed to the recorder and the record is read back: the stored message and its raw
copy, the events, the request's state and the one reminder queued for the parent. No mail
server is contacted: queueing a reminder does no I/O, and only delivering one would.
"""

from __future__ import annotations

import email.policy
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from support.family import CASE_MANAGER, CHILD_NAME, PARENT
from support.offline import REQUEST, Offline, school_reply, sent_request

RECEIVED = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Offline]:
    offline = sent_request(tmp_path)
    request = offline.store.get_request(REQUEST)
    assert request is not None and request.state == "sent"
    assert request.message_id == offline.letter_id
    offline.clock.now = RECEIVED  # four days and an hour after the letter
    yield offline
    offline.store.close()


# -- messages as the school's mail programs write them


def as_raw(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=email.policy.SMTP)


def header_block(raw: bytes) -> bytes:
    head, _, _ = raw.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n"


ANSWER = (
    "Hi Jordan,\n\n"
    "Thank you for your letter. We can meet on December 10 at 3:30 pm in room 12.\n\n"
    "Dana\n\n"
    "On Mon, Nov 16, 2026 at 8:00 AM Jordan Rivera wrote:\n"
    "> I am asking for a formal IEP meeting, not an informal check-in.\n"
)


def invite(world: Offline, *, dtstart: str | None = "DTSTART:20261210T213000Z") -> EmailMessage:
    message = school_reply(world, "Please see the invitation for Sam's IEP meeting.", number=7)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Example District//Scheduler//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        "UID:iep-sam-20261210@example.test",
        "DTSTAMP:20261120T150000Z",
        *([dtstart] if dtstart else []),
        "DTEND:20261210T223000Z",
        "SUMMARY:IEP meeting - Sam Rivera",
        "LOCATION:Lincoln Elementary\\, Room 12",
        f"ORGANIZER:mailto:{CASE_MANAGER}",
        f"ATTENDEE:mailto:{PARENT}",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    message.add_alternative("\r\n".join(lines), subtype="calendar", params={"method": "REQUEST"})
    return message


def bounce(world: Offline) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\r\n"
        f"To: {PARENT}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Mon, 16 Nov 2026 08:01:00 -0600\r\n"
        "Message-ID: <bounce-1@mx.example.test>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"\r\n'
        "\r\n"
        "--BOUNDARY\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "This is the mail system at host mx.example.test.\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n"
        "\r\n"
        f"<{CASE_MANAGER}>: host mail.example.test said: 550 5.1.1 User unknown\r\n"
        "\r\n"
        "--BOUNDARY\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.test\r\n"
        "Arrival-Date: Mon, 16 Nov 2026 08:00:30 -0600\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {CASE_MANAGER}\r\n"
        f"Original-Recipient: rfc822;{CASE_MANAGER}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Remote-MTA: dns; mail.example.test\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "\r\n"
        "--BOUNDARY\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        f"From: Jordan Rivera <{PARENT}>\r\n"
        f"To: Dana Alvarez <{CASE_MANAGER}>\r\n"
        f"Subject: {world.letter_subject}\r\n"
        f"Message-ID: {world.letter_id}\r\n"
        "\r\n"
        "--BOUNDARY--\r\n"
    ).encode()


def newsletter(world: Offline) -> EmailMessage:
    message = school_reply(
        world,
        f"This week at Lincoln: the IEP team congratulates {CHILD_NAME} and friends!",
        sender="Lincoln Elementary <news@example.test>",
        number=20,
        in_thread=False,
        List_Id="Lincoln families <families.lincoln.example.test>",
        List_Unsubscribe="<mailto:leave@example.test>",
    )
    del message["Subject"]
    message["Subject"] = "Lincoln Weekly: IEP meeting tips"
    return message


def broken_mime(world: Offline) -> bytes:
    return (
        f"From: Dana Alvarez <{CASE_MANAGER}>\r\n"
        f"To: {PARENT}\r\n"
        f"Subject: Re: {world.letter_subject}\r\n"
        "Date: Fri, 20 Nov 2026 09:00:00 -0600\r\n"
        "Message-ID: <broken-1@mail.example.test>\r\n"
        f"In-Reply-To: {world.letter_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="never-closed"\r\n'
        "\r\n"
        "--never-closed\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "We can meet on December 10 at 3:30 pm.\r\n"
        "--never-closed\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "\r\n"
        "<p>We can meet on December 10 at 3:30 pm.\r\n"
    ).encode()


# -- the classes


def test_an_answer_is_stored_byte_for_byte_answers_the_request_and_queues_one_reminder(
    world: Offline,
) -> None:
    raw = as_raw(school_reply(world, ANSWER))

    assert world.receive(raw) == "answer"

    request = world.store.get_request(REQUEST)
    assert request is not None
    assert request.state == "answered"
    assert request.answered_at == world.clock.now
    [stored] = world.incoming()
    assert stored.klass == "answer"
    assert stored.raw_path.read_bytes() == raw
    assert stored.sha256 == hashlib.sha256(raw).hexdigest()
    assert stored.size == len(raw)
    assert stored.excerpt is not None and "December 10 at 3:30 pm" in stored.excerpt
    assert "informal check-in" not in stored.excerpt
    assert stored.message_id == "<reply-1@mail.example.test>"
    assert stored.in_reply_to == world.letter_id
    assert stored.from_addr == CASE_MANAGER
    assert (stored.mailbox, stored.uidvalidity, stored.uid) == ("INBOX", 1, 1)
    assert stored.internaldate == RECEIVED
    assert stored.problems is None
    assert world.event_kinds()[-1] == "reply_received"
    [event] = [e for e in world.store.events(REQUEST) if e.kind == "reply_received"]
    assert event.message_id == "<reply-1@mail.example.test>"
    assert event.from_addr == CASE_MANAGER
    [reminder] = world.reminders("answer")
    assert reminder.step == "queued"
    assert reminder.recipients == (PARENT,)
    assert b"X-IEPD-Kind: answer" in reminder.read_raw()


def test_an_out_of_office_reply_keeps_the_request_waiting_and_queues_an_auto_reply_reminder(
    world: Offline,
) -> None:
    message = school_reply(
        world,
        "I am out of the office until Monday, November 30, with limited access to email.",
        Auto_Submitted="auto-replied",
    )
    del message["Subject"]
    message["Subject"] = f"Automatic reply: {world.letter_subject}"

    assert world.receive(as_raw(message)) == "auto_reply"

    request = world.store.get_request(REQUEST)
    assert request is not None
    assert request.state == "sent"
    assert request.answered_at is None
    assert "auto_reply_received" in world.event_kinds()
    assert "reply_received" not in world.event_kinds()
    [stored] = world.incoming()
    assert stored.klass == "auto_reply"
    assert len(world.reminders("auto_reply")) == 1
    assert world.reminders("answer") == []


def test_a_refusal_declines_the_request(world: Offline) -> None:
    raw = as_raw(
        school_reply(
            world, "We have reviewed his file. We will not be holding a meeting at this time."
        )
    )

    assert world.receive(raw) == "declined"

    request = world.store.get_request(REQUEST)
    assert request is not None
    assert request.state == "declined"
    assert request.answered_at == world.clock.now
    assert "reply_received" in world.event_kinds()
    assert len(world.reminders("declined")) == 1


def test_an_offer_of_a_phone_call_instead_answers_the_request_with_an_informal_reminder(
    world: Offline,
) -> None:
    raw = as_raw(
        school_reply(world, "Could we do a quick phone call instead? I am free Tuesday afternoon.")
    )

    assert world.receive(raw) == "informal"

    request = world.store.get_request(REQUEST)
    assert request is not None
    assert request.state == "answered"
    assert request.answered_at is not None
    assert len(world.reminders("informal")) == 1
    assert world.reminders("answer") == []


def test_a_calendar_invitation_schedules_the_meeting_at_its_start(world: Offline) -> None:
    assert world.receive(as_raw(invite(world))) == "invite"

    request = world.store.get_request(REQUEST)
    assert request is not None
    assert request.state == "meeting_scheduled"
    assert request.meeting_at == datetime(2026, 12, 10, 21, 30, tzinfo=UTC)
    assert request.meeting_location == "Lincoln Elementary, Room 12"
    assert request.answered_at == world.clock.now
    kinds = world.event_kinds()
    assert kinds[-2:] == ["reply_received", "meeting_scheduled"]
    [scheduled] = [e for e in world.store.events(REQUEST) if e.kind == "meeting_scheduled"]
    assert scheduled.detail is not None
    assert datetime.fromisoformat(scheduled.detail) == request.meeting_at
    [reminder] = world.reminders("invite")
    assert reminder.step == "queued"


def test_a_delivery_failure_for_the_case_manager_makes_the_request_undeliverable(
    world: Offline,
) -> None:
    raw = bounce(world)

    assert world.receive(raw) == "bounce"

    request = world.store.get_request(REQUEST)
    assert request is not None
    assert request.state == "undeliverable"
    assert request.answered_at is None
    assert "bounce_received" in world.event_kinds()
    assert "reply_received" not in world.event_kinds()
    [stored] = world.incoming()
    assert stored.klass == "bounce"
    assert stored.raw_path.read_bytes() == raw
    [reminder] = world.reminders("bounce")
    assert CASE_MANAGER.encode() in reminder.read_raw()


# -- idempotence and what is not ours


def test_the_same_message_handed_twice_is_recorded_once_and_reminded_once(
    world: Offline,
) -> None:
    raw = as_raw(school_reply(world, ANSWER))

    assert world.receive(raw, uid=5) == "answer"
    events_after_first = world.event_kinds()
    assert world.receive(raw, uid=5) is None

    assert len(world.incoming()) == 1
    assert len(world.reminders("answer")) == 1
    assert world.event_kinds() == events_after_first
    assert world.event_kinds().count("reply_received") == 1


def test_the_same_message_under_a_new_uidvalidity_is_not_recorded_again(world: Offline) -> None:
    raw = as_raw(school_reply(world, ANSWER))
    assert world.receive(raw, uid=5) == "answer"

    again = world.recorder.handle(
        raw=raw, mailbox="INBOX", uidvalidity=2, uid=1, internaldate=RECEIVED
    )

    assert again is None
    assert len(world.incoming()) == 1
    assert len(world.reminders("answer")) == 1


def test_a_newsletter_from_the_school_is_not_stored(world: Offline) -> None:
    files_before = sorted(world.store.mail_dir.iterdir())
    events_before = world.store.events()

    assert world.receive(as_raw(newsletter(world))) is None

    assert world.incoming() == []
    assert world.store.events() == events_before
    assert sorted(world.store.mail_dir.iterdir()) == files_before
    assert world.reminders() == [r for r in world.reminders() if r.reminder_kind == "sent"]


def test_mail_from_an_unrelated_sender_naming_the_child_is_not_stored(world: Offline) -> None:
    files_before = sorted(world.store.mail_dir.iterdir())
    raw = as_raw(
        school_reply(
            world,
            f"Want to bring {CHILD_NAME} to the park on Saturday? The IEP meeting can wait!",
            sender="Pat Friend <pat@elsewhere.example>",
            in_thread=False,
        )
    )

    assert world.receive(raw) is None

    assert world.incoming() == []
    assert sorted(world.store.mail_dir.iterdir()) == files_before
    request = world.store.get_request(REQUEST)
    assert request is not None and request.state == "sent"


def test_a_malformed_message_in_the_thread_is_stored_as_is_with_its_problems(
    world: Offline,
) -> None:
    raw = broken_mime(world)

    klass = world.receive(raw)

    assert klass is not None
    [stored] = world.incoming()
    assert stored.klass == klass
    assert stored.raw_path.read_bytes() == raw
    assert stored.problems is not None and "MIME defect" in stored.problems
    assert len(world.reminders(klass)) == 1


def test_wants_the_thread_reply_but_not_the_newsletter(world: Offline) -> None:
    assert world.recorder.wants(header_block(as_raw(school_reply(world, ANSWER)))) is True
    assert world.recorder.wants(header_block(as_raw(newsletter(world)))) is False


def test_the_record_verifies_after_every_kind_of_message(world: Offline) -> None:
    world.receive(
        as_raw(school_reply(world, "I am out of the office.", Auto_Submitted="auto-replied"))
    )
    world.receive(as_raw(school_reply(world, ANSWER, number=2)))
    world.receive(as_raw(invite(world)))
    world.receive(broken_mime(world))
    world.receive(as_raw(newsletter(world)))

    assert len(world.incoming()) == 4
    assert world.store.verify() == []
    assert world.store.integrity_check() == "ok"


# -- findings: the way inbox.py behaves at its edges


def test_an_invitation_without_a_start_is_recorded_and_does_not_raise(world: Offline) -> None:
    """A METHOD:REQUEST calendar whose DTSTART is missing is still an invitation; recording
    it must not fail (a raise here would stall the watcher on this message for ever)."""
    raw = as_raw(invite(world, dtstart=None))

    klass = world.receive(raw)

    assert klass == "invite"
    [stored] = world.incoming()
    assert stored.raw_path.read_bytes() == raw
    assert len(world.reminders()) >= 2  # the `sent` one and one about this message


def test_a_late_bounce_does_not_undo_a_scheduled_meeting(world: Offline) -> None:
    """A bounce of one recipient arriving after the school already sent an invitation: the
    meeting is scheduled, so the request is not undeliverable."""
    assert world.receive(as_raw(invite(world))) == "invite"

    assert world.receive(bounce(world)) == "bounce"

    request = world.store.get_request(REQUEST)
    assert request is not None
    assert request.state == "meeting_scheduled"
    assert len(world.reminders("bounce")) == 1
