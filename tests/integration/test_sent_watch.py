"""The watcher reads the Sent folder too (issue 15, item 5), on the session's Dovecot: at each
catch-up, before the inbox, by UID with a ledger entry of its own, so catch_up_now() (which
runs before any follow-up) sees what the parent just sent, and the inbox is still watched."""

from __future__ import annotations

import email.policy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage

import pytest

from iepd.config.model import ImapSettings
from iepd.inbox.catchup import FetchedMessage, Handover
from iepd.inbox.watcher import Watcher
from iepd.mail.credentials import Secret
from iepd.mail.imap import ImapSession
from support.mailservers import Dovecot, MailAccount, imap_login

WAIT = 30.0


class Handed:
    """What the watcher handed over, and the ledger it kept (in memory)."""

    def __init__(self) -> None:
        self.items: list[Handover] = []
        self.last: dict[tuple[str, int], int] = {}
        self.catch_ups = 0
        self.changed = threading.Condition()

    def hand_over(self, item: Handover) -> None:
        with self.changed:
            self.items.append(item)
            self.changed.notify_all()

    def caught_up(self) -> None:
        with self.changed:
            self.catch_ups += 1
            self.changed.notify_all()

    def last_uid(self, mailbox: str, uidvalidity: int) -> int | None:
        return self.last.get((mailbox, uidvalidity))

    def set_last_uid(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        self.last[(mailbox, uidvalidity)] = uid

    def known_uidvalidity(self, mailbox: str) -> int | None:
        return next((validity for box, validity in self.last if box == mailbox), None)

    def ids(self, mailbox: str) -> list[str]:
        return [
            str(email.message_from_bytes(item.raw, policy=email.policy.default)["Message-ID"])
            for item in self.items
            if isinstance(item, FetchedMessage) and item.mailbox == mailbox
        ]

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        with self.changed:
            if not self.changed.wait_for(condition, WAIT):
                pytest.fail(f"gave up waiting for {what}; got {self.items!r}")


def note(number: int, to: str) -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "Jordan Rivera <jordan@family.example>"
    message["To"] = to
    message["Subject"] = f"Note {number}"
    message["Message-ID"] = f"<note{number}@family.example>"
    message.set_content("When will the IEP meeting be held?\n")
    return message.as_bytes()


def watcher(dovecot: Dovecot, account: MailAccount, handed: Handed, **options: object) -> Watcher:
    settings = ImapSettings(host="localhost", port=dovecot.imap_port, security="starttls")

    def connect() -> ImapSession:
        return ImapSession(
            settings,
            username=account.user,
            secret=Secret(account.password),
            auth="password",
            ca_file=dovecot.ca_file,
            timeout=10,
        )

    return Watcher(
        connect,
        "INBOX",
        ledger=handed,
        # Only mail to the school is worth fetching; the inbox takes everything.
        is_candidate=lambda header: True,
        hand_over=handed.hand_over,
        idle_refresh=60.0,
        poll_every=3600.0,
        rescan_since=lambda: None,
        on_caught_up=handed.caught_up,
        backoff_cap=2.0,
        sent_folder=str(options.get("sent_folder", "Sent")),
        is_sent_candidate=lambda header: b"school.example" in header,
    )


@contextmanager
def running(watch: Watcher, handed: Handed) -> Iterator[Watcher]:
    watch.start()
    try:
        handed.wait_for(lambda: handed.catch_ups > 0, "the first catch-up")
        yield watch
    finally:
        watch.stop()


def test_catch_up_now_reads_what_the_parent_just_sent_once_and_the_inbox_still_idles(
    dovecot: Dovecot, mail_account: MailAccount
) -> None:
    handed = Handed()
    # Sent before iepd first looked: history, not looked at (nothing is open).
    dovecot.append(*mail_account, "Sent", note(0, "dalvarez@school.example"), ["\\Seen"])
    with running(watcher(dovecot, mail_account, handed), handed) as watch:
        dovecot.append(*mail_account, "Sent", note(1, "dalvarez@school.example"), ["\\Seen"])
        dovecot.append(*mail_account, "Sent", note(2, "friend@elsewhere.example"), ["\\Seen"])
        # What runs right before a follow-up goes out.
        assert watch.catch_up_now(timeout=WAIT) is True
        assert handed.ids("Sent") == ["<note1@family.example>"]

        # The inbox is still the folder under IDLE: new mail there is seen without asking.
        dovecot.deliver(mail_account.user, note(3, "jordan@family.example"))
        handed.wait_for(lambda: "<note3@family.example>" in handed.ids("INBOX"), "the inbox")

        assert watch.catch_up_now(timeout=WAIT) is True
    assert handed.ids("Sent") == ["<note1@family.example>"]
    # Each folder keeps its own place.
    sent_validity = dovecot.uidvalidity(*mail_account, "Sent")
    assert handed.last[("Sent", sent_validity)] == 3
    assert handed.last[("INBOX", dovecot.uidvalidity(*mail_account))] == 1


def test_a_restarted_watcher_goes_on_from_the_sent_folders_ledger_entry(
    dovecot: Dovecot, mail_account: MailAccount
) -> None:
    handed = Handed()
    with running(watcher(dovecot, mail_account, handed), handed):
        pass
    dovecot.append(*mail_account, "Sent", note(4, "dalvarez@school.example"), ["\\Seen"])
    with running(watcher(dovecot, mail_account, handed), handed) as watch:
        assert watch.catch_up_now(timeout=WAIT) is True
    assert handed.ids("Sent") == ["<note4@family.example>"]


def test_a_configured_sent_folder_that_is_missing_gives_way_to_the_flagged_one(
    dovecot: Dovecot, mail_account: MailAccount
) -> None:
    handed = Handed()
    # The configured name is missing: the folder flagged \Sent is read instead.
    with running(watcher(dovecot, mail_account, handed, sent_folder="Envoyés"), handed) as watch:
        dovecot.append(*mail_account, "Sent", note(5, "dalvarez@school.example"), ["\\Seen"])
        dovecot.deliver(mail_account.user, note(6, "jordan@family.example"))
        assert watch.catch_up_now(timeout=WAIT) is True
    assert handed.ids("Sent") == ["<note5@family.example>"]
    assert handed.ids("INBOX") == ["<note6@family.example>"]


def test_a_sent_folder_deleted_under_the_watcher_leaves_the_inbox_watched(
    dovecot: Dovecot, mail_account: MailAccount, caplog: pytest.LogCaptureFixture
) -> None:
    handed = Handed()
    with imap_login(dovecot.host, dovecot.imap_port, *mail_account) as connection:
        assert connection.create('"Outgoing"')[0] == "OK"
    with running(watcher(dovecot, mail_account, handed, sent_folder="Outgoing"), handed) as watch:
        with imap_login(dovecot.host, dovecot.imap_port, *mail_account) as connection:
            assert connection.delete('"Outgoing"')[0] == "OK"
        # "Outgoing" was located at the connection; EXAMINE now gets a NO: logged, skipped.
        dovecot.deliver(mail_account.user, note(7, "jordan@family.example"))
        assert watch.catch_up_now(timeout=WAIT) is True
        assert handed.ids("INBOX") == ["<note7@family.example>"]
        dovecot.deliver(mail_account.user, note(8, "jordan@family.example"))
        handed.wait_for(lambda: "<note8@family.example>" in handed.ids("INBOX"), "the inbox")
    assert "cannot read Outgoing" in caplog.text
