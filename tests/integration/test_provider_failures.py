"""The common mistakes with a provider's mailbox, each explained in one line with its fix,
against real servers on 127.0.0.1 answering as the providers do: aiosmtpd refusing a
normal password as Gmail and Microsoft 365 do, a small IMAP responder speaking Gmail's
and Outlook's words, Dovecot for the Sent folder, and a port where nothing listens."""

from __future__ import annotations

import asyncio
import email.policy
import socketserver
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from iepd.config.model import ImapSettings, SmtpSettings
from iepd.errors import MailServerError
from iepd.mail.credentials import Secret
from iepd.mail.imap import ImapSession
from iepd.mail.imap_check import check_imap
from iepd.mail.smtp import check_smtp
from support.mailservers import HOST, Dovecot, TlsFiles, free_ports

GMAIL_534 = (
    "534-5.7.9 Application-specific password required. Learn more at\r\n"
    "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor"
)
MICROSOFT_535 = "535 5.7.139 Authentication unsuccessful, basic authentication is disabled."


class RefusingHandler:
    """Refuses every AUTH PLAIN with the reply it is given."""

    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def auth_PLAIN(self, server: Any, args: list[str]) -> AuthResult:
        return AuthResult(success=False, handled=False, message=self.reply)


@pytest.fixture
def refusing_smtp(tls_files: TlsFiles) -> Iterator[RefusingHandler | Any]:
    handler = RefusingHandler("")
    port = free_ports(1)[0]
    controller = Controller(
        handler,
        hostname=HOST,
        port=port,
        server_hostname="localhost",
        tls_context=tls_files.server_context(),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    handler.port = port  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        controller.stop()


def smtp_check(port: int, ca_file: Path, host: str = "localhost") -> str:
    return asyncio.run(
        check_smtp(
            SmtpSettings(host, port, "starttls"),
            username="jordan@family.example",
            secret=Secret("my-normal-password"),
            auth="password",
            ca_file=ca_file,
        )
    )


def test_smtp_app_password_required_says_to_create_one(
    refusing_smtp: Any, tls_files: TlsFiles
) -> None:
    refusing_smtp.reply = GMAIL_534
    with pytest.raises(MailServerError) as caught:
        smtp_check(refusing_smtp.port, tls_files.ca_file)
    message = str(caught.value)
    assert "wants an app password here, not your normal password" in message
    assert "iepd password set" in message
    assert "534" in message
    assert "my-normal-password" not in message


def test_smtp_basic_auth_disabled_says_to_use_xoauth2(
    refusing_smtp: Any, tls_files: TlsFiles
) -> None:
    refusing_smtp.reply = MICROSOFT_535
    with pytest.raises(MailServerError) as caught:
        smtp_check(refusing_smtp.port, tls_files.ca_file)
    assert 'mail.auth = "xoauth2"' in str(caught.value)


def test_smtp_and_imap_on_a_port_where_nothing_listens_say_so(tls_files: TlsFiles) -> None:
    [port] = free_ports(1)
    with pytest.raises(MailServerError) as smtp_error:
        smtp_check(port, tls_files.ca_file, host=HOST)
    assert f"the connection to {HOST}:{port} was refused" in str(smtp_error.value)
    with pytest.raises(MailServerError) as imap_error:
        with ImapSession(
            ImapSettings(HOST, port, "tls"),
            username="jordan@family.example",
            secret=Secret("x"),
            auth="password",
            ca_file=tls_files.ca_file,
        ):
            pass
    assert f"the connection to {HOST}:{port} was refused" in str(imap_error.value)


class ScriptedImap(socketserver.ThreadingTCPServer):
    """A plain IMAP responder on 127.0.0.1 that answers LOGIN, then LIST and SELECT, with
    the words given: enough IMAP for imapclient to log in and fail as a provider does."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, login_reply: str, command_reply: str = "") -> None:
        self.login_reply = login_reply
        self.command_reply = command_reply
        super().__init__((HOST, 0), _ScriptedSession)
        self.port = self.server_address[1]
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(5)


class _ScriptedSession(socketserver.StreamRequestHandler):
    server: ScriptedImap

    def handle(self) -> None:
        self.send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready")
        for line in self.rfile:
            tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
            command = rest.split(" ", 1)[0].upper()
            if command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                self.send(f"{tag} OK done")
            elif command == "LOGIN":
                self.send(f"{tag} {self.server.login_reply}")
            elif command == "LOGOUT":
                self.send("* BYE")
                self.send(f"{tag} OK bye")
                return
            else:
                self.send(f"{tag} {self.server.command_reply or 'BAD unknown'}")

    def send(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")


@pytest.fixture
def scripted_imap() -> Iterator[list[ScriptedImap]]:
    servers: list[ScriptedImap] = []
    try:
        yield servers
    finally:
        for server in servers:
            server.close()


def imap_open(port: int) -> ImapSession:
    return ImapSession(
        ImapSettings(HOST, port, "plain"),
        username="jordan@family.example",
        secret=Secret("my-normal-password"),
        auth="password",
        ca_file=None,
    )


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            "NO [ALERT] Application-specific password required: "
            "https://support.google.com/accounts/answer/185833 (Failure)",
            "wants an app password here",
        ),
        (
            "NO [ALERT] Your account is not enabled for IMAP use. Please visit your Gmail "
            "settings page and enable your account for IMAP access. (Failure)",
            "IMAP is turned off for this mailbox",
        ),
    ],
)
def test_imap_login_refusals_in_gmails_words_are_explained(
    scripted_imap: list[ScriptedImap], reply: str, expected: str
) -> None:
    server = ScriptedImap(reply)
    scripted_imap.append(server)
    with pytest.raises(MailServerError) as caught:
        with imap_open(server.port):
            pass
    assert expected in str(caught.value)
    assert "my-normal-password" not in str(caught.value)


def test_imap_outlook_authenticated_but_not_connected_is_imap_disabled(
    scripted_imap: list[ScriptedImap],
) -> None:
    server = ScriptedImap("OK LOGIN completed.", "BAD User is authenticated but not connected.")
    scripted_imap.append(server)
    with imap_open(server.port) as session:
        with pytest.raises(MailServerError) as caught:
            session.folder_exists("INBOX")
    assert "IMAP is turned off for this mailbox" in str(caught.value)


def letter(message_id: str) -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "jordan@family.example"
    message["To"] = "dalvarez@district.example"
    message["Subject"] = "Request for an IEP meeting"
    message["Message-ID"] = message_id
    message.set_content("Dear Ms. Alvarez,\n")
    return message.as_bytes()


def test_a_sent_folder_name_the_server_lacks_falls_back_to_its_special_use_folder(
    dovecot: Dovecot, mail_account: Any
) -> None:
    imap = ImapSettings("localhost", dovecot.imaps_port, "tls", sent_folder="[Gmail]/Sent Mail")
    with ImapSession(
        imap,
        username=mail_account.user,
        secret=Secret(mail_account.password),
        auth="password",
        ca_file=dovecot.ca_file,
    ) as session:
        assert session.file_sent_copy(imap.sent_folder, letter("<s1@x.example>"), "<s1@x.example>")
        assert session.find_sent_copy(imap.sent_folder, "<s1@x.example>")
        assert not session.file_sent_copy(
            imap.sent_folder, letter("<s1@x.example>"), "<s1@x.example>"
        )
    assert len(dovecot.messages(mail_account.user, mail_account.password, "Sent")) == 1
    line = check_imap(
        imap,
        username=mail_account.user,
        secret=Secret(mail_account.password),
        auth="password",
        ca_file=dovecot.ca_file,
    )
    assert 'Sent copies go to "Sent"' in line
