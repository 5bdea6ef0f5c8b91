"""mail.auth = "xoauth2" against real servers: Dovecot's oauth2 passdb asking a token
introspection endpoint that the test runs, and aiosmtpd with an XOAUTH2 mechanism.

The token comes from mail.password.command (here `cat` of a file the test rewrites), as
a token helper would print it. A token that expires: the endpoint accepts A, then only
B; the file then holds B, and the next connection picks B up without a restart.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from iepd.config.model import ImapSettings, MailSettings, PasswordSource, SmtpSettings
from iepd.errors import MailServerError
from iepd.mail.credentials import FreshSecret, Secret, get_secret
from iepd.mail.imap import ImapSession
from iepd.mail.imap_check import check_imap
from iepd.mail.smtp import check_smtp, send_raw
from support.mailservers import HOST, Dovecot, TlsFiles, free_ports

USER = "parent@example.test"


class Introspection:
    """A token introspection endpoint (RFC 7662 style, as Dovecot's oauth2 passdb asks it
    with introspection_mode = post): the tokens in ``valid`` are active for their user."""

    def __init__(self) -> None:
        self.valid: dict[str, str] = {}
        self.asked: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                token = form.get("token", [""])[0]
                owner.asked.append(token)
                user = owner.valid.get(token)
                body = {"active": True, "username": user} if user else {"active": False}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.server.server_address[1]}/introspect"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Introspection:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


class OAuthDovecot(Dovecot):
    """The tests' Dovecot with an oauth2 passdb (XOAUTH2 and OAUTHBEARER) in place of the
    passwd-file, asking ``introspection_url`` about every token."""

    def __init__(self, tls: TlsFiles, introspection_url: str) -> None:
        self.introspection_url = introspection_url  # _configure, called by __init__, reads it
        super().__init__(tls)

    def _configure(self) -> None:
        super()._configure()
        settings = self.directory / "dovecot-oauth2.conf.ext"
        settings.write_text(
            "introspection_mode = post\n"
            f"introspection_url = {self.introspection_url}\n"
            "username_attribute = username\n"
            "active_attribute = active\n"
            "active_value = true\n"
        )
        text = self.config.read_text()
        start = text.index("passdb {")
        end = text.index("}", start) + 1
        text = (
            text[:start] + f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
            f"  args = {settings}\n}}" + text[end:]
        )
        text = text.replace(
            "auth_mechanisms = plain login", "auth_mechanisms = xoauth2 oauthbearer"
        )
        self.config.write_text(text)


class OAuthSmtpHandler:
    """An aiosmtpd handler with SASL XOAUTH2 as Gmail speaks it: a refused token gets a
    334 challenge holding base64 JSON, then, after the client's empty line, 535."""

    def __init__(self) -> None:
        self.valid: dict[str, str] = {}
        self.received: list[tuple[str, bytes]] = []
        self.logins: list[str] = []

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        fields = base64.b64decode(args[1]).decode().split("\x01")
        user = fields[0].removeprefix("user=")
        token = fields[1].removeprefix("auth=Bearer ")
        if self.valid.get(token) == user:
            self.logins.append(token)
            return AuthResult(success=True, auth_data=user)
        error = {"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"}
        await server.challenge_auth(json.dumps(error))
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((str(session.auth_data), bytes(envelope.content)))
        return "250 2.0.0 OK"


@pytest.fixture(scope="module")
def introspection() -> Iterator[Introspection]:
    with Introspection() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def oauth_dovecot(tls_files: TlsFiles, introspection: Introspection) -> Iterator[Dovecot]:
    with OAuthDovecot(tls_files, introspection.url) as server:
        yield server


@pytest.fixture
def oauth_smtp(tls_files: TlsFiles) -> Iterator[tuple[OAuthSmtpHandler, int]]:
    handler = OAuthSmtpHandler()
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
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def mail_settings(
    token_file: Path, imap_port: int = 1, smtp_port: int = 1, sent_folder: str = "Sent"
) -> MailSettings:
    return MailSettings(
        username=USER,
        password=PasswordSource(source="command", command=("cat", str(token_file))),
        imap=ImapSettings("localhost", imap_port, "starttls", sent_folder=sent_folder),
        smtp=SmtpSettings("localhost", smtp_port, "starttls"),
        auth="xoauth2",
    )


def open_session(mail: MailSettings, secret: Secret, ca_file: Path) -> ImapSession:
    return ImapSession(
        mail.imap, username=mail.username, secret=secret, auth=mail.auth, ca_file=ca_file
    )


