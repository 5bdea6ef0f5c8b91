"""Commands by email against the real servers: `iepd run` as a subprocess, Dovecot holding
the parent's and the school's mailboxes, aiosmtpd relaying what iepd sends (issue 15,
item 4). The parent answers a reminder from a mail program; a stranger tries the same.
Waits poll with generous deadlines; nothing here asserts how fast anything is.
"""

from __future__ import annotations

import email.policy
import email.utils
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from iepd.store.database import Store
from iepd.store.schema import format_time
from support.daemon import run_iepd, start_daemon, stop_daemon, wait_for
from support.family import Family
from support.mailboxes import command, mailbox, parsed, reminder_kinds, reply_to, school_mail
from support.mailservers import Dovecot, SmtpServer

Daemon = subprocess.Popen[str]
REQUEST = "sam-speech"
MALLORY = "mallory@evil.example"
# The school offers a call: iepd drafts `insist` and holds it for the parent's SEND.
CALL_OFFER = (
    "Thank you for reaching out about Sam. Rather than a meeting, I would be happy to "
    "set up a quick phone call with you next week to talk about his speech sessions."
)


@pytest.fixture
def family_settings() -> dict[str, Any]:
    return {"timing": 'followup_after = "30d"\nescalate_after = "30d"'}


@pytest.fixture
def daemon(family: Family) -> Iterator[Daemon]:
    running = start_daemon(family)
    yield running
    if running.poll() is None:
        _, stderr = stop_daemon(running)
        print(f"iepd run log:\n{stderr}")


def reminder(dovecot: Dovecot, family: Family, kind: str) -> EmailMessage:
    (found,) = [
        message
        for message in mailbox(dovecot, family.parent, family.parent_password)
        if message["X-IEPD-Kind"] == kind
    ]
    return found


def school_answered(dovecot: Dovecot, family: Family) -> None:
    wait_for(lambda: len(school_mail(dovecot, family)) == 1, "the letter")
    [letter] = school_mail(dovecot, family)
    dovecot.deliver(
        family.parent,
        reply_to(letter, family, "Thank you for your letter about Sam. We will be in touch."),
        mail_from=family.case_manager,
    )
    wait_for(lambda: "answer" in reminder_kinds(dovecot, family), "the answer reminder")


def test_help_by_email_is_answered_once_and_a_strangers_command_never(
    family: Family, dovecot: Dovecot, daemon: Daemon
) -> None:
    school_answered(dovecot, family)
    answer = reminder(dovecot, family, "answer")

    help_request = command(answer, "help", f"Jordan Rivera <{family.parent}>")
    dovecot.deliver(family.parent, help_request, mail_from=family.parent)
    wait_for(lambda: "help" in reminder_kinds(dovecot, family), "the help reminder")
    # the same reply again, and a stranger's CLOSE with the right In-Reply-To
    dovecot.deliver(family.parent, help_request, mail_from=family.parent)
    stranger = command(answer, "CLOSE", "Mallory <mallory@evil.example>")
    dovecot.deliver(family.parent, stranger, mail_from="mallory@evil.example")
    time.sleep(4)  # several inbox catch-ups: an answer to either would be here by now
    status, stderr = stop_daemon(daemon)
    assert status == 0, stderr

    kinds = reminder_kinds(dovecot, family)
    assert kinds.count("help") == 1, kinds
    assert "command_refused" not in kinds and "command_done" not in kinds
    assert "not one of the parent's addresses" in stderr
    with Store.open(family.state_dir) as store:
        request = store.get_request(REQUEST)
        assert request is not None and request.state != "closed"  # the stranger's CLOSE
        events = [event.kind for event in store.events(REQUEST)]
        assert events.count("command_received") == 1
        assert events.count("reply_received") == 1  # the school's answer only
        assert store.verify() == []


def test_send_by_email_sends_the_draft_shown_once(
    family: Family, dovecot: Dovecot, daemon: Daemon
) -> None:
    wait_for(lambda: len(school_mail(dovecot, family)) == 1, "the letter")
    [letter] = school_mail(dovecot, family)
    offer = reply_to(letter, family, CALL_OFFER)
    dovecot.deliver(family.parent, offer, mail_from=family.case_manager)
    wait_for(lambda: "draft_ready" in reminder_kinds(dovecot, family), "the draft_ready reminder")
    draft_ready = reminder(dovecot, family, "draft_ready")
    assert len(school_mail(dovecot, family)) == 1  # insist waits for the parent's SEND

    send = command(draft_ready, "SEND", f"Jordan Rivera <{family.parent}>")
    dovecot.deliver(family.parent, send, mail_from=family.parent)
    wait_for(lambda: len(school_mail(dovecot, family)) == 2, "the letter the parent approved")
    wait_for(lambda: "command_done" in reminder_kinds(dovecot, family), "command_done")
    dovecot.deliver(family.parent, send, mail_from=family.parent)  # the same reply again
    time.sleep(4)  # several inbox catch-ups: a second letter would be here by now
    status, stderr = stop_daemon(daemon)
    assert status == 0, stderr

    letters = school_mail(dovecot, family)
    assert len(letters) == 2
    insist = next(message for message in letters if message["In-Reply-To"])
    school_reply_id = email.message_from_bytes(offer)["Message-ID"]
    assert insist["In-Reply-To"] == school_reply_id
    assert str(insist["Subject"]).startswith("Re: ")
    # exactly as shown: the letter's words are the draft's, word for word
    shown = " ".join(draft_ready.as_string().split())
    for line in insist.get_body().get_content().splitlines():
        assert " ".join(line.split()) in shown
    kinds = reminder_kinds(dovecot, family)
    assert kinds.count("command_done") == 1, kinds
    assert kinds.count("draft_ready") == 1, kinds
    with Store.open(family.state_dir) as store:
        events = [event.kind for event in store.events(REQUEST)]
        assert events.count("command_received") == 1
        assert store.verify() == []


