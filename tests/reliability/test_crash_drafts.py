"""SIGKILL at every step boundary of a drafted letter (issue 15, item 3): the draft made with
its draft_ready reminder, approved (here by [assist] auto_send, as SEND does) into the
outbox, then walked through the outbox's steps. After the restart the school has the letter
once (or, killed where its fate is unknown, the parent is asked and nothing is resent), the
draft is approved once, and a further run adds nothing.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable

import pytest

from iepd.store.database import Store
from support.crashpoints import DELIVERED, LETTER_POINTS, NEVER_LEFT, UNCERTAIN
from support.daemon import run_iepd
from support.family import Family
from support.mailboxes import reminder_kinds, reply_to, school_mail
from support.mailservers import Dovecot

REQUEST = "sam-speech"
WAIT = 3.2  # seconds: longer than followup_after, so ask_for_date is due by itself
# Where a kill may land: the draft's own steps, then the letter's (as any letter's; its
# `queued` boundary is the approval's, draft-approved).
DRAFT_POINTS = {"draft-created": DELIVERED, "draft-approved": DELIVERED} | {
    point: outcome
    for point, outcome in LETTER_POINTS.items()
    if "#" not in point and point != "queued"
}


def run_ok(family: Family) -> None:
    result = run_iepd(family)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("point", list(DRAFT_POINTS))
def test_a_kill_at_any_step_of_a_drafted_letter_sends_it_once_or_asks(
    point: str, dovecot: Dovecot, make_family: Callable[..., Family]
) -> None:
    family = make_family(timing='followup_after = "3s"\nescalate_after = "1h"')
    run_ok(family)  # the request and its `sent` reminder
    [letter] = school_mail(dovecot, family)
    dovecot.deliver(
        family.parent,
        reply_to(letter, family, "Thank you for your letter. We will be in touch about Sam."),
        mail_from=family.case_manager,
    )
    if point == "draft-created":
        crashed = run_iepd(family, crash_at=point)
        assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    run_ok(family)  # the answer: its reminder, the ask_for_date draft and its reminder
    time.sleep(WAIT)
    if point != "draft-created":
        crashed = run_iepd(family, crash_at=point)
        assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    run_ok(family)
    run_ok(family)  # nothing twice

    expected = DRAFT_POINTS[point]
    letters = school_mail(dovecot, family)
    kinds = Counter(reminder_kinds(dovecot, family))
    with Store.open(family.state_dir) as store:
        assert store.verify() == []
        drafts = store.drafts(REQUEST)
        events = Counter(event.kind for event in store.events(REQUEST))
    assert [(draft.kind, draft.status) for draft in drafts] == [("ask_for_date", "approved")]
    assert events["draft_created"] == 1 and events["draft_approved"] == 1
    assert kinds["draft_ready"] == 1 and kinds["answer"] == 1
    if expected == DELIVERED:
        assert len(letters) == 2
        assert letters[1]["Message-ID"] == drafts[0].message_id
        assert letters[1]["In-Reply-To"] is not None
        assert events["letter_sent"] == 1 and kinds["letter_sent"] == 1
    else:
        assert len(letters) == (2 if expected == UNCERTAIN else 1)
        assert expected in (UNCERTAIN, NEVER_LEFT)
        assert events["letter_sent"] == 0 and kinds["send_uncertain"] == 1


@pytest.mark.parametrize("point", ["draft-withdrawn", "draft-created"])
def test_a_kill_while_a_newer_school_message_withdraws_a_draft_never_sends_it(
    point: str, dovecot: Dovecot, make_family: Callable[..., Family]
) -> None:
    """The draft waits for SEND; the school writes again (an offer of a call): the stale
    draft is withdrawn and the insist letter drafted, once each, whatever the kill."""
    family = make_family(timing='followup_after = "1h"\n\n[assist]\nauto_send = []')
    run_ok(family)
    [letter] = school_mail(dovecot, family)
    answer = reply_to(letter, family, "Thank you for your letter. We will be in touch about Sam.")
    dovecot.deliver(family.parent, answer, mail_from=family.case_manager)
    run_ok(family)  # the ask_for_date draft, waiting for SEND
    offer = reply_to(
        letter,
        family,
        "Rather than a full IEP meeting, I would be glad to set up a quick phone call with you"
        " this week about Sam.",
    )
    dovecot.deliver(family.parent, offer, mail_from=family.case_manager)
    crashed = run_iepd(family, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    run_ok(family)
    run_ok(family)

    with Store.open(family.state_dir) as store:
        assert store.verify() == []
        drafts = [(draft.kind, draft.status) for draft in store.drafts(REQUEST)]
        events = Counter(event.kind for event in store.events(REQUEST))
    assert drafts == [("ask_for_date", "withdrawn"), ("insist", "pending")]
    assert events["draft_withdrawn"] == 1 and events["draft_created"] == 2
    assert events["draft_approved"] == 0 and events["letter_sent"] == 0
    assert len(school_mail(dovecot, family)) == 1  # nothing but the request
    kinds = Counter(reminder_kinds(dovecot, family))
    assert kinds["draft_ready"] == 2 and kinds["informal"] == 1
