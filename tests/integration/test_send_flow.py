"""The send path end to end, in-process, against a real Dovecot and a real aiosmtpd server.

A request goes out once, to the right people, with one copy in the parent's Sent folder, a
`sent` reminder in the parent's inbox and a paper trail in the store; each SMTP failure ends
where the SPEC says.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iepd.errors import MailServerError
from iepd.run.one_pass import utc_now
from iepd.store.database import Store
from support.daemon import run_once_here
from support.family import CHILD_NAME, Family, speech_request
from support.mailboxes import mailbox, parsed, school_mail
from support.mailservers import Dovecot, SmtpServer


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def run_once(family: Family, clock: Clock | None = None, password: str | None = None) -> Store:
    """Run `iepd run --once` in this process (the daemon's own code path) and return the
    store it left. A password given here replaces the right one in the credential file."""
    right = family.parent_password
    if password is not None:
        family.parent_password = password
    family.write()
    family.parent_password = right
    run_once_here(family, clock or utc_now)
    return Store.open(family.state_dir)


def test_run_once_sends_the_letter_to_the_case_manager_with_one_sent_copy_and_a_reminder(
    family: Family, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    store = run_once(family)

    [envelope] = [e for e in smtp_server.received if family.case_manager in e.rcpt_tos]
    assert envelope.mail_from == family.parent
    assert envelope.rcpt_tos == [family.case_manager]

    [letter] = school_mail(dovecot, family, family.case_manager)
    assert letter["From"].addresses[0].addr_spec == family.parent
    assert [a.addr_spec for a in letter["To"].addresses] == [family.case_manager]
    assert letter["Cc"] is None
    assert CHILD_NAME in str(letter["Subject"])
    assert str(letter["Message-ID"]).endswith("@example.test>")
    assert not [name for name in letter.keys() if name.lower().startswith("x-iepd")]
    assert letter["Auto-Submitted"] is None
    assert school_mail(dovecot, family, family.principal) == []

    sent = dovecot.messages(family.parent, family.parent_password, "Sent")
    assert len(sent) == 1
    assert parsed(sent[0])["Message-ID"] == letter["Message-ID"]
    assert all(
        "\\Seen" in flags
        for flags in dovecot.flags(family.parent, family.parent_password, "Sent").values()
    )

    [reminder] = mailbox(dovecot, family.parent, family.parent_password)
    assert reminder["X-IEPD-Kind"] == "sent"
    assert reminder["X-IEPD-Request"] == "sam-speech"
    assert reminder["Auto-Submitted"] == "auto-generated"
    assert str(reminder["Subject"]).startswith("[iepd] ")
    attached = [part for part in reminder.walk() if part.get_content_type() == "message/rfc822"]
    assert len(attached) == 1

    request = store.get_request("sam-speech")
    assert request is not None
    assert request.state == "sent"
    assert request.message_id == letter["Message-ID"]
    kinds = [event.kind for event in store.events("sam-speech")]
    assert kinds.count("request_sent") == 1
    assert kinds.count("reminder_sent") == 1
    assert store.verify() == []


def test_a_second_run_sends_nothing_again(
    family: Family, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    run_once(family).close()
    received = len(smtp_server.received)
    run_once(family).close()
    assert len(smtp_server.received) == received
    assert len(school_mail(dovecot, family, family.case_manager)) == 1
    assert len(dovecot.messages(family.parent, family.parent_password, "Sent")) == 1


def test_an_urgent_request_copies_the_principal_and_says_urgent(
    family: Family, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    family.requests = [speech_request(urgent=True)]
    run_once(family).close()
    [letter] = school_mail(dovecot, family, family.case_manager)
    assert [a.addr_spec for a in letter["Cc"].addresses] == [family.principal]
    assert "urgent" in str(letter["Subject"]).lower()
    assert len(school_mail(dovecot, family, family.principal)) == 1


def test_a_held_request_is_never_sent(
    family: Family, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    family.requests = [speech_request(extra="hold = true")]
    store = run_once(family)
    assert smtp_server.received == []
    request = store.get_request("sam-speech")
    assert request is not None and request.state == "draft"


def test_a_5xx_marks_the_request_failed_and_tells_the_parent(
    family: Family, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    smtp_server.fail_next("data", "554 5.7.1 message refused")
    store = run_once(family)
    request = store.get_request("sam-speech")
    assert request is not None and request.state == "failed"
    assert school_mail(dovecot, family, family.case_manager) == []
    [reminder] = mailbox(dovecot, family.parent, family.parent_password)
    assert reminder["X-IEPD-Kind"] == "send_failed"
    assert "send_failed" in [event.kind for event in store.events("sam-speech")]
    assert dovecot.messages(family.parent, family.parent_password, "Sent") == []


def test_a_4xx_is_retried_later_with_the_same_message_id(
    family: Family, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    clock = Clock()
    smtp_server.fail_next("mail", "451 4.3.0 try again later")
    store = run_once(family, clock)
    row = store.get_outgoing("request:sam-speech")
    assert row is not None and row.step == "queued"
    assert row.next_try_at is not None and row.next_try_at > clock.now
    assert school_mail(dovecot, family, family.case_manager) == []
    message_id = row.message_id
    store.close()

    run_once(family, clock).close()  # not due yet: nothing is tried
    assert school_mail(dovecot, family, family.case_manager) == []

    clock.now += timedelta(minutes=5)
    store = run_once(family, clock)
    [letter] = school_mail(dovecot, family, family.case_manager)
    assert letter["Message-ID"] == message_id
    request = store.get_request("sam-speech")
    assert request is not None and request.state == "sent"


def test_a_connection_lost_after_data_is_not_resent_and_the_parent_is_asked_to_check(
    family: Family, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    smtp_server.drop_after_data_next()
    store = run_once(family)
    request = store.get_request("sam-speech")
    assert request is not None and request.state == "uncertain"
    assert "send_uncertain" in [event.kind for event in store.events("sam-speech")]
    store.close()
    run_once(family).close()
    # The school got it once (the server kept it); iepd did not send it a second time.
    assert len(school_mail(dovecot, family, family.case_manager)) == 1
    kinds = [m["X-IEPD-Kind"] for m in mailbox(dovecot, family.parent, family.parent_password)]
    assert kinds == ["send_uncertain"]


def test_a_wrong_password_is_explained_and_nothing_is_sent(
    family: Family, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    with pytest.raises(MailServerError, match="login"):
        run_once(family, password="not-the-password")
    assert smtp_server.received == []
    store = Store.open(family.state_dir)
    # The IMAP login comes first and is refused: nothing was even queued.
    row = store.get_outgoing("request:sam-speech")
    assert row is None or row.step == "queued"


def test_an_untrusted_certificate_is_explained_and_nothing_is_sent(
    family: Family, dovecot: Dovecot, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    family.ca_file = Path(dovecot.tls.other_ca_file)  # an unrelated CA
    with pytest.raises(MailServerError, match="certificate"):
        run_once(family)
    assert smtp_server.received == []
