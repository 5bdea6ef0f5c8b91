"""The mail connections one configured account offers: SMTP submission and the IMAP folders.

A thin async face over ``outbox`` (aiosmtplib) and ``imap`` (imapclient, run in a worker
thread because it blocks), holding the connection facts and the secret so that callers pass
only what changes per message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from iepd.config.model import Config
from iepd.mail import imap
from iepd.mail import smtp as outbox
from iepd.mail.credentials import Secret


class MailTransport:
    """Given a config and its secret, send and file mail for that account."""

    def __init__(self, config: Config, secret: Secret) -> None:
        self._config = config
        self._secret = secret

    def __repr__(self) -> str:
        return f"MailTransport({self._config.mail.username!r})"

    async def send(
        self,
        *,
        envelope_from: str,
        recipients: Sequence[str],
        raw: bytes,
        on_step: Callable[[str], None],
    ) -> outbox.SendResult:
        mail = self._config.mail
        return await outbox.send_raw(
            mail.smtp,
            username=mail.username,
            secret=self._secret,
            auth=mail.auth,
            ca_file=mail.ca_file,
            envelope_from=envelope_from,
            recipients=recipients,
            raw=raw,
            on_step=on_step,
        )

    def session(self, timeout: float = 60) -> imap.ImapSession:
        """Return a new, not yet opened IMAP session for this account (the watcher opens
        its own with a shorter read timeout)."""
        mail = self._config.mail
        return imap.ImapSession(
            mail.imap,
            username=mail.username,
            secret=self._secret,
            auth=mail.auth,
            ca_file=mail.ca_file,
            timeout=timeout,
        )

    @property
    def files_sent_copies(self) -> bool:
        """Whether iepd should APPEND the Sent copy. Gmail and Microsoft 365 file their own
        a moment after SMTP accepts the message, too late for a search right after the send
        to see it, so for them an APPEND would risk a second copy."""
        imap = self._config.mail.imap
        return bool(imap.sent_folder) and not self._config.mail.provider_files_sent

    async def sent_copy_exists(self, message_id: str) -> bool:
        """Return True if the Sent folder holds a message with this Message-ID."""
        folder = self._config.mail.imap.sent_folder
        if not folder:
            return False

        def look() -> bool:
            with self.session() as session:
                # The folder the server flags \Sent when the configured one is missing.
                return session.find_sent_copy(folder, message_id)

        return await asyncio.to_thread(look)

    async def inbox_has(self, message_id: str) -> bool:
        """Return True if the inbox holds a message with this Message-ID (a reminder to self)."""
        folder = self._config.mail.imap.inbox

        def look() -> bool:
            with self.session() as session:
                return session.has_message_id(folder, message_id)

        return await asyncio.to_thread(look)

    async def file_sent_copy(self, raw: bytes, message_id: str) -> bool:
        """Put one copy in the Sent folder unless one is there; return True if appended."""
        folder = self._config.mail.imap.sent_folder
        if not folder:
            return False

        def file() -> bool:
            with self.session() as session:
                return session.file_sent_copy(folder, raw, message_id)

        return await asyncio.to_thread(file)
