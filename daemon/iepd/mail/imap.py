"""One logged-in IMAP connection, and the few things iepd does with it for sending: find
the Sent folder, look a Message-ID up, file the Sent copy. The only module that imports
``imapclient`` (the inbox watcher builds on :class:`ImapSession`, and ``imap_check`` reports
on it for `iepd check --connect`).

imapclient is synchronous: the service calls this module through ``asyncio.to_thread``.
Every failure leaves as a MailServerError whose message names the server and says what
to do; the secret never appears in one.
"""

from __future__ import annotations

import imaplib
import logging
from collections.abc import Iterable
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from types import TracebackType
from typing import Any

import imapclient
import imapclient.exceptions

from iepd.config.model import ImapSettings
from iepd.config.values import is_loopback
from iepd.errors import MailServerError
from iepd.mail import providers
from iepd.mail.credentials import Secret
from iepd.mail.sent_folder import (
    COMMON_SENT_NAMES,
    choose_sent_folder,
    flagged_sent_folder,
    namespace_prefixes,
)
from iepd.mail.tls import client_context, explain_tls_error, find_tls_error

logger = logging.getLogger(__name__)

SEEN = b"\\Seen"
_MESSAGE_ID_FIELD = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"


class ImapSession:
    """A context manager: on entry connect (implicit TLS, STARTTLS required, or plain on
    loopback) and log in; on exit log out."""

    def __init__(
        self,
        imap: ImapSettings,
        *,
        username: str,
        secret: Secret,
        auth: str,
        ca_file: Path | None,
        timeout: float = 60,
    ) -> None:
        self.settings = imap
        self.username = username
        self._secret = secret
        self._auth = auth
        self._ca_file = ca_file
        self._timeout = timeout
        self._client: Any = None

    def __repr__(self) -> str:
        state = "open" if self._client is not None else "closed"
        return f"<ImapSession {self.where} as {self.username} {state}>"

    @property
    def where(self) -> str:
        return f"IMAP {self.settings.host}:{self.settings.port}"

    @property
    def client(self) -> Any:
        """The logged-in ``imapclient.IMAPClient``, for the inbox watcher."""
        if self._client is None:
            raise MailServerError(f"{self.where}: not connected")
        return self._client

    def __enter__(self) -> ImapSession:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Connect, secure the connection and log in.

        Raise MailServerError if the server cannot be reached, TLS fails, STARTTLS is
        not offered, or the login is refused.
        """
        settings = self.settings
        context = (
            client_context(self._ca_file) if settings.security in ("tls", "starttls") else None
        )
        # Before connecting: an OAuth2 secret runs its command here, and its failure
        # (a CredentialError) then leaves no half-open connection behind.
        secret = self._secret.reveal()
        try:
            client = imapclient.IMAPClient(
                settings.host,
                port=settings.port,
                ssl=settings.security == "tls",
                ssl_context=context,
                timeout=self._timeout,
            )
        except (OSError, imaplib.IMAP4.error) as exc:
            raise self._connection_error(exc) from None
        try:
            if settings.security == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise MailServerError(
                        f"{self.where} does not offer STARTTLS, so the password would "
                        'travel in clear: iepd stops here; check mail.imap.security ("tls" '
                        "for port 993) and mail.imap.port"
                    )
                client.starttls(context)
            self._login(client, secret)
        except MailServerError:
            _shut(client)
            raise
        except imapclient.exceptions.LoginError as exc:
            _shut(client)
            words = _server_words(exc)
            fix = providers.explain_login_refusal(words, settings.host, self._auth) or (
                "check the password (iepd password set) or the password source in the config"
            )
            raise MailServerError(
                f"the IMAP server {settings.host} refused the login for {self.username}: "
                f"{fix}; the server said: {words}"
            ) from None
        except (OSError, imaplib.IMAP4.error) as exc:
            _shut(client)
            raise self._connection_error(exc) from None
        self._client = client
        logger.debug("%s: logged in as %s", self.where, self.username)

    def close(self) -> None:
        """Log out (or, if that fails, drop the connection). Never raises."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error) as exc:
            logger.debug("%s: logout failed, closing: %s", self.where, exc)
            _shut(client)

    def _login(self, client: Any, secret: str) -> None:
        if self._auth != "xoauth2":
            client.login(self.username, secret)
            return
        if not client.has_capability("AUTH=XOAUTH2"):
            raise MailServerError(
                f'{self.where} does not offer XOAUTH2 (mail.auth = "xoauth2"); check '
                "mail.imap.host, or use a password (an app password) instead"
            )
        mechanism = _XOAuth2(self.username, secret)
        try:
            client.sasl_login("XOAUTH2", mechanism)
        except imapclient.exceptions.LoginError as exc:
            raise MailServerError(
                f"the IMAP server {self.settings.host} refused the OAuth2 login for "
                f"{self.username}: {providers.explain_oauth2_error(mechanism.error)}; the "
                f"server said: {_server_words(exc)}"
            ) from None

    def _connection_error(self, exc: BaseException) -> MailServerError:
        settings = self.settings
        if find_tls_error(exc) is not None:
            return MailServerError(f"{self.where}: {explain_tls_error(exc, settings.host)}")
        if isinstance(exc, ConnectionRefusedError | TimeoutError):
            words = providers.explain_unreachable(
                "imap",
                settings.host,
                settings.port,
                refused=isinstance(exc, ConnectionRefusedError),
                loopback=is_loopback(settings.host),
            )
            return MailServerError(f"{self.where}: {words}")
        if isinstance(exc, OSError):
            return MailServerError(
                f"{self.where}: cannot connect: {exc.strerror or exc or type(exc).__name__}"
            )
        return MailServerError(f"{self.where}: the server broke off: {_server_words(exc)}")

    def capabilities(self) -> frozenset[str]:
        """Return the server's capabilities, upper case (e.g. "IDLE", "UIDPLUS")."""
        raw = self._call("CAPABILITY", lambda client: client.capabilities())
        return frozenset(_text(item).upper() for item in raw)

    def find_sent_folder(self) -> str | None:
        """Return the name of the folder flagged \\Sent (RFC 6154 special use), or None."""
        return flagged_sent_folder(self._folders())

    def folder_exists(self, folder: str) -> bool:
        """Return True if folder exists on the server."""
        return bool(self._call("LIST", lambda client: client.folder_exists(folder)))

    def locate_sent_folder(self, configured: str) -> str | None:
        """Given mail.imap.sent_folder, return the Sent folder as ``choose_sent_folder``
        picks it from this account's folders and personal namespace, or None if there is
        none."""
        folders = self._folders()
        personal: list[str] = []
        if "NAMESPACE" in self.capabilities():
            namespaces = self._call("NAMESPACE", lambda client: client.namespace()).personal
            personal = [_text(prefix) for prefix, _separator in namespaces or ()]
        found = choose_sent_folder(configured, folders, namespace_prefixes(folders, personal))
        if found is not None and found != configured:
            logger.info('%s: no folder "%s"; using "%s"', self.where, configured, found)
        return found

    def find_sent_copy(self, folder: str, message_id: str) -> bool:
        """Given mail.imap.sent_folder and a Message-ID, return True if the Sent folder (as
        locate_sent_folder finds it) holds that message; False if there is no Sent folder."""
        located = self.locate_sent_folder(folder)
        return located is not None and self.has_message_id(located, message_id)

    def _folders(self) -> list[tuple[tuple[bytes, ...], str, str]]:
        listed = self._call("LIST", lambda client: client.list_folders())
        return [
            (tuple(_as_bytes(flag) for flag in flags), _text(delimiter or ""), str(name))
            for flags, delimiter, name in listed
        ]

    def has_message_id(self, folder: str, message_id: str) -> bool:
        """Given a folder and a Message-ID (with its angle brackets), return True if a
        message in that folder carries exactly that Message-ID.

        Raise MailServerError if the folder cannot be opened or searched.
        """
        wanted = message_id.strip().lower()

        def search(client: Any) -> bool:
            # EXAMINE, not SELECT: looking must not change \Recent or any flag.
            client.select_folder(folder, readonly=True)
            uids = client.search(["HEADER", "Message-ID", message_id.strip()])
            if not uids:
                return False
            # SEARCH HEADER matches substrings; confirm the whole Message-ID.
            fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
            for data in fetched.values():
                header = data.get(_MESSAGE_ID_FIELD, b"") or b""
                parsed = BytesHeaderParser(policy=default_policy).parsebytes(header)
                found = str(parsed.get("Message-ID", "")).strip().lower()
                if found == wanted:
                    return True
            return False

        return bool(self._call(f"SEARCH in {folder!r}", search))

    def append(
        self,
        folder: str,
        raw: bytes,
        *,
        flags: Iterable[bytes] = (SEEN,),
        when: datetime | None = None,
    ) -> None:
        """Given a folder and a raw message, APPEND it with flags (and INTERNALDATE when).

        Raise MailServerError if the server refuses.
        """
        flag_list = tuple(flags)
        self._call(
            f"APPEND to {folder!r}",
            lambda client: client.append(folder, raw, flags=flag_list, msg_time=when),
        )
        logger.info("%s: appended a message to %s", self.where, folder)

    def file_sent_copy(self, folder: str, raw: bytes, message_id: str) -> bool:
        """Given the Sent folder, the raw letter and its Message-ID, APPEND the letter
        flagged \\Seen unless a message with that Message-ID is already there (Gmail and
        Microsoft 365 file one themselves). Return True if this call appended it.

        The folder is found as locate_sent_folder does. Raise MailServerError if there is
        none, or it cannot be searched or appended to.
        """
        configured, located = folder, self.locate_sent_folder(folder)
        if located is None:
            others = ", ".join(f'"{name}"' for name in COMMON_SENT_NAMES)
            raise MailServerError(
                f'{self.where}: no Sent folder: "{configured}" (mail.imap.sent_folder) does'
                f" not exist, no folder is flagged \\Sent, and there is no {others}, as such"
                ' or under INBOX; set mail.imap.sent_folder to an existing folder, or "" to'
                " keep no copies"
            )
        folder = located
        if self.has_message_id(folder, message_id):
            logger.info(
                "%s: %s is already in %s; not filing another copy", self.where, message_id, folder
            )
            return False
        try:
            self.append(folder, raw, flags=(SEEN,))
        except MailServerError as error:
            # RFC 3501 [TRYCREATE] and RFC 5530 [NONEXISTENT]: the folder is not there
            # (a folder deleted meanwhile, or a name no LIST check could correct).
            if not any(code in str(error).upper() for code in ("TRYCREATE", "NONEXISTENT")):
                raise
            flagged = self.find_sent_folder() if self._client is not None else None
            explained = providers.explain_missing_sent_folder(folder, flagged)
            raise MailServerError(f"{error}; {explained}") from None
        return True

    def _call(self, what: str, action: Any) -> Any:
        client = self.client
        try:
            return action(client)
        except imapclient.exceptions.IMAPClientAbortError as exc:
            self._drop()
            raise MailServerError(
                f"{self.where}: the connection broke during {what}: {_server_words(exc)}"
            ) from None
        except imaplib.IMAP4.error as exc:
            words = _server_words(exc)
            fix = providers.explain_refusal(words)
            raise MailServerError(
                f"{self.where}: {fix}; the server refused {what}: {words}"
                if fix
                else f"{self.where}: the server refused {what}: {words}"
            ) from None
        except OSError as exc:
            self._drop()
            raise MailServerError(
                f"{self.where}: the connection broke during {what}: {type(exc).__name__}: {exc}"
            ) from None

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _shut(client)


class _XOAuth2:
    """The client side of SASL XOAUTH2 for imapclient's sasl_login: the initial response,
    then, if the server answers with an error challenge (base64 JSON, which imaplib has
    decoded), keep it and send the empty response the protocol asks for."""

    def __init__(self, username: str, token: str) -> None:
        self._response = f"user={username}\x01auth=Bearer {token}\x01\x01".encode()
        self._sent = False
        self.error: bytes | None = None

    def __repr__(self) -> str:
        return "<XOAUTH2 ********>"

    def __call__(self, challenge: bytes) -> bytes:
        if not self._sent:
            self._sent = True
            return self._response
        self.error = challenge
        return b""


def _shut(client: Any) -> None:
    try:
        client.shutdown()
    except (OSError, imaplib.IMAP4.error) as exc:
        logger.debug("closing the IMAP connection failed: %s", exc)


def _server_words(exc: BaseException) -> str:
    text = str(exc).strip()
    # imaplib wraps the server's text as "b'[AUTHENTICATIONFAILED] ...'".
    if text.startswith(("b'", 'b"')) and text.endswith(("'", '"')):
        text = text[2:-1]
    return text or type(exc).__name__


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "replace")


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return str(value)