def test_meeting_then_agreed_then_send_by_email_carry_the_request_to_its_recap(
    family: Family, dovecot: Dovecot
) -> None:
    family.timing += '\nafter_meeting = "1s"'
    family.write()
    daemon = start_daemon(family)
    try:
        school_answered(dovecot, family)
        parent = f"Jordan Rivera <{family.parent}>"
        # the meeting was held an hour ago, agreed outside email; am or pm said, since a bare
        # "01:26" is read as the afternoon (no school meets at night), as a CI run at night found
        held = datetime.now(ZoneInfo("America/Chicago")) - timedelta(hours=1)
        meeting = command(
            reminder(dovecot, family, "answer"), f"MEETING {held:%Y-%m-%d %I:%M %p}", parent
        )
        dovecot.deliver(family.parent, meeting, mail_from=family.parent)
        wait_for(lambda: "recap_due" in reminder_kinds(dovecot, family), "the recap_due reminder")

        agreed = command(
            reminder(dovecot, family, "recap_due"),
            "AGREED\n- 60 minutes of speech therapy a week from Monday\n- 6 make-up sessions",
            parent,
        )
        dovecot.deliver(family.parent, agreed, mail_from=family.parent)
        wait_for(lambda: _draft_ready(dovecot, family, "recap"), "the recap's draft_ready")

        send = command(_draft_ready(dovecot, family, "recap")[0], "send", parent)
        dovecot.deliver(family.parent, send, mail_from=family.parent)
        wait_for(lambda: len(school_mail(dovecot, family)) >= 2, "the recap")
        time.sleep(3)  # a second letter would be here by now
    finally:
        status, stderr = stop_daemon(daemon)
    assert status == 0, stderr

    letters = school_mail(dovecot, family)
    recaps = [m for m in letters if "make-up sessions" in m.get_body().get_content()]
    assert len(recaps) == 1 and len(letters) == 2
    assert reminder_kinds(dovecot, family).count("command_done") == 3
    with Store.open(family.state_dir) as store:
        request = store.get_request(REQUEST)
        assert request is not None and request.state == "recap_sent"
        assert request.meeting_at == held.replace(second=0, microsecond=0)
        events = [event.kind for event in store.events(REQUEST)]
        assert events.count("command_received") == 3
        assert store.verify() == []


def _draft_ready(dovecot: Dovecot, family: Family, words: str) -> list[EmailMessage]:
    """The draft_ready reminders whose subject names ``words``."""
    return [
        message
        for message in mailbox(dovecot, family.parent, family.parent_password)
        if message["X-IEPD-Kind"] == "draft_ready" and words in str(message["Subject"])
    ]


def test_declined_then_close_by_email_correct_the_reading_and_end_the_request(
    family: Family, dovecot: Dovecot, daemon: Daemon
) -> None:
    school_answered(dovecot, family)
    parent = f"Jordan Rivera <{family.parent}>"
    answer = reminder(dovecot, family, "answer")

    dovecot.deliver(family.parent, command(answer, "DECLINED", parent), mail_from=family.parent)
    wait_for(lambda: _draft_ready(dovecot, family, "notice"), "the pwn_request draft")
    dovecot.deliver(family.parent, command(answer, "close", parent), mail_from=family.parent)
    wait_for(
        lambda: reminder_kinds(dovecot, family).count("command_done") == 2, "CLOSE's command_done"
    )
    status, stderr = stop_daemon(daemon)
    assert status == 0, stderr

    assert len(school_mail(dovecot, family)) == 1  # the withdrawn draft never went out
    with Store.open(family.state_dir) as store:
        request = store.get_request(REQUEST)
        assert request is not None and request.state == "closed"
        events = [event.kind for event in store.events(REQUEST)]
        assert events.count("reclassified") == 1
        # the ask_for_date draft (withdrawn by DECLINED), the pwn_request (by CLOSE)
        assert events.count("draft_created") == events.count("draft_withdrawn") == 2
        assert "letter_sent" not in events
        assert store.verify() == []


