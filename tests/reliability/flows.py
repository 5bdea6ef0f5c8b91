"""What the reliability tests share: running iepd as a subprocess and reading mailboxes.

`iepd run` always runs as a real process (python -m iepd) against the test servers, so a
SIGKILL, a full disk or a leaked password is observed exactly as a user would meet it.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from pathlib import Path

from iepd.store.database import Store
from support.family import Family
from support.mailservers import Dovecot

RUN_TIMEOUT = 60.0


def environ(family: Family, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = family.environ({"PATH": os.environ["PATH"], "HOME": str(family.root)})
    env.update(extra or {})
    return env


def run_iepd(
    family: Family,
    *args: str,
    crash_at: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `iepd ARGS` (default: run --once) to its end; return its status and output."""
    env = environ(family, extra_env)
    if crash_at:
        env["IEPD_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "iepd", *(args or ("run", "--once"))],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


def start_daemon(
    family: Family, extra_env: Mapping[str, str] | None = None, *args: str
) -> subprocess.Popen[str]:
    """Start `iepd run` (the daemon) with its stderr captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "iepd", *(args or ("run",))],
        env=environ(family, extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_daemon(process: subprocess.Popen[str]) -> tuple[int, str]:
    """SIGTERM the daemon (SIGKILL if it lingers); return its status and stderr."""
    if process.poll() is None:
        process.terminate()
    try:
        _, stderr = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    return process.returncode, stderr


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def mailbox(
    dovecot: Dovecot, user: str, password: str, folder: str = "INBOX"
) -> list[EmailMessage]:
    return [parsed(raw) for raw in dovecot.messages(user, password, folder)]


def school_mail(dovecot: Dovecot, family: Family, who: str | None = None) -> list[EmailMessage]:
    who = who or family.case_manager
    return mailbox(dovecot, who, family.passwords[who])


def parent_kinds(dovecot: Dovecot, family: Family) -> list[str]:
    """The X-IEPD-Kind of each message in the parent's inbox ("letter" for others)."""
    return [
        str(message["X-IEPD-Kind"] or "letter")
        for message in mailbox(dovecot, family.parent, family.parent_password)
    ]


def sent_folder(dovecot: Dovecot, family: Family) -> list[EmailMessage]:
    return mailbox(dovecot, family.parent, family.parent_password, "Sent")


def reply_to(letter: EmailMessage, family: Family, body: str) -> bytes:
    """The case manager's answer to letter, in its thread."""
    reply = EmailMessage(policy=email.policy.SMTP)
    reply["From"] = f"Dana Alvarez <{family.case_manager}>"
    reply["To"] = family.parent
    reply["Subject"] = "Re: " + str(letter["Subject"])
    reply["Message-ID"] = email.utils.make_msgid(domain="example.test")
    reply["In-Reply-To"] = str(letter["Message-ID"])
    reply["References"] = str(letter["Message-ID"])
    reply["Date"] = email.utils.formatdate(localtime=True)
    reply.set_content(body)
    return reply.as_bytes()


def wait_for(condition: Callable[[], bool], what: str, deadline: float = 40.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def set_imap(family: Family, *, port: int | None = None, extra: str = "") -> None:
    """Rewrite the family's config with another IMAP port and extra [mail.imap] keys."""
    if port is not None:
        family.imap_port = port
    family.write()
    if extra:
        text = family.config_path.read_text()
        family.config_path.write_text(text.replace("[mail.imap]\n", f"[mail.imap]\n{extra}\n", 1))


class ReadyListener:
    """A NOTIFY_SOCKET for the daemon: tells when it has sent READY=1 (start-up done)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(path))
        self._socket.setblocking(False)
        self.seen: list[str] = []

    def environ(self) -> dict[str, str]:
        return {"NOTIFY_SOCKET": str(self.path)}

    def ready(self) -> bool:
        while True:
            try:
                self.seen.extend(self._socket.recv(4096).decode().splitlines())
            except BlockingIOError:
                return "READY=1" in self.seen

    def forget(self) -> None:
        self.ready()
        self.seen.clear()

    def close(self) -> None:
        self._socket.close()
        self.path.unlink(missing_ok=True)


def start_daemon_logging_to(
    family: Family, log: Path, extra_env: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start `iepd run` with its stderr going to log, which a test can read while it runs."""
    with log.open("w") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "iepd", "run"],
            env=environ(family, extra_env),
            stdout=subprocess.DEVNULL,
            stderr=output,
            text=True,
        )


def request_state(family: Family, request_id: str = "sam-speech") -> str | None:
    if not (family.state_dir / "iepd.sqlite3").exists():
        return None
    with Store.open(family.state_dir) as store:
        row = store.get_request(request_id)
    return row.state if row else None
