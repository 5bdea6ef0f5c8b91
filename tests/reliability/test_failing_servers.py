"""`iepd run` against servers that fail: SMTP replies of 4xx and 5xx at each stage, a
recipient refused, a connection dropped after DATA, TLS that must not verify, a server that
offers no STARTTLS, an IMAP connection that goes silent, Dovecot killed mid-IDLE, and a full
disk. Each test checks what reached the school, what the parent was told and the store.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

from iepd.store.database import Store
from support.daemon import (
    NotifyListener,
    request_state,
    run_iepd,
    start_daemon,
    stop_daemon,
    wait_for,
)
from support.family import Family, new_family, speech_request
from support.mailboxes import parent_kinds, reply_to, school_mail
from support.mailservers import Dovecot, MailAccount, SilentProxy, SmtpServer, TlsFiles, free_ports

ACCOUNT = Callable[[str], MailAccount]


def letter_row(family: Family) -> Any:
    with Store.open(family.state_dir) as store:
        row = store.get_outgoing("request:sam-speech")
        events = [event.kind for event in store.events("sam-speech")]
        assert store.verify() == []
    return row, events


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


# -- SMTP replies ---------------------------------------------------------------------------


class GreetingServer:
    """A TCP server that answers every connection with one SMTP greeting line and closes:
    "421 ..." is how a busy or shutting-down server turns a client away at connect."""

    def __init__(self, greeting: bytes) -> None:
        self.greeting = greeting
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with connection:
                connection.sendall(self.greeting)
                with contextlib.suppress(OSError):
                    connection.settimeout(2)
                    connection.recv(1024)

    def close(self) -> None:
        self.listener.close()


def test_a_421_at_connect_leaves_the_letter_queued_for_a_later_try(family: Family) -> None:
    busy = GreetingServer(b"421 4.3.2 localhost too busy, try later\r\n")
    try:
        family.smtp_port = busy.port
        family.write()
        result = run_iepd(family)
    finally:
        busy.close()
    assert_no_traceback(result)
    assert busy.connections >= 1
    row, events = letter_row(family)
    assert row.step == "queued"
    assert row.next_try_at is not None
    assert "421" in (row.last_error or "")
    assert "send_failed" not in events
    assert request_state(family) == "queued"


TRANSIENT = [
    ("mail", "421 4.7.0 try again later, closing connection"),
    ("mail", "451 4.3.0 temporary local problem"),
    ("rcpt", "452 4.2.2 mailbox full, try later"),
    ("data", "451 4.3.0 try again later"),
    ("data", "452 4.3.1 insufficient system storage"),
]


@pytest.mark.parametrize(("stage", "reply"), TRANSIENT)
def test_a_temporary_refusal_is_retried_later_not_at_once_and_not_failed(
    stage: str, reply: str, family: Family, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    smtp_server.fail_next(stage, reply)
    result = run_iepd(family)
    assert_no_traceback(result)
    row, events = letter_row(family)
    assert (row.step, row.attempts) == ("queued", 1)
    assert row.next_try_at is not None
    assert reply.split()[0] in (row.last_error or "")
    assert "send_failed" not in events
    assert school_mail(dovecot, family) == []

    again = run_iepd(family)  # before next_try_at: the backoff holds
    assert again.returncode == 0, again.stderr
    assert school_mail(dovecot, family) == []
    assert letter_row(family)[0].attempts == 1


PERMANENT = [
    ("mail", "550 5.7.1 sender not allowed"),
    ("rcpt", "550 5.1.1 no such user"),
    ("data", "554 5.6.0 message content rejected"),
]


@pytest.mark.parametrize(("stage", "reply"), PERMANENT)
def test_a_permanent_refusal_fails_the_request_and_tells_the_parent_once(
    stage: str, reply: str, family: Family, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    smtp_server.fail_next(stage, reply)
    result = run_iepd(family)
    assert result.returncode == 0, result.stderr
    row, events = letter_row(family)
    assert row.step == "failed"
    assert events.count("send_failed") == 1
    assert request_state(family) == "failed"
    assert school_mail(dovecot, family) == []
    assert parent_kinds(dovecot, family) == ["send_failed"]
    run_iepd(family)
    assert parent_kinds(dovecot, family) == ["send_failed"]
    assert school_mail(dovecot, family) == []


def test_a_refused_principal_still_leaves_the_case_manager_with_the_letter_and_the_parent_told(
    family: Family, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    family.requests = [speech_request(urgent=True)]
    family.write()
    smtp_server.reject_recipient(family.principal, "550 5.1.1 principal: no such user")
    result = run_iepd(family)
    assert result.returncode == 0, result.stderr
    assert len(school_mail(dovecot, family)) == 1
    assert school_mail(dovecot, family, family.principal) == []
    assert sorted(parent_kinds(dovecot, family)) == ["send_failed", "sent"]
    row, events = letter_row(family)
    assert row.step == "done"
    assert events.count("send_failed") == 1 and events.count("request_sent") == 1
    assert request_state(family) == "sent"


def test_a_drop_after_data_is_uncertain_the_parent_told_and_nothing_resent(
    family: Family, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    smtp_server.drop_after_data_next()
    first = run_iepd(family)
    assert_no_traceback(first)
    second = run_iepd(family)
    assert second.returncode == 0, second.stderr
    assert len(school_mail(dovecot, family)) == 1  # the server kept it; nobody resent it
    assert parent_kinds(dovecot, family) == ["send_uncertain"]
    row, events = letter_row(family)
    assert row.step == "uncertain"
    assert events.count("send_uncertain") == 1
    assert "request_sent" not in events


# -- TLS ------------------------------------------------------------------------------------


def assert_refused_in_words(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    assert_no_traceback(result)
    assert result.stderr.strip().splitlines()[-1].startswith("iepd: "), result.stderr
    for word in words:
        assert word in result.stderr.lower(), result.stderr


def test_a_certificate_from_an_unknown_ca_is_refused_and_nothing_is_sent(
    family: Family, dovecot: Dovecot, smtp_server: SmtpServer, tls_files: TlsFiles
) -> None:
    family.ca_file = tls_files.other_ca_file
    family.write()
    result = run_iepd(family)
    assert_refused_in_words(result, "certificate")
    assert smtp_server.received == []
    assert school_mail(dovecot, family) == []


@pytest.mark.parametrize("variant", ["expired", "wrong_host"])
def test_an_expired_or_wrong_host_smtp_certificate_is_refused_and_nothing_is_sent(
    variant: str,
    tmp_path: Path,
    dovecot: Dovecot,
    tls_files: TlsFiles,
    new_mail_account: ACCOUNT,
) -> None:
    files = tls_files.expired() if variant == "expired" else tls_files.wrong_host()
    with SmtpServer(files, dovecot=dovecot) as bad_smtp:
        family = new_family(tmp_path, dovecot, bad_smtp, new_mail_account)
        result = run_iepd(family)
        assert_refused_in_words(result, "certificate")
        assert bad_smtp.received == []
    assert school_mail(dovecot, family) == []
    row, _ = letter_row(family)
    assert row.step == "queued"


class _RecordingSMTP(SMTP):
    """aiosmtpd's server, noting every AUTH command that reaches it."""

    async def smtp_AUTH(self, arg: str) -> None:
        self.event_handler.commands.append(f"AUTH {arg.split()[0] if arg else ''}")
        await super().smtp_AUTH(arg)

    async def smtp_EHLO(self, hostname: str) -> None:
        self.event_handler.commands.append("EHLO")
        await super().smtp_EHLO(hostname)


