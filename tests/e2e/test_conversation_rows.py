"""The rows of the SPEC's conversation table and the reclassifying commands, played against
the real servers: `iepd run` as a subprocess, Dovecot holding the parent's and the school's
mailboxes, aiosmtpd relaying what iepd sends (issue 15). Each test is the school writing
one kind of message in the request's thread and what iepd does next.
Waits poll with generous deadlines; nothing here asserts how fast anything is.
"""

from __future__ import annotations

import email.policy
import email.utils
import json
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from iepd.store.database import Store
from support.daemon import run_iepd, start_daemon, stop_daemon, wait_for
from support.family import Family
from support.mailboxes import command, mailbox, parsed, reminder_kinds, reply_to, school_mail
from support.mailservers import Dovecot

Daemon = subprocess.Popen[str]
REQUEST = "sam-speech"
PARENT = "Jordan Rivera <{}>"
LONG = 90.0  # a loaded machine: generous, and never an assertion about speed
NO_DATE = "Thank you for your letter about Sam. We will be in touch."
# the words of each draft's name in its draft_ready subject (vocabulary.LETTER_NAMES)
DRAFT_WORDS = {
    "ask_for_date": "meeting date",
    "insist": "asking again",
    "pwn_request": "prior written notice",
    "confirm": "confirming",
}


@pytest.fixture
def family_settings() -> dict[str, Any]:
    return {"timing": 'followup_after = "30d"\nescalate_after = "30d"'}


@pytest.fixture
def running(family: Family) -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.poll() is None:
            _, stderr = stop_daemon(daemon)
            print(f"iepd run log:\n{stderr}")


def start(family: Family, running: list[Daemon], timing: str | None = None) -> Daemon:
    if timing is not None:
        family.timing = timing
        family.write()
    daemon = start_daemon(family)
    running.append(daemon)
    return daemon


def school_writes(dovecot: Dovecot, family: Family, body: str) -> bytes:
    """The case manager's message in the request's thread, once the request is out."""
    wait_for(lambda: len(school_mail(dovecot, family)) >= 1, "the letter", LONG)
    letter = school_mail(dovecot, family)[0]
    message = reply_to(letter, family, body)
    dovecot.deliver(family.parent, message, mail_from=family.case_manager)
    return message


def reminders(dovecot: Dovecot, family: Family, kind: str, words: str = "") -> list[EmailMessage]:
    """The parent's reminders of kind whose subject names words."""
    return [
        message
        for message in mailbox(dovecot, family.parent, family.parent_password)
        if message["X-IEPD-Kind"] == kind and words in str(message["Subject"])
    ]


def draft_ready(dovecot: Dovecot, family: Family, draft: str) -> list[EmailMessage]:
    return reminders(dovecot, family, "draft_ready", DRAFT_WORDS[draft])


def about_the_school(dovecot: Dovecot, family: Family) -> list[EmailMessage]:
    """The reminders about a message from the school (not iepd's own doings or drafts)."""
    ours = {"sent", "draft_ready", "command_done", "command_refused", "help"}
    return [
        message
        for message in mailbox(dovecot, family.parent, family.parent_password)
        if message["X-IEPD-Kind"] and str(message["X-IEPD-Kind"]) not in ours
    ]


def text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).split())


def stopped(daemon: Daemon) -> None:
    status, stderr = stop_daemon(daemon)
    assert status == 0, stderr


def test_an_answer_with_no_date_brings_ask_for_date_once_in_its_thread(
    family: Family, dovecot: Dovecot, running: list[Daemon]
) -> None:
    daemon = start(family, running, 'followup_after = "3s"\nescalate_after = "30d"')
    answer = parsed(school_writes(dovecot, family, NO_DATE))
    wait_for(lambda: len(school_mail(dovecot, family)) >= 2, "ask_for_date", LONG)
    time.sleep(6)  # past followup_after again: a second letter would be here by now
    stopped(daemon)

    letters = school_mail(dovecot, family)
    assert len(letters) == 2
    asked = letters[1]
    assert asked["In-Reply-To"] == answer["Message-ID"]
    assert str(asked["Subject"]).startswith("Re: ")
    assert "meeting will be held" in text(asked)
    with Store.open(family.state_dir) as store:
        events = [event.kind for event in store.events(REQUEST)]
        assert events.count("draft_created") == 1
        assert events.count("letter_sent") == 1
        assert store.verify() == []


