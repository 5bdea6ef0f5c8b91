"""`iepd explain FILE.eml [--json]`: the request a message would match and why (or why
none), its class, the evidence and the excerpt, read-only against a real config and store.

The command runs as `python -m iepd` against a config written in tmp_path: before `iepd run`
has recorded anything (the config alone), and with a store holding a sent request, so that
a threaded reply matches by its thread. No mail server is contacted, and nothing in the state
folder changes.
"""

from __future__ import annotations

import dataclasses
import email.policy
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from iepd.cli import explain
from iepd.config.load import load_config
from iepd.decide.classify import Classification, classify
from iepd.inbox.parse import parse_message
from iepd.inbox.record import MessageRecorder
from iepd.outbox.sender import Sender
from iepd.store.database import Store
from support.family import CASE_MANAGER, PARENT, Family, offline_family, speech_request
from support.offline import REQUEST, queued_request

JSON_KEYS = {"request", "match_reason", "class", "signals", "excerpt", "unsure"}
LATER = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # after the letter went out
REFUSAL = "Hello Jordan,\n\nWe do not believe a meeting about Sam is necessary at this time.\n"


def iepd(family: Family, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("STATE_DIRECTORY", "IEPD_CONFIG", "CREDENTIALS_DIRECTORY")
    }
    return subprocess.run(
        [sys.executable, "-m", "iepd", "--config", str(family.config_path), *args],
        capture_output=True,
        text=True,
        env=family.environ(env),
        timeout=60,
        check=False,
    )


def message_file(
    folder: Path,
    body: str,
    *,
    sender: str = f"Dana Alvarez <{CASE_MANAGER}>",
    subject: str = "Your request",
    name: str = "message.eml",
    **headers: str,
) -> Path:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = PARENT
    message["Subject"] = subject
    message["Date"] = "Fri, 20 Nov 2026 09:00:00 -0600"
    message["Message-ID"] = f"<{name}@mail.example.test>"
    for header, value in headers.items():
        message[header.replace("_", "-")] = value
    message.set_content(body)
    path = folder / name
    path.write_bytes(message.as_bytes())
    return path


def reading(path: Path) -> Classification:
    """How the classifier reads the message in ``path``: explain must say just that."""
    return classify(parse_message(path.read_bytes()))


def spoken(result: Classification) -> list[str]:
    """The lines of explain's text that give the class, the evidence and whether iepd is
    sure, whitespace-collapsed."""
    signals = [f"- {' '.join(signal.split())}" for signal in result.signals]
    return [
        f"class: {result.klass}: {explain.CLASS_WORDS[result.klass]}",
        "evidence: " + (" ".join(signals) or "- no sign of another class"),
        "unsure: iepd is not sure" if result.unsure else "unsure: no",
    ]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the SHA-256 of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def family(tmp_path: Path) -> Family:
    """A config with one request and no store: `iepd run` has never run."""
    return offline_family(tmp_path / "family", [speech_request(REQUEST)])


@pytest.fixture
def sent(tmp_path: Path) -> tuple[Family, str]:
    """A config and a store in which the request letter went out; its Message-ID."""
    offline = queued_request(tmp_path / "sent")
    store, clock, row = offline.store, offline.clock, offline.letter
    for step in ("smtp", "data", "accepted", "filed"):
        row = store.set_step(row.message_row, step, now=clock())
    offline.sender._finish(row)
    assert row.message_id is not None
    store.close()
    return offline.family, row.message_id


# -- before `iepd run`: the config alone


def test_explain_before_any_run_matches_by_the_config_and_says_there_is_no_store(
    family: Family, tmp_path: Path
) -> None:
    path = message_file(tmp_path, REFUSAL)

    result = iepd(family, "explain", str(path))

    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "no store yet: `iepd run` has recorded nothing in" in out
    assert "no reply can match by its thread" in out
    assert f"request: {REQUEST}, because it is from the case manager and names Sam" in out
    for line in spoken(reading(path)):
        assert line in out
    assert "> Hello Jordan, We do not believe a meeting about Sam is necessary" in out
    assert not family.state_dir.exists()


