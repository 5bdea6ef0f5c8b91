"""A private Dovecot 2.3 instance for the tests."""

from __future__ import annotations

import grp
import math
import os
import pwd
import re
import shutil
import smtplib
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from .certificates import TlsFiles
from .imap import imap_append, imap_flags, imap_messages, imap_uidvalidity
from .processes import HOST, ServerProcess, free_ports, wait_for_greeting

DOVECOT_BINARY = "/usr/sbin/dovecot"
DOVECOT_INSTALL = (
    "sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive "
    "apt-get install -y dovecot-imapd dovecot-lmtpd"
)
TEMPLATE = Path(__file__).parent / "dovecot.conf.template"
# Replacements for the template's `namespace inbox { ... }` block (Dovecot(namespace=...)).
# Debian's stock Cyrus (and Courier): every folder under "INBOX." with "." between levels,
# and no folder flagged \Sent; the Sent folder, if any, is "INBOX.Sent".
CYRUS_NAMESPACE = """namespace inbox {
  inbox = yes
  prefix = INBOX.
  separator = .
}
"""
# An account with no Sent folder at all, and so none flagged \Sent.
NO_SENT_NAMESPACE = """namespace inbox {
  inbox = yes
  separator = /
}
"""
_NAMESPACE_BLOCK = re.compile(r"^namespace inbox \{\n.*?^\}\n", re.DOTALL | re.MULTILINE)


class MailAccount(NamedTuple):
    """A login on a test server."""

    user: str
    password: str


