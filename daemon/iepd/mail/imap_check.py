"""`iepd check --connect` for IMAP: log in as the daemon would, look at the inbox and the Sent
folder, and say in one line what works (TLS version, login, folders, IDLE) or, as a
MailServerError, what does not.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from iepd.config.model import ImapSettings
from iepd.errors import MailServerError
from iepd.mail import providers
from iepd.mail.credentials import Secret
from iepd.mail.imap import ImapSession


def check_imap(
    imap: ImapSettings,
    *,
    username: str,
    secret: Secret,
    auth: str,
    ca_file: Path | None,
    timeout: float = 30,
) -> str:
    """Given the IMAP settings and the login, log in, look at the inbox and the Sent
    folder, and return one line that reports it.

    Raise MailServerError with the failure (TLS, login, a missing folder) in words.
    """
    session = ImapSession(
        imap, username=username, secret=secret, auth=auth, ca_file=ca_file, timeout=timeout
    )
    with session:
        parts = [_tls_words(imap, session.client), f"login ok as {username}"]
        if not session.folder_exists(imap.inbox):
            raise MailServerError(
                f'{session.where}: the inbox folder "{imap.inbox}" (mail.imap.inbox) does not exist'
            )
        parts.append(f'inbox "{imap.inbox}" ok')
        if imap.sent_folder:
            # The folder `iepd run` files copies in: the configured one, else the one
            # flagged \\Sent, else one under the namespace ("INBOX.Sent") or commonly named.
            located = session.locate_sent_folder(imap.sent_folder)
            if located is None:
                raise MailServerError(
                    f"{session.where}: "
                    f"{providers.explain_missing_sent_folder(imap.sent_folder, None)}"
                )
            if located == imap.sent_folder:
                parts.append(f'Sent folder "{imap.sent_folder}" ok')
            else:
                parts.append(
                    f'no folder "{imap.sent_folder}", so Sent copies go to "{located}" '
                    f'(set mail.imap.sent_folder = "{located}" to say so)'
                )
        else:
            parts.append("no Sent copies (mail.imap.sent_folder is empty)")
        idle = "IDLE" in session.capabilities()
        parts.append("IDLE supported" if idle else "no IDLE: polling")
    return f"{session.where}: {', '.join(parts)}"


def _tls_words(imap: ImapSettings, client: Any) -> str:
    sock = client.socket()
    version = sock.version() if isinstance(sock, ssl.SSLSocket) else None
    label = {"tls": "TLS ok", "starttls": "STARTTLS ok"}.get(imap.security)
    if label is None:
        return "no TLS (loopback)"
    return f"{label} ({version})" if version else label
