"""The mail password never leaks: not to the logs, the database, the state folder, a repr,
an error message, nor the command line or environment of a child process; and the state
folder is private (folders 0700, files 0600, the SQLite -wal/-shm and every .eml included).

The password is the parent's real login on the test Dovecot, so the flows below really use
it; each search looks for it and for its base64 forms (alone, and as AUTH PLAIN sends it).
"""

from __future__ import annotations

import asyncio
import base64
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from iepd.config.load import load_config
from iepd.config.model import Config
from iepd.errors import MailServerError
from iepd.mail.credentials import Secret
from iepd.mail.imap import ImapSession
from iepd.mail.imap_check import check_imap
from iepd.mail.smtp import check_smtp
from iepd.mail.transport import MailTransport
from support.daemon import (
    NotifyListener,
    request_state,
    run_iepd,
    start_daemon,
    stop_daemon,
    wait_for,
)
from support.family import Family
from support.mailboxes import reply_to, school_mail
from support.mailservers import Dovecot


def forms(family: Family, password: str | None = None) -> list[bytes]:
    """The password as bytes, and the base64 encodings a leak could take."""
    secret = (password or family.parent_password).encode()
    user = family.parent.encode()
    return [
        secret,
        base64.b64encode(secret),
        base64.b64encode(b"\0" + user + b"\0" + secret),  # AUTH PLAIN
        base64.b64encode(user + b"\0" + secret),
    ]


def leaks(data: bytes | str, family: Family, password: str | None = None) -> list[bytes]:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return [form for form in forms(family, password) if form in data]


def state_files(family: Family) -> list[Path]:
    return [path for path in family.state_dir.rglob("*") if path.is_file()]


def assert_private(family: Family) -> None:
    folders = [family.state_dir, *(p for p in family.state_dir.rglob("*") if p.is_dir())]
    for folder in folders:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for path in state_files(family):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def use_password_command(family: Family, delay: float = 0.0) -> Path:
    """Switch the family to mail.password.source = "command": a script that waits a moment
    (so its /proc entries can be read) and prints the password from a file of its own."""
    secret_file = family.root / "secret.txt"
    secret_file.write_text(family.parent_password + "\n")
    secret_file.chmod(0o600)
    script = family.root / "print-password"
    script.write_text(f"#!/bin/sh\nsleep {delay}\nexec cat '{secret_file}'\n")
    script.chmod(0o700)
    text = family.config_path.read_text()
    family.config_path.write_text(
        text.replace('source = "credential"', f'source = "command"\ncommand = ["{script}"]')
    )
    return script


def test_the_send_flow_with_a_credential_file_leaks_nothing_and_keeps_the_state_private(
    family: Family, dovecot: Dovecot
) -> None:
    result = run_iepd(family, "--verbose", "run", "--once")
    assert result.returncode == 0, result.stderr
    assert len(school_mail(dovecot, family)) == 1  # the password really was used
    assert "DEBUG" in result.stderr  # verbose logging was on
    assert leaks(result.stderr + result.stdout, family) == []
    files = state_files(family)
    assert any(path.suffix == ".eml" for path in files)
    for path in files:
        assert leaks(path.read_bytes(), family) == [], path
    assert_private(family)


