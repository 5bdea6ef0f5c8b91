"""An aiosmtpd submission server with STARTTLS or implicit TLS, AUTH, a record of what it
received, delivery to Dovecot, and fault injection."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import smtplib
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .certificates import TlsFiles
from .dovecot import Dovecot
from .processes import HOST, PORT_ATTEMPTS, free_ports

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Envelope:
    """One message the SMTP server received."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None = None


@dataclasses.dataclass(frozen=True)
class Rejection:
    """One reply of 4xx or 5xx the SMTP server gave on purpose."""

    stage: str
    address: str | None
    reply: str


STAGES = ("mail", "rcpt", "data")


class _Handler:
    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        reply = self.owner._take_fault("mail", address)
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        reply = self.owner._take_fault("rcpt", address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = self.owner._take_fault("data", None)
        if reply is not None:
            return reply
        received = Envelope(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            data=bytes(envelope.original_content or envelope.content),
            login=session.auth_data if isinstance(session.auth_data, str) else None,
        )
        try:
            await asyncio.to_thread(self.owner._deliver, received)
        except (OSError, smtplib.SMTPException) as error:
            logger.warning("local delivery failed: %s", error)
            reply = "451 4.3.0 local delivery failed"
            with self.owner._lock:
                self.owner.rejections.append(Rejection("data", None, reply))
            return reply
        self.owner.received.append(received)
        if self.owner._take_drop():
            # The message is kept but the client never learns it: its outcome is unknown.
            server.transport.abort()
            await asyncio.Event().wait()  # connection_lost() cancels this coroutine
        return "250 2.0.0 OK queued"


class _Controller(Controller):
    def factory(self) -> Any:
        smtp = super().factory()  # type: ignore[no-untyped-call]
        if self.ssl_context is not None:
            # aiosmtpd counts only STARTTLS as encryption for AUTH; under implicit TLS the
            # whole connection is encrypted. Built with auth_require_tls=True and relaxed
            # here, because auth_require_tls=False warns on every connection.
            smtp._auth_require_tls = False
        return smtp


class SmtpServer:
    """An aiosmtpd submission server on 127.0.0.1 requiring STARTTLS (or implicit TLS) and
    AUTH; it records each message and delivers each Dovecot recipient over LMTP."""

    host = HOST

    def __init__(
        self,
        tls: TlsFiles,
        dovecot: Dovecot | None = None,
        users: Mapping[str, str] | None = None,
        implicit_tls: bool = False,
    ) -> None:
        self.tls = tls
        self.ca_file = tls.ca_file
        self.dovecot = dovecot
        self.implicit_tls = implicit_tls
        self.users = dict(users or {})
        self.received: list[Envelope] = []
        self.rejections: list[Rejection] = []
        self._faults: dict[str, deque[str]] = {stage: deque() for stage in STAGES}
        self._rejected_recipients: dict[str, str] = {}
        self._drops = 0
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self.port = 0

    def __repr__(self) -> str:
        return f"SmtpServer(port={self.port}, implicit_tls={self.implicit_tls})"

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        if self._controller is not None:
            raise RuntimeError(f"{self!r} is already running")
        context = self.tls.server_context()
        tls_options: dict[str, Any] = (
            {"ssl_context": context}
            if self.implicit_tls
            else {"tls_context": context, "require_starttls": True}
        )
        for attempt in range(PORT_ATTEMPTS):
            self.port = free_ports(1)[0]
            controller = _Controller(
                _Handler(self),
                hostname=HOST,
                port=self.port,
                server_hostname="localhost",
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=True,
                **tls_options,
            )
            try:
                controller.start()
            except OSError:  # the port was taken after free_ports chose it
                if attempt == PORT_ATTEMPTS - 1:
                    raise
            else:
                self._controller = controller
                return

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def add_user(self, name: str, password: str) -> None:
        with self._lock:
            self.users[name] = password

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode(errors="replace")
            password = auth_data.password.decode(errors="replace")
            known = self.users.get(login) == password or (
                self.dovecot is not None and self.dovecot.check_password(login, password)
            )
            if known:
                return AuthResult(success=True, auth_data=login)
        # handled=False makes aiosmtpd answer 535; with handled=True it answers nothing.
        return AuthResult(success=False, handled=False)

    # fault injection

    def fail_next(self, stage: str, reply: str) -> None:
        """Answer the next MAIL, RCPT or end of DATA (stage "mail", "rcpt", "data") with
        reply, e.g. "451 4.3.0 try later"; calls queue up."""
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
        with self._lock:
            self._faults[stage].append(reply)

    def reject_recipient(self, address: str, reply: str = "550 5.1.1 no such user") -> None:
        """Answer every RCPT TO this address with reply."""
        with self._lock:
            self._rejected_recipients[address.lower()] = reply

    def drop_after_data_next(self) -> None:
        """After the next message is received (and delivered), close the connection
        instead of replying: the client cannot tell whether it was accepted."""
        with self._lock:
            self._drops += 1

    def _take_fault(self, stage: str, address: str | None) -> str | None:
        with self._lock:
            reply = self._faults[stage].popleft() if self._faults[stage] else None
            if reply is None and stage == "rcpt" and address is not None:
                reply = self._rejected_recipients.get(address.lower())
            if reply is not None:
                self.rejections.append(Rejection(stage, address, reply))
            return reply

    def _take_drop(self) -> bool:
        with self._lock:
            if self._drops:
                self._drops -= 1
                return True
            return False

    def _deliver(self, envelope: Envelope) -> None:
        if self.dovecot is None:
            return
        for recipient in envelope.rcpt_tos:
            if self.dovecot.has_user(recipient):
                self.dovecot.deliver(recipient, envelope.data, envelope.mail_from)
