"""The test servers themselves behave like the real ones iepd will meet: TLS that verifies
only against the test CA, AUTH that refuses a wrong password, delivery into Dovecot, and
faults on demand. Every client here is the standard library, never iepd code."""

from __future__ import annotations

import email
import imaplib
import os
import smtplib
import ssl
import uuid
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from support.mailservers import (
    Dovecot,
    MailAccount,
    Pymap,
    SmtpServer,
    TlsFiles,
    live_processes_in_group,
)

TIMEOUT = 10  # seconds; a server that hangs instead of answering fails the test


def letter(sender: str, recipient: str, subject: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject or f"test {uuid.uuid4()}"
    message["Message-ID"] = f"<{uuid.uuid4()}@example.test>"
    message.set_content("Hello from the tests.\n")
    return message


def subjects(raw_messages: list[bytes]) -> list[str]:
    return [str(email.message_from_bytes(raw)["Subject"]) for raw in raw_messages]


def submission(server: SmtpServer, account: MailAccount) -> smtplib.SMTP:
    client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
    client.starttls(context=server.tls.client_context())
    client.login(account.user, account.password)
    return client


# TLS


def test_dovecot_accepts_a_login_over_starttls_trusting_the_test_ca(
    dovecot: Dovecot, mail_account: MailAccount
) -> None:
    client = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=TIMEOUT)
    client.starttls(ssl.create_default_context(cafile=str(dovecot.ca_file)))
    status, _ = client.login(mail_account.user, mail_account.password)
    assert status == "OK"
    assert client.select("INBOX")[0] == "OK"
    client.logout()


def test_dovecot_accepts_a_login_over_implicit_tls_trusting_the_test_ca(
    dovecot: Dovecot, mail_account: MailAccount
) -> None:
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    with imaplib.IMAP4_SSL(
        dovecot.host, dovecot.imaps_port, ssl_context=context, timeout=TIMEOUT
    ) as client:
        assert client.login(mail_account.user, mail_account.password)[0] == "OK"


def test_the_system_ca_store_rejects_dovecots_certificate(dovecot: Dovecot) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(
            dovecot.host,
            dovecot.imaps_port,
            ssl_context=ssl.create_default_context(),
            timeout=TIMEOUT,
        )


def test_the_system_ca_store_rejects_the_smtp_servers_certificate(
    smtp_server: SmtpServer,
) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=TIMEOUT) as client:
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(context=ssl.create_default_context())


@pytest.mark.parametrize(
    ("variant", "trusted", "reason"),
    [
        pytest.param(
            lambda tls: tls,
            lambda tls: tls.other_ca_file,
            "unable to get local issuer",
            id="unrelated-ca",
        ),
        pytest.param(lambda tls: tls.expired(), lambda tls: tls.ca_file, "expired", id="expired"),
        pytest.param(
            lambda tls: tls.wrong_host(), lambda tls: tls.ca_file, "mismatch", id="wrong-host"
        ),
    ],
)
def test_a_certificate_made_to_fail_fails_verification_for_its_reason(
    tls_files: TlsFiles,
    variant: Callable[[TlsFiles], TlsFiles],
    trusted: Callable[[TlsFiles], os.PathLike[str]],
    reason: str,
) -> None:
    context = ssl.create_default_context(cafile=os.fspath(trusted(tls_files)))
    with SmtpServer(variant(tls_files), implicit_tls=True) as server:
        with pytest.raises(ssl.SSLCertVerificationError, match=reason):
            smtplib.SMTP_SSL(server.host, server.port, context=context, timeout=TIMEOUT)


# SMTP submission into Dovecot


def test_a_message_sent_through_the_smtp_server_lands_in_the_recipients_inbox(
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    mail_account: MailAccount,
    school_account: MailAccount,
) -> None:
    message = letter(mail_account.user, school_account.user)
    with submission(smtp_server, mail_account) as client:
        client.send_message(message)

    inbox = dovecot.messages(school_account.user, school_account.password)
    assert subjects(inbox) == [message["Subject"]]
    assert [
        (envelope.mail_from, envelope.rcpt_tos, envelope.login) for envelope in smtp_server.received
    ] == [(mail_account.user, [school_account.user], mail_account.user)]
    assert (
        email.message_from_bytes(smtp_server.received[0].data)["Message-ID"]
        == (message["Message-ID"])
    )


