"""A letter the server accepted is sent, whatever becomes of its Sent copy: against real
Dovecots laid out as Debian's stock Cyrus (every folder under "INBOX.", no folder flagged
\\Sent) and as an account with no Sent folder at all.

Each runs the daemon's own `iepd run --once` in this process, with a clock the test moves.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import itertools
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from iepd.config.model import ImapSettings
from iepd.errors import MailServerError
from iepd.mail.credentials import Secret
from iepd.mail.imap_check import check_imap
from iepd.store.database import OutgoingRow, Store
from support.daemon import run_once_here
from support.family import Family, new_family
from support.mailservers import (
    CYRUS_NAMESPACE,
    NO_SENT_NAMESPACE,
    Dovecot,
    MailAccount,
    SmtpServer,
    TlsFiles,
    imap_login,
)

ACCOUNTS = 40  # every test here takes three; made before start, so none waits for Dovecot
_numbers = itertools.count(1)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def _server(tls_files: TlsFiles, namespace: str) -> Iterator[tuple[Dovecot, list[MailAccount]]]:
    server = Dovecot(tls_files, namespace=namespace)
    accounts = [
        MailAccount(f"user-{next(_numbers)}@example.test", secrets.token_urlsafe(12))
        for _ in range(ACCOUNTS)
    ]
    try:
        server.add_users(accounts)
        server.start()
        yield server, accounts
    finally:
        server.close()


@pytest.fixture(scope="module")
def cyrus_like(tls_files: TlsFiles) -> Iterator[tuple[Dovecot, list[MailAccount]]]:
    yield from _server(tls_files, CYRUS_NAMESPACE)


@pytest.fixture(scope="module")
def no_sent(tls_files: TlsFiles) -> Iterator[tuple[Dovecot, list[MailAccount]]]:
    yield from _server(tls_files, NO_SENT_NAMESPACE)


@contextlib.contextmanager
def family_on(
    tmp_path: Path, tls_files: TlsFiles, server: tuple[Dovecot, list[MailAccount]]
) -> Iterator[tuple[Family, Dovecot]]:
    dovecot, accounts = server

    def take(_prefix: str) -> MailAccount:
        return accounts.pop()

    with SmtpServer(tls_files, dovecot=dovecot) as smtp:
        yield new_family(tmp_path, dovecot, smtp, take), dovecot


def run_once(family: Family, clock: Clock) -> Store:
    """Run `iepd run --once` in this process and return the store it left."""
    run_once_here(family, clock)
    return Store.open(family.state_dir)


def mailbox(
    dovecot: Dovecot, user: str, password: str, folder: str = "INBOX"
) -> list[EmailMessage]:
    found = []
    for raw in dovecot.messages(user, password, folder):
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def reminder_kinds(dovecot: Dovecot, family: Family) -> list[str]:
    return [
        str(message["X-IEPD-Kind"] or "letter")
        for message in mailbox(dovecot, family.parent, family.parent_password)
    ]


def school(dovecot: Dovecot, family: Family) -> list[EmailMessage]:
    return mailbox(dovecot, family.case_manager, family.passwords[family.case_manager])


def folders(dovecot: Dovecot, family: Family) -> list[str]:
    with imap_login(dovecot.host, dovecot.imap_port, family.parent, family.parent_password) as imap:
        _, lines = imap.list()
    return [
        line.decode().rsplit(" ", 1)[-1].strip('"') for line in lines if isinstance(line, bytes)
    ]


def assert_sent_and_recorded(store: Store, dovecot: Dovecot, family: Family) -> None:
    """The bug of issue 12: the school had the letter, and the store said it was queued."""
    request = store.get_request("sam-speech")
    assert request is not None
    assert request.state == "sent"
    assert request.sent_at is not None
    events = [event.kind for event in store.events("sam-speech")]
    assert events.count("request_sent") == 1
    assert len(school(dovecot, family)) == 1
    assert reminder_kinds(dovecot, family) == ["sent"]


@pytest.mark.parametrize("layout", ["no_sent", "cyrus_like"])
def test_a_letter_whose_sent_copy_cannot_be_filed_is_sent_recorded_and_reminded_at_once(
    layout: str, request: pytest.FixtureRequest, tmp_path: Path, tls_files: TlsFiles
) -> None:
    server = request.getfixturevalue(layout)
    with family_on(tmp_path, tls_files, server) as (family, dovecot):
        assert "Sent" not in folders(dovecot, family) and "INBOX.Sent" not in folders(
            dovecot, family
        )
        clock = Clock()
        with run_once(family, clock) as store:
            assert_sent_and_recorded(store, dovecot, family)
            [letter] = [
                row for row in store.list_outgoing("sam-speech") if row.purpose == "request"
            ]
            # The copy is still owed: retried later, not given up yet.
            assert letter.step == "accepted"
            assert letter.next_try_at is not None and letter.next_try_at > clock.now

        clock.now += timedelta(minutes=30)
        with run_once(family, clock) as store:
            assert_sent_and_recorded(store, dovecot, family)  # nothing twice


def create_folder(dovecot: Dovecot, family: Family, name: str) -> None:
    with imap_login(dovecot.host, dovecot.imap_port, family.parent, family.parent_password) as imap:
        status, data = imap.create(f'"{name}"')
    assert status == "OK", data


def letters_in(store: Store) -> list[OutgoingRow]:
    return [row for row in store.list_outgoing("sam-speech") if row.reminder_kind is None]


def test_the_copy_goes_to_inbox_sent_under_a_cyrus_namespace_once(
    cyrus_like: tuple[Dovecot, list[MailAccount]], tmp_path: Path, tls_files: TlsFiles
) -> None:
    with family_on(tmp_path, tls_files, cyrus_like) as (family, dovecot):
        create_folder(dovecot, family, "INBOX.Sent")  # as Debian's Cyrus has it: no \Sent
        clock = Clock()
        with run_once(family, clock) as store:
            assert_sent_and_recorded(store, dovecot, family)
            assert [row.step for row in letters_in(store)] == ["done"]
        clock.now += timedelta(minutes=5)
        run_once(family, clock).close()

        [copy] = mailbox(dovecot, family.parent, family.parent_password, "INBOX.Sent")
        [letter] = school(dovecot, family)
        assert copy["Message-ID"] == letter["Message-ID"]


def test_a_sent_folder_made_later_gets_the_copy_at_the_next_try(
    no_sent: tuple[Dovecot, list[MailAccount]], tmp_path: Path, tls_files: TlsFiles
) -> None:
    with family_on(tmp_path, tls_files, no_sent) as (family, dovecot):
        clock = Clock()
        run_once(family, clock).close()
        create_folder(dovecot, family, "Sent Items")  # not the configured "Sent", no flag
        clock.now += timedelta(minutes=5)
        with run_once(family, clock) as store:
            assert [row.step for row in letters_in(store)] == ["done"]
            assert_sent_and_recorded(store, dovecot, family)
        assert len(mailbox(dovecot, family.parent, family.parent_password, "Sent Items")) == 1


def test_a_lasting_failure_tells_the_parent_once_where_the_copy_could_not_go(
    no_sent: tuple[Dovecot, list[MailAccount]], tmp_path: Path, tls_files: TlsFiles
) -> None:
    with family_on(tmp_path, tls_files, no_sent) as (family, dovecot):
        clock = Clock()
        runs = 0
        while "sent_copy_failed" not in reminder_kinds(dovecot, family):
            run_once(family, clock).close()
            runs += 1
            assert runs <= 12, "never given up"
            clock.now += timedelta(hours=1)
        # Six attempts, the last at least six hours after the letter went out.
        assert runs == 7
        for _ in range(2):  # later runs neither try again nor tell again
            run_once(family, clock).close()
            clock.now += timedelta(hours=1)

        assert reminder_kinds(dovecot, family) == ["sent", "sent_copy_failed"]
        assert len(school(dovecot, family)) == 1
        with Store.open(family.state_dir) as store:
            [letter] = letters_in(store)
            assert letter.step == "done" and letter.copy_attempts == 7
            events = [event for event in store.events("sam-speech")]
            [failed] = [event for event in events if event.kind == "sent_copy_failed"]
            assert failed.detail is not None and 'not filed in "Sent"' in failed.detail
            assert store.verify() == []
        told = mailbox(dovecot, family.parent, family.parent_password)[-1]
        body = told.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        assert '("Sent")' in text and "Nothing needs to be sent again" in text
        [attached] = [part for part in told.iter_attachments()]
        assert attached.get_content_type() == "message/rfc822"


def test_the_follow_up_goes_out_and_is_recorded_while_the_copies_cannot_be_filed(
    no_sent: tuple[Dovecot, list[MailAccount]], tmp_path: Path, tls_files: TlsFiles
) -> None:
    with family_on(tmp_path, tls_files, no_sent) as (family, dovecot):
        family.timing = 'followup_after = "1h"'
        family.write()
        clock = Clock()
        run_once(family, clock).close()
        clock.now += timedelta(hours=2)
        with run_once(family, clock) as store:
            request = store.get_request("sam-speech")
            assert request is not None and request.state == "followed_up"
            kinds = [event.kind for event in store.events("sam-speech")]
            assert kinds.count("followup_sent") == 1
            assert [row.step for row in letters_in(store)] == ["accepted", "accepted"]
        assert reminder_kinds(dovecot, family) == ["sent", "followup_sent"]
        first, second = school(dovecot, family)
        assert second["In-Reply-To"] == first["Message-ID"]


def check_line(dovecot: Dovecot, family: Family) -> str:
    imap = ImapSettings(host="localhost", port=dovecot.imaps_port, security="tls")
    return check_imap(
        imap,
        username=family.parent,
        secret=Secret(family.parent_password),
        auth="password",
        ca_file=dovecot.ca_file,
    )


def test_check_connect_names_the_namespaced_sent_folder_and_refuses_a_missing_one(
    cyrus_like: tuple[Dovecot, list[MailAccount]], tmp_path: Path, tls_files: TlsFiles
) -> None:
    with family_on(tmp_path, tls_files, cyrus_like) as (family, dovecot):
        with pytest.raises(MailServerError, match=r'Sent folder "Sent" .* does not exist'):
            check_line(dovecot, family)
        create_folder(dovecot, family, "INBOX.Sent")
        assert 'no folder "Sent", so Sent copies go to "INBOX.Sent"' in check_line(dovecot, family)


def test_a_send_cut_off_after_data_with_no_sent_folder_is_left_to_the_parent(
    no_sent: tuple[Dovecot, list[MailAccount]], tmp_path: Path, tls_files: TlsFiles
) -> None:
    # No Sent folder means no copy to prove the letter went out: the parent is asked, as
    # for any unknown outcome (the copy was searched for where there is none, and the row
    # waited at `data` for ever).
    with family_on(tmp_path, tls_files, no_sent) as (family, dovecot):
        env = family.environ({"PATH": os.environ["PATH"], "HOME": str(family.root)})
        command = [sys.executable, "-m", "iepd", "run", "--once"]
        crashed = subprocess.run(
            command,
            env={**env, "IEPD_CRASH_AT": "data-accepted"},
            capture_output=True,
            timeout=60,
        )
        assert crashed.returncode == -signal.SIGKILL
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert finished.returncode == 0, finished.stderr

        assert reminder_kinds(dovecot, family) == ["send_uncertain"]
        assert len(school(dovecot, family)) == 1
        with Store.open(family.state_dir) as store:
            [letter] = letters_in(store)
            assert letter.step == "uncertain"


def test_a_letter_an_older_iepd_left_unrecorded_is_recorded_as_sent_after_the_upgrade(
    cyrus_like: tuple[Dovecot, list[MailAccount]], tmp_path: Path, tls_files: TlsFiles
) -> None:
    with family_on(tmp_path, tls_files, cyrus_like) as (family, dovecot):
        env = family.environ({"PATH": os.environ["PATH"], "HOME": str(family.root)})
        command = [sys.executable, "-m", "iepd", "run", "--once"]
        # What the users have: the letter at `accepted`, no record, schema 1.
        crashed = subprocess.run(
            command, env={**env, "IEPD_CRASH_AT": "accepted"}, capture_output=True, timeout=60
        )
        assert crashed.returncode == -signal.SIGKILL
        database = family.state_dir / "iepd.sqlite3"
        with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as connection:
            connection.execute("ALTER TABLE outbox DROP COLUMN copy_attempts")
            # and without what version 3 added (issue 15)
            connection.execute("DROP TABLE drafts")
            connection.execute("DROP TABLE moves")
            connection.execute("PRAGMA user_version = 1")
        with Store.open(family.state_dir) as store:
            [stuck] = letters_in(store)
            request = store.get_request("sam-speech")
            assert request is not None and request.state == "queued"

        create_folder(dovecot, family, "INBOX.Sent")
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert finished.returncode == 0, finished.stderr

        with Store.open(family.state_dir) as store:
            assert_sent_and_recorded(store, dovecot, family)
            request = store.get_request("sam-speech")
            assert request is not None and request.sent_at == stuck.accepted_at
            [letter] = letters_in(store)
            assert letter.step == "done"
        assert len(mailbox(dovecot, family.parent, family.parent_password, "INBOX.Sent")) == 1
