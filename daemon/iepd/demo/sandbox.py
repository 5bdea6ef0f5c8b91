"""The demo's mail sandbox: pymap (IMAP with IDLE) and aiosmtpd (SMTP) on loopback.

The only module that imports pymap, proxyprotocol and aiosmtpd. Both servers share one event
loop in a thread of their own and listen on ports the OS picks (port 0), so two demos never
race for a port. pymap's in-memory dict backend holds one mailbox per user; the SMTP server
refuses nothing and delivers each recipient that has a mailbox by IMAP APPEND (pymap has no
LMTP), the way the test servers do. A recipient without a mailbox is handed to the
``undeliverable`` hook, which plays the mail system that bounces it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import imaplib
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.dict import Config as DictConfig
from pymap.backend.dict import DictBackend, Identity, Login
from pymap.imap import IMAPServer
from pymap.user import Passwords, UserMetadata
from pysasl.hashing import Cleartext

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
START_TIMEOUT = 15.0
IMAP_TIMEOUT = 10.0
CLOSE_TIMEOUT = 2.0
_APPENDUID = re.compile(rb"APPENDUID \d+ (\d+)")


@dataclass(frozen=True)
class Envelope:
    """One message the SMTP server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes


Undeliverable = Callable[[Envelope, tuple[str, ...]], None]


@dataclass
class _Running:
    loop: asyncio.AbstractEventLoop
    stop: asyncio.Event
    imap_port: int
    smtp_port: int


@dataclass
class Sandbox:
    """Given users (address -> password), an IMAP and an SMTP server on 127.0.0.1 that hold
    one mailbox per user. Use as a context manager, or start() and stop()."""

    users: Mapping[str, str] = field(repr=False)
    # Each user's folders besides INBOX, which every user has.
    folders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    undeliverable: Undeliverable | None = None
    host: str = HOST
    imap_port: int = 0
    smtp_port: int = 0
    _thread: threading.Thread | None = field(default=None, repr=False)
    _running: _Running | None = field(default=None, repr=False)
    _failure: BaseException | None = field(default=None, repr=False)

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start both servers; return once they listen. Raise RuntimeError if they cannot."""
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name="iepd-demo-sandbox", daemon=True
        )
        self._thread.start()
        if not ready.wait(START_TIMEOUT) or self._running is None:
            self.stop()
            raise RuntimeError(f"the mail sandbox did not start: {self._failure!r}")
        self.imap_port = self._running.imap_port
        self.smtp_port = self._running.smtp_port
        logger.info(
            "sandbox: IMAP on %s:%d, SMTP on %s:%d", HOST, self.imap_port, HOST, self.smtp_port
        )

    def stop(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                running.loop.call_soon_threadsafe(running.stop.set)
        if self._thread is not None:
            self._thread.join(START_TIMEOUT)
            self._thread = None

    # -- the servers' thread

    def _serve(self, ready: threading.Event) -> None:
        try:
            asyncio.run(self._main(ready))
        except BaseException as error:  # reported to start() through _failure
            self._failure = error
            logger.exception("the mail sandbox stopped")
        finally:
            ready.set()

    async def _main(self, ready: threading.Event) -> None:
        backend, config = await _pymap_backend()
        config.apply_context()  # pymap's servers read their subsystem from a context variable
        for user, password in self.users.items():
            await _add_user(backend, config, user, password, self.folders.get(user, ()))
        imap_callback = ProxyProtocolReader(config.proxy_protocol).get_callback(
            IMAPServer(backend.login, config)
        )
        imap = await asyncio.start_server(imap_callback, host=self.host, port=0)
        loop = asyncio.get_running_loop()
        smtp = await loop.create_server(self._smtp_protocol, host=self.host, port=0)
        stop = asyncio.Event()
        self._running = _Running(
            loop=loop,
            stop=stop,
            imap_port=imap.sockets[0].getsockname()[1],
            smtp_port=smtp.sockets[0].getsockname()[1],
        )
        ready.set()
        try:
            await stop.wait()
        finally:
            for server in (imap, smtp):
                server.close()
            # Since Python 3.12 this waits for every client to hang up; one that does not
            # (a killed daemon's IDLE) must not hold the demo up.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(imap.wait_closed(), smtp.wait_closed()), CLOSE_TIMEOUT
                )

    def _smtp_protocol(self) -> SMTP:
        # auth_required=False: the school and the bouncing mail system hand mail over like
        # an MX, without logging in; iepd logs in because AUTH is offered, which proves its
        # password reached it. Plain text is allowed only because this is loopback.
        return SMTP(
            _SmtpHandler(self),
            hostname="sandbox.localhost",
            authenticator=self._authenticate,
            auth_required=False,
            auth_require_tls=False,
        )

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode(errors="replace")
            if self.users.get(login) == auth_data.password.decode(errors="replace"):
                return AuthResult(success=True, auth_data=login)
        # handled=False makes aiosmtpd answer 535; with handled=True it answers nothing.
        return AuthResult(success=False, handled=False)

    async def _accept(self, envelope: Envelope) -> None:
        unknown = tuple(r for r in envelope.rcpt_tos if r.lower() not in self._lower_users)
        for recipient in envelope.rcpt_tos:
            if recipient not in unknown:
                await asyncio.to_thread(
                    self.deliver, self._lower_users[recipient.lower()], envelope.data
                )
        if unknown and self.undeliverable is not None:
            await asyncio.to_thread(self.undeliverable, envelope, unknown)

    @property
    def _lower_users(self) -> dict[str, str]:
        return {user.lower(): user for user in self.users}

    # -- mailboxes, from any thread but the servers'

    @contextlib.contextmanager
    def login(self, user: str) -> Iterator[imaplib.IMAP4]:
        """Yield an imaplib client logged in as user (plain IMAP: this is loopback)."""
        client = imaplib.IMAP4(self.host, self.imap_port, timeout=IMAP_TIMEOUT)
        try:
            client.login(user, self.users[user])
            yield client
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                client.logout()

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """APPEND raw to the user's folder."""
        with self.login(user) as client:
            status, data = client.append(_quote(folder), "()", None, raw)
            if status != "OK":
                raise RuntimeError(f"APPEND for {user} to {folder} failed: {data!r}")
        logger.info("delivered %d bytes to %s/%s", len(raw), user, folder)

    def dump(self, out: Path) -> None:
        """Copy every folder of every user to out/<user>/<folder>/<uid>.eml."""
        for user in self.users:
            for folder in ("INBOX", *(f for f in self.folders.get(user, ()) if f != "INBOX")):
                target = out / user / folder
                target.mkdir(parents=True, exist_ok=True)
                for uid, raw in self.messages(user, folder):
                    (target / f"{uid}.eml").write_bytes(raw)

    def messages(self, user: str, folder: str = "INBOX") -> list[tuple[int, bytes]]:
        """Return (uid, raw) for every message of the user's folder, without setting \\Seen."""
        with self.login(user) as client:
            return fetch_since(client, folder, 0)