def test_an_answer_that_names_a_day_never_sends_ask_for_date_on_its_own(
    family: Family, dovecot: Dovecot, running: list[Daemon]
) -> None:
    daemon = start(family, running, 'followup_after = "3s"\nescalate_after = "30d"')
    school_writes(
        dovecot, family, "Thank you for your letter. Could we meet on Tuesday at 3:30 about Sam?"
    )
    wait_for(lambda: about_the_school(dovecot, family), "the answer reminder", LONG)
    time.sleep(8)  # past followup_after: ask_for_date, if auto-sent, would be here by now
    stopped(daemon)

    assert len(school_mail(dovecot, family)) == 1
    with Store.open(family.state_dir) as store:
        assert "letter_sent" not in [event.kind for event in store.events(REQUEST)]
        assert store.verify() == []


def test_a_refusal_without_notice_brings_pwn_request_sent_once_on_send(
    family: Family, dovecot: Dovecot, running: list[Daemon]
) -> None:
    daemon = start(family, running)
    refusal = parsed(
        school_writes(
            dovecot,
            family,
            "Sam's IEP was reviewed in October and his services remain appropriate. "
            "I must deny your request for an IEP meeting this semester.",
        )
    )
    wait_for(lambda: draft_ready(dovecot, family, "pwn_request"), "the pwn_request draft", LONG)
    [shown] = draft_ready(dovecot, family, "pwn_request")
    assert len(school_mail(dovecot, family)) == 1  # it waits for the parent's SEND

    send = command(shown, "SEND", PARENT.format(family.parent))
    dovecot.deliver(family.parent, send, mail_from=family.parent)
    wait_for(lambda: len(school_mail(dovecot, family)) == 2, "the notice request", LONG)
    wait_for(lambda: "command_done" in reminder_kinds(dovecot, family), "command_done", LONG)
    dovecot.deliver(family.parent, send, mail_from=family.parent)  # the same reply again
    time.sleep(4)  # several inbox catch-ups: a second letter would be here by now
    stopped(daemon)

    letters = school_mail(dovecot, family)
    assert len(letters) == 2
    notice = letters[1]
    assert notice["In-Reply-To"] == refusal["Message-ID"]
    assert "300.503" in text(notice)
    assert reminder_kinds(dovecot, family).count("command_done") == 1
    with Store.open(family.state_dir) as store:
        request = store.get_request(REQUEST)
        assert request is not None and request.state == "awaiting_notice"
        assert [event.kind for event in store.events(REQUEST)].count("letter_sent") == 1
        assert store.verify() == []


def invitation(letter: EmailMessage, family: Family, start_at: datetime) -> bytes:
    """The case manager's calendar invitation (text/calendar, METHOD:REQUEST) in the thread."""
    stamp = "%Y%m%dT%H%M%SZ"
    calendar = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "METHOD:REQUEST",
            "PRODID:-//example.test//test//EN",
            "VERSION:2.0",
            "BEGIN:VEVENT",
            f"UID:{email.utils.make_msgid(domain='example.test').strip('<>')}",
            f"DTSTAMP:{datetime.now(UTC):{stamp}}",
            f"DTSTART:{start_at:{stamp}}",
            f"DTEND:{start_at + timedelta(hours=1):{stamp}}",
            "SUMMARY:IEP Meeting - Sam Rivera",
            "LOCATION:Lincoln Elementary\\, Room 114",
            f"ORGANIZER;CN=Dana Alvarez:mailto:{family.case_manager}",
            f"ATTENDEE;RSVP=TRUE:mailto:{family.parent}",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    message = parsed(reply_to(letter, family, "IEP meeting for Sam Rivera."))
    message.add_alternative(calendar, subtype="calendar", params={"method": "REQUEST"})
    return message.as_bytes(policy=email.policy.SMTP)


def test_an_invitation_brings_the_confirm_draft(
    family: Family, dovecot: Dovecot, running: list[Daemon]
) -> None:
    daemon = start(family, running)
    wait_for(lambda: len(school_mail(dovecot, family)) == 1, "the letter", LONG)
    [letter] = school_mail(dovecot, family)
    meeting = (datetime.now(UTC) + timedelta(days=7)).replace(minute=30, second=0, microsecond=0)
    dovecot.deliver(
        family.parent, invitation(letter, family, meeting), mail_from=family.case_manager
    )
    wait_for(lambda: draft_ready(dovecot, family, "confirm"), "the confirm draft", LONG)
    stopped(daemon)

    [shown] = draft_ready(dovecot, family, "confirm")
    assert "Room 114" in text(shown)
    assert len(school_mail(dovecot, family)) == 1  # confirm waits for the parent's SEND
    with Store.open(family.state_dir) as store:
        request = store.get_request(REQUEST)
        assert request is not None and request.meeting_at == meeting
        assert store.verify() == []