class Dovecot(ServerProcess):
    """A private Dovecot 2.3 in its own folder under /tmp: passwd-file users, maildir,
    IMAP (plain and STARTTLS), IMAPS and LMTP on 127.0.0.1, on ports chosen by the OS.
    start() returns once IMAP and LMTP greet; stop() is a SIGTERM, which closes every
    client connection."""

    host = HOST

    def __init__(
        self, tls: TlsFiles, binary: str = DOVECOT_BINARY, namespace: str | None = None
    ) -> None:
        self.binary = binary
        self.tls = tls
        self.namespace = namespace
        self.ca_file = tls.ca_file
        self.imap_port, self.imaps_port, self.lmtp_port = free_ports(3)
        # pytest's tmp folders are 0700; root's dovecot workers run as dovecot and dovenull
        # and must traverse the instance folder, so it lives directly under /tmp.
        self.directory = Path(tempfile.mkdtemp(prefix="iepd-dovecot-", dir="/tmp"))
        self.directory.chmod(0o755)
        self.log = self.directory / "dovecot.log"
        self._users: dict[str, str] = {}
        self._lock = threading.Lock()
        self._prepare()

    def _prepare(self) -> None:
        tls_dir = self.directory / "tls"
        tls_dir.mkdir()
        shutil.copyfile(self.tls.cert_file, tls_dir / "server.crt")
        shutil.copyfile(self.tls.key_file, tls_dir / "server.key")
        (tls_dir / "server.key").chmod(0o600)
        (self.directory / "users").touch(0o644)
        mail = self.directory / "mail"
        mail.mkdir()
        if os.geteuid() == 0:
            shutil.chown(mail, "dovecot", "dovecot")
        self._configure()

    def _configure(self) -> None:
        if os.geteuid() == 0:
            # imap-login refuses to run as root; mail is stored as the dovecot user.
            login = "dovenull"
            internal = group = mail_uid = mail_gid = "dovecot"
        else:
            login = internal = mail_uid = pwd.getpwuid(os.getuid()).pw_name
            group = mail_gid = grp.getgrgid(os.getgid()).gr_name
        values = {
            "DIR": str(self.directory),
            "NAME": self.directory.name,
            "IMAP_PORT": str(self.imap_port),
            "IMAPS_PORT": str(self.imaps_port),
            "LMTP_PORT": str(self.lmtp_port),
            "LOGIN_USER": login,
            "INTERNAL_USER": internal,
            "INTERNAL_GROUP": group,
            "MAIL_UID": mail_uid,
            "MAIL_GID": mail_gid,
        }
        text = TEMPLATE.read_text()
        if self.namespace is not None:
            text, count = _NAMESPACE_BLOCK.subn(lambda _: self.namespace or "", text)
            assert count == 1, "the template's namespace block was not found"
        for name, value in values.items():
            text = text.replace(f"@{name}@", value)
        self.config = self.directory / "dovecot.conf"
        self.config.write_text(text)

    def __repr__(self) -> str:
        return f"Dovecot(imap={self.imap_port}, imaps={self.imaps_port}, lmtp={self.lmtp_port})"

    # lifecycle (the rest is ServerProcess's)

    def _command(self) -> list[str]:
        return [self.binary, "-F", "-c", str(self.config)]

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        # The greeting names this instance; once it is seen, the master has bound every
        # listener (it binds all before serving any), so the LMTP port is ours too.
        greeting = f"iepd-test {self.directory.name} ready".encode()
        wait_for_greeting(self.imap_port, greeting, process, self.log)
        wait_for_greeting(self.lmtp_port, b"220 ", process, self.log)

    def _choose_ports(self) -> None:
        self.imap_port, self.imaps_port, self.lmtp_port = free_ports(3)
        self._configure()

    def restart(self) -> None:
        """Stop, then start again on the same ports with the same mailboxes."""
        self.stop()
        self.start()

    # users and mail

    def add_user(self, name: str, password: str) -> None:
        """Add a login; return once dovecot can see it (see add_users)."""
        self.add_users([(name, password)])

    def add_users(self, accounts: Iterable[tuple[str, str]]) -> None:
        """Add logins to the passwd-file; if dovecot is running, return only once it will
        see them. Dovecot stats the file at most once per wall-clock second, so a line
        written in the second of its last look stays unseen until the next second: add
        many accounts in one call, or before start(), to pay that wait once."""
        lines = []
        with self._lock:
            for name, password in accounts:
                if any(character in name for character in ":/ \n") or any(
                    character in password for character in ":\n"
                ):
                    raise ValueError(f"{name!r}: a passwd-file field cannot hold that")
                if name in self._users:
                    raise ValueError(f"user {name!r} already exists")
                self._users[name] = password
                lines.append(f"{name}:{{PLAIN}}{password}\n")
            with open(self.directory / "users", "a") as users:
                users.writelines(lines)
            written = time.time()
        if self.running:
            time.sleep(math.floor(written) + 1.01 - written)

    def has_user(self, address: str) -> bool:
        """Return whether address (with any +detail dropped) is a mailbox of this server."""
        local, _, domain = address.rpartition("@")
        return f"{local.split('+', 1)[0]}@{domain}" in self._users

    def check_password(self, name: str, password: str) -> bool:
        return self._users.get(name) == password

    def deliver(self, user: str, raw: bytes, mail_from: str = "school@example.test") -> None:
        """Deliver raw to user's INBOX over LMTP, as the school's mail server would.
        Raise smtplib.SMTPException if dovecot refuses it."""
        with smtplib.LMTP(self.host, self.lmtp_port, timeout=10) as lmtp:
            # One recipient per transaction: LMTP answers per recipient after DATA and
            # smtplib reads only the first of those replies.
            lmtp.sendmail(mail_from, [user], raw)

    def append(
        self, user: str, password: str, folder: str, raw: bytes, flags: Iterable[str] = ()
    ) -> int | None:
        """APPEND raw to folder with flags; return its UID."""
        return imap_append(self.host, self.imap_port, user, password, folder, raw, flags)

    def messages(self, user: str, password: str, folder: str = "INBOX") -> list[bytes]:
        return imap_messages(self.host, self.imap_port, user, password, folder)

    def flags(self, user: str, password: str, folder: str = "INBOX") -> dict[int, frozenset[str]]:
        return imap_flags(self.host, self.imap_port, user, password, folder)

    def uidvalidity(self, user: str, password: str, folder: str = "INBOX") -> int:
        return imap_uidvalidity(self.host, self.imap_port, user, password, folder)

    def set_uidvalidity_change(self, user: str, folder: str = "INBOX") -> int:
        """Give folder a new, larger UIDVALIDITY (messages stay, every cached UID becomes
        invalid, as after a server migration); return the new value."""
        current = self.uidvalidity(user, self._users[user], folder)
        new = current + 1
        subprocess.run(
            [
                shutil.which("doveadm") or "/usr/bin/doveadm",
                "-c",
                str(self.config),
                "mailbox",
                "update",
                "--uid-validity",
                str(new),
                "-u",
                user,
                folder,
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        return new
