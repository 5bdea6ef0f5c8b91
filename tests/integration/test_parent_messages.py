"""The parent's own messages (issue 15, item 5), through `iepd run --once`'s own code path on
the real Dovecot and aiosmtpd: the parent's hand-written reply in the request's thread,
found in the Sent folder, is recorded once with its raw copy and shown in the trail; iepd's
own letter there is not recorded again; an unrelated sent message is left alone."""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from iepd.config.load import load_config
from iepd.run.daemon import Daemon
from iepd.run.snapshots import next_step_function, snapshots
from iepd.store.database import Store
from iepd.store.files import sha256_hex
from iepd.trail.export import export_request
from iepd.trail.timeline import load_trail
from support.daemon import family_environment, run_once_here
from support.family import Family, speech_request
from support.mailservers import Dovecot
from support.offline import Clock


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def school_mail(dovecot: Dovecot, family: Family) -> list[EmailMessage]:
    who = family.case_manager
    return [parsed(raw) for raw in dovecot.messages(who, family.passwords[who])]


def written_by_hand(family: Family, to: str, body: str, letter: EmailMessage | None) -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Jordan Rivera <{family.parent}>"
    message["To"] = to
    message["Subject"] = "Re: " + str(letter["Subject"]) if letter else "Saturday"
    message["Message-ID"] = email.utils.make_msgid(domain="family.example")
    message["Date"] = email.utils.formatdate(localtime=True)
    if letter is not None:
        message["In-Reply-To"] = str(letter["Message-ID"])
        message["References"] = str(letter["Message-ID"])
    message.set_content(body)
    return message.as_bytes()


def test_the_parents_reply_in_the_thread_is_recorded_once_and_iepds_own_letter_not_again(
    family: Family, dovecot: Dovecot, tmp_path: Path
) -> None:
    clock = Clock(datetime.now(UTC))
    run_once_here(family, clock)
    [letter] = school_mail(dovecot, family)
    letter_id = str(letter["Message-ID"])
    [iepds_copy] = dovecot.messages(family.parent, family.parent_password, "Sent")
    assert parsed(iepds_copy)["Message-ID"] == letter_id

    reply = written_by_hand(
        family, family.case_manager, "Dear Ms. Alvarez,\nCould you tell me the date?\n", letter
    )
    unrelated = written_by_hand(family, "friend@elsewhere.example", "See you Saturday!\n", None)
    for raw in (reply, unrelated):
        dovecot.append(family.parent, family.parent_password, "Sent", raw, ["\\Seen"])
    clock.now += timedelta(minutes=5)
    run_once_here(family, clock)
    clock.now += timedelta(minutes=5)
    run_once_here(family, clock)
    # The server renumbers the Sent folder: it is read again, and nothing is recorded twice.
    dovecot.set_uidvalidity_change(family.parent, "Sent")
    run_once_here(family, clock)

    reply_id = str(parsed(reply)["Message-ID"])
    with Store.open(family.state_dir) as store:
        events = store.events("sam-speech")
        [event] = [event for event in events if event.kind == "parent_message"]
        assert event.message_id == reply_id
        assert event.from_addr == family.parent
        assert event.subject == "Re: " + str(letter["Subject"])
        messages = store.messages_for("sam-speech")
        [stored] = [row for row in messages if row.message_id == reply_id]
        assert stored.raw_path.read_bytes() == reply
        assert stored.sha256 == sha256_hex(reply)
        assert stored.mailbox == "Sent"
        # iepd's own letter is in the record once, as the letter it sent.
        assert [row.direction for row in messages if row.message_id == letter_id] == ["out"]
        unrelated_id = str(parsed(unrelated)["Message-ID"])
        assert [row for row in messages if row.message_id == unrelated_id] == []
        assert store.verify() == []

        # The school's clock restarts from the parent's message: the planner is handed it.
        assert stored.internaldate is not None
        config = load_config(family.config_path, dict(os.environ) | family.environ())
        [snapshot] = snapshots(config, store)
        assert snapshot.last_parent_message_at == stored.internaldate
        assert event.detail == stored.internaldate.strftime("%Y-%m-%dT%H:%M:%S.000000Z")

        # The trail shows it, joined to its stored copy.
        trail = load_trail(store, "sam-speech")
        assert trail is not None
        [entry] = [entry for entry in trail.entries if entry.event.kind == "parent_message"]
        assert entry.message is not None and entry.message.row.message_id == reply_id
        assert entry.message.kind == "parent_message"


