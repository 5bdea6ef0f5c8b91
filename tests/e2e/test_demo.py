"""`iepd demo` as a subprocess: the real daemon against the embedded sandbox, then its store,
its mailboxes (copied out by the demo) and its export, read here.

The script: Sam's case manager answers in the thread; Maya's is away (an out-of-office reply)
and answers the follow-up; Eli's never answers; Noa's address does not exist (a bounce).
Nothing here asserts how fast anything is; the demo itself gives up after a deadline.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import os
import re
import subprocess
import sys
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import pytest

from iepd.store.database import Store

PARENT = "jordan@rivera.example"
SCHOOL = "lincoln-k8.example"
PRINCIPAL = f"lchen@{SCHOOL}"
REQUESTS = ("sam-speech", "maya-reading", "eli-behavior", "noa-evaluation", "ava-services")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    folder = tmp_path_factory.mktemp("demo") / "run"
    env = {key: value for key, value in os.environ.items() if key != "NOTIFY_SOCKET"}
    env["HOME"] = str(folder.parent)
    result = subprocess.run(
        [sys.executable, "-m", "iepd", "demo", "--dir", str(folder), "--plain"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    print(result.stdout)
    print(result.stderr)
    return folder, result


def mailbox(folder: Path, user: str, name: str = "INBOX") -> list[EmailMessage]:
    messages = []
    for path in sorted(
        (folder / "mailboxes" / user / name).glob("*.eml"), key=lambda p: int(p.stem)
    ):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


def kinds(store: Store, request_id: str) -> list[str]:
    return [event.kind for event in store.events(request_id)]


def test_the_demo_exits_0_and_says_how_long_it_took(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, result = demo
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"finished in \d+\.\d s", result.stdout)
    assert "FAIL" not in result.stdout


def test_each_request_ends_as_the_school_script_says(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    folder, _ = demo
    with Store.open(folder / "state") as store:
        states = {row.id: row.state for row in store.list_requests()}
        # v2: an answer with no date set is acknowledged (the letter asking for the date
        # waits for the parent: each answer named a day)
        assert states == {
            "sam-speech": "acknowledged",
            "maya-reading": "acknowledged",
            "eli-behavior": "escalated",
            "noa-evaluation": "undeliverable",
            "ava-services": "acknowledged",
        }
        sam = kinds(store, "sam-speech")
        assert "reply_received" in sam
        assert "followup_sent" not in sam

        maya = kinds(store, "maya-reading")
        assert maya.index("auto_reply_received") < maya.index("followup_sent")
        assert maya.index("followup_sent") < maya.index("reply_received")
        assert "escalation_sent" not in maya

        eli = kinds(store, "eli-behavior")
        assert eli.count("followup_sent") == 1
        assert eli.count("escalation_sent") == 1
        [escalation] = [
            out for out in store.list_outgoing("eli-behavior") if out.purpose == "escalation"
        ]
        assert PRINCIPAL in escalation.cc_addrs

        noa = kinds(store, "noa-evaluation")
        assert "bounce_received" in noa
        assert "followup_sent" not in noa

        # the offer of a call, the parent's SEND by email, the insist letter, the agreement
        ava = kinds(store, "ava-services")
        offer = ava.index("reply_received")
        assert offer < ava.index("draft_created") < ava.index("command_received")
        assert ava.index("command_received") < ava.index("draft_approved")
        assert ava.index("draft_approved") < ava.index("letter_sent")
        assert ava.index("letter_sent") < ava.index("reply_received", offer + 1)
        [insist] = store.drafts("ava-services")[:1]
        assert (insist.kind, insist.status) == ("insist", "approved")
        assert insist.decided_by is not None and insist.decided_by.startswith("email:")
        for request_id in ("sam-speech", "maya-reading"):
            [waiting] = store.drafts(request_id)
            assert (waiting.kind, waiting.status) == ("ask_for_date", "pending")

        reminders = {
            (out.request_id, out.reminder_kind)
            for out in store.list_outgoing()
            if out.purpose == "reminder" and out.step == "done"
        }
        assert ("eli-behavior", "no_response") in reminders
        assert ("noa-evaluation", "bounce") in reminders
        assert ("maya-reading", "auto_reply") in reminders
        assert store.verify() == []


def test_the_mailboxes_hold_what_each_person_was_sent(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    folder, _ = demo
    assert len(mailbox(folder, f"dalvarez@{SCHOOL}")) == 1  # answered: no follow-up
    assert len(mailbox(folder, f"pokafor@{SCHOOL}")) == 2  # the letter and one follow-up
    letter, followup, escalation = mailbox(folder, f"rshah@{SCHOOL}")
    assert followup["In-Reply-To"] == letter["Message-ID"]
    assert escalation["In-Reply-To"] == letter["Message-ID"]
    assert [address.addr_spec for address in escalation["Cc"].addresses] == [PRINCIPAL]
    [copied] = mailbox(folder, PRINCIPAL)
    assert copied["Message-ID"] == escalation["Message-ID"]
    assert not (folder / "mailboxes" / f"kpark@{SCHOOL}").exists()

    request, insist = mailbox(folder, f"clopez@{SCHOOL}")
    # a reply to the school's offer, in the request's thread
    assert insist["In-Reply-To"] not in (None, request["Message-ID"])
    assert request["Message-ID"] in str(insist["References"])
    assert "formal IEP meeting with the full IEP team" in " ".join(
        str(insist.get_body(preferencelist=("plain",)).get_content()).split()  # type: ignore[union-attr]
    )

    told = Counter(str(m["X-IEPD-Kind"]) for m in mailbox(folder, PARENT) if m["X-IEPD-Kind"])
    assert told["sent"] == 5
    assert told["answer"] == 3
    assert told["draft_ready"] == 4  # Sam's, Maya's and Ava's two: insist, then ask_for_date
    assert told["command_done"] == 1 and told["letter_sent"] == 1
    for kind in ("auto_reply", "bounce", "escalation_sent", "no_response"):
        assert told[kind] == 1, told
    bounces = [m for m in mailbox(folder, PARENT) if m.get_content_type() == "multipart/report"]
    assert len(bounces) == 1
    # One Sent copy of each letter: five requests, two follow-ups, one escalation, one insist.
    assert len(mailbox(folder, PARENT, "Sent")) == 9


def test_every_request_is_exported_with_checksums_that_hold(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    folder, result = demo
    for request_id in REQUESTS:
        export = folder / "export" / request_id
        assert str(export) in result.stdout
        sums = (export / "SHA256SUMS").read_text().splitlines()
        assert any(line.endswith("  index.html") for line in sums)
        for line in sums:
            digest, relative = line.split("  ", 1)
            assert hashlib.sha256((export / relative).read_bytes()).hexdigest() == digest


def test_the_password_is_never_printed_or_logged(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    folder, result = demo
    password = (folder / "credentials" / "iepd-mail-password").read_text().strip()
    assert len(password) >= 16
    for text in (
        result.stdout,
        result.stderr,
        (folder / "demo.log").read_text(),
        (folder / "iepd-run.log").read_text(),
        (folder / "config.toml").read_text(),
    ):
        assert password not in text


def test_a_folder_that_is_not_empty_is_refused_before_anything_starts(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = subprocess.run(
        [sys.executable, "-m", "iepd", "demo", "--dir", str(tmp_path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "is not empty" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_missing_sandbox_package_is_named_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from iepd.demo import main as demo
    from iepd.errors import IepdError

    monkeypatch.setattr(demo, "PACKAGES", (*demo.PACKAGES, "iepd_no_such_package"))
    with pytest.raises(IepdError, match=r"iepd_no_such_package.*pip install 'iepd\[demo\]'"):
        demo.run_demo(tmp_path / "demo")
    assert not (tmp_path / "demo").exists()