def test_the_attacks_not_played_above_are_refused_on_the_real_servers(
    family: Family, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    """With a draft pending: a made-up reference from the parent's address, a command hidden
    in quoted text, a command written in reply to the school's message instead of a
    reminder, a stranger's SEND in reply to the draft_ready reminder, and a command to a
    reminder more than 30 days old: nothing is carried out; only the last one, which passes
    the address and reference test, is answered (command_refused). A stranger's CLOSE and
    a replayed command are played above (HELP, SEND)."""
    result = run_iepd(family)  # the request and its `sent` reminder
    assert result.returncode == 0, result.stderr
    [letter] = school_mail(dovecot, family)
    answer = reply_to(letter, family, CALL_OFFER)
    dovecot.deliver(family.parent, answer, mail_from=family.case_manager)
    result = run_iepd(family)  # the `informal` and the `draft_ready` (insist) reminders
    assert result.returncode == 0, result.stderr
    # the `sent` reminder was sent 31 days ago
    month_ago = format_time(datetime.now(UTC) - timedelta(days=31))
    with sqlite3.connect(family.state_dir / "iepd.sqlite3") as connection:
        changed = connection.execute(
            "UPDATE outbox SET accepted_at = ? WHERE dedup_key LIKE 'reminder:sent:%'",
            (month_ago,),
        ).rowcount
    assert changed == 1
    parent = f"Jordan Rivera <{family.parent}>"
    informal = reminder(dovecot, family, "informal")
    made_up = command(informal, "CLOSE", parent).replace(
        str(informal["Message-ID"]).encode(),
        b"<0123456789abcdef0123456789abcdef.iepd@family.example>",
    )
    quoted = command(informal, "Looks fine to me.\n\n> CLOSE", parent)
    to_the_school = command(parsed(answer), "CLOSE", parent)  # the school's message, not iepd's
    draft_ready = reminder(dovecot, family, "draft_ready")
    stranger = command(draft_ready, "SEND", f"Mallory <{MALLORY}>")  # the right In-Reply-To
    stale = command(reminder(dovecot, family, "sent"), "CLOSE", parent)

    daemon = start_daemon(family)
    try:
        for reply in (made_up, quoted, to_the_school, stranger, stale):
            sender = MALLORY if reply is stranger else family.parent
            dovecot.deliver(family.parent, reply, mail_from=sender)
        # the inbox is read in order: once the stale CLOSE is answered, all five were read
        wait_for(lambda: "command_refused" in reminder_kinds(dovecot, family), "the refusal")
        time.sleep(4)  # several inbox catch-ups: an answer to any other would be here by now
    finally:
        status, stderr = stop_daemon(daemon)
    assert status == 0, stderr

    kinds = reminder_kinds(dovecot, family)
    assert kinds.count("command_refused") == 1 and "command_done" not in kinds, kinds
    [refused] = [m for m in mailbox(dovecot, family.parent, family.parent_password)
                 if m["X-IEPD-Kind"] == "command_refused"]  # fmt: skip
    assert "more than 30 days old" in " ".join(refused.get_body().get_content().split())
    assert len(school_mail(dovecot, family)) == 1  # the stranger's SEND sent no draft
    # nothing went to the stranger: every message iepd submitted is on this server's record
    assert any(family.parent in envelope.rcpt_tos for envelope in smtp_server.received)
    assert not [envelope for envelope in smtp_server.received if MALLORY in envelope.rcpt_tos]
    with Store.open(family.state_dir) as store:
        request = store.get_request(REQUEST)
        assert request is not None and request.state not in ("closed", "sent")
        events = [event.kind for event in store.events(REQUEST)]
        assert events.count("command_received") == 1  # the stale CLOSE, refused
        received = [e for e in store.events(REQUEST) if e.kind == "command_received"]
        assert parsed(stale)["Message-ID"] == received[0].message_id
        assert "closed" not in events
        # the draft waits for the parent's SEND, as before the stranger's
        assert events.count("draft_created") == 1
        assert "letter_sent" not in events and "draft_withdrawn" not in events
        assert events.count("reply_received") == 1  # the school's answer, and nothing else
        # the made-up reference is not even fetched: the headers show it answers no reminder
        kept = {row.message_id for row in store.messages_for(REQUEST)}
        assert parsed(made_up)["Message-ID"] not in kept
        assert parsed(stranger)["Message-ID"] not in kept  # nor is the stranger's kept
        assert store.verify() == []
    # ... and the header check that dropped it logged it, once
    made_up_lines = [line for line in stderr.splitlines() if "reminder iepd did not send" in line]
    assert len(made_up_lines) == 1, stderr
    assert str(parsed(made_up)["Message-ID"]) in made_up_lines[0]
    # the stranger's SEND is logged, with the reminder it named
    stranger_lines = [line for line in stderr.splitlines() if MALLORY in line]
    assert len(stranger_lines) == 1, stderr
    assert "not one of the parent's addresses" in stranger_lines[0]
    assert str(draft_ready["Message-ID"]) in stranger_lines[0]