def test_the_daemon_with_a_password_command_leaks_nothing_to_its_child_or_its_state(
    family: Family, dovecot: Dovecot, notify: NotifyListener
) -> None:
    script = use_password_command(family, delay=1.5)
    daemon = start_daemon(family, "--verbose", "run", extra_env=notify.environ())
    seen_children: list[tuple[bytes, bytes]] = []
    try:
        # While the password command sleeps, read its argv and environment.
        deadline = time.monotonic() + 20
        while not seen_children and time.monotonic() < deadline:
            seen_children = children_of(daemon.pid)
            time.sleep(0.05)
        wait_for(notify.ready, "READY")
        wait_for(lambda: len(school_mail(dovecot, family)) == 1, "the letter")
        [letter] = school_mail(dovecot, family)
        dovecot.deliver(
            family.parent,
            reply_to(letter, family, "Yes, we will meet; dates to follow."),
            mail_from=family.case_manager,
        )
        # v2: an answer with no date is "acknowledged" once the planner has read it
        wait_for(lambda: request_state(family) in ("answered", "acknowledged"), "the answer")
        own = Path(f"/proc/{daemon.pid}")
        own_argv_env = (own / "cmdline").read_bytes() + (own / "environ").read_bytes()
        # While it runs the WAL and its index exist too: they must be private as well.
        assert any(path.name.endswith("-wal") for path in state_files(family))
        assert_private(family)
        running_files = {path: path.read_bytes() for path in state_files(family)}
    finally:
        status, stderr = stop_daemon(daemon)
    assert status == 0, stderr
    assert seen_children, "the password command was never seen running"
    for argv, environ in seen_children:
        assert str(script).encode() in argv
        assert leaks(argv + environ, family) == []
    assert leaks(own_argv_env, family) == []
    assert "DEBUG" in stderr and leaks(stderr, family) == []
    for path, data in running_files.items():
        assert leaks(data, family) == [], path
    for path in state_files(family):
        assert leaks(path.read_bytes(), family) == [], path
    assert_private(family)


def children_of(pid: int) -> list[tuple[bytes, bytes]]:
    """Return (cmdline, environ) of every live child process of pid."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(((entry / "cmdline").read_bytes(), (entry / "environ").read_bytes()))
        except (OSError, IndexError, ValueError):
            continue
    return found


@pytest.fixture
def loaded(family: Family) -> Iterator[tuple[Family, Config]]:
    config = load_config(family.config_path, family.environ())
    yield family, config


def test_reprs_of_secret_transport_and_sessions_show_no_password(
    loaded: tuple[Family, Config],
) -> None:
    family, config = loaded
    secret = Secret(family.parent_password)
    mail = config.mail
    session = ImapSession(
        mail.imap, username=mail.username, secret=secret, auth=mail.auth, ca_file=mail.ca_file
    )
    texts = [
        repr(secret),
        str(secret),
        f"{secret}",
        repr(MailTransport(config, secret)),
        repr(session),
        repr(config),
        repr(vars(session)) if hasattr(session, "__dict__") else "",
    ]
    for text in texts:
        assert leaks(text, family) == [], text
    with session:  # an open session too
        assert leaks(repr(session), family) == []


def test_a_refused_login_says_so_without_the_password_it_tried(
    loaded: tuple[Family, Config],
) -> None:
    family, config = loaded
    wrong = "Wr0ng-" + family.parent_password[::-1] + "-pw"
    secret = Secret(wrong)
    mail = config.mail
    words = []
    with pytest.raises(MailServerError) as imap_error:
        check_imap(
            mail.imap, username=mail.username, secret=secret, auth="password", ca_file=mail.ca_file
        )
    words.append(str(imap_error.value))
    with pytest.raises(MailServerError) as smtp_error:
        asyncio.run(
            check_smtp(
                mail.smtp,
                username=mail.username,
                secret=secret,
                auth="password",
                ca_file=mail.ca_file,
            )
        )
    words.append(str(smtp_error.value))
    (family.credentials_dir / "iepd-mail-password").write_text(wrong + "\n")
    result = run_iepd(family, "--verbose", "run", "--once")
    assert result.returncode != 0
    words.append(result.stderr)
    for text in words:
        assert "login" in text.lower(), text
        assert leaks(text, family, wrong) == [], text
        assert leaks(text, family) == [], text
    for path in state_files(family):
        assert leaks(path.read_bytes(), family, wrong) == [], path


def test_the_password_command_gets_no_password_in_argv_or_environment(family: Family) -> None:
    # Without a sleep: what iepd passes is decided before the child runs; check the config
    # argv is passed as given and iepd adds nothing of the secret to the child environment.
    script = use_password_command(family)
    marker = family.root / "child-environ"
    script.write_text(
        script.read_text().replace(
            "exec cat", f"env > '{marker}'\nprintf '%s\\n' \"$0 $*\" >> '{marker}'\nexec cat"
        )
    )
    result = run_iepd(family, "check", "--connect")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "login ok" in result.stdout
    recorded = marker.read_bytes()
    assert str(script).encode() in recorded
    assert leaks(recorded, family) == []
    assert leaks(result.stdout + result.stderr, family) == []