class _RecordingController(Controller):
    def factory(self) -> SMTP:
        return _RecordingSMTP(self.handler, **self.SMTP_kwargs)


class _Handler:
    def __init__(self) -> None:
        self.commands: list[str] = []
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def clear_text_smtp() -> Iterator[tuple[int, _Handler]]:
    """An SMTP server without STARTTLS that would take AUTH in clear, and records it."""
    handler = _Handler()

    def authenticate(*args: Any) -> AuthResult:
        handler.commands.append("AUTH checked")
        return AuthResult(success=True)

    [port] = free_ports(1)
    controller = _RecordingController(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_required=False,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def test_no_starttls_offered_means_no_login_in_clear_and_nothing_sent(
    family: Family, clear_text_smtp: tuple[int, _Handler]
) -> None:
    port, handler = clear_text_smtp
    family.smtp_port = port
    family.write()
    result = run_iepd(family)
    assert_refused_in_words(result, "starttls")
    assert "EHLO" in handler.commands  # iepd did talk to it...
    assert not [command for command in handler.commands if command.startswith("AUTH")]
    assert handler.messages == []
    row, _ = letter_row(family)
    assert row.step == "queued"


# -- IMAP going silent or away while the daemon runs ------------------------------------------


def answer_the_letter(dovecot: Dovecot, family: Family) -> None:
    [letter] = school_mail(dovecot, family)
    dovecot.deliver(
        family.parent,
        reply_to(letter, family, "Thank you; we will hold an IEP meeting. Dates to follow."),
        mail_from=family.case_manager,
    )


IDLE_REFRESH = 3.0


def set_imap(family: Family, *, port: int | None = None, extra: str = "") -> None:
    """Rewrite the family's config with another IMAP port and extra [mail.imap] keys."""
    if port is not None:
        family.imap_port = port
    family.write()
    if extra:
        text = family.config_path.read_text()
        family.config_path.write_text(text.replace("[mail.imap]\n", f"[mail.imap]\n{extra}\n", 1))


def test_a_silent_imap_connection_is_noticed_within_about_a_refresh_and_caught_up(
    family: Family, dovecot: Dovecot, tmp_path: Path, notify: NotifyListener
) -> None:
    log = tmp_path / "iepd.log"
    with SilentProxy(dovecot.imap_port) as proxy:
        set_imap(family, port=proxy.port, extra=f'idle_refresh = "{IDLE_REFRESH:g}s"')
        daemon = start_daemon(family, extra_env=notify.environ(), log=log)
        try:
            wait_for(notify.ready, "READY")
            wait_for(lambda: len(school_mail(dovecot, family)) == 1, "the letter")
            time.sleep(0.5)  # let the watcher settle in IDLE
            proxy.pause()
            silent_at = time.monotonic()
            answer_the_letter(dovecot, family)
            # Noticed: the watcher gives up on the silent connection and tries a new one.
            wait_for(
                lambda: "reconnecting" in log.read_text(),
                "the watcher to notice the silence",
                deadline=IDLE_REFRESH * 2 + 15,
            )
            noticed_after = time.monotonic() - silent_at
            assert request_state(family) == "sent"  # nothing could be seen meanwhile
            proxy.resume()
            answered = ("answered", "acknowledged")  # v2: acknowledged once planned
            wait_for(lambda: request_state(family) in answered, "the answer after resuming")
            # The reminder is mailed right after the answer is recorded, not with it.
            wait_for(lambda: "answer" in parent_kinds(dovecot, family), "the answer reminder")
        finally:
            status, _ = stop_daemon(daemon)
    print(f"\nsilence noticed after {noticed_after:.1f} s (idle_refresh {IDLE_REFRESH:g} s)")
    assert status == 0, log.read_text()
    assert "Traceback" not in log.read_text()


@pytest.fixture
def own_servers(
    private_dovecot: Dovecot, tls_files: TlsFiles
) -> Iterator[tuple[Dovecot, SmtpServer, ACCOUNT]]:
    """The private Dovecot (a test may kill it), an SMTP server delivering to it, and an
    account factory for it (accounts added in one go: each add costs up to a second)."""
    accounts = [
        MailAccount(f"{prefix}-{secrets.token_hex(4)}@example.test", secrets.token_urlsafe(12))
        for prefix in ("parent", "school", "school")
    ]
    private_dovecot.add_users(accounts)
    pool = list(accounts)
    with SmtpServer(tls_files, dovecot=private_dovecot) as smtp:
        yield private_dovecot, smtp, lambda prefix: pool.pop(0)


def test_dovecot_killed_mid_idle_then_restarted_the_answer_is_recorded_after_the_reconnect(
    own_servers: tuple[Dovecot, SmtpServer, ACCOUNT], tmp_path: Path, notify: NotifyListener
) -> None:
    server, smtp, accounts = own_servers
    family = new_family(tmp_path, server, smtp, accounts)
    log = tmp_path / "iepd.log"
    daemon = start_daemon(family, extra_env=notify.environ(), log=log)
    try:
        wait_for(notify.ready, "READY")
        wait_for(lambda: len(school_mail(server, family)) == 1, "the letter")
        time.sleep(0.5)
        server.kill()  # SIGKILL: every connection dies without a word
        server.start()
        answer_the_letter(server, family)
        answered = ("answered", "acknowledged")  # v2: acknowledged once planned
        wait_for(lambda: request_state(family) in answered, "the answer after the reconnect")
        wait_for(lambda: "answer" in parent_kinds(server, family), "the answer reminder")
    finally:
        status, _ = stop_daemon(daemon)
    text = log.read_text()
    assert status == 0, text
    assert "reconnecting" in text
    assert "Traceback" not in text
    with Store.open(family.state_dir) as store:
        assert [e.kind for e in store.events("sam-speech")].count("reply_received") == 1
        assert store.verify() == []


# -- a full disk ------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount_point)],
            check=True,
            capture_output=True,
            text=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or error
        pytest.skip(f"cannot mount a small tmpfs here (needs root and mount rights): {detail}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False, capture_output=True)


def fill(folder: Path) -> None:
    """Write a file into folder until the file system has no byte left."""
    with (folder / "filler").open("wb", buffering=0) as filler:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    filler.write(b"\0" * size)
    os.sync()


def test_a_full_disk_sends_nothing_without_a_durable_record_and_says_so(
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    new_mail_account: ACCOUNT,
    small_disk: Path,
) -> None:
    family = new_family(
        tmp_path,
        dovecot,
        smtp_server,
        new_mail_account,
        requests=[speech_request(extra="hold = true")],
    )
    state = small_disk / "state"
    text = family.config_path.read_text().replace(str(family.state_dir), str(state))
    family.config_path.write_text(text)
    held = run_iepd(family)  # creates the store while there is room
    assert held.returncode == 0, held.stderr

    fill(small_disk)
    family.config_path.write_text(text.replace("hold = true", "hold = false"))
    result = run_iepd(family)

    assert result.returncode != 0
    assert_no_traceback(result)
    assert result.stderr.strip().splitlines()[-1].startswith("iepd: "), result.stderr
    last_line = result.stderr.strip().splitlines()[-1]
    assert "state database" in last_line or "space" in last_line, result.stderr
    print(f"\nfull disk: exit {result.returncode}: {last_line}")
    assert smtp_server.received == []
    assert school_mail(dovecot, family) == []

    (small_disk / "filler").unlink()  # room again: the letter goes out, once
    recovered = run_iepd(family)
    assert recovered.returncode == 0, recovered.stderr
    assert len(school_mail(dovecot, family)) == 1
    with Store.open(state) as store:
        assert store.verify() == []
        assert store.integrity_check() == "ok"
