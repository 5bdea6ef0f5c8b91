"""The parent's own messages found in the inbox (SPEC "The parent's own messages": "found in
the Sent folder, or in the inbox when copied"), through `iepd run --once`'s own code path on
the real Dovecot and aiosmtpd: the parent's message to the school in the request's thread,
copied into the inbox (Cc or Bcc to herself), is a `parent_message` with its raw copy, once,
even when the Sent folder holds it too; iepd's own letter copied there is not recorded
again; and the parent's reply to a reminder stays a command, never a parent_message."""

from __future__ import annotations

import email
import email.policy
import email.utils
import os
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from iepd.config.load import load_config
from iepd.run.snapshots import snapshots
from iepd.store.database import Store
from iepd.store.files import sha256_hex
from iepd.trail.export import export_request
from support.daemon import run_once_here
from support.family import Family
from support.mailboxes import mailbox, parsed, school_mail
from support.mailservers import Dovecot
from support.offline import Clock

REQUEST = "sam-speech"


def parents_message(family: Family, letter: EmailMessage, body: str) -> bytes:
    """The parent's message to the case manager in the letter's thread, Cc to herself, as
    her mail program sends it (and files it in Sent)."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Jordan Rivera <{family.parent}>"
    message["To"] = f"Dana Alvarez <{family.case_manager}>"
    message["Cc"] = family.parent
    message["Subject"] = "Re: " + str(letter["Subject"])
    message["Message-ID"] = email.utils.make_msgid(domain="family.example")
    message["Date"] = email.utils.formatdate(localtime=True)
    message["In-Reply-To"] = str(letter["Message-ID"])
    message["References"] = str(letter["Message-ID"])
    message.set_content(body)
    return message.as_bytes()


def as_delivered(raw: bytes, family: Family) -> bytes:
    """The copy the parent's server delivers to her inbox: the same message, with the
    headers delivery adds on top (so its bytes differ from the Sent copy's)."""
    return (
        f"Return-Path: <{family.parent}>\r\n"
        f"Delivered-To: {family.parent}\r\n"
        "Received: from mail.family.example by imap.family.example; "
        f"{email.utils.formatdate(localtime=True)}\r\n"
    ).encode() + raw


def recorded(family: Family, message_id: str) -> tuple[list[str | None], list[bytes], list[str]]:
    """The parent_message events' Message-IDs, the stored raw copies and their mailboxes."""
    with Store.open(family.state_dir) as store:
        events = [e.message_id for e in store.events(REQUEST) if e.kind == "parent_message"]
        rows = [row for row in store.messages_for(REQUEST) if row.message_id == message_id]
        assert store.verify() == []
        return events, [row.raw_path.read_bytes() for row in rows], [row.mailbox for row in rows]


def test_the_parents_copy_in_the_inbox_is_recorded_once_and_restarts_the_clock(
    family: Family, dovecot: Dovecot
) -> None:
    clock = Clock(datetime.now(UTC))
    run_once_here(family, clock)
    [letter] = school_mail(dovecot, family)
    sent = parents_message(family, letter, "Dear Ms. Alvarez,\nAny news about the meeting?\n")
    copy = as_delivered(sent, family)
    dovecot.append(family.parent, family.parent_password, "INBOX", copy)
    clock.now += timedelta(minutes=5)
    run_once_here(family, clock)
    clock.now += timedelta(minutes=5)
    run_once_here(family, clock)
    # The server renumbers the inbox: it is read again, and nothing is recorded twice.
    dovecot.set_uidvalidity_change(family.parent, "INBOX")
    run_once_here(family, clock)

    message_id = str(parsed(sent)["Message-ID"])
    events, copies, mailboxes = recorded(family, message_id)
    assert events == [message_id]
    assert copies == [copy]
    assert mailboxes == ["INBOX"]
    with Store.open(family.state_dir) as store:
        [row] = [row for row in store.messages_for(REQUEST) if row.message_id == message_id]
        assert row.sha256 == sha256_hex(copy) and row.klass is None
        [event] = [e for e in store.events(REQUEST) if e.kind == "parent_message"]
        assert event.from_addr == family.parent
        # The school's clock restarts from it, as from the Sent folder's copy.
        config = load_config(family.config_path, dict(os.environ) | family.environ())
        [snapshot] = snapshots(config, store)
        assert row.internaldate is not None
        assert snapshot.last_parent_message_at == row.internaldate
        # Nothing else was made of it: no answer, no reminder about it.
        kinds = [e.kind for e in store.events(REQUEST)]
        assert "reply_received" not in kinds and "command_received" not in kinds


@pytest.mark.parametrize("first", ["Sent", "INBOX"])
def test_the_same_message_in_sent_and_in_the_inbox_is_recorded_once(
    family: Family, dovecot: Dovecot, first: str
) -> None:
    clock = Clock(datetime.now(UTC))
    run_once_here(family, clock)
    [letter] = school_mail(dovecot, family)
    sent = parents_message(family, letter, "Could you tell me the date of Sam's meeting?\n")
    copies = {"Sent": sent, "INBOX": as_delivered(sent, family)}
    second = "INBOX" if first == "Sent" else "Sent"
    dovecot.append(family.parent, family.parent_password, first, copies[first], ["\\Seen"])
    run_once_here(family, clock)
    dovecot.append(family.parent, family.parent_password, second, copies[second], ["\\Seen"])
    clock.now += timedelta(minutes=5)
    run_once_here(family, clock)
    # Both at once, read in one run: the Sent folder first, then the inbox.
    both = parents_message(family, letter, "And could the speech therapist be there?\n")
    dovecot.append(family.parent, family.parent_password, "INBOX", as_delivered(both, family))
    dovecot.append(family.parent, family.parent_password, "Sent", both, ["\\Seen"])
    clock.now += timedelta(minutes=5)
    run_once_here(family, clock)

    message_id = str(parsed(sent)["Message-ID"])
    events, stored, mailboxes = recorded(family, message_id)
    assert events == [message_id, str(parsed(both)["Message-ID"])]
    assert stored == [copies[first]] and mailboxes == [first]
    _, stored_both, where_both = recorded(family, str(parsed(both)["Message-ID"]))
    assert stored_both == [both] and where_both == ["Sent"]


def test_the_export_holds_the_parents_copy_from_the_inbox(
    family: Family, dovecot: Dovecot, tmp_path: Path
) -> None:
    clock = Clock(datetime.now(UTC))
    run_once_here(family, clock)
    [letter] = school_mail(dovecot, family)
    copy = as_delivered(parents_message(family, letter, "Any news about Sam's meeting?\n"), family)
    dovecot.append(family.parent, family.parent_password, "INBOX", copy)
    run_once_here(family, clock)

    out = tmp_path / "export"
    with Store.open(family.state_dir) as store:
        config = load_config(family.config_path, dict(os.environ) | family.environ())
        export_request(config, store, REQUEST, out, now=clock.now)
    [name] = [path.name for path in (out / "messages").iterdir()
              if path.name.endswith("-parent_message.eml")]  # fmt: skip
    assert (out / "messages" / name).read_bytes() == copy
    page = (out / "index.html").read_text()
    assert "The parent&#39;s own message to the school" in page
    assert "Sent folder" not in page  # it was found in the inbox


def test_iepds_own_letter_copied_into_the_inbox_is_not_recorded_again(
    family: Family, dovecot: Dovecot
) -> None:
    clock = Clock(datetime.now(UTC))
    run_once_here(family, clock)
    [letter] = school_mail(dovecot, family)
    # The parent's provider filed a copy of the letter in the inbox as well (a Bcc, a rule).
    dovecot.append(family.parent, family.parent_password, "INBOX", letter.as_bytes())
    clock.now += timedelta(minutes=5)
    run_once_here(family, clock)

    with Store.open(family.state_dir) as store:
        rows = [r for r in store.messages_for(REQUEST) if r.message_id == letter["Message-ID"]]
        assert [row.direction for row in rows] == ["out"]
        assert not [e for e in store.events(REQUEST) if e.kind == "parent_message"]


def test_the_parents_reply_to_a_reminder_stays_a_command(family: Family, dovecot: Dovecot) -> None:
    """The reply to the `sent` reminder, in the letter's thread and copied to the school
    (so it would pass every parent_message rule): a command, recorded and answered once."""
    clock = Clock(datetime.now(UTC))
    run_once_here(family, clock)
    [letter] = school_mail(dovecot, family)
    [reminder] = [
        message
        for message in mailbox(dovecot, family.parent, family.parent_password)
        if message["X-IEPD-Kind"] is not None
    ]
    reply = EmailMessage(policy=email.policy.SMTP)
    reply["From"] = f"Jordan Rivera <{family.parent}>"
    reply["To"] = str(reminder["From"])
    reply["Cc"] = family.case_manager
    reply["Subject"] = "Re: " + str(reminder["Subject"])
    reply["Message-ID"] = email.utils.make_msgid(domain="family.example")
    reply["Date"] = email.utils.formatdate(localtime=True)
    reply["In-Reply-To"] = str(reminder["Message-ID"])
    reply["References"] = f"{letter['Message-ID']} {reminder['Message-ID']}"
    reply.set_content("HELP\n\n> " + "the reminder, quoted\n")
    raw = reply.as_bytes()
    # In the inbox (the Cc to the parent's own address) and in Sent.
    dovecot.append(family.parent, family.parent_password, "INBOX", as_delivered(raw, family))
    dovecot.append(family.parent, family.parent_password, "Sent", raw, ["\\Seen"])
    clock.now += timedelta(minutes=5)
    run_once_here(family, clock)
    clock.now += timedelta(minutes=5)
    run_once_here(family, clock)

    with Store.open(family.state_dir) as store:
        events = store.events(REQUEST)
        assert [e.message_id for e in events if e.kind == "command_received"] == [
            str(reply["Message-ID"])
        ]
        assert not [e for e in events if e.kind == "parent_message"]
        helps = [row for row in store.list_outgoing(REQUEST) if row.reminder_kind == "help"]
        assert len(helps) == 1


@pytest.mark.parametrize("folder", ["INBOX", "Sent"])
def test_the_schools_reply_read_with_the_parents_message_is_in_its_thread(
    family: Family, dovecot: Dovecot, folder: str
) -> None:
    """The parent's new message (not a reply) and the school's answer to it alone, naming
    no child, read in the same run: the answer is matched by the thread the parent's
    message just joined."""
    clock = Clock(datetime.now(UTC))
    run_once_here(family, clock)
    question = EmailMessage(policy=email.policy.SMTP)
    question["From"] = f"Jordan Rivera <{family.parent}>"
    question["To"] = family.case_manager
    question["Cc"] = family.parent
    question["Subject"] = "Sam"
    question["Message-ID"] = email.utils.make_msgid(domain="family.example")
    question["Date"] = email.utils.formatdate(localtime=True)
    question.set_content("When is Sam's IEP meeting?\n")
    raw = question.as_bytes()
    copy = raw if folder == "Sent" else as_delivered(raw, family)
    dovecot.append(family.parent, family.parent_password, folder, copy, ["\\Seen"])
    answer = EmailMessage(policy=email.policy.SMTP)
    answer["From"] = f"Dana Alvarez <{family.case_manager}>"
    answer["To"] = family.parent
    answer["Subject"] = "Re: Sam"
    answer["Message-ID"] = email.utils.make_msgid(domain="example.test")
    answer["In-Reply-To"] = str(question["Message-ID"])
    answer["Date"] = email.utils.formatdate(localtime=True)
    answer.set_content("Thank you, I will look into it and write back.\n")
    dovecot.deliver(family.parent, answer.as_bytes())
    clock.now += timedelta(minutes=5)
    run_once_here(family, clock)

    with Store.open(family.state_dir) as store:
        kinds = [(event.kind, event.message_id) for event in store.events(REQUEST)]
    assert ("parent_message", str(question["Message-ID"])) in kinds
    assert ("reply_received", str(answer["Message-ID"])) in kinds
