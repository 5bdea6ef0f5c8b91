"""`iepd run` as a subprocess against Dovecot and aiosmtpd, with timings in seconds.

A silent request gets an in-thread follow-up and then an escalation copying the principal;
a request answered in its thread gets none; an out-of-office reply does not stop the
follow-up; SIGTERM exits 0; a restart sends nothing twice; systemd hears READY and STOPPING.
Waits poll with generous deadlines; nothing here asserts how fast anything is.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from iepd.store.database import Store
from support.family import Family, new_family, speech_request
from support.mailservers import Dovecot, MailAccount, SmtpServer

DEADLINE = 40.0


@pytest.fixture
def family(
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    new_mail_account: Callable[[str], MailAccount],
) -> Family:
    return new_family(
        tmp_path,
        dovecot,
        smtp_server,
        new_mail_account,
        timing='followup_after = "3s"\nescalate_after = "3s"',
    )


class Daemon:
    def __init__(self, family: Family, notify_socket: Path) -> None:
        env = family.environ({"PATH": os.environ["PATH"], "HOME": str(family.root)})
        env["NOTIFY_SOCKET"] = str(notify_socket)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "iepd", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        try:
            _, stderr = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, stderr = self.process.communicate()
        return self.process.returncode, stderr


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[Path, socket.socket]]:
    path = tmp_path / "notify.sock"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(path))
    receiver.settimeout(0.2)
    yield path, receiver
    receiver.close()


@pytest.fixture
def start(
    family: Family, notify_socket: tuple[Path, socket.socket]
) -> Iterator[Callable[[], Daemon]]:
    running: list[Daemon] = []

    def launch() -> Daemon:
        daemon = Daemon(family, notify_socket[0])
        running.append(daemon)
        return daemon

    yield launch
    for daemon in running:
        if daemon.process.poll() is None:
            daemon.process.kill()
            _, stderr = daemon.process.communicate()
            print(f"iepd run log:\n{stderr}")


def mailbox(dovecot: Dovecot, user: str, password: str) -> list[EmailMessage]:
    found = []
    for raw in dovecot.messages(user, password):
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def wait_for(condition: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def school(dovecot: Dovecot, family: Family, who: str | None = None) -> list[EmailMessage]:
    who = who or family.case_manager
    return mailbox(dovecot, who, family.passwords[who])


def reminder_kinds(dovecot: Dovecot, family: Family) -> list[str]:
    return [
        str(m["X-IEPD-Kind"])
        for m in mailbox(dovecot, family.parent, family.parent_password)
        if m["X-IEPD-Kind"]
    ]


def reply_to(letter: EmailMessage, family: Family, body: str, **headers: str) -> bytes:
    reply = EmailMessage(policy=email.policy.SMTP)
    reply["From"] = f"Dana Alvarez <{family.case_manager}>"
    reply["To"] = family.parent
    reply["Subject"] = "Re: " + str(letter["Subject"])
    reply["Message-ID"] = email.utils.make_msgid(domain="example.test")
    reply["In-Reply-To"] = str(letter["Message-ID"])
    reply["References"] = str(letter["Message-ID"])
    reply["Date"] = email.utils.formatdate(localtime=True)
    for name, value in headers.items():
        reply[name.replace("_", "-")] = value
    reply.set_content(body)
    return reply.as_bytes()


def notifications(receiver: socket.socket) -> list[str]:
    seen = []
    while True:
        try:
            seen.extend(receiver.recv(4096).decode().splitlines())
        except TimeoutError:
            return seen


def test_a_silent_request_is_followed_up_then_escalated_and_a_restart_repeats_nothing(
    family: Family,
    dovecot: Dovecot,
    start: Callable[[], Daemon],
    notify_socket: tuple[Path, socket.socket],
) -> None:
    daemon = start()
    wait_for(lambda: len(school(dovecot, family)) >= 3, "the letter and two follow-ups")
    wait_for(lambda: "no_response" in reminder_kinds(dovecot, family), "no_response")
    status, stderr = daemon.stop()
    assert status == 0, stderr

    letter, followup, escalation = sorted(
        school(dovecot, family), key=lambda m: len(str(m["References"] or ""))
    )
    assert followup["In-Reply-To"] == letter["Message-ID"]
    assert str(followup["Subject"]) == "Re: " + str(letter["Subject"])
    assert followup["Cc"] is None
    assert escalation["In-Reply-To"] == letter["Message-ID"]
    assert [a.addr_spec for a in escalation["Cc"].addresses] == [family.principal]
    assert len(school(dovecot, family, family.principal)) == 1

    kinds = reminder_kinds(dovecot, family)
    for kind in ("sent", "followup_sent", "escalation_sent", "no_response"):
        assert kinds.count(kind) == 1, kinds
    seen = notifications(notify_socket[1])
    assert "READY=1" in seen
    assert "STOPPING=1" in seen

    restarted = start()
    time.sleep(4)  # longer than every timing in the config: anything due would go out
    status, stderr = restarted.stop()
    assert status == 0, stderr
    assert len(school(dovecot, family)) == 3
    assert sorted(reminder_kinds(dovecot, family)) == sorted(kinds)
    with Store.open(family.state_dir) as store:
        assert store.verify() == []


def test_an_answer_in_the_thread_stops_every_follow_up(
    family: Family, dovecot: Dovecot, start: Callable[[], Daemon]
) -> None:
    family.timing = 'followup_after = "6s"\nescalate_after = "3s"'
    family.write()
    daemon = start()
    wait_for(lambda: len(school(dovecot, family)) == 1, "the letter")
    [letter] = school(dovecot, family)
    dovecot.deliver(
        family.parent,
        reply_to(letter, family, "Thank you. We will hold an IEP meeting; I will send dates."),
        mail_from=family.case_manager,
    )
    wait_for(lambda: "answer" in reminder_kinds(dovecot, family), "the answer reminder")
    time.sleep(8)  # past followup_after: a follow-up would have gone out by now
    status, stderr = daemon.stop()
    assert status == 0, stderr
    assert len(school(dovecot, family)) == 1
    with Store.open(family.state_dir) as store:
        request = store.get_request("sam-speech")
        assert request is not None and request.state == "answered"
        assert "reply_received" in [event.kind for event in store.events("sam-speech")]


def test_an_out_of_office_reply_does_not_stop_the_follow_up(
    family: Family, dovecot: Dovecot, start: Callable[[], Daemon]
) -> None:
    family.timing = 'followup_after = "5s"\nescalate_after = "1d"'
    family.write()
    daemon = start()
    wait_for(lambda: len(school(dovecot, family)) == 1, "the letter")
    [letter] = school(dovecot, family)
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
    wait_for(lambda: len(school(dovecot, family)) == 2, "the follow-up")
    status, stderr = daemon.stop()
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
    assert school(dovecot, family) == []

    family.config_path.write_text(with_hold + "\n[surprise]\n")  # an unknown table
    daemon.process.send_signal(signal.SIGHUP)
    time.sleep(2)
    assert daemon.process.poll() is None, "a bad config on reload must not stop iepd"
    assert school(dovecot, family) == []

    family.config_path.write_text(with_hold.replace("hold = true", "hold = false"))
    daemon.process.send_signal(signal.SIGHUP)
    wait_for(lambda: len(school(dovecot, family)) == 1, "the letter after the reload")
    status, stderr = daemon.stop()
    assert status == 0, stderr
    assert "reload refused" in stderr


def test_a_meeting_date_in_the_config_brings_the_prep_and_after_meeting_reminders(
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
    wait_for(lambda: "after_meeting" in reminder_kinds(dovecot, family), "after_meeting")
    status, stderr = daemon.stop()
    assert status == 0, stderr
    kinds = reminder_kinds(dovecot, family)
    assert kinds.count("meeting_prep") == 1, kinds
    assert kinds.count("after_meeting") == 1, kinds
    # A date agreed outside email is an answer: no follow-up asks when one will be set.
    assert "followup_sent" not in kinds
