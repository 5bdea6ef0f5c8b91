"""Real mail servers on 127.0.0.1 for the tests: a private Dovecot, an aiosmtpd submission
server and pymap, the test PKI they present, and a proxy that can go silent in front of one.

Nothing here imports pytest: `tests/conftest.py` wraps these classes in fixtures, and a
benchmark or a shell session can use them directly (`sys.path` must hold `tests/`).
"""

from __future__ import annotations

from .certificates import TlsFiles, make_certs
from .dovecot import (
    CYRUS_NAMESPACE,
    DOVECOT_BINARY,
    DOVECOT_INSTALL,
    NO_SENT_NAMESPACE,
    Dovecot,
    MailAccount,
)
from .imap import imap_append, imap_flags, imap_login, imap_messages, imap_uidvalidity
from .processes import HOST, free_ports, live_processes_in_group
from .proxy import SilentProxy
from .pymap_server import Pymap
from .smtp import Envelope, Rejection, SmtpServer

__all__ = [
    "CYRUS_NAMESPACE",
    "DOVECOT_BINARY",
    "DOVECOT_INSTALL",
    "HOST",
    "NO_SENT_NAMESPACE",
    "Dovecot",
    "Envelope",
    "MailAccount",
    "Pymap",
    "Rejection",
    "SilentProxy",
    "SmtpServer",
    "TlsFiles",
    "free_ports",
    "imap_append",
    "imap_flags",
    "imap_login",
    "imap_messages",
    "imap_uidvalidity",
    "live_processes_in_group",
    "make_certs",
]