def test_get_secret_for_xoauth2_runs_the_command_again_for_each_connection(
    tmp_path: Path,
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("token-A\n")
    secret = get_secret(mail_settings(token_file), {"PATH": "/usr/bin:/bin"})
    assert isinstance(secret, FreshSecret)
    assert secret.reveal() == "token-A"
    token_file.write_text("token-B\n")
    assert secret.reveal() == "token-B"
    assert "token" not in repr(secret)


def test_imap_xoauth2_login_picks_up_a_new_token_on_the_next_connection(
    tmp_path: Path, oauth_dovecot: Dovecot, introspection: Introspection
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("token-A\n")
    introspection.valid = {"token-A": USER}
    mail = mail_settings(token_file, imap_port=oauth_dovecot.imap_port)
    secret = get_secret(mail, {"PATH": "/usr/bin:/bin"})

    line = check_imap(
        mail.imap, username=USER, secret=secret, auth="xoauth2", ca_file=oauth_dovecot.ca_file
    )
    assert f"login ok as {USER}" in line

    # A expires; the helper now prints B. The same secret, a new connection: B is used.
    introspection.valid = {"token-B": USER}
    token_file.write_text("token-B\n")
    with open_session(mail, secret, oauth_dovecot.ca_file) as session:
        assert session.folder_exists("INBOX")
    assert introspection.asked[-1] == "token-B"


def test_imap_xoauth2_refusal_decodes_the_servers_error(
    tmp_path: Path, oauth_dovecot: Dovecot, introspection: Introspection
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("token-expired\n")
    introspection.valid = {"token-B": USER}
    mail = mail_settings(token_file, imap_port=oauth_dovecot.imap_port)
    with pytest.raises(MailServerError) as caught:
        with open_session(mail, get_secret(mail, {"PATH": "/usr/bin:/bin"}), oauth_dovecot.ca_file):
            pass
    message = str(caught.value)
    assert "refused the OAuth2 login" in message
    assert "the access token was refused (401)" in message
    assert "fetch a new one" in message
    assert "token-expired" not in message


def test_imap_xoauth2_against_a_server_without_it_says_so(
    tmp_path: Path, dovecot: Dovecot, mail_account: Any
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("token-A\n")
    mail = mail_settings(token_file, imap_port=dovecot.imap_port)
    with pytest.raises(MailServerError, match="does not offer XOAUTH2"):
        with open_session(mail, get_secret(mail, {"PATH": "/usr/bin:/bin"}), dovecot.ca_file):
            pass


def test_smtp_xoauth2_sends_and_picks_up_a_new_token(
    tmp_path: Path, oauth_smtp: tuple[OAuthSmtpHandler, int], tls_files: TlsFiles
) -> None:
    handler, port = oauth_smtp
    token_file = tmp_path / "token"
    token_file.write_text("token-A\n")
    handler.valid = {"token-A": USER}
    mail = mail_settings(token_file, smtp_port=port)
    secret = get_secret(mail, {"PATH": "/usr/bin:/bin"})

    line = asyncio.run(
        check_smtp(
            mail.smtp, username=USER, secret=secret, auth="xoauth2", ca_file=tls_files.ca_file
        )
    )
    assert f"login ok as {USER}" in line

    handler.valid = {"token-B": USER}
    token_file.write_text("token-B\n")
    result = asyncio.run(
        send_raw(
            mail.smtp,
            username=USER,
            secret=secret,
            auth="xoauth2",
            ca_file=tls_files.ca_file,
            envelope_from=USER,
            recipients=["dalvarez@district.example"],
            raw=b"Subject: hello\r\nMessage-ID: <x1@example.test>\r\n\r\nHello.\r\n",
            on_step=lambda step: None,
        )
    )
    assert result.accepted == ("dalvarez@district.example",)
    assert handler.logins == ["token-A", "token-B"]
    assert handler.received[0][0] == USER


def test_smtp_xoauth2_refusal_decodes_the_servers_error(
    tmp_path: Path, oauth_smtp: tuple[OAuthSmtpHandler, int], tls_files: TlsFiles
) -> None:
    handler, port = oauth_smtp
    token_file = tmp_path / "token"
    token_file.write_text("token-expired\n")
    handler.valid = {"token-B": USER}
    mail = mail_settings(token_file, smtp_port=port)
    with pytest.raises(MailServerError) as caught:
        asyncio.run(
            check_smtp(
                mail.smtp,
                username=USER,
                secret=get_secret(mail, {"PATH": "/usr/bin:/bin"}),
                auth="xoauth2",
                ca_file=tls_files.ca_file,
            )
        )
    message = str(caught.value)
    assert "refused the OAuth2 login" in message
    assert "the access token was refused (401)" in message
    assert "535" in message
    assert "token-expired" not in message