def test_explain_json_has_the_spec_keys_and_unsure_with_their_types(
    family: Family, tmp_path: Path
) -> None:
    path = message_file(tmp_path, REFUSAL)

    result = iepd(family, "explain", str(path), "--json")

    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert set(found) == JSON_KEYS
    assert found["request"] == REQUEST
    assert found["match_reason"] == "sender_names_child"
    assert isinstance(found["class"], str)
    assert isinstance(found["signals"], list)
    assert all(isinstance(signal, str) for signal in found["signals"])
    assert isinstance(found["excerpt"], str) and "necessary" in found["excerpt"]
    assert isinstance(found["unsure"], bool)
    result = reading(path)
    assert (found["class"], found["signals"], found["excerpt"], found["unsure"]) == (
        result.klass,
        list(result.signals),
        result.excerpt,
        result.unsure,
    )
    assert not family.state_dir.exists()


@pytest.mark.parametrize(
    ("headers", "sender", "reason", "words"),
    [
        (
            {},
            "Pat Stranger <pat@elsewhere.example>",
            "not_from_school",
            "it is not in the thread of a letter iepd sent, and its sender is neither a case"
            " manager, a principal nor at a school domain",
        ),
        (
            {"List_Id": "<families.example.test>"},
            "Lincoln News <news@example.test>",
            "list_mail",
            "it is mailing-list mail",
        ),
        ({}, f"Jordan Rivera <{PARENT}>", "parent_mail", "it is from you"),
        (
            {"Precedence": "bulk"},
            "Lincoln News <news@example.test>",
            "bulk_mail",
            "it is bulk mail",
        ),
        (
            {},
            "Lincoln Office <office@example.test>",
            "no_single_request",
            "it is from the school but not in the thread of a letter iepd sent",
        ),
    ],
)
def test_a_message_about_no_request_says_why_none(
    family: Family,
    tmp_path: Path,
    headers: dict[str, str],
    sender: str,
    reason: str,
    words: str,
) -> None:
    body = "The book fair opens on Monday in the library."
    path = message_file(tmp_path, body, sender=sender, subject="Book fair", **headers)

    shown = iepd(family, "explain", str(path))
    found = json.loads(iepd(family, "explain", str(path), "--json").stdout)

    assert shown.returncode == 0, shown.stderr
    out = " ".join(shown.stdout.split())
    assert f"request: none, because {words}" in out
    assert "iepd would leave this message alone" in out
    assert f"class, were it about a request: {reading(path).klass}" in out
    assert (found["request"], found["match_reason"]) == (None, reason)
    assert not family.state_dir.exists()


def test_a_malformed_message_still_gets_an_answer(family: Family, tmp_path: Path) -> None:
    path = tmp_path / "broken.eml"
    path.write_bytes(
        f"From: Dana Alvarez <{CASE_MANAGER}>\r\n"
        "Subject: Sam\r\n"
        "Date: not a date\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="never-closed"\r\n'
        "\r\n"
        "--never-closed\r\n"
        "Content-Type: text/plain; charset=no-such-charset\r\n"
        "\r\n"
        # a fresh message must speak of the request itself to match it (docs/spec-differences.md)
        "We can hold Sam's IEP meeting on December 10 \xff\xfe at 3:30 pm.\r\n".encode("latin-1")
        + b"\x00\x01 garbage without an end"
    )

    shown = iepd(family, "explain", str(path))
    found = json.loads(iepd(family, "explain", str(path), "--json").stdout)

    assert shown.returncode == 0, shown.stderr
    assert "malformed, read as far as it goes:" in shown.stdout
    assert found["request"] == REQUEST
    assert found["class"] == reading(path).klass
    assert "December 10" in found["excerpt"]


def test_a_file_that_is_not_mail_at_all_still_gets_an_answer(
    family: Family, tmp_path: Path
) -> None:
    path = tmp_path / "noise.eml"
    path.write_bytes(bytes(range(256)) * 4)

    result = iepd(family, "explain", str(path), "--json")

    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["request"] is None
    assert found["match_reason"] == "not_from_school"