def fetch_since(client: imaplib.IMAP4, folder: str, last_uid: int) -> list[tuple[int, bytes]]:
    """Given a logged-in client, return (uid, raw) for each message of folder whose UID is
    above last_uid, in UID order, read with BODY.PEEK so that no flag changes."""
    status, data = client.select(_quote(folder), readonly=True)
    if status != "OK":
        raise RuntimeError(f"cannot open {folder}: {data!r}")
    _, found = client.uid("SEARCH", f"UID {last_uid + 1}:*")
    # "N:*" always matches the last message, even when its UID is below N (RFC 3501).
    uids = sorted(uid for uid in (int(u) for u in (found[0] or b"").split()) if uid > last_uid)
    messages: list[tuple[int, bytes]] = []
    for uid in uids:
        _, parts = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        messages.extend((uid, part[1]) for part in parts if isinstance(part, tuple))
    return messages


class _SmtpHandler:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        accepted = Envelope(
            mail_from=str(envelope.mail_from or ""),
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=bytes(envelope.original_content or envelope.content),
        )
        try:
            await self.sandbox._accept(accepted)
        except (OSError, imaplib.IMAP4.error, RuntimeError) as error:
            logger.warning("local delivery failed: %s", error)
            return "451 4.3.0 local delivery failed"
        return "250 2.0.0 OK queued"


class _PymapConfig(DictConfig):
    @property
    def greeting(self) -> bytes:
        # pymap's own greeting asks socket.getfqdn() on every connection, which can wait on
        # DNS; the sandbox logs in for every delivery.
        return b"Server ready sandbox.localhost"


async def _pymap_backend() -> tuple[DictBackend, DictConfig]:
    # pymap builds its config from command-line arguments; these are the ones its `dict`
    # command would give (no TLS: the demo stays on loopback).
    args = argparse.Namespace(
        host=HOST,
        port=0,
        debug=False,
        cert=None,
        key=None,
        tls=False,
        passlib_cfg=None,
        proxy_protocol=None,
        inherited_sockets=None,
        demo_data=False,
        demo_user="",
        demo_password="",
    )
    # The passwords are random and live in memory for a minute; pymap's default hash (500,000
    # rounds of PBKDF2) would slow every login of the demo for nothing.
    config = _PymapConfig.from_args(args, invalid_user_sleep=0.0, hash_context=Cleartext())
    # DictBackend.init would also add pymap's demo user; the sandbox wants only its own.
    return DictBackend(Login(config), config), config


async def _add_user(
    backend: DictBackend, config: DictConfig, user: str, password: str, folders: tuple[str, ...]
) -> None:
    identity = Identity(user, backend.login, None, frozenset())
    hashed = await Passwords(config).hash_password(password)
    await identity.set(UserMetadata(config, user, password=hashed))
    new_folders = [folder for folder in folders if folder.upper() != "INBOX"]
    if new_folders:
        async with identity.new_session() as session:
            for folder in new_folders:
                await session.mailbox_set.add_mailbox(folder)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
