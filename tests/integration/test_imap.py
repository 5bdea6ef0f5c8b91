"""imap.ImapSession and imap_check.check_imap against a real Dovecot (STARTTLS and implicit
TLS) and pymap (which offers no STARTTLS when run without TLS)."""

from __future__ import annotations

import email.policy
import imaplib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from iepd.config.model import ImapSettings
from iepd.errors import MailServerError
from iepd.mail.credentials import Secret
from iepd.mail.imap import ImapSession
from iepd.mail.imap_check import check_imap
from support.mailservers import Dovecot, Pymap, TlsFiles, free_ports, imap_login

LOGIN_WAIT = 10.0
MESSAGE_ID = "<r1.20261201.abc@family.example>"


@pytest.fixture
def new_mail_account(
    new_mail_account: Callable[[str], Any], dovecot: Dovecot
) -> Callable[[str], Any]:
    """The conftest factory, plus a wait until Dovecot knows the account: its passwd-file
    is re-read only about once a second, so a just-added user is at first refused."""

    def add(prefix: str = "parent") -> Any:
        account = new_mail_account(prefix)
        deadline = time.monotonic() + LOGIN_WAIT
        while True:
            try:
                with imap_login(dovecot.host, dovecot.imap_port, *account):
                    return account
            except imaplib.IMAP4.error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    return add


def letter(message_id: str = MESSAGE_ID) -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "Jordan Rivera <jordan@family.example>"
    message["To"] = "dalvarez@district.example"
    message["Subject"] = "Request for an IEP meeting for Sam Rivera"
    message["Message-ID"] = message_id
    message.set_content("Dear Ms. Alvarez,\nI am writing to ask for an IEP meeting.\n")
    return message.as_bytes()


def settings(dovecot: Dovecot, security: str, host: str = "localhost") -> ImapSettings:
    port = dovecot.imaps_port if security == "tls" else dovecot.imap_port
    return ImapSettings(host=host, port=port, security=security)


def session(
    imap: ImapSettings, account: Any, *, ca_file: Path | None, password: str | None = None
) -> ImapSession:
    return ImapSession(
        imap,
        username=account.user,
        secret=Secret(password if password is not None else account.password),
        auth="password",
        ca_file=ca_file,
        timeout=20,
    )


SECURITIES = ["starttls", "tls"]


@pytest.mark.parametrize("security", SECURITIES)
def test_session_logs_in_and_finds_sent_by_its_special_use_flag(
    dovecot: Dovecot, mail_account: Any, security: str
) -> None:
    with session(settings(dovecot, security), mail_account, ca_file=dovecot.ca_file) as imap:
        assert imap.find_sent_folder() == "Sent"
        capabilities = imap.capabilities()
    assert "IDLE" in capabilities
    assert "UIDPLUS" in capabilities


@pytest.mark.parametrize("security", SECURITIES)
def test_file_sent_copy_appends_once_and_a_second_call_appends_nothing(
    dovecot: Dovecot, mail_account: Any, security: str
) -> None:
    raw = letter()
    with session(settings(dovecot, security), mail_account, ca_file=dovecot.ca_file) as imap:
        assert imap.file_sent_copy("Sent", raw, MESSAGE_ID) is True
        assert imap.file_sent_copy("Sent", raw, MESSAGE_ID) is False

    assert dovecot.messages(*mail_account, folder="Sent") == [raw]
    [flags] = dovecot.flags(*mail_account, folder="Sent").values()
    assert "\\Seen" in flags


def test_file_sent_copy_appends_nothing_when_the_provider_already_filed_one(
    dovecot: Dovecot, mail_account: Any
) -> None:
    raw = letter()
    # As Gmail and Microsoft 365 do: the server itself files what was submitted.
    dovecot.append(*mail_account, "Sent", raw, flags=["\\Seen"])
    with session(settings(dovecot, "starttls"), mail_account, ca_file=dovecot.ca_file) as imap:
        assert imap.file_sent_copy("Sent", raw, MESSAGE_ID) is False
    assert len(dovecot.messages(*mail_account, folder="Sent")) == 1


def test_has_message_id_matches_the_whole_message_id_only(
    dovecot: Dovecot, mail_account: Any
) -> None:
    dovecot.append(*mail_account, "Sent", letter("<r1.abc.longer@family.example>"))
    with session(settings(dovecot, "tls"), mail_account, ca_file=dovecot.ca_file) as imap:
        assert imap.has_message_id("Sent", "<r1.abc.longer@family.example>") is True
        assert imap.has_message_id("Sent", "<r1.abc.longer@family.exam>") is False
        assert imap.has_message_id("Sent", "<r1.abc@family.example>") is False
        assert imap.has_message_id("INBOX", "<r1.abc.longer@family.example>") is False


def test_has_message_id_changes_no_flag(dovecot: Dovecot, mail_account: Any) -> None:
    dovecot.deliver(mail_account.user, letter())
    with session(settings(dovecot, "tls"), mail_account, ca_file=dovecot.ca_file) as imap:
        assert imap.has_message_id("INBOX", MESSAGE_ID) is True
    [flags] = dovecot.flags(*mail_account).values()
    assert "\\Seen" not in flags


def test_append_sets_the_given_flags_and_internal_date(dovecot: Dovecot, mail_account: Any) -> None:
    when = datetime(2025, 9, 15, 8, 30, 0, tzinfo=UTC)
    with session(settings(dovecot, "tls"), mail_account, ca_file=dovecot.ca_file) as imap:
        imap.append("Sent", letter(), flags=(b"\\Seen", b"\\Flagged"), when=when)
        imap.client.select_folder("Sent", readonly=True)
        fetched = imap.client.fetch(imap.client.search(["ALL"]), ["INTERNALDATE"])
    [data] = fetched.values()
    assert data[b"INTERNALDATE"].astimezone(UTC) == when
    [flags] = dovecot.flags(*mail_account, folder="Sent").values()
    assert {"\\Seen", "\\Flagged"} <= flags


