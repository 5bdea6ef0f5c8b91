"""Hand one raw message to the SMTP server, step by step. The only module that imports
``aiosmtplib``.

The transaction is driven command by command so that the caller can record, durably and
in order, where a send got to: ``on_step("smtp")`` before connecting and
``on_step("data")`` immediately before the DATA command. A failure before "data" is known
never to have delivered anything; a lost connection after it leaves the outcome unknown.

Errors map onto what the caller may do next:

* 4xx anywhere, or a refused, reset or timed-out connection before DATA:
  TransientSendError (retry later);
* 5xx: PermanentSendError (the message will never be accepted as it is);
* connection lost or timed out after ``on_step("data")``: UncertainSendError;
* TLS failures, a refused login, no STARTTLS or no AUTH offered: MailServerError (fix the
  configuration; retrying will not help).

``smtp_failures`` words the failures; this module says which one happened.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosmtplib
from aiosmtplib.auth import auth_xoauth2_encode

from iepd.config.model import SmtpSettings
from iepd.errors import MailServerError, PermanentSendError, TransientSendError
from iepd.mail import providers
from iepd.mail.credentials import Secret
from iepd.mail.smtp_failures import (
    SmtpReply,
    all_refused_error,
    describe,
    is_reply_code,
    is_transient_code,
    lost_before_data,
    refusal_error,
    uncertain,
    unreachable_words,
)
from iepd.mail.tls import client_context, explain_tls_error, find_tls_error

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    """What the server said: the recipients it took, those it refused (with its reply),
    and its reply to the end of DATA."""

    accepted: tuple[str, ...]
    refused: dict[str, SmtpReply]
    reply: SmtpReply


async def send_raw(
    smtp: SmtpSettings,
    *,
    username: str,
    secret: Secret,
    auth: str,
    ca_file: Path | None,
    envelope_from: str,
    recipients: Sequence[str],
    raw: bytes,
    on_step: Callable[[str], None],
    timeout: float = 60,
) -> SendResult:
    """Given the SMTP settings, the login, the envelope and the raw message bytes, submit
    the message and return what the server accepted.

    ``on_step`` is called with "smtp" before connecting and with "data" immediately
    before the DATA command; if it raises, nothing further is sent.
    Raise TransientSendError, PermanentSendError, UncertainSendError or MailServerError
    as the module docstring describes.
    """
    if not recipients:
        raise PermanentSendError("no recipients: nothing was sent")
    where = _where(smtp)
    on_step("smtp")
    client = await _open(
        smtp, username=username, secret=secret, auth=auth, ca_file=ca_file, timeout=timeout
    )
    try:
        try:
            await client.mail(envelope_from)
        except aiosmtplib.SMTPResponseException as exc:
            raise refusal_error(
                where, f"the sender <{envelope_from}>", exc.code, exc.message
            ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise lost_before_data(where, _describe(exc)) from None

        accepted: list[str] = []
        refused: dict[str, SmtpReply] = {}
        for recipient in recipients:
            try:
                await client.rcpt(recipient)
            except aiosmtplib.SMTPRecipientRefused as exc:
                refused[recipient] = SmtpReply(exc.code, exc.message)
                logger.warning(
                    "%s refused the recipient <%s>: %s %s",
                    where,
                    recipient,
                    exc.code,
                    exc.message,
                )
            except aiosmtplib.SMTPResponseException as exc:
                raise refusal_error(
                    where, f"the recipient <{recipient}>", exc.code, exc.message
                ) from None
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise lost_before_data(where, _describe(exc)) from None
            else:
                accepted.append(recipient)
        if not accepted:
            raise all_refused_error(where, refused)

        on_step("data")
        try:
            response = await client.data(raw)
        except aiosmtplib.SMTPResponseException as exc:
            if is_reply_code(exc.code):
                raise refusal_error(where, "the message", exc.code, exc.message) from None
            raise uncertain(where, _describe(exc)) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise uncertain(where, _describe(exc)) from None
        reply = SmtpReply(response.code, response.message)
        logger.info(
            "%s accepted the message for %d recipient(s), refused %d: %s",
            where,
            len(accepted),
            len(refused),
            reply,
        )
        await _quit_quietly(client)
        return SendResult(accepted=tuple(accepted), refused=refused, reply=reply)
    finally:
        client.close()


async def check_smtp(
    smtp: SmtpSettings,
    *,
    username: str,
    secret: Secret,
    auth: str,
    ca_file: Path | None,
    timeout: float = 30,
) -> str:
    """Given the SMTP settings and the login, connect, secure the connection, log in and
    return one line that says so, e.g. "SMTP smtp.x:465: TLS ok, login ok as jordan@x".

    Raise MailServerError (or a subclass) with the failure in words.
    """
    client = await _open(
        smtp, username=username, secret=secret, auth=auth, ca_file=ca_file, timeout=timeout
    )
    try:
        tls_words = _tls_words(smtp, client)
        login_words = f"login ok as {username}" if username else "no login needed"
        await _quit_quietly(client)
    finally:
        client.close()
    return f"{_where(smtp)}: {tls_words}, {login_words}"


async def _open(
    smtp: SmtpSettings,
    *,
    username: str,
    secret: Secret,
    auth: str,
    ca_file: Path | None,
    timeout: float,
) -> aiosmtplib.SMTP:
    """Return a connected client over the configured security, logged in.

    No error raised here can have delivered anything.
    """
    where = _where(smtp)
    context = client_context(ca_file) if smtp.security in ("tls", "starttls") else None
    # Before connecting, and in a thread: an OAuth2 secret may run its command here.
    password = await asyncio.to_thread(secret.reveal)
    client = aiosmtplib.SMTP(
        hostname=smtp.host,
        port=smtp.port,
        timeout=timeout,
        use_tls=smtp.security == "tls",
        # STARTTLS is driven by hand below so that its absence is an error, never a
        # silent fall-back to a clear-text session.
        start_tls=False,
        tls_context=context,
    )
    connected = False
    try:
        try:
            await client.connect()
            connected = True
            if smtp.security == "starttls":
                await client.ehlo()
                if not client.supports_extension("starttls"):
                    raise MailServerError(
                        f"{where} does not offer STARTTLS, so the password would travel "
                        'in clear: iepd stops here; check mail.smtp.security ("tls" for '
                        "port 465) and mail.smtp.port"
                    )
                await client.starttls(tls_context=context)
            await _login(client, smtp, username=username, password=password, auth=auth)
        except MailServerError:
            raise
        except aiosmtplib.SMTPAuthenticationError as exc:
            if is_transient_code(exc.code):
                raise TransientSendError(
                    f"{where} could not check the login for {username} just now "
                    f"(it answered {exc.code} {exc.message}); iepd will try again"
                ) from None
            words = f"{exc.code} {exc.message}"
            fix = providers.explain_login_refusal(words, smtp.host, auth) or (
                "check the password (iepd password set) or the password source in the config"
            )
            raise MailServerError(
                f"the SMTP server {smtp.host} refused the login for {username}: {fix}; "
                f"the server said {words}"
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            if is_reply_code(exc.code):
                raise refusal_error(where, "the connection", exc.code, exc.message) from None
            raise lost_before_data(where, _describe(exc)) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            if find_tls_error(exc) is not None:
                raise MailServerError(f"{where}: {explain_tls_error(exc, smtp.host)}") from None
            unreachable = unreachable_words(smtp, exc)
            if unreachable is not None and not connected:
                raise TransientSendError(f"{where}: {unreachable}; iepd will try again") from None
            raise lost_before_data(where, _describe(exc)) from None
    except BaseException:
        client.close()
        raise
    return client


async def _login(
    client: aiosmtplib.SMTP, smtp: SmtpSettings, *, username: str, password: str, auth: str
) -> None:
    where = _where(smtp)
    if client.is_ehlo_or_helo_needed:
        # After STARTTLS the server's extensions must be asked for again (RFC 3207).
        await client.ehlo()
    if not client.supports_extension("auth"):
        if smtp.security == "plain":
            # A relay on the loopback interface may trust local clients without AUTH.
            logger.info("%s offers no AUTH; sending without logging in", where)
            return
        raise MailServerError(
            f"{where} offers no login (AUTH) after TLS: it is probably not a submission "
            "server; check mail.smtp.host and mail.smtp.port (465 or 587)"
        )
    if auth == "xoauth2":
        if "xoauth2" not in client.server_auth_methods:
            raise MailServerError(
                f'{where} does not offer XOAUTH2 (mail.auth = "xoauth2"); it offers: '
                f"{', '.join(client.server_auth_methods) or 'nothing'}"
            )
        await _auth_xoauth2(client, smtp, username, password)
        return
    if not client.supported_auth_methods:
        raise MailServerError(
            f"{where} offers no password login iepd can use (it offers: "
            f"{', '.join(client.server_auth_methods) or 'nothing'})"
        )
    await client.login(username, password)


async def _auth_xoauth2(
    client: aiosmtplib.SMTP, smtp: SmtpSettings, username: str, token: str
) -> None:
    """AUTH XOAUTH2, keeping the server's error challenge (base64 JSON) that aiosmtplib's
    own auth_xoauth2 drops, so that a refusal can say why."""
    response = await client.execute_command(
        b"AUTH", b"XOAUTH2", auth_xoauth2_encode(username, token)
    )
    challenge: str | None = None
    if response.code == 334:
        challenge = response.message
        # The protocol asks for an empty line, after which the server gives its verdict.
        response = await client.execute_command(b"")
    if response.code == 235:
        return
    if is_transient_code(response.code):
        raise TransientSendError(
            f"{_where(smtp)} could not check the OAuth2 login for {username} just now "
            f"(it answered {response.code} {response.message}); iepd will try again"
        )
    raise MailServerError(
        f"the SMTP server {smtp.host} refused the OAuth2 login for {username}: "
        f"{providers.explain_oauth2_error(challenge)}; the server said "
        f"{response.code} {response.message}"
    )


async def _quit_quietly(client: aiosmtplib.SMTP) -> None:
    # The message is already accepted (or nothing was sent): a failing QUIT changes nothing.
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError) as exc:
        logger.debug("QUIT failed, closing anyway: %s", exc)


def _tls_words(smtp: SmtpSettings, client: aiosmtplib.SMTP) -> str:
    ssl_object = client.get_transport_info("ssl_object")
    version = ssl_object.version() if isinstance(ssl_object, ssl.SSLObject) else None
    if smtp.security == "tls":
        return f"TLS ok ({version})" if version else "TLS ok"
    if smtp.security == "starttls":
        return f"STARTTLS ok ({version})" if version else "STARTTLS ok"
    return "no TLS (loopback)"


def _where(smtp: SmtpSettings) -> str:
    return f"SMTP {smtp.host}:{smtp.port}"


def _describe(exc: BaseException) -> str:
    # Only aiosmtplib can tell a connection the server closed from one that broke.
    return describe(exc, closed_by_server=isinstance(exc, aiosmtplib.SMTPServerDisconnected))
