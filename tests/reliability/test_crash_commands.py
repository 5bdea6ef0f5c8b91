"""SIGKILL at every step boundary of a command by email (issue 15, item 4): the parent's
reply recorded with its verdict, the move carried out, the answer queued and sent. After
the restart the command is carried out once and answered once, and a third run adds nothing.
"""

from __future__ import annotations

import email.policy
import email.utils
import signal
from collections import Counter
from email.message import EmailMessage

import pytest

from iepd.store.database import Store
from support.daemon import run_iepd
from support.family import Family
from support.mailboxes import mailbox, reminder_kinds, reply_to, school_mail
from support.mailservers import Dovecot

REQUEST = "sam-speech"
# The boundaries of one command: its record (raw copy, command_received and the verdict in
# one transaction), the move (ParentMoves, once per reply), then the answer to the parent
# walking the outbox's steps.
COMMAND_POINTS = [
    "command.recorded",
    "command.carried_out",
    "store.outgoing_eml_written",
    "smtp",
    "data",
    "done",
]


def run_ok(family: Family) -> None:
    result = run_iepd(family)
    assert result.returncode == 0, result.stderr


def parent_command(dovecot: Dovecot, family: Family, body: str) -> bytes:
    (answer,) = [
        message
        for message in mailbox(dovecot, family.parent, family.parent_password)
        if message["X-IEPD-Kind"] == "answer"
    ]
    reply = EmailMessage(policy=email.policy.SMTP)
    reply["From"] = f"Jordan Rivera <{family.parent}>"
    reply["To"] = str(answer["From"])
    reply["Subject"] = "Re: " + str(answer["Subject"])
    reply["Message-ID"] = email.utils.make_msgid(domain="family.example")
    reply["In-Reply-To"] = str(answer["Message-ID"])
    reply["References"] = str(answer["Message-ID"])
    reply["Date"] = email.utils.formatdate(localtime=True)
    reply.set_content(f"{body}\n\nOn a day, iepd wrote:\n> The school has answered.\n")
    return reply.as_bytes()


@pytest.mark.parametrize("point", COMMAND_POINTS)
def test_a_kill_at_any_step_of_a_command_carries_it_out_and_answers_it_once(
    point: str,
    dovecot: Dovecot,
    family: Family,
) -> None:
    run_ok(family)  # the request and its `sent` reminder
    [letter] = school_mail(dovecot, family)
    dovecot.deliver(
        family.parent,
        reply_to(letter, family, "Thank you. We will be in touch about Sam."),
        mail_from=family.case_manager,
    )
    run_ok(family)  # the `answer` reminder
    dovecot.deliver(
        family.parent, parent_command(dovecot, family, "CLOSE"), mail_from=family.parent
    )

    crashed = run_iepd(family, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    run_ok(family)
    run_ok(family)  # a third run: nothing twice

    kinds = Counter(reminder_kinds(dovecot, family))
    assert kinds["command_done"] == 1 and kinds["command_refused"] == 0, kinds
    with Store.open(family.state_dir) as store:
        assert store.verify() == []
        events = Counter(event.kind for event in store.events(REQUEST))
        replies = [row for row in store.messages_for(REQUEST) if row.direction == "in"]
    assert events["command_received"] == 1
    assert events["closed"] == 1
    assert events["reply_received"] == 1
    assert len(replies) == 2  # the school's answer and the parent's command, once each
    assert len(school_mail(dovecot, family)) == 1


def draft_ready_send(dovecot: Dovecot, family: Family) -> bytes:
    (shown,) = [
        message
        for message in mailbox(dovecot, family.parent, family.parent_password)
        if message["X-IEPD-Kind"] == "draft_ready"
    ]
    reply = EmailMessage(policy=email.policy.SMTP)
    reply["From"] = f"Jordan Rivera <{family.parent}>"
    reply["To"] = str(shown["From"])
    reply["Subject"] = "Re: " + str(shown["Subject"])
    reply["Message-ID"] = email.utils.make_msgid(domain="family.example")
    reply["In-Reply-To"] = str(shown["Message-ID"])
    reply["References"] = str(shown["Message-ID"])
    reply["Date"] = email.utils.formatdate(localtime=True)
    reply.set_content("SEND\n\nOn a day, iepd wrote:\n> Here is the draft.\n")
    return reply.as_bytes()


# SEND by email: the reply recorded, the draft approved (its letter queued), the letter's
# steps (the first message sent in the run), the answer to the parent (the second).
SEND_POINTS = ["command.recorded", "command.carried_out", "smtp", "accepted", "done", "done#2"]


@pytest.mark.parametrize("point", SEND_POINTS)
def test_a_kill_at_any_step_of_send_by_email_sends_the_letter_once(
    point: str,
    dovecot: Dovecot,
    family: Family,
) -> None:
    run_ok(family)
    [letter] = school_mail(dovecot, family)
    offer = reply_to(
        letter,
        family,
        "Thank you for reaching out about Sam. Rather than a meeting, I would be happy to "
        "set up a quick phone call with you next week to talk about his speech sessions.",
    )
    dovecot.deliver(family.parent, offer, mail_from=family.case_manager)
    run_ok(family)  # the informal offer: the insist draft and its draft_ready reminder
    dovecot.deliver(family.parent, draft_ready_send(dovecot, family), mail_from=family.parent)

    crashed = run_iepd(family, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    run_ok(family)
    run_ok(family)

    assert len(school_mail(dovecot, family)) == 2  # the request and the insist letter, once
    kinds = Counter(reminder_kinds(dovecot, family))
    assert kinds["command_done"] == 1 and kinds["command_refused"] == 0, kinds
    with Store.open(family.state_dir) as store:
        assert store.verify() == []
        events = Counter(event.kind for event in store.events(REQUEST))
    assert events["command_received"] == 1
    assert events["letter_sent"] == 1
