"""Fixtures shared by every test: the test PKI, real mail servers on 127.0.0.1, a family's
config for them, and systemd's side of NOTIFY_SOCKET.

The machinery lives in `tests/support/` (the servers in `support/mailservers/`); these
fixtures only decide lifetimes. One Dovecot serves the whole session and every test gets
fresh accounts on it; SMTP servers and pymap are per test because tests inject faults into
them or fill them.

The folders: `unit/` pure logic and quick tests (a temporary SQLite file at most);
`offline/` real files, SQLite and subprocesses, no mail server; `integration/` each shell
against a real server; `e2e/` `iepd` as a subprocess against both; `reliability/` crashes,
failing servers, hostile input, secrets.
"""

from __future__ import annotations

import itertools
import secrets
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.daemon import NotifyListener
from support.family import Family, new_family
from support.mailservers import (
    DOVECOT_BINARY,
    DOVECOT_INSTALL,
    Dovecot,
    MailAccount,
    Pymap,
    SmtpServer,
    TlsFiles,
    make_certs,
)

TESTS = Path(__file__).parent
SERVER_SUITES = (TESTS / "integration", TESTS / "e2e")
DOVECOT_PROGRAMS = (
    Path(DOVECOT_BINARY),
    Path("/usr/lib/dovecot/imap"),
    Path("/usr/lib/dovecot/lmtp"),
)


_account_numbers = itertools.count(1)
POOLED_PREFIXES = ("parent", "school", "principal")
POOL_SIZE = 100


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under integration/ and e2e/ so `-m "not integration"` skips servers."""
    for item in items:
        if any(item.path.is_relative_to(suite) for suite in SERVER_SUITES):
            item.add_marker(pytest.mark.integration)


def _require_dovecot() -> None:
    missing = [str(program) for program in DOVECOT_PROGRAMS if not program.exists()]
    if missing:
        pytest.fail(
            f"Dovecot is not installed ({', '.join(missing)} missing); run:\n"
            f"  {DOVECOT_INSTALL}\n(`make test` does this itself when run as root)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """The test CA, a server certificate for localhost/127.0.0.1 and failing variants."""
    return make_certs(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def _account_pool() -> dict[str, deque[MailAccount]]:
    """Accounts the session's Dovecot knows from its start: an account added to a running
    Dovecot costs up to a second (see Dovecot.add_users), a pooled one nothing."""
    return {prefix: deque(_new_accounts(prefix, POOL_SIZE)) for prefix in POOLED_PREFIXES}


@pytest.fixture(scope="session")
def dovecot(tls_files: TlsFiles, _account_pool: dict[str, deque[MailAccount]]) -> Iterator[Dovecot]:
    """The session's Dovecot. A test may restart it; use `private_dovecot` to kill one."""
    _require_dovecot()
    server = Dovecot(tls_files)
    try:
        server.add_users([account for accounts in _account_pool.values() for account in accounts])
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def private_dovecot(tls_files: TlsFiles) -> Iterator[Dovecot]:
    """A Dovecot of this test's own, for tests that kill or stop it."""
    _require_dovecot()
    server = Dovecot(tls_files)
    try:
        server.start()
        yield server
    finally:
        server.close()


def _new_accounts(prefix: str, count: int) -> list[MailAccount]:
    return [
        MailAccount(f"{prefix}-{next(_account_numbers)}@example.test", secrets.token_urlsafe(12))
        for _ in range(count)
    ]


@pytest.fixture
def new_mail_account(
    dovecot: Dovecot, _account_pool: dict[str, deque[MailAccount]]
) -> Callable[[str], MailAccount]:
    """A factory: new_mail_account("school") returns a fresh school-<n>@example.test account
    on the session's Dovecot, never used by another test."""
    if not dovecot.running:
        # An earlier test stopped the shared server without starting it again.
        dovecot.start()

    def take(prefix: str = "parent") -> MailAccount:
        if _account_pool.get(prefix):
            return _account_pool[prefix].popleft()
        [account] = _new_accounts(prefix, 1)
        dovecot.add_user(account.user, account.password)
        return account

    return take


@pytest.fixture
def mail_account(new_mail_account: Callable[[str], MailAccount]) -> MailAccount:
    """A fresh parent-<n>@example.test account on the session's Dovecot: (user, password)."""
    return new_mail_account("parent")


@pytest.fixture
def school_account(new_mail_account: Callable[[str], MailAccount]) -> MailAccount:
    """A fresh school-<n>@example.test account on the session's Dovecot: (user, password)."""
    return new_mail_account("school")


@pytest.fixture
def smtp_server(tls_files: TlsFiles, dovecot: Dovecot) -> Iterator[SmtpServer]:
    """A submission server requiring STARTTLS and AUTH (any Dovecot account's login works)
    that delivers to the session's Dovecot."""
    with SmtpServer(tls_files, dovecot=dovecot) as server:
        yield server


@pytest.fixture
def smtps_server(tls_files: TlsFiles, dovecot: Dovecot) -> Iterator[SmtpServer]:
    """Like smtp_server, with implicit TLS (port-465 style) instead of STARTTLS."""
    with SmtpServer(tls_files, dovecot=dovecot, implicit_tls=True) as server:
        yield server


@pytest.fixture
def pymap_server() -> Iterator[Pymap]:
    """pymap's in-memory server, plain IMAP, one user: pymap_server.user / .password."""
    with Pymap("parent@example.test", secrets.token_urlsafe(12)) as server:
        yield server


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifyListener]:
    """systemd's side of NOTIFY_SOCKET, for an iepd started with notify.environ()."""
    with NotifyListener(tmp_path / "notify.sock") as listener:
        yield listener


@pytest.fixture
def make_family(
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    new_mail_account: Callable[[str], MailAccount],
) -> Callable[..., Family]:
    """A factory: make_family(root=None, **settings) writes a family's config (fresh
    parent, case manager and principal accounts on the session's Dovecot, this test's SMTP
    server) in root, tmp_path by default; settings are Family's (timing, requests, ...)."""

    def make(root: Path | None = None, **settings: Any) -> Family:
        return new_family(root or tmp_path, dovecot, smtp_server, new_mail_account, **settings)

    return make


@pytest.fixture
def family_settings() -> dict[str, Any]:
    """The `family` fixture's settings: a test module overrides this fixture to give its
    families other timings or requests."""
    return {}


@pytest.fixture
def family(make_family: Callable[..., Family], family_settings: dict[str, Any]) -> Family:
    """A family for the test servers (support.family.Family), its config in tmp_path."""
    return make_family(**family_settings)