def test_the_smtps_server_accepts_a_message_over_implicit_tls(
    dovecot: Dovecot,
    smtps_server: SmtpServer,
    mail_account: MailAccount,
    school_account: MailAccount,
) -> None:
    message = letter(mail_account.user, school_account.user)
    with smtplib.SMTP_SSL(
        smtps_server.host,
        smtps_server.port,
        context=smtps_server.tls.client_context(),
        timeout=TIMEOUT,
    ) as client:
        client.login(mail_account.user, mail_account.password)
        client.send_message(message)
    inbox = dovecot.messages(school_account.user, school_account.password)
    assert subjects(inbox) == [message["Subject"]]


def test_the_smtp_server_refuses_mail_before_starttls(
    smtp_server: SmtpServer, mail_account: MailAccount
) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=TIMEOUT) as client:
        client.ehlo()
        assert "auth" not in client.esmtp_features
        code, _ = client.mail(mail_account.user)
    assert code == 530


def test_the_smtp_server_refuses_a_wrong_password_with_535(
    smtp_server: SmtpServer, mail_account: MailAccount
) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=TIMEOUT) as client:
        client.starttls(context=smtp_server.tls.client_context())
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login(mail_account.user, mail_account.password + "-wrong")
    assert refused.value.smtp_code == 535


def test_dovecot_refuses_a_wrong_password_and_still_accepts_the_right_one(
    dovecot: Dovecot, mail_account: MailAccount
) -> None:
    for _ in range(3):  # repeated failures must not slow the next login (no auth penalty)
        with imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=TIMEOUT) as client:
            with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
                client.login(mail_account.user, "wrong")
    with imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=TIMEOUT) as client:
        assert client.login(mail_account.user, mail_account.password)[0] == "OK"


# Fault injection


@pytest.mark.parametrize(
    ("stage", "reply", "error", "code"),
    [
        ("mail", "451 4.3.0 try later", smtplib.SMTPSenderRefused, 451),
        ("rcpt", "550 5.1.1 no such user", smtplib.SMTPRecipientsRefused, 550),
        ("data", "452 4.3.1 out of space", smtplib.SMTPDataError, 452),
        ("data", "554 5.7.1 rejected as spam", smtplib.SMTPDataError, 554),
    ],
)
def test_fail_next_answers_that_stage_once_with_the_configured_reply(
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    mail_account: MailAccount,
    school_account: MailAccount,
    stage: str,
    reply: str,
    error: type[smtplib.SMTPException],
    code: int,
) -> None:
    smtp_server.fail_next(stage, reply)
    with submission(smtp_server, mail_account) as client:
        with pytest.raises(error) as refused:
            client.send_message(letter(mail_account.user, school_account.user))
        client.rset()
        retried = letter(mail_account.user, school_account.user)
        client.send_message(retried)

    if isinstance(refused.value, smtplib.SMTPRecipientsRefused):
        assert refused.value.recipients == {school_account.user: (code, reply[4:].encode())}
    else:
        assert getattr(refused.value, "smtp_code", None) == code
    inbox = dovecot.messages(school_account.user, school_account.password)
    assert subjects(inbox) == [retried["Subject"]]


def test_a_rejected_recipient_is_refused_while_the_others_get_the_message(
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    mail_account: MailAccount,
    school_account: MailAccount,
) -> None:
    smtp_server.reject_recipient("gone@example.test")
    message = letter(mail_account.user, school_account.user)
    with submission(smtp_server, mail_account) as client:
        refused = client.send_message(message, to_addrs=[school_account.user, "gone@example.test"])
    assert refused == {"gone@example.test": (550, b"5.1.1 no such user")}
    assert subjects(dovecot.messages(school_account.user, school_account.password)) == [
        message["Subject"]
    ]


