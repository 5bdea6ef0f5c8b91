"""outbox.send_raw and check_smtp against a real aiosmtpd submission server (STARTTLS or
implicit TLS, AUTH) that delivers to a real Dovecot."""

from __future__ import annotations

import asyncio
import email.policy
import imaplib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from iepd.config.model import SmtpSettings
from iepd.errors import (
    MailServerError,
    PermanentSendError,
    TransientSendError,
    UncertainSendError,
)
from iepd.mail.credentials import Secret
from iepd.mail.smtp import SendResult, check_smtp, send_raw
from iepd.mail.smtp_failures import SmtpReply
from support.mailservers import Dovecot, SmtpServer, TlsFiles, free_ports, imap_login

ENVELOPE_FROM = "bounces+jordan@family.example"
LOGIN_WAIT = 10.0


@pytest.fixture
def new_mail_account(
    new_mail_account: Callable[[str], Any], dovecot: Dovecot
) -> Callable[[str], Any]:
    """The conftest factory, plus a wait until Dovecot knows the account: its passwd-file
    is re-read only about once a second, so a just-added user is at first refused by LMTP
    ("User doesn't exist") and by LOGIN."""

    def add(prefix: str = "parent") -> Any:
        account = new_mail_account(prefix)
        wait_until_dovecot_knows(dovecot, account.user, account.password)
        return account

    return add


def wait_until_dovecot_knows(dovecot: Dovecot, user: str, password: str) -> None:
    deadline = time.monotonic() + LOGIN_WAIT
    while True:
        try:
            with imap_login(dovecot.host, dovecot.imap_port, user, password):
                return
        except imaplib.IMAP4.error:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def letter(
    to: str = "dalvarez@district.example", message_id: str = "<r1.abc@family.example>"
) -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "Jordan Rivera <jordan@family.example>"
    # Deliberately not the envelope recipient: the envelope must come from the caller.
    message["To"] = to
    message["Subject"] = "Request for an IEP meeting for Sam Rivera"
    message["Message-ID"] = message_id
    message.set_content("Dear Ms. Alvarez,\n.a line that starts with a dot\nThank you.\n")
    return message.as_bytes()


def settings(
    server: SmtpServer | Any, security: str = "starttls", host: str = "localhost"
) -> SmtpSettings:
    return SmtpSettings(host=host, port=server.port, security=security)


