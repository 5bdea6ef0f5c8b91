"""watcher.Watcher against real servers: the session's Dovecot (IDLE over STARTTLS), a private
Dovecot that is stopped, killed and restarted under it, and pymap (which sends its
responses in pieces)."""

from __future__ import annotations

import email.policy
import imaplib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from iepd.config.model import ImapSettings
from iepd.errors import MailServerError
from iepd.inbox.catchup import FetchedMessage, Handover, UidValidityChanged
from iepd.inbox.watcher import Watcher
from iepd.mail.credentials import Secret
from iepd.mail.imap import ImapSession
from support.mailservers import Dovecot, MailAccount, Pymap, free_ports, imap_login

WAIT = 30.0  # generous: a reconnect waits a random backoff first
LOGIN_WAIT = 10.0


class MemoryLedger:
    """The UidLedger the store will be, kept in a dict."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, int], int] = {}
        self.newest: dict[str, int] = {}
        self._lock = threading.Lock()

    def last_uid(self, mailbox: str, uidvalidity: int) -> int | None:
        with self._lock:
            return self.last.get((mailbox, uidvalidity))

    def set_last_uid(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        with self._lock:
            self.last[(mailbox, uidvalidity)] = max(uid, self.last.get((mailbox, uidvalidity), 0))
            self.newest[mailbox] = uidvalidity

    def known_uidvalidity(self, mailbox: str) -> int | None:
        with self._lock:
            return self.newest.get(mailbox)


class Inbox:
    """What a watcher handed over, and the headers it asked about. A message is a
    candidate unless it carries a List-Id (a newsletter)."""

    def __init__(self) -> None:
        self.items: list[Handover] = []
        self.headers_seen: list[bytes] = []
        self.catch_ups = 0
        self._changed = threading.Condition()

    def is_candidate(self, header: bytes) -> bool:
        self.headers_seen.append(header)
        return b"\nList-Id:" not in header

    def hand_over(self, item: Handover) -> None:
        with self._changed:
            self.items.append(item)
            self._changed.notify_all()

    def caught_up(self) -> None:
        with self._changed:
            self.catch_ups += 1
            self._changed.notify_all()

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, WAIT):
                pytest.fail(f"gave up waiting for {what}; got {self.items!r}")

    def messages(self) -> list[FetchedMessage]:
        return [item for item in self.items if isinstance(item, FetchedMessage)]

    def message_ids(self) -> list[str]:
        return [message_id(item.raw) for item in self.messages()]

    def wait_for_ids(self, *wanted: str) -> None:
        self.wait_for(lambda: set(wanted) <= set(self.message_ids()), f"messages {wanted}")


def mail(number: int, *, newsletter: bool = False, body: str = "") -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "Dana Alvarez <dalvarez@district.example>"
    message["To"] = "jordan@family.example"
    message["Subject"] = f"Re: Request for an IEP meeting ({number})"
    message["Message-ID"] = f"<m{number}@district.example>"
    if newsletter:
        message["List-Id"] = "District news <news.district.example>"
    message.set_content(body or f"Answer number {number}.\n")
    return message.as_bytes()


def message_id(raw: bytes) -> str:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    return str(parsed["Message-ID"])


def connector(
    port: int,
    account: MailAccount,
    *,
    security: str = "starttls",
    ca_file: Path | None = None,
    host: str = "localhost",
) -> Callable[[], ImapSession]:
    settings = ImapSettings(host=host, port=port, security=security)

    def connect() -> ImapSession:
        return ImapSession(
            settings,
            username=account.user,
            secret=Secret(account.password),
            auth="password",
            ca_file=ca_file,
            timeout=10,
        )

    return connect


def make_watcher(
    connect: Callable[[], ImapSession],
    inbox: Inbox,
    ledger: MemoryLedger | None = None,
    *,
    since: date | None = None,
    use_idle: bool = True,
    poll_every: float = 0.5,
) -> Watcher:
    return Watcher(
        connect,
        "INBOX",
        ledger=ledger if ledger is not None else MemoryLedger(),
        is_candidate=inbox.is_candidate,
        hand_over=inbox.hand_over,
        idle_refresh=60.0,
        poll_every=poll_every,
        rescan_since=lambda: since,
        on_caught_up=inbox.caught_up,
        backoff_cap=2.0,
        use_idle=use_idle,
    )


def watcher_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("iepd-watcher")]


@contextmanager
def running(watcher: Watcher, inbox: Inbox) -> Iterator[Watcher]:
    before = inbox.catch_ups
    watcher.start()
    try:
        inbox.wait_for(lambda: inbox.catch_ups > before, "the first catch-up")
        yield watcher
    finally:
        watcher.stop()
    assert watcher_threads() == []


def dovecot_watcher(
    dovecot: Dovecot,
    account: MailAccount,
    inbox: Inbox,
    ledger: MemoryLedger | None = None,
    **options: Any,
) -> Watcher:
    connect = connector(dovecot.imap_port, account, ca_file=dovecot.ca_file)
    return make_watcher(connect, inbox, ledger, **options)


def wait_for_login(dovecot: Dovecot, account: MailAccount) -> None:
    """Dovecot re-reads its passwd-file about once a second: wait until account works."""
    deadline = time.monotonic() + LOGIN_WAIT
    while True:
        try:
            with imap_login(dovecot.host, dovecot.imap_port, *account):
                return
        except imaplib.IMAP4.error:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def session_logs(dovecot: Dovecot, user: str, count: int) -> list[str]:
    """Wait for and return the end-of-session lines Dovecot logged for user (at least
    count): "Disconnected: Logged out in=.. out=.. hdr_count=.. body_count=.."."""
    prefix = f"imap({user})<"
    deadline = time.monotonic() + WAIT
    while True:
        lines = [
            line
            for line in dovecot.log.read_text(errors="replace").splitlines()
            if prefix in line and "Disconnected" in line
        ]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def logged_count(line: str, name: str) -> int:
    match = re.search(rf"\b{name}=(\d+)", line)
    assert match is not None, line
    return int(match.group(1))


def drop_into_maildir(dovecot: Dovecot, user: str, raw: bytes, name: str) -> None:
    """Deliver raw while Dovecot is down, as a local delivery agent would: a file in new/."""
    maildir = dovecot.directory / "mail" / user / "Maildir"
    owner = maildir.stat()
    temporary = maildir / "tmp" / name
    temporary.write_bytes(raw)
    os.chown(temporary, owner.st_uid, owner.st_gid)
    temporary.rename(maildir / "new" / name)


@pytest.fixture
def account(dovecot: Dovecot, mail_account: MailAccount) -> MailAccount:
    wait_for_login(dovecot, mail_account)
    return mail_account


YESTERDAY = date.today() - timedelta(days=1)


# -- IDLE and header-first


def test_idle_delivers_a_message_delivered_over_lmtp(
    dovecot: Dovecot, account: MailAccount
) -> None:
    inbox = Inbox()
    with running(dovecot_watcher(dovecot, account, inbox), inbox):
        dovecot.deliver(account.user, mail(1))
        inbox.wait_for_ids("<m1@district.example>")

    [message] = inbox.messages()
    [stored] = dovecot.messages(*account)
    assert message.raw == stored
    assert message.uidvalidity == dovecot.uidvalidity(*account)
    assert message.uid == 1
    assert message.internaldate.tzinfo is not None
    assert abs(message.internaldate - datetime.now(UTC)) < timedelta(minutes=5)


def test_a_non_candidate_is_judged_by_its_header_alone_and_no_flag_changes(
    dovecot: Dovecot, account: MailAccount
) -> None:
    dovecot.deliver(account.user, mail(1, newsletter=True, body="NEWSLETTER-BODY-TEXT\n"))
    dovecot.deliver(account.user, mail(2))
    flags_before = dovecot.flags(*account)
    assert all("\\Recent" in flags for flags in flags_before.values())
    inbox = Inbox()
    with running(dovecot_watcher(dovecot, account, inbox, since=YESTERDAY), inbox):
        dovecot.deliver(account.user, mail(3, newsletter=True, body="NEWSLETTER-BODY-TEXT\n"))
        dovecot.deliver(account.user, mail(4))
        inbox.wait_for(lambda: len(inbox.headers_seen) == 4, "four headers judged")
        inbox.wait_for_ids("<m2@district.example>", "<m4@district.example>")

    assert sorted(inbox.message_ids()) == ["<m2@district.example>", "<m4@district.example>"]
    assert all(b"NEWSLETTER-BODY-TEXT" not in header for header in inbox.headers_seen)
    # Dovecot's own count of whole-message fetches: the two candidates, never the newsletters.
    [watcher_session] = [
        line
        # the sessions so far: the login check, the first flag check and the watcher's
        for line in session_logs(dovecot, account.user, 3)
        if logged_count(line, "hdr_count") > 0
    ]
    assert logged_count(watcher_session, "body_count") == 2
    assert sum(b"List-Id:" in header for header in inbox.headers_seen) == 2
    flags_after = dovecot.flags(*account)
    assert {uid: flags_before[uid] for uid in (1, 2)} == {uid: flags_after[uid] for uid in (1, 2)}
    assert not any("\\Seen" in flags for flags in flags_after.values())
    # EXAMINE, not SELECT: even \Recent stays for the parent's own mail client.
    assert all("\\Recent" in flags for flags in flags_after.values())


# -- catch-up


def test_catch_up_at_start_delivers_what_arrived_while_stopped_and_nothing_twice(
    dovecot: Dovecot, account: MailAccount
) -> None:
    ledger = MemoryLedger()
    first = Inbox()
    with running(dovecot_watcher(dovecot, account, first, ledger), first):
        dovecot.deliver(account.user, mail(1))
        first.wait_for_ids("<m1@district.example>")
    for number in (2, 3):
        dovecot.deliver(account.user, mail(number))

    second = Inbox()
    with running(dovecot_watcher(dovecot, account, second, ledger), second):
        second.wait_for_ids("<m2@district.example>", "<m3@district.example>")
        assert second.message_ids() == ["<m2@district.example>", "<m3@district.example>"]

    uidvalidity = dovecot.uidvalidity(*account)
    assert ledger.last_uid("INBOX", uidvalidity) == 3
    assert [message.uid for message in second.messages()] == [2, 3]


def test_first_run_with_nothing_open_skips_the_history_and_records_the_highest_uid(
    dovecot: Dovecot, account: MailAccount
) -> None:
    for number in (1, 2):
        dovecot.deliver(account.user, mail(number))
    ledger = MemoryLedger()
    inbox = Inbox()
    with running(dovecot_watcher(dovecot, account, inbox, ledger, since=None), inbox):
        assert ledger.last_uid("INBOX", dovecot.uidvalidity(*account)) == 2
        dovecot.deliver(account.user, mail(3))
        inbox.wait_for_ids("<m3@district.example>")

    assert inbox.message_ids() == ["<m3@district.example>"]
    assert inbox.headers_seen and all(b"(3)" in header for header in inbox.headers_seen)


def test_first_run_looks_at_mail_since_the_oldest_open_request_only(
    dovecot: Dovecot, account: MailAccount
) -> None:
    settings = ImapSettings(host="localhost", port=dovecot.imap_port, security="starttls")
    old = datetime(2020, 3, 2, 9, 0, tzinfo=UTC)
    with ImapSession(
        settings,
        username=account.user,
        secret=Secret(account.password),
        auth="password",
        ca_file=dovecot.ca_file,
    ) as session:
        session.append("INBOX", mail(1), flags=(), when=old)
        session.append("INBOX", mail(2), flags=())
    inbox = Inbox()
    with running(dovecot_watcher(dovecot, account, inbox, since=YESTERDAY), inbox):
        inbox.wait_for_ids("<m2@district.example>")

    assert inbox.message_ids() == ["<m2@district.example>"]


def test_catch_up_now_catches_up_at_once_between_polls(
    dovecot: Dovecot, account: MailAccount
) -> None:
    inbox = Inbox()
    watcher = dovecot_watcher(dovecot, account, inbox, use_idle=False, poll_every=3600)
    with running(watcher, inbox):
        dovecot.deliver(account.user, mail(1))
        assert watcher.catch_up_now(timeout=WAIT) is True
        assert inbox.message_ids() == ["<m1@district.example>"]
    assert watcher.catch_up_now(timeout=1) is False


def test_polling_mode_without_idle_sees_new_mail(dovecot: Dovecot, account: MailAccount) -> None:
    inbox = Inbox()
    with running(dovecot_watcher(dovecot, account, inbox, use_idle=False), inbox):
        dovecot.deliver(account.user, mail(1))
        inbox.wait_for_ids("<m1@district.example>")
        dovecot.deliver(account.user, mail(2))
        inbox.wait_for_ids("<m2@district.example>")

    assert inbox.message_ids() == ["<m1@district.example>", "<m2@district.example>"]


# -- UIDVALIDITY


@pytest.mark.parametrize("when", ["while watching", "while stopped"])
def test_a_uidvalidity_change_is_announced_and_each_message_delivered_once(
    dovecot: Dovecot, account: MailAccount, when: str
) -> None:
    ledger = MemoryLedger()
    inbox = Inbox()
    watcher = dovecot_watcher(dovecot, account, inbox, ledger, since=YESTERDAY)
    with running(watcher, inbox):
        dovecot.deliver(account.user, mail(1))
        inbox.wait_for_ids("<m1@district.example>")
        old = dovecot.uidvalidity(*account)
        if when == "while watching":
            new = dovecot.set_uidvalidity_change(account.user)
            # Dovecot sends nothing about it during IDLE; the next news leads to a look.
            dovecot.deliver(account.user, mail(2))
            inbox.wait_for(lambda: len(inbox.items) == 4, "the notice and two messages")
            assert watcher.catch_up_now(timeout=WAIT) is True
    if when == "while stopped":
        new = dovecot.set_uidvalidity_change(account.user)
        dovecot.deliver(account.user, mail(2))
        with running(dovecot_watcher(dovecot, account, inbox, ledger, since=YESTERDAY), inbox):
            inbox.wait_for(lambda: len(inbox.items) == 4, "the notice and two messages")

    notice, *after = inbox.items[1:]
    assert notice == UidValidityChanged("INBOX", old, new)
    assert sorted(message_id(item.raw) for item in after if isinstance(item, FetchedMessage)) == [
        "<m1@district.example>",
        "<m2@district.example>",
    ]
    assert all(isinstance(item, FetchedMessage) and item.uidvalidity == new for item in after)
    assert ledger.known_uidvalidity("INBOX") == new
    assert ledger.last_uid("INBOX", new) == 2


# -- a server that goes away


@pytest.fixture
def private_account(private_dovecot: Dovecot) -> MailAccount:
    account = MailAccount("parent@example.test", "private-password")
    private_dovecot.add_user(*account)
    wait_for_login(private_dovecot, account)
    return account


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_mail_delivered_while_dovecot_was_down_arrives_after_the_reconnect(
    private_dovecot: Dovecot, private_account: MailAccount, how: str
) -> None:
    dovecot, account = private_dovecot, private_account
    ledger = MemoryLedger()
    inbox = Inbox()
    with running(dovecot_watcher(dovecot, account, inbox, ledger), inbox):
        dovecot.deliver(account.user, mail(1))
        inbox.wait_for_ids("<m1@district.example>")
        catch_ups = inbox.catch_ups
        dovecot.stop() if how == "stop" else dovecot.kill()
        drop_into_maildir(dovecot, account.user, mail(2), f"{time.time_ns()}.iepd-test")
        dovecot.start()
        inbox.wait_for_ids("<m2@district.example>")
        assert inbox.catch_ups > catch_ups
        dovecot.deliver(account.user, mail(3))
        inbox.wait_for_ids("<m3@district.example>")

    assert inbox.message_ids() == [f"<m{number}@district.example>" for number in (1, 2, 3)]
    assert not any("\\Seen" in flags for flags in dovecot.flags(*account).values())


def test_restart_mid_idle_reconnects_and_finds_mail_delivered_meanwhile(
    private_dovecot: Dovecot, private_account: MailAccount
) -> None:
    dovecot, account = private_dovecot, private_account
    inbox = Inbox()
    with running(dovecot_watcher(dovecot, account, inbox), inbox):
        dovecot.deliver(account.user, mail(1))
        inbox.wait_for_ids("<m1@district.example>")
        dovecot.restart()
        dovecot.deliver(account.user, mail(2))
        inbox.wait_for_ids("<m2@district.example>")

    assert inbox.message_ids() == ["<m1@district.example>", "<m2@district.example>"]


# -- pymap


def pymap_watcher(server: Pymap, inbox: Inbox, **options: Any) -> Watcher:
    account = MailAccount(server.user, server.password)
    connect = connector(server.imap_port, account, security="plain", host=server.host)
    return make_watcher(connect, inbox, **options)


def test_pymap_idle_sees_appended_messages_each_once(pymap_server: Pymap) -> None:
    inbox = Inbox()
    numbers = range(1, 21)
    with running(pymap_watcher(pymap_server, inbox), inbox):
        pymap_server.deliver(pymap_server.user, mail(0))
        inbox.wait_for_ids("<m0@district.example>")
        for number in numbers:
            pymap_server.deliver(pymap_server.user, mail(number))
        inbox.wait_for_ids(*(f"<m{number}@district.example>" for number in numbers))

    assert sorted(inbox.message_ids()) == sorted(
        f"<m{number}@district.example>" for number in range(21)
    )
    assert [message.uid for message in inbox.messages()] == sorted(
        message.uid for message in inbox.messages()
    )


def test_pymap_polling_mode_sees_an_appended_message(pymap_server: Pymap) -> None:
    inbox = Inbox()
    with running(pymap_watcher(pymap_server, inbox, use_idle=False), inbox):
        pymap_server.deliver(pymap_server.user, mail(1))
        inbox.wait_for_ids("<m1@district.example>")
    assert inbox.message_ids() == ["<m1@district.example>"]


# -- start and stop


def test_stop_ends_idle_logs_out_and_leaves_no_thread(
    dovecot: Dovecot, account: MailAccount
) -> None:
    inbox = Inbox()
    watcher = dovecot_watcher(dovecot, account, inbox)
    watcher.start()
    inbox.wait_for(lambda: inbox.catch_ups == 1, "the first catch-up")
    assert len(watcher_threads()) == 1
    watcher.stop()
    assert watcher_threads() == []
    # the login check's session and the watcher's
    lines = session_logs(dovecot, account.user, 2)
    assert len(lines) == 2
    assert all("Disconnected: Logged out" in line for line in lines)


def test_start_raises_when_the_login_is_refused(dovecot: Dovecot, account: MailAccount) -> None:
    wrong = MailAccount(account.user, "not-the-password")
    connect = connector(dovecot.imap_port, wrong, ca_file=dovecot.ca_file)
    watcher = make_watcher(connect, Inbox())
    with pytest.raises(MailServerError, match="refused the login"):
        watcher.start()
    assert watcher_threads() == []


def test_start_raises_when_the_certificate_is_not_trusted(
    dovecot: Dovecot, account: MailAccount
) -> None:
    connect = connector(dovecot.imap_port, account, ca_file=None)
    watcher = make_watcher(connect, Inbox())
    with pytest.raises(MailServerError) as raised:
        watcher.start()
    assert "certificate" in str(raised.value).lower()
    assert watcher_threads() == []


def test_start_returns_and_keeps_trying_while_the_server_is_unreachable(
    account: MailAccount,
) -> None:
    [port] = free_ports(1)
    inbox = Inbox()
    watcher = make_watcher(connector(port, account), inbox)
    watcher.start()
    assert len(watcher_threads()) == 1
    watcher.stop()
    assert watcher_threads() == []
    assert inbox.items == []