def test_a_missing_file_is_one_line_and_exit_66(family: Family, tmp_path: Path) -> None:
    result = iepd(family, "explain", str(tmp_path / "nowhere.eml"))

    assert result.returncode == explain.EX_NOINPUT == 66
    assert result.stdout == ""
    assert result.stderr == f"iepd: cannot read {tmp_path / 'nowhere.eml'}: no such file\n"


def test_a_folder_given_as_the_file_is_exit_66(family: Family, tmp_path: Path) -> None:
    result = iepd(family, "explain", str(tmp_path))

    assert result.returncode == 66
    assert "it is a folder, not a message file" in result.stderr


# -- with a store: what the daemon would do


def test_a_threaded_reply_matches_by_the_thread_of_the_sent_letter(
    sent: tuple[Family, str], tmp_path: Path
) -> None:
    family, letter_id = sent
    path = message_file(
        tmp_path,
        "Thank you, we will look at the dates.",
        In_Reply_To=letter_id,
        References=letter_id,
    )
    before = snapshot(family.state_dir)

    shown = iepd(family, "explain", str(path))
    found = json.loads(iepd(family, "explain", str(path), "--json").stdout)

    assert shown.returncode == 0, shown.stderr
    out = " ".join(shown.stdout.split())
    assert (
        f"request: {REQUEST}, because it is in the thread of the request for an IEP meeting"
        f" iepd sent on Monday, November 16, 2026 ({letter_id})"
    ) in out
    assert "no store yet" not in out
    result = reading(path)
    for line in spoken(result):
        assert line in out
    assert found == {
        "request": REQUEST,
        "match_reason": "thread",
        "class": result.klass,
        "signals": list(result.signals),
        "excerpt": "Thank you, we will look at the dates.",
        "unsure": result.unsure,
    }
    assert snapshot(family.state_dir) == before


def test_with_a_store_an_unthreaded_reply_from_a_stranger_matches_nothing(
    sent: tuple[Family, str], tmp_path: Path
) -> None:
    family, _ = sent
    path = message_file(tmp_path, REFUSAL, sender="Pat Stranger <pat@elsewhere.example>")
    before = snapshot(family.state_dir)

    found = json.loads(iepd(family, "explain", str(path), "--json").stdout)

    assert (found["request"], found["match_reason"]) == (None, "not_from_school")
    assert found["class"] == reading(path).klass
    assert snapshot(family.state_dir) == before


def test_a_reply_iepd_would_send_a_reminder_for_is_the_one_the_daemon_records(
    sent: tuple[Family, str], tmp_path: Path
) -> None:
    family, letter_id = sent
    path = message_file(tmp_path, REFUSAL, In_Reply_To=letter_id)
    config = load_config(family.config_path, family.environ())

    explained = json.loads(iepd(family, "explain", str(path), "--json").stdout)
    with Store.open(config.state_dir) as store:
        sender = Sender(config, store, None, lambda: LATER)  # type: ignore[arg-type]
        recorded = MessageRecorder(config, store, sender, lambda: LATER).handle(
            raw=path.read_bytes(), mailbox="INBOX", uidvalidity=1, uid=1, internaldate=LATER
        )

    assert (explained["request"], explained["class"]) == (REQUEST, recorded)


# -- unsure: the classifier marks weak or conflicting evidence


def test_an_unsure_reading_is_said_with_the_deciding_sentences(
    sent: tuple[Family, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    family, letter_id = sent
    real = explain.classify

    def unsure(message: object) -> Classification:
        result = real(message)  # type: ignore[arg-type]
        return dataclasses.replace(result, unsure=True, deciding=("We can talk by phone.",))

    monkeypatch.setattr(explain, "classify", unsure)
    config = load_config(family.config_path, family.environ())
    path = message_file(tmp_path, REFUSAL, In_Reply_To=letter_id)

    store = Store.open_existing(config.state_dir)
    assert store is not None
    with store:
        explanation = explain.explain(config, store, path.read_bytes())
    text = explain.as_text(config, explanation)
    found = json.loads(explain.as_json(explanation))

    assert "unsure: iepd is not sure what the school meant; it went by:" in text
    assert '    "We can talk by phone."' in text
    assert found["unsure"] is True
    assert set(found) == JSON_KEYS
