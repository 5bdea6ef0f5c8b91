"""SIGKILL at every step boundary of a correction that withdraws a draft (issue 15, items 3
and 4): the parent replies AUTO to the reminder about the school's answer while its
ask_for_date draft waits. The reply recorded with its verdict; the correction, the draft's
withdrawal and the request's state in one transaction; the answer to the parent through the
outbox. After the restart the draft is withdrawn once and never sent, the request waits for
the school again, and the parent is answered once; a third run adds nothing. The CLI twin
(`iepd reclassify ID auto`) killed at the withdrawal leaves nothing half done either.
"""

from __future__ import annotations

import email.policy
import email.utils
import signal
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from iepd.store.database import Store
from support.daemon import run_iepd
from support.family import Family
from support.mailboxes import mailbox, reminder_kinds, reply_to, school_mail
from support.mailservers import Dovecot

REQUEST = "sam-speech"
TIMING = 'followup_after = "1h"\nescalate_after = "1h"'
# the reply recorded; inside the move's transaction, the draft withdrawn; the move done;
# then the command_done reminder walking the outbox's steps
AUTO_POINTS = [
    "command.recorded",
    "draft-withdrawn",
    "command.carried_out",
    "store.outgoing_eml_written",
    "smtp",
    "data",
    "done",
]


def run_ok(family: Family, *args: str) -> None:
    result = run_iepd(family, *args)
    assert result.returncode == 0, result.stderr


def answered_with_a_draft(dovecot: Dovecot, family: Family) -> None:
    """The request out, the school's answer in its thread, its ask_for_date drafted."""
    run_ok(family)
    [letter] = school_mail(dovecot, family)
    answer = reply_to(letter, family, "Thank you for your letter. We will be in touch about Sam.")
    dovecot.deliver(family.parent, answer, mail_from=family.case_manager)
    run_ok(family)  # the answer reminder, the ask_for_date draft and its draft_ready


def auto_reply(dovecot: Dovecot, family: Family) -> bytes:
    [about] = [
        message
        for message in mailbox(dovecot, family.parent, family.parent_password)
        if message["X-IEPD-Kind"] == "answer"
    ]
    reply = EmailMessage(policy=email.policy.SMTP)
    reply["From"] = f"Jordan Rivera <{family.parent}>"
    reply["To"] = str(about["From"])
    reply["Subject"] = "Re: " + str(about["Subject"])
    reply["Message-ID"] = email.utils.make_msgid(domain="family.example")
    reply["In-Reply-To"] = str(about["Message-ID"])
    reply["References"] = str(about["Message-ID"])
    reply["Date"] = email.utils.formatdate(localtime=True)
    reply.set_content("AUTO\n\nOn a day, iepd wrote:\n> The school has answered.\n")
    return reply.as_bytes()


def assert_waiting_for_the_school(family: Family) -> Counter[str]:
    with Store.open(family.state_dir) as store:
        assert store.verify() == []
        request = store.get_request(REQUEST)
        drafts = [(draft.kind, draft.status) for draft in store.drafts(REQUEST)]
        events = Counter(event.kind for event in store.events(REQUEST))
    assert request is not None and request.state == "sent" and request.answered_at is None
    assert drafts == [("ask_for_date", "withdrawn")]
    assert events["reclassified"] == 1 and events["draft_withdrawn"] == 1
    assert events["draft_created"] == 1 and events["draft_approved"] == 0
    assert events["letter_sent"] == 0
    return events


@pytest.mark.parametrize("point", AUTO_POINTS)
def test_a_kill_at_any_step_of_auto_withdraws_the_draft_once_and_answers_once(
    point: str, dovecot: Dovecot, make_family: Callable[..., Family]
) -> None:
    family = make_family(timing=TIMING)
    answered_with_a_draft(dovecot, family)
    dovecot.deliver(family.parent, auto_reply(dovecot, family), mail_from=family.parent)

    crashed = run_iepd(family, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    run_ok(family)
    run_ok(family)  # a third run: nothing twice

    events = assert_waiting_for_the_school(family)
    assert events["command_received"] == 1
    kinds = Counter(reminder_kinds(dovecot, family))
    assert kinds["command_done"] == 1 and kinds["command_refused"] == 0, kinds
    assert kinds["draft_ready"] == 1
    assert len(school_mail(dovecot, family)) == 1  # the request only


def test_a_kill_while_iepd_reclassify_withdraws_the_draft_leaves_it_undone(
    dovecot: Dovecot, make_family: Callable[..., Family]
) -> None:
    family = make_family(timing=TIMING)
    answered_with_a_draft(dovecot, family)

    crashed = run_iepd(family, "reclassify", REQUEST, "auto", crash_at="draft-withdrawn")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    with Store.open(family.state_dir) as store:  # the whole move rolled back
        assert [draft.status for draft in store.drafts(REQUEST)] == ["pending"]
        assert "reclassified" not in [event.kind for event in store.events(REQUEST)]
    run_ok(family, "reclassify", REQUEST, "auto")
    run_ok(family)
    run_ok(family)

    assert_waiting_for_the_school(family)
    assert len(school_mail(dovecot, family)) == 1