def reclassified_once(dovecot: Dovecot, family: Family, word: str) -> None:
    """The parent replies word to the reminder about the school's message, twice (a replay);
    iepd carries it out and confirms it once."""
    [about] = about_the_school(dovecot, family)
    reply = command(about, word, PARENT.format(family.parent))
    dovecot.deliver(family.parent, reply, mail_from=family.parent)
    wait_for(lambda: "command_done" in reminder_kinds(dovecot, family), "command_done", LONG)
    dovecot.deliver(family.parent, reply, mail_from=family.parent)


def assert_reclassified_once(family: Family, dovecot: Dovecot, klass: str) -> None:
    assert reminder_kinds(dovecot, family).count("command_done") == 1
    assert "command_refused" not in reminder_kinds(dovecot, family)
    with Store.open(family.state_dir) as store:
        events = list(store.events(REQUEST))
        assert [event.kind for event in events].count("command_received") == 1
        [corrected] = [event for event in events if event.kind == "reclassified"]
        assert str(corrected.detail).startswith(f"{klass}:")
        assert store.verify() == []


def test_informal_by_email_turns_an_answer_into_an_offer_and_brings_insist(
    family: Family, dovecot: Dovecot, running: list[Daemon]
) -> None:
    daemon = start(family, running)
    school_writes(dovecot, family, NO_DATE)
    wait_for(lambda: about_the_school(dovecot, family), "the answer reminder", LONG)
    reclassified_once(dovecot, family, "INFORMAL")
    wait_for(lambda: draft_ready(dovecot, family, "insist"), "the insist draft", LONG)
    time.sleep(4)  # several inbox catch-ups: a second confirmation would be here by now
    stopped(daemon)

    assert len(school_mail(dovecot, family)) == 1  # insist waits for the parent's SEND
    assert len(draft_ready(dovecot, family, "insist")) == 1
    assert_reclassified_once(family, dovecot, "informal")


def test_answer_by_email_turns_an_offer_into_an_answer_and_asks_for_a_date(
    family: Family, dovecot: Dovecot, running: list[Daemon]
) -> None:
    daemon = start(family, running, 'followup_after = "3s"\nescalate_after = "30d"')
    offer = parsed(
        school_writes(
            dovecot,
            family,
            "Thank you for reaching out about Sam. Rather than a meeting, I would be happy to "
            "set up a quick phone call with you next week to talk about his speech sessions.",
        )
    )
    wait_for(lambda: draft_ready(dovecot, family, "insist"), "the insist draft", LONG)
    reclassified_once(dovecot, family, "answer")
    wait_for(lambda: len(school_mail(dovecot, family)) == 2, "ask_for_date", LONG)
    time.sleep(6)  # past followup_after again: a second letter would be here by now
    stopped(daemon)

    letters = school_mail(dovecot, family)
    assert len(letters) == 2  # ask_for_date, never the withdrawn insist
    assert letters[1]["In-Reply-To"] == offer["Message-ID"]
    assert "meeting will be held" in text(letters[1])
    assert_reclassified_once(family, dovecot, "answer")