def test_the_export_holds_the_parents_message(
    family: Family, dovecot: Dovecot, tmp_path: Path
) -> None:
    clock = Clock(datetime.now(UTC))
    run_once_here(family, clock)
    [letter] = school_mail(dovecot, family)
    reply = written_by_hand(family, family.case_manager, "Any news about Sam's meeting?\n", letter)
    dovecot.append(family.parent, family.parent_password, "Sent", reply, ["\\Seen"])
    run_once_here(family, clock)

    with Store.open(family.state_dir) as store:
        config = load_config(family.config_path, dict(os.environ) | family.environ())
        out = tmp_path / "export"
        export_request(config, store, "sam-speech", out, now=clock.now)
        [event] = [event for event in store.events("sam-speech") if event.kind == "parent_message"]
    files = sorted(path.name for path in (out / "messages").iterdir())
    [copy] = [name for name in files if name.endswith("-parent_message.eml")]
    assert (out / "messages" / copy).read_bytes() == reply
    assert "parent_message" in (out / "timeline.csv").read_text()
    page = (out / "index.html").read_text()
    assert "The parent&#39;s own message to the school" in page
    sent_at = datetime.fromisoformat(str(event.detail)).astimezone(ZoneInfo("America/Chicago"))
    assert "sent " + sent_at.strftime("%a %Y-%m-%d %H:%M:%S") in page
    assert "parent_message" in json.dumps(sorted(files))


def test_the_sent_folder_is_read_right_before_a_follow_up_goes_out(
    family: Family, dovecot: Dovecot
) -> None:
    """The daemon, not --once: the parent's message is sent while the daemon idles on the
    inbox (its refresh minutes away); the follow-up falling due makes it look at the Sent
    folder first, so the parent's message is in the record before any follow-up."""
    clock = Clock(datetime.now(UTC))
    run_once_here(family, clock)
    [letter] = school_mail(dovecot, family)
    reply = written_by_hand(family, family.case_manager, "Any news about the meeting?\n", letter)
    reply_id = str(parsed(reply)["Message-ID"])

    def kinds() -> list[tuple[str, str | None]]:
        with Store.open(family.state_dir) as store:
            return [(event.kind, event.message_id) for event in store.events("sam-speech")]

    async def scenario() -> list[tuple[str, str | None]]:
        daemon = Daemon(family.config_path, clock)
        task = asyncio.create_task(daemon.run())
        # Past the first catch-up of the Sent folder: its place is in the ledger.
        await wait_until(lambda: sent_ledger(family) is not None, task)
        await asyncio.to_thread(
            dovecot.append, family.parent, family.parent_password, "Sent", reply, ["\\Seen"]
        )
        clock.now += timedelta(days=8)
        os.kill(os.getpid(), signal.SIGHUP)  # plan again now (a reload), as the timer would
        await wait_until(lambda: ("parent_message", reply_id) in kinds(), task)
        os.kill(os.getpid(), signal.SIGTERM)
        await task
        return kinds()

    with family_environment(family):
        events = asyncio.run(scenario())
    parent_at = events.index(("parent_message", reply_id))
    assert not [kind for kind, _ in events[:parent_at] if kind == "followup_sent"]


def sent_ledger(family: Family) -> int | None:
    with Store.open(family.state_dir) as store:
        return store.known_uidvalidity("Sent")


async def wait_until(condition: Callable[[], bool], task: asyncio.Task[int]) -> None:
    for _ in range(600):
        if task.done():
            task.result()
            pytest.fail("the daemon stopped")
        if await asyncio.to_thread(condition):
            return
        await asyncio.sleep(0.05)
    pytest.fail("gave up waiting")


