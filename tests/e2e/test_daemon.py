"""`iepd run` as a subprocess against Dovecot and aiosmtpd, with timings in seconds.

A silent request gets an in-thread follow-up and then an escalation copying the principal;
a request answered in its thread gets none; an out-of-office reply does not stop the
follow-up; SIGTERM exits 0; a restart sends nothing twice; systemd hears READY, a STATUS and
STOPPING. Waits poll with generous deadlines; nothing here asserts how fast anything is.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from iepd.store.database import Store
from support.daemon import NotifyListener, start_daemon, stop_daemon, wait_for
from support.family import Family, speech_request
from support.mailboxes import reminder_kinds, reply_to, school_mail
from support.mailservers import Dovecot

Daemon = subprocess.Popen[str]


@pytest.fixture
def family_settings() -> dict[str, Any]:
    return {"timing": 'followup_after = "3s"\nescalate_after = "3s"'}


@pytest.fixture
def start(family: Family, notify: NotifyListener) -> Iterator[Callable[[], Daemon]]:
    running: list[Daemon] = []

    def launch() -> Daemon:
        daemon = start_daemon(family, extra_env=notify.environ())
        running.append(daemon)
        return daemon

    yield launch
    for daemon in running:
        if daemon.poll() is None:
            _, stderr = stop_daemon(daemon)
            print(f"iepd run log:\n{stderr}")


def test_a_silent_request_is_followed_up_then_escalated_and_a_restart_repeats_nothing(
    family: Family,
    dovecot: Dovecot,
    start: Callable[[], Daemon],
    notify: NotifyListener,
) -> None:
    daemon = start()
    wait_for(lambda: len(school_mail(dovecot, family)) >= 3, "the letter and two follow-ups")
    wait_for(lambda: "no_response" in reminder_kinds(dovecot, family), "no_response")
    status, stderr = stop_daemon(daemon)
    assert status == 0, stderr

    letter, followup, escalation = sorted(
        school_mail(dovecot, family), key=lambda m: len(str(m["References"] or ""))
    )
    assert followup["In-Reply-To"] == letter["Message-ID"]
    assert str(followup["Subject"]) == "Re: " + str(letter["Subject"])
    assert followup["Cc"] is None
    assert escalation["In-Reply-To"] == letter["Message-ID"]
    assert [a.addr_spec for a in escalation["Cc"].addresses] == [family.principal]
    assert len(school_mail(dovecot, family, family.principal)) == 1

    kinds = reminder_kinds(dovecot, family)
    for kind in ("sent", "followup_sent", "escalation_sent", "no_response"):
        assert kinds.count(kind) == 1, kinds
    assert notify.saw("READY=1")
    assert notify.statuses()  # what `systemctl status` shows
    assert notify.saw("STOPPING=1")

    restarted = start()
    time.sleep(4)  # longer than every timing in the config: anything due would go out
    status, stderr = stop_daemon(restarted)
    assert status == 0, stderr
    assert len(school_mail(dovecot, family)) == 3
    assert sorted(reminder_kinds(dovecot, family)) == sorted(kinds)
    with Store.open(family.state_dir) as store:
        assert store.verify() == []


def test_an_answer_in_the_thread_stops_every_follow_up(
    family: Family, dovecot: Dovecot, start: Callable[[], Daemon]
) -> None:
    family.timing = 'followup_after = "6s"\nescalate_after = "3s"'
    family.write()
    daemon = start()
    wait_for(lambda: len(school_mail(dovecot, family)) == 1, "the letter")
    [letter] = school_mail(dovecot, family)
    dovecot.deliver(
        family.parent,
        reply_to(letter, family, "Thank you. We will hold an IEP meeting; I will send dates."),
        mail_from=family.case_manager,
    )
    wait_for(lambda: "answer" in reminder_kinds(dovecot, family), "the answer reminder")
    time.sleep(8)  # past followup_after: a follow-up would have gone out by now
    status, stderr = stop_daemon(daemon)
    assert status == 0, stderr
    # v2: no follow-up of the request; the answer set no date, so the letter asking for one
    # (ask_for_date, itself the follow-up, auto-sent by default) went out in the answer's
    # thread after followup_after
    mail = school_mail(dovecot, family)
    assert len(mail) == 2 and "meeting will be held" in " ".join(
        str(mail[1].get_body(preferencelist=("plain",)).get_content()).split()  # type: ignore[union-attr]
    )
    assert mail[1]["In-Reply-To"] not in (None, letter["Message-ID"])
    with Store.open(family.state_dir) as store:
        request = store.get_request("sam-speech")
        assert request is not None and request.state == "acknowledged"
        kinds = [event.kind for event in store.events("sam-speech")]
        assert "reply_received" in kinds and "followup_sent" not in kinds
        assert kinds.count("letter_sent") == 1


def test_an_out_of_office_reply_does_not_stop_the_follow_up(
    family: Family, dovecot: Dovecot, start: Callable[[], Daemon]
) -> None:
    family.timing = 'followup_after = "5s"\nescalate_after = "1d"'
    family.write()
    daemon = start()
    wait_for(lambda: len(school_mail(dovecot, family)) == 1, "the letter")
    [letter] = school_mail(dovecot, family)
    dovecot.deliver(
        family.parent,
        reply_to(
            letter,
            family,
            "I am out of the office until Monday with limited access to email.",
            Auto_Submitted="auto-replied",
        ),
        mail_from=family.case_manager,
    )
    wait_for(lambda: "auto_reply" in reminder_kinds(dovecot, family), "the auto_reply reminder")
    wait_for(lambda: len(school_mail(dovecot, family)) == 2, "the follow-up")
    status, stderr = stop_daemon(daemon)
    assert status == 0, stderr
    with Store.open(family.state_dir) as store:
        request = store.get_request("sam-speech")
        assert request is not None and request.state == "followed_up"


def test_sighup_reloads_the_config_and_a_bad_one_is_refused_without_stopping(
    family: Family, dovecot: Dovecot, start: Callable[[], Daemon]
) -> None:
    family.requests = [speech_request(extra="hold = true")]
    family.write()
    daemon = start()
    with_hold = family.config_path.read_text()
    wait_for(lambda: (family.state_dir / "iepd.sqlite3").exists(), "the store")
    time.sleep(2)
    assert school_mail(dovecot, family) == []

    family.config_path.write_text(with_hold + "\n[surprise]\n")  # an unknown table
    daemon.send_signal(signal.SIGHUP)
    time.sleep(2)
    assert daemon.poll() is None, "a bad config on reload must not stop iepd"
    assert school_mail(dovecot, family) == []

    family.config_path.write_text(with_hold.replace("hold = true", "hold = false"))
    daemon.send_signal(signal.SIGHUP)
    wait_for(lambda: len(school_mail(dovecot, family)) == 1, "the letter after the reload")
    status, stderr = stop_daemon(daemon)
    assert status == 0, stderr
    assert "reload refused" in stderr


def test_a_meeting_date_in_the_config_brings_the_prep_and_recap_due_reminders(
    family: Family, dovecot: Dovecot, start: Callable[[], Daemon]
) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    meeting = datetime.now(ZoneInfo("America/Chicago")).replace(tzinfo=None, microsecond=0)
    meeting += timedelta(seconds=8)
    family.requests = [speech_request(extra=f"meeting_at = {meeting.isoformat()}")]
    family.timing = 'meeting_prep_before = "5s"\nafter_meeting = "2s"'
    family.write()
    daemon = start()
    # v2: recap_due (asking for what was agreed) takes the place of after_meeting
    wait_for(lambda: "recap_due" in reminder_kinds(dovecot, family), "recap_due")
    status, stderr = stop_daemon(daemon)
    assert status == 0, stderr
    kinds = reminder_kinds(dovecot, family)
    assert kinds.count("meeting_prep") == 1, kinds
    assert kinds.count("recap_due") == 1 and "after_meeting" not in kinds, kinds
    assert kinds.count("draft_ready") == 1, kinds  # the letter confirming the meeting
    # A date agreed outside email is an answer: no follow-up asks when one will be set.
    assert "followup_sent" not in kinds