def test_auto_by_email_puts_the_request_back_to_waiting_and_the_follow_up_goes_out(
    family: Family, dovecot: Dovecot, running: list[Daemon]
) -> None:
    """The school's answer was only an auto-reply, the parent says (AUTO): its ask_for_date
    draft is withdrawn, never sent, the request waits for the school as before, and the
    request's own follow-up goes out when due (followup_after after the request)."""
    daemon = start(family, running, 'followup_after = "15s"\nescalate_after = "30d"')
    school_writes(dovecot, family, NO_DATE)
    wait_for(lambda: draft_ready(dovecot, family, "ask_for_date"), "the ask_for_date draft", LONG)
    reclassified_once(dovecot, family, "AUTO")
    status = run_iepd(family, "status", "--json")
    assert status.returncode == 0, status.stderr
    [row] = json.loads(status.stdout)
    if len(school_mail(dovecot, family)) == 1:  # the follow-up is not out yet
        assert (row["state"], row["waiting_for"], row["next_action"]) == (
            "sent", "school", "follow-up",
        )  # fmt: skip
    wait_for(lambda: len(school_mail(dovecot, family)) == 2, "the follow-up", LONG)
    time.sleep(4)  # several inbox catch-ups: a second letter would be here by now
    stopped(daemon)

    [letter, followup] = school_mail(dovecot, family)
    assert followup["In-Reply-To"] == letter["Message-ID"]  # the request's, not the answer's
    assert "meeting will be held" not in text(followup)  # not the withdrawn ask_for_date
    assert_reclassified_once(family, dovecot, "auto_reply")
    with Store.open(family.state_dir) as store:
        request = store.get_request(REQUEST)
        assert request is not None and request.state == "followed_up"
        assert request.sent_at is not None
        [draft] = store.drafts(REQUEST)
        assert draft.kind == "ask_for_date" and draft.status == "withdrawn"
        events = [event.kind for event in store.events(REQUEST)]
        assert "letter_sent" not in events and events.count("followup_sent") == 1
        [sent] = [row for row in store.list_outgoing(REQUEST) if row.purpose == "followup"]
        # the clock ran from the request, as if the auto-reply had never been read
        assert sent.accepted_at is not None
        assert sent.accepted_at >= request.sent_at + timedelta(seconds=15)


OFFER = (
    "Thank you for reaching out about Sam. Rather than a meeting, I would be happy to set up a"
    " quick phone call with you next week to talk about his speech sessions."
)


def test_an_offer_brings_insist_sent_once_on_send_and_the_follow_up_runs_from_it(
    family: Family, dovecot: Dovecot, running: list[Daemon]
) -> None:
    """The school offers a call (read as informal by itself): the insist draft waits for
    SEND, goes out once in the offer's thread, and the school's silence after it is
    followed up followup_after later, in the insist letter's thread."""
    daemon = start(family, running, 'followup_after = "5s"\nescalate_after = "30d"')
    offer = parsed(school_writes(dovecot, family, OFFER))
    wait_for(lambda: draft_ready(dovecot, family, "insist"), "the insist draft", LONG)
    [shown] = draft_ready(dovecot, family, "insist")
    assert len(school_mail(dovecot, family)) == 1  # insist waits for the parent's SEND

    dovecot.deliver(
        family.parent, command(shown, "SEND", PARENT.format(family.parent)),
        mail_from=family.parent,
    )  # fmt: skip
    wait_for(lambda: len(school_mail(dovecot, family)) == 3, "insist, then the follow-up", LONG)
    time.sleep(3)  # a second follow-up (escalate_after is 30 days) would be here by now
    stopped(daemon)

    [_, insist, followup] = school_mail(dovecot, family)
    assert insist["In-Reply-To"] == offer["Message-ID"]
    assert "formal IEP meeting" in text(insist)
    assert followup["In-Reply-To"] == insist["Message-ID"]
    assert str(followup["Subject"]).startswith("Re: ")
    with Store.open(family.state_dir) as store:
        request = store.get_request(REQUEST)
        assert request is not None and request.state == "informal_offered"
        events = [event.kind for event in store.events(REQUEST)]
        assert events.count("letter_sent") == 1 and events.count("followup_sent") == 1
        out = {row.purpose: row for row in store.list_outgoing(REQUEST)}
        sent_at, followed_at = out["insist"].accepted_at, out["followup"].accepted_at
        assert sent_at is not None and followed_at is not None
        assert followed_at >= sent_at + timedelta(seconds=5)  # its clock ran from insist
        assert store.verify() == []


