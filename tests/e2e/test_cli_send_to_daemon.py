"""A letter approved on the command line while the daemon runs (issue 15): `iepd send`
queues it, and the running daemon, which no other process can wake, sends it within an
idle_refresh. Waits poll with generous deadlines; nothing asserts how fast."""

from __future__ import annotations

from collections.abc import Callable

from support.daemon import run_iepd, start_daemon, stop_daemon, wait_for
from support.family import Family
from support.mailboxes import reminder_kinds, reply_to, school_mail
from support.mailservers import Dovecot


def test_a_draft_approved_with_iepd_send_is_sent_by_the_running_daemon(
    dovecot: Dovecot, make_family: Callable[..., Family]
) -> None:
    family = make_family(timing='followup_after = "30d"\n\n[assist]\nauto_send = []')
    text = family.config_path.read_text()
    family.config_path.write_text(
        text.replace("[mail.imap]\n", '[mail.imap]\nidle_refresh = "2s"\n')
    )
    daemon = start_daemon(family)
    try:
        wait_for(lambda: len(school_mail(dovecot, family)) == 1, "the letter")
        [letter] = school_mail(dovecot, family)
        answer = reply_to(
            letter, family, "Thank you for your letter about Sam. We will be in touch."
        )
        dovecot.deliver(family.parent, answer, mail_from=family.case_manager)
        wait_for(lambda: "draft_ready" in reminder_kinds(dovecot, family), "the draft")
        sent = run_iepd(family, "send", "sam-speech")
        assert sent.returncode == 0, sent.stderr
        wait_for(lambda: len(school_mail(dovecot, family)) == 2, "the approved letter")
    finally:
        status, stderr = stop_daemon(daemon)
    assert status == 0, stderr
    approved = school_mail(dovecot, family)[1]
    assert approved["In-Reply-To"] not in (None, letter["Message-ID"])
    assert "letter_sent" in reminder_kinds(dovecot, family)