def test_the_schools_reply_to_the_parents_own_message_is_in_the_requests_thread(
    family: Family, dovecot: Dovecot
) -> None:
    clock = Clock(datetime.now(UTC))
    run_once_here(family, clock)
    # A new message, not a reply: it belongs to the request by naming Sam and his meeting.
    question = written_by_hand(family, family.case_manager, "When is Sam's IEP meeting?\n", None)
    dovecot.append(family.parent, family.parent_password, "Sent", question, ["\\Seen"])
    run_once_here(family, clock)

    # The school answers that message alone, naming no child.
    answer = EmailMessage(policy=email.policy.SMTP)
    answer["From"] = f"Dana Alvarez <{family.case_manager}>"
    answer["To"] = family.parent
    answer["Subject"] = "Re: Saturday"
    answer["Message-ID"] = email.utils.make_msgid(domain="example.test")
    answer["In-Reply-To"] = str(parsed(question)["Message-ID"])
    answer["Date"] = email.utils.formatdate(localtime=True)
    answer.set_content("Thank you, I will look into it and write back.\n")
    dovecot.deliver(family.parent, answer.as_bytes())
    run_once_here(family, clock)

    with Store.open(family.state_dir) as store:
        kinds = [(event.kind, event.message_id) for event in store.events("sam-speech")]
    assert ("parent_message", str(parsed(question)["Message-ID"])) in kinds
    assert ("reply_received", str(answer["Message-ID"])) in kinds


def test_the_parents_message_about_a_request_the_post_delivered_is_recorded(
    make_family: Callable[..., Family], dovecot: Dovecot
) -> None:
    family = make_family(requests=[speech_request(extra="hold = true")])
    clock = Clock(datetime.now(UTC))
    run_once_here(family, clock)
    for flags in (["--tracking", "9400111", "--date", "2026-11-02"], ["--delivered", "2026-11-04"]):
        done = subprocess.run(
            [sys.executable, "-m", "iepd", "--config", str(family.config_path), "mailed",
             "sam-speech", *flags],
            capture_output=True, text=True, timeout=60, check=False,
            env=family.environ(dict(os.environ)),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    note = written_by_hand(family, family.case_manager, "Did you get my letter about Sam's IEP?\n",
                           None)  # fmt: skip
    dovecot.append(family.parent, family.parent_password, "Sent", note, ["\\Seen"])
    run_once_here(family, clock)

    with Store.open(family.state_dir) as store:
        kinds = [(event.kind, event.message_id) for event in store.events("sam-speech")]
    assert ("parent_message", str(parsed(note)["Message-ID"])) in kinds


def test_the_schools_clock_restarts_from_the_parents_own_message(
    family: Family, dovecot: Dovecot
) -> None:
    """After an answer with no date, ask_for_date (itself the follow-up) is due
    followup_after later; the parent's own message in the thread, sent after that was due
    but read before it went out, moves it to followup_after after the parent's message."""
    clock = Clock(datetime.now(UTC))
    clock.now -= timedelta(days=10)
    run_once_here(family, clock)
    [letter] = school_mail(dovecot, family)
    answer = EmailMessage(policy=email.policy.SMTP)
    answer["From"] = f"Dana Alvarez <{family.case_manager}>"
    answer["To"] = family.parent
    answer["Subject"] = "Re: " + str(letter["Subject"])
    answer["Message-ID"] = email.utils.make_msgid(domain="example.test")
    answer["In-Reply-To"] = str(letter["Message-ID"])
    answer["References"] = str(letter["Message-ID"])
    answer["Date"] = email.utils.formatdate(localtime=True)
    answer.set_content("Thank you for your letter about Sam. We will look into it.\n")
    dovecot.deliver(family.parent, answer.as_bytes())
    clock.now += timedelta(hours=1)
    run_once_here(family, clock)

    def next_step() -> tuple[str, datetime | None] | None:
        with Store.open(family.state_dir) as store:
            config = load_config(family.config_path, dict(os.environ) | family.environ())
            return next_step_function(config, store, clock.now)("sam-speech")

    with Store.open(family.state_dir) as store:
        answered = store.last_answer_times()["sam-speech"]
    assert next_step() == ("ask_for_date", answered + timedelta(days=7))

    # Ten days on (three past that), the parent wrote in the thread by hand; iepd reads it
    # before the letter that fell due goes out.
    reply = written_by_hand(family, family.case_manager, "Could you tell me the date?\n", letter)
    dovecot.append(family.parent, family.parent_password, "Sent", reply, ["\\Seen"])
    clock.now = datetime.now(UTC) + timedelta(minutes=1)
    run_once_here(family, clock)

    with Store.open(family.state_dir) as store:
        [written] = [
            row.internaldate
            for row in store.messages_for("sam-speech")
            if row.message_id == str(parsed(reply)["Message-ID"])
        ]
        kinds = [event.kind for event in store.events("sam-speech")]
    assert written is not None
    assert next_step() == ("ask_for_date", written + timedelta(days=7))
    assert "letter_sent" not in kinds