def send(
    smtp: SmtpSettings,
    account: tuple[str, str],
    recipients: Sequence[str],
    *,
    raw: bytes | None = None,
    steps: list[str] | None = None,
    ca_file: Path | None = None,
    password: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> SendResult:
    user, real_password = account
    recorded = steps if steps is not None else []
    return asyncio.run(
        send_raw(
            smtp,
            username=user,
            secret=Secret(password if password is not None else real_password),
            auth="password",
            ca_file=ca_file,
            envelope_from=ENVELOPE_FROM,
            recipients=recipients,
            raw=raw if raw is not None else letter(),
            on_step=on_step or recorded.append,
            timeout=20,
        )
    )


# delivery


def test_send_raw_over_starttls_delivers_the_bytes_with_the_explicit_envelope(
    smtp_server: SmtpServer, dovecot: Dovecot, mail_account: Any, school_account: Any
) -> None:
    raw = letter(to="someone-else@district.example")
    result = send(
        settings(smtp_server),
        mail_account,
        [school_account.user],
        raw=raw,
        ca_file=smtp_server.ca_file,
    )

    assert result.accepted == (school_account.user,)
    assert result.refused == {}
    assert result.reply.code == 250
    [received] = smtp_server.received
    assert received.mail_from == ENVELOPE_FROM
    assert received.rcpt_tos == [school_account.user]
    assert received.login == mail_account.user
    assert received.data == raw
    [delivered] = dovecot.messages(*school_account)
    assert delivered.endswith(raw)


def test_send_raw_over_implicit_tls_delivers(
    smtps_server: SmtpServer, dovecot: Dovecot, mail_account: Any, school_account: Any
) -> None:
    result = send(
        settings(smtps_server, "tls"),
        mail_account,
        [school_account.user],
        ca_file=smtps_server.ca_file,
    )
    assert result.accepted == (school_account.user,)
    assert len(dovecot.messages(*school_account)) == 1


def test_send_raw_reports_the_smtp_step_then_the_data_step(
    smtp_server: SmtpServer, mail_account: Any, school_account: Any
) -> None:
    steps: list[str] = []
    send(
        settings(smtp_server),
        mail_account,
        [school_account.user],
        steps=steps,
        ca_file=smtp_server.ca_file,
    )
    assert steps == ["smtp", "data"]


def test_send_raw_sends_nothing_when_recording_the_data_step_fails(
    smtp_server: SmtpServer, mail_account: Any, school_account: Any
) -> None:
    def on_step(step: str) -> None:
        if step == "data":
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        send(
            settings(smtp_server),
            mail_account,
            [school_account.user],
            on_step=on_step,
            ca_file=smtp_server.ca_file,
        )
    assert smtp_server.received == []


# replies


@pytest.mark.parametrize(
    ("fault", "error", "words", "steps", "kept"),
    [
        pytest.param(
            lambda server, _: server.fail_next("data", "451 4.3.0 try again later"),
            TransientSendError,
            ["451 4.3.0 try again later"],
            ["smtp", "data"],
            0,
            id="451-after-data-is-transient",
        ),
        pytest.param(
            lambda server, _: server.fail_next("mail", "451 4.7.1 greylisted"),
            TransientSendError,
            ["451"],
            ["smtp"],
            0,
            id="451-to-mail-from-is-transient-and-never-reaches-data",
        ),
        pytest.param(
            lambda server, _: server.fail_next("data", "550 5.7.1 message content rejected"),
            PermanentSendError,
            ["550 5.7.1 message content rejected", "permanent"],
            ["smtp", "data"],
            0,
            id="550-after-data-is-permanent-and-says-the-reply",
        ),
        pytest.param(
            lambda server, school: server.reject_recipient(school, "550 5.1.1 no such user"),
            PermanentSendError,
            ["5.1.1 no such user"],
            ["smtp"],
            0,
            id="every-recipient-refused-for-good-is-permanent-without-data",
        ),
        pytest.param(
            lambda server, _: server.fail_next("rcpt", "450 4.2.1 mailbox busy"),
            TransientSendError,
            ["450"],
            ["smtp"],
            0,
            id="every-recipient-refused-for-now-is-transient",
        ),
        pytest.param(
            # The server does keep it: exactly why the outcome must not be called a failure.
            lambda server, _: server.drop_after_data_next(),
            UncertainSendError,
            [],
            ["smtp", "data"],
            1,
            id="connection-dropped-after-data-is-uncertain",
        ),
    ],
)
def test_send_raw_sorts_each_server_fault_into_its_outcome(
    smtp_server: SmtpServer,
    mail_account: Any,
    school_account: Any,
    fault: Callable[[SmtpServer, str], None],
    error: type[MailServerError],
    words: list[str],
    steps: list[str],
    kept: int,
) -> None:
    fault(smtp_server, school_account.user)
    recorded: list[str] = []
    with pytest.raises(error) as caught:
        send(
            settings(smtp_server),
            mail_account,
            [school_account.user],
            steps=recorded,
            ca_file=smtp_server.ca_file,
        )
    for word in words:
        assert word in str(caught.value)
    assert recorded == steps
    assert len(smtp_server.received) == kept


def test_send_raw_with_one_recipient_refused_delivers_to_the_other(
    smtp_server: SmtpServer,
    dovecot: Dovecot,
    mail_account: Any,
    school_account: Any,
    new_mail_account: Callable[[str], Any],
) -> None:
    principal = new_mail_account("principal")
    smtp_server.reject_recipient(principal.user, "550 5.1.1 no such user")
    result = send(
        settings(smtp_server),
        mail_account,
        [school_account.user, principal.user],
        ca_file=smtp_server.ca_file,
    )

    assert result.accepted == (school_account.user,)
    assert result.refused == {principal.user: SmtpReply(550, "5.1.1 no such user")}
    assert len(dovecot.messages(*school_account)) == 1
    assert dovecot.messages(*principal) == []


def test_send_raw_to_a_closed_port_is_transient(mail_account: Any, tls_files: TlsFiles) -> None:
    [port] = free_ports(1)
    closed = SmtpSettings(host="127.0.0.1", port=port, security="starttls")
    with pytest.raises(TransientSendError) as caught:
        send(closed, mail_account, ["someone@example.test"], ca_file=tls_files.ca_file)
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "refused" in str(caught.value)


# TLS and login


@pytest.mark.parametrize("trust", ["unrelated CA", "system store only"])
def test_send_raw_with_an_untrusted_certificate_explains_the_certificate(
    smtp_server: SmtpServer,
    tls_files: TlsFiles,
    mail_account: Any,
    school_account: Any,
    trust: str,
) -> None:
    ca_file = tls_files.other_ca_file if trust == "unrelated CA" else None
    steps: list[str] = []
    with pytest.raises(MailServerError) as caught:
        send(
            settings(smtp_server), mail_account, [school_account.user], steps=steps, ca_file=ca_file
        )
    assert not isinstance(caught.value, TransientSendError)
    assert "certificate" in str(caught.value)
    assert "mail.ca_file" in str(caught.value)
    assert steps == ["smtp"]
    assert smtp_server.received == []


def test_send_raw_over_implicit_tls_with_an_untrusted_certificate_explains_it(
    smtps_server: SmtpServer, tls_files: TlsFiles, mail_account: Any
) -> None:
    with pytest.raises(MailServerError, match="not signed by a trusted certificate authority"):
        send(
            settings(smtps_server, "tls"),
            mail_account,
            ["x@example.test"],
            ca_file=tls_files.other_ca_file,
        )


@pytest.mark.parametrize(
    ("variant", "words"),
    [("expired", "has expired"), ("wrong_host", "for another host name")],
)
def test_send_raw_explains_an_expired_or_wrong_host_certificate(
    tls_files: TlsFiles, dovecot: Dovecot, mail_account: Any, variant: str, words: str
) -> None:
    with SmtpServer(getattr(tls_files, variant)(), dovecot=dovecot) as server:
        with pytest.raises(MailServerError, match=words):
            send(settings(server), mail_account, ["x@example.test"], ca_file=tls_files.ca_file)
        assert server.received == []


def test_send_raw_with_implicit_tls_to_a_starttls_port_says_so(
    smtp_server: SmtpServer, mail_account: Any
) -> None:
    with pytest.raises(MailServerError, match="did not answer in TLS"):
        send(
            settings(smtp_server, "tls"),
            mail_account,
            ["x@example.test"],
            ca_file=smtp_server.ca_file,
        )


def test_send_raw_with_a_wrong_password_explains_the_login(
    smtp_server: SmtpServer, mail_account: Any, school_account: Any
) -> None:
    with pytest.raises(MailServerError) as caught:
        send(
            settings(smtp_server),
            mail_account,
            [school_account.user],
            password="not-the-password",
            ca_file=smtp_server.ca_file,
        )
    message = str(caught.value)
    assert not isinstance(caught.value, TransientSendError)
    assert f"refused the login for {mail_account.user}" in message
    assert "iepd password set" in message
    assert "not-the-password" not in message
    assert smtp_server.received == []


class _ClearTextServer:
    """An SMTP server without STARTTLS that would accept AUTH in clear text."""

    def __init__(self) -> None:
        self.auth_attempts = 0
        self.messages = 0
        self._lock = threading.Lock()
        self.port = free_ports(1)[0]
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_required=False,
            auth_require_tls=False,
        )

    def _authenticate(self, *args: Any) -> AuthResult:
        with self._lock:
            self.auth_attempts += 1
        return AuthResult(success=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages += 1
        return "250 OK"


@pytest.fixture
def clear_text_server() -> Iterator[_ClearTextServer]:
    server = _ClearTextServer()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


def test_send_raw_over_starttls_refuses_a_server_without_starttls_before_any_auth(
    clear_text_server: _ClearTextServer, mail_account: Any
) -> None:
    smtp = SmtpSettings(host="127.0.0.1", port=clear_text_server.port, security="starttls")
    with pytest.raises(MailServerError, match="does not offer STARTTLS") as caught:
        send(smtp, mail_account, ["x@example.test"])
    assert not isinstance(caught.value, TransientSendError)
    assert clear_text_server.auth_attempts == 0
    assert clear_text_server.messages == 0


# check --connect


def test_check_smtp_reports_tls_and_login_in_one_line(
    smtp_server: SmtpServer, mail_account: Any
) -> None:
    line = asyncio.run(
        check_smtp(
            settings(smtp_server),
            username=mail_account.user,
            secret=Secret(mail_account.password),
            auth="password",
            ca_file=smtp_server.ca_file,
        )
    )
    assert line.startswith(f"SMTP localhost:{smtp_server.port}: STARTTLS ok")
    assert line.endswith(f"login ok as {mail_account.user}")
    assert "\n" not in line
    assert smtp_server.received == []


def test_check_smtp_with_a_wrong_password_explains_the_login(
    smtps_server: SmtpServer, mail_account: Any
) -> None:
    with pytest.raises(MailServerError, match="refused the login"):
        asyncio.run(
            check_smtp(
                settings(smtps_server, "tls"),
                username=mail_account.user,
                secret=Secret("wrong"),
                auth="password",
                ca_file=smtps_server.ca_file,
            )
        )