def parent_writes(family: Family, letter: EmailMessage, body: str) -> bytes:
    """The parent's own message to the case manager in the request's thread, as her mail
    program files it in the Sent folder."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = PARENT.format(family.parent)
    message["To"] = f"Dana Alvarez <{family.case_manager}>"
    message["Subject"] = "Re: " + str(letter["Subject"])
    message["Message-ID"] = email.utils.make_msgid(domain="family.example")
    message["In-Reply-To"] = str(letter["Message-ID"])
    message["References"] = str(letter["Message-ID"])
    message["Date"] = email.utils.formatdate(localtime=True)
    message.set_content(body)
    return message.as_bytes()


def test_the_parents_own_message_in_the_thread_restarts_the_schools_clock(
    family: Family, dovecot: Dovecot, running: list[Daemon]
) -> None:
    """The parent writes to the case manager herself, a few seconds after the request: it
    is recorded as parent_message, and the follow-up goes out followup_after after it, not
    after the request."""
    daemon = start(family, running, 'followup_after = "8s"\nescalate_after = "30d"')
    wait_for(lambda: len(school_mail(dovecot, family)) == 1, "the letter", LONG)
    [letter] = school_mail(dovecot, family)
    time.sleep(3)  # so that the parent's message is clearly later than the request
    mine = parsed(parent_writes(family, letter, "Dana, I can also meet on a Monday or Wednesday."))
    dovecot.append(family.parent, family.parent_password, "Sent", mine.as_bytes())
    wait_for(lambda: len(school_mail(dovecot, family)) == 2, "the follow-up", LONG)
    time.sleep(3)
    stopped(daemon)

    assert len(school_mail(dovecot, family)) == 2  # one follow-up
    with Store.open(family.state_dir) as store:
        request = store.get_request(REQUEST)
        assert request is not None and request.sent_at is not None
        [recorded] = [e for e in store.events(REQUEST) if e.kind == "parent_message"]
        assert recorded.message_id == mine["Message-ID"]
        kept = store.messages_for(REQUEST)
        [copy] = [row for row in kept if row.message_id == mine["Message-ID"]]
        assert b"Monday or Wednesday" in copy.raw_path.read_bytes()
        written_at = datetime.fromisoformat(str(recorded.detail))
        [followup] = [row for row in store.list_outgoing(REQUEST) if row.purpose == "followup"]
        assert followup.accepted_at is not None
        assert written_at > request.sent_at
        # later than the request's clock alone would have sent it: it ran from her message
        assert followup.accepted_at >= written_at + timedelta(seconds=8)
        assert store.verify() == []


def test_after_ask_for_date_the_schools_silence_brings_the_escalation_then_no_response(
    family: Family, dovecot: Dovecot, running: list[Daemon]
) -> None:
    """The row's last column: ask_for_date is itself the follow-up, so the school's silence
    after it brings the escalation (principal copied, in its thread), then no_response."""
    daemon = start(family, running, 'followup_after = "3s"\nescalate_after = "4s"')
    school_writes(dovecot, family, NO_DATE)
    wait_for(lambda: "no_response" in reminder_kinds(dovecot, family), "no_response", LONG)
    time.sleep(3)
    stopped(daemon)

    [_, asked, escalation] = school_mail(dovecot, family)
    assert "meeting will be held" in text(asked)
    assert escalation["In-Reply-To"] == asked["Message-ID"]
    assert [a.addr_spec for a in escalation["Cc"].addresses] == [family.principal]
    assert len(school_mail(dovecot, family, family.principal)) == 1
    assert reminder_kinds(dovecot, family).count("no_response") == 1
    with Store.open(family.state_dir) as store:
        events = [event.kind for event in store.events(REQUEST)]
        assert events.count("letter_sent") == events.count("escalation_sent") == 1
        assert "followup_sent" not in events
        assert store.verify() == []


def test_after_pwn_request_the_schools_silence_brings_a_follow_up_then_no_response(
    family: Family, dovecot: Dovecot, running: list[Daemon]
) -> None:
    """The refusal's row: after pwn_request is sent, one follow-up in its thread, then the
    parent hears the options (no_response); no escalation."""
    daemon = start(family, running, 'followup_after = "4s"\nescalate_after = "4s"')
    school_writes(
        dovecot, family,
        "Sam's IEP was reviewed in October. I must deny your request for an IEP meeting.",
    )  # fmt: skip
    wait_for(lambda: draft_ready(dovecot, family, "pwn_request"), "the pwn_request draft", LONG)
    [shown] = draft_ready(dovecot, family, "pwn_request")
    send = command(shown, "SEND", PARENT.format(family.parent))
    dovecot.deliver(family.parent, send, mail_from=family.parent)
    wait_for(lambda: "no_response" in reminder_kinds(dovecot, family), "no_response", LONG)
    time.sleep(3)
    stopped(daemon)

    [_, notice, followup] = school_mail(dovecot, family)
    assert "300.503" in text(notice)
    assert followup["In-Reply-To"] == notice["Message-ID"]
    assert school_mail(dovecot, family, family.principal) == []
    assert reminder_kinds(dovecot, family).count("no_response") == 1
    with Store.open(family.state_dir) as store:
        request = store.get_request(REQUEST)
        assert request is not None and request.state == "awaiting_notice"
        events = [event.kind for event in store.events(REQUEST)]
        assert events.count("letter_sent") == events.count("followup_sent") == 1
        assert "escalation_sent" not in events
        assert store.verify() == []