def test_drop_after_data_keeps_the_message_but_the_client_never_hears_the_reply(
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    mail_account: MailAccount,
    school_account: MailAccount,
) -> None:
    smtp_server.drop_after_data_next()
    message = letter(mail_account.user, school_account.user)
    client = submission(smtp_server, mail_account)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        client.send_message(message)
    client.close()
    assert [envelope.rcpt_tos for envelope in smtp_server.received] == [[school_account.user]]
    assert subjects(dovecot.messages(school_account.user, school_account.password)) == [
        message["Subject"]
    ]


# Dovecot lifecycle and mailbox tools


def test_restart_drops_connected_clients_and_keeps_the_mailbox(
    dovecot: Dovecot, mail_account: MailAccount
) -> None:
    message = letter("school@example.test", mail_account.user)
    dovecot.deliver(mail_account.user, message.as_bytes())
    client = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=TIMEOUT)
    client.login(mail_account.user, mail_account.password)
    client.select("INBOX")

    dovecot.restart()

    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        client.noop()
    client.shutdown()
    assert subjects(dovecot.messages(mail_account.user, mail_account.password)) == [
        message["Subject"]
    ]


def test_kill_leaves_no_dovecot_process_and_a_new_start_finds_the_mail(
    private_dovecot: Dovecot,
) -> None:
    private_dovecot.add_user("parent@example.test", "secret")
    private_dovecot.deliver("parent@example.test", letter("a@b.test", "c@d.test").as_bytes())
    group = private_dovecot.pid
    assert group is not None

    private_dovecot.kill()

    assert live_processes_in_group(group) == []
    private_dovecot.start()
    assert len(private_dovecot.messages("parent@example.test", "secret")) == 1


def test_append_stores_flags_and_sent_is_the_special_use_sent_folder(
    dovecot: Dovecot, mail_account: MailAccount
) -> None:
    raw = letter(mail_account.user, "school@example.test").as_bytes()
    uid = dovecot.append(mail_account.user, mail_account.password, "Sent", raw, ["\\Seen"])

    assert uid is not None
    assert "\\Seen" in dovecot.flags(mail_account.user, mail_account.password, "Sent")[uid]
    with imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=TIMEOUT) as client:
        client.login(mail_account.user, mail_account.password)
        _, folders = client.list()
    assert any(
        b"\\Sent" in line and line.endswith(b"Sent") for line in folders if isinstance(line, bytes)
    )


def test_set_uidvalidity_change_gives_the_folder_a_new_uidvalidity_and_keeps_its_mail(
    dovecot: Dovecot, mail_account: MailAccount
) -> None:
    dovecot.deliver(mail_account.user, letter("s@x.test", mail_account.user).as_bytes())
    before = dovecot.uidvalidity(mail_account.user, mail_account.password)

    after = dovecot.set_uidvalidity_change(mail_account.user)

    assert after != before
    assert dovecot.uidvalidity(mail_account.user, mail_account.password) == after
    assert len(dovecot.messages(mail_account.user, mail_account.password)) == 1


# pymap


def test_pymap_accepts_a_login_and_an_append(pymap_server: Pymap) -> None:
    message = letter("school@example.test", pymap_server.user)
    uid = pymap_server.append(
        pymap_server.user, pymap_server.password, "INBOX", message.as_bytes(), ["\\Seen"]
    )

    inbox = pymap_server.messages(pymap_server.user, pymap_server.password)
    assert subjects(inbox) == [message["Subject"]]
    assert uid is not None
    assert "\\Seen" in pymap_server.flags(pymap_server.user, pymap_server.password)[uid]


def test_pymap_refuses_a_wrong_password(pymap_server: Pymap) -> None:
    with imaplib.IMAP4(pymap_server.host, pymap_server.imap_port, timeout=TIMEOUT) as client:
        with pytest.raises(imaplib.IMAP4.error):
            client.login(pymap_server.user, "wrong")