def test_append_to_a_missing_folder_is_a_mail_server_error(
    dovecot: Dovecot, mail_account: Any
) -> None:
    with session(settings(dovecot, "tls"), mail_account, ca_file=dovecot.ca_file) as imap:
        with pytest.raises(MailServerError, match="refused APPEND to 'Nope'"):
            imap.append("Nope", letter())


# login and TLS failures


@pytest.mark.parametrize("security", SECURITIES)
def test_wrong_password_explains_the_login(
    dovecot: Dovecot, mail_account: Any, security: str
) -> None:
    with pytest.raises(MailServerError) as caught:
        with session(
            settings(dovecot, security),
            mail_account,
            ca_file=dovecot.ca_file,
            password="not-the-password",
        ):
            pass
    message = str(caught.value)
    assert f"refused the login for {mail_account.user}" in message
    assert "iepd password set" in message
    assert "not-the-password" not in message


@pytest.mark.parametrize("security", SECURITIES)
@pytest.mark.parametrize("trust", ["unrelated CA", "system store only"])
def test_untrusted_certificate_is_explained(
    dovecot: Dovecot, tls_files: TlsFiles, mail_account: Any, security: str, trust: str
) -> None:
    ca_file = tls_files.other_ca_file if trust == "unrelated CA" else None
    with pytest.raises(MailServerError) as caught:
        with session(settings(dovecot, security), mail_account, ca_file=ca_file):
            pass
    assert "certificate" in str(caught.value)
    assert "not signed by a trusted certificate authority" in str(caught.value)


@pytest.mark.parametrize(
    ("variant", "words"),
    [("expired", "has expired"), ("wrong_host", "for another host name")],
)
def test_an_expired_or_wrong_host_certificate_is_explained(
    tls_files: TlsFiles, variant: str, words: str
) -> None:
    with Dovecot(getattr(tls_files, variant)()) as server:
        imap = ImapSettings(host="localhost", port=server.imaps_port, security="tls")
        account = SimpleNamespace(user="nobody@example.test", password="unused")
        with pytest.raises(MailServerError, match=words):
            with session(imap, account, ca_file=tls_files.ca_file):
                pass


def test_starttls_is_required_when_the_server_does_not_offer_it(
    pymap_server: Pymap,
) -> None:
    imap = ImapSettings(host="127.0.0.1", port=pymap_server.imap_port, security="starttls")
    account = SimpleNamespace(user=pymap_server.user, password=pymap_server.password)
    with pytest.raises(MailServerError, match="does not offer STARTTLS"):
        with session(imap, account, ca_file=None):
            pass


def test_plain_imap_on_loopback_logs_in(pymap_server: Pymap) -> None:
    imap = ImapSettings(
        host="127.0.0.1", port=pymap_server.imap_port, security="plain", sent_folder=""
    )
    line = check_imap(
        imap,
        username=pymap_server.user,
        secret=Secret(pymap_server.password),
        auth="password",
        ca_file=None,
    )
    assert line.startswith(f"IMAP 127.0.0.1:{pymap_server.imap_port}: no TLS (loopback)")


def test_a_closed_port_is_named(mail_account: Any) -> None:
    [port] = free_ports(1)
    imap = ImapSettings(host="127.0.0.1", port=port, security="tls")
    with pytest.raises(MailServerError, match=f"127.0.0.1:{port}.*refused"):
        with session(imap, mail_account, ca_file=None):
            pass


def test_implicit_tls_on_a_starttls_port_says_so(dovecot: Dovecot, mail_account: Any) -> None:
    imap = ImapSettings(host="localhost", port=dovecot.imap_port, security="tls")
    with pytest.raises(MailServerError, match="did not answer in TLS"):
        with session(imap, mail_account, ca_file=dovecot.ca_file):
            pass


# check --connect


@pytest.mark.parametrize("security", SECURITIES)
def test_check_imap_reports_tls_login_and_folders_in_one_line(
    dovecot: Dovecot, mail_account: Any, security: str
) -> None:
    line = check_imap(
        settings(dovecot, security),
        username=mail_account.user,
        secret=Secret(mail_account.password),
        auth="password",
        ca_file=dovecot.ca_file,
    )
    label = "STARTTLS ok" if security == "starttls" else "TLS ok"
    assert line.startswith(f"IMAP localhost:{settings(dovecot, security).port}: {label}")
    assert f"login ok as {mail_account.user}" in line
    assert 'Sent folder "Sent" ok' in line
    assert "\n" not in line


def test_check_imap_with_a_wrong_sent_folder_falls_back_to_the_flagged_one(
    dovecot: Dovecot, mail_account: Any
) -> None:
    imap = ImapSettings(
        host="localhost", port=dovecot.imaps_port, security="tls", sent_folder="Sent Items"
    )
    line = check_imap(
        imap,
        username=mail_account.user,
        secret=Secret(mail_account.password),
        auth="password",
        ca_file=dovecot.ca_file,
    )
    assert 'no folder "Sent Items", so Sent copies go to "Sent"' in line


def test_check_imap_with_a_wrong_password_explains_the_login(
    dovecot: Dovecot, mail_account: Any
) -> None:
    with pytest.raises(MailServerError, match="refused the login"):
        check_imap(
            settings(dovecot, "starttls"),
            username=mail_account.user,
            secret=Secret("wrong"),
            auth="password",
            ca_file=dovecot.ca_file,
        )
