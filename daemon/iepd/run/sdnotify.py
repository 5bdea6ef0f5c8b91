"""Tell systemd how the daemon is doing, over the ``$NOTIFY_SOCKET`` datagram socket.

This is the sd_notify(3) protocol in the standard library only: one ``KEY=value`` line per
assignment, sent as one datagram to an ``AF_UNIX`` socket whose address systemd puts in
``$NOTIFY_SOCKET`` (a path, or ``@name`` for an abstract socket). Outside systemd the
variable is unset and every call is a no-op, so the daemon calls these unconditionally.

A notification is advice to the service manager, never a reason to stop: a send that
fails (socket gone, manager restarting, a full queue) is logged at debug and forgotten.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

logger = logging.getLogger(__name__)

USEC_PER_SECOND = 1_000_000


class Notifier:
    """Send sd_notify messages to one address; without an address, do nothing.

    The watchdog settings are kept as found in the environment so that
    ``watchdog_interval`` needs no clock and no system call.
    """

    def __init__(
        self,
        address: str | None,
        *,
        watchdog_usec: str | None = None,
        watchdog_pid: str | None = None,
        pid: int | None = None,
    ) -> None:
        self._address = _socket_address(address) if address else None
        self._watchdog_usec = watchdog_usec
        self._watchdog_pid = watchdog_pid
        self._pid = os.getpid() if pid is None else pid

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        """Given a process environment (default ``os.environ``), return a Notifier that
        writes to its ``$NOTIFY_SOCKET``, or a no-op Notifier when that is unset or empty."""
        env = os.environ if environ is None else environ
        return cls(
            env.get("NOTIFY_SOCKET") or None,
            watchdog_usec=env.get("WATCHDOG_USEC"),
            watchdog_pid=env.get("WATCHDOG_PID"),
        )

    @property
    def enabled(self) -> bool:
        """True when there is a socket to notify (the process runs under systemd)."""
        return self._address is not None

    def __repr__(self) -> str:
        return f"Notifier(address={self._address!r})"

    def ready(self, status: str | None = None) -> bool:
        """Tell systemd that start-up (or a reload) is complete, optionally with a status."""
        return self.notify("READY=1", *_status_line(status))

    def status(self, text: str) -> bool:
        """Show ``text`` as the unit's status in ``systemctl status``; newlines become spaces."""
        return self.notify(*_status_line(text))

    def watchdog(self) -> bool:
        """Reset the watchdog timer of ``WatchdogSec=``."""
        return self.notify("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        """Tell systemd that the daemon has begun to shut down."""
        return self.notify("STOPPING=1", *_status_line(status))

    def reloading(self, monotonic_usec: int | None = None) -> bool:
        """Tell systemd that a reload has begun; call ``ready()`` when it is done.

        systemd 253+ (``Type=notify-reload``) requires ``MONOTONIC_USEC=`` with the
        CLOCK_MONOTONIC time the reload began, to tell this reload from an older one;
        earlier versions ignore the extra field.
        """
        if monotonic_usec is None:
            monotonic_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.notify("RELOADING=1", f"MONOTONIC_USEC={monotonic_usec}")

    def extend_timeout(self, seconds: float) -> bool:
        """Ask systemd for ``seconds`` more before the start, reload or stop timeout fires
        (for a slow start-up, such as waiting for the network before the first catch-up)."""
        return self.notify(f"EXTEND_TIMEOUT_USEC={max(0, round(seconds * USEC_PER_SECOND))}")

    def watchdog_interval(self) -> float | None:
        """Return how often to send ``watchdog()`` in seconds: half of ``$WATCHDOG_USEC``.

        Return None when no watchdog is armed for this process: ``$WATCHDOG_USEC`` is unset,
        not a positive integer, or ``$WATCHDOG_PID`` names another process (a child that
        inherited the environment must not feed its parent's watchdog).
        """
        if not self._watchdog_usec:
            return None
        if self._watchdog_pid:
            try:
                if int(self._watchdog_pid) != self._pid:
                    return None
            except ValueError:
                logger.debug("ignoring WATCHDOG_PID=%r: not a number", self._watchdog_pid)
                return None
        try:
            usec = int(self._watchdog_usec)
        except ValueError:
            logger.debug("ignoring WATCHDOG_USEC=%r: not a number", self._watchdog_usec)
            return None
        if usec <= 0:
            return None
        return usec / 2 / USEC_PER_SECOND

    def notify(self, *assignments: str) -> bool:
        """Send ``assignments`` (``KEY=value`` strings) as one datagram.

        Return True when the datagram was sent, False when there is no socket or the send
        failed; never raise, since a lost notification must not stop the daemon.
        """
        if self._address is None or not assignments:
            return False
        message = "\n".join(assignments).encode("utf-8", "replace")
        try:
            # A fresh socket per message, as libsystemd does: nothing to keep alive across
            # a manager re-exec, and no descriptor for child processes to inherit.
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                # Non-blocking: a receiver whose queue is full (10 datagrams by default)
                # would otherwise stall the event loop, SIGTERM handling included.
                sock.setblocking(False)
                sock.sendto(message, self._address)
        except OSError as exc:
            logger.debug("sd_notify to %r failed: %s", self._address, exc)
            return False
        return True


def _socket_address(address: str) -> str | None:
    """Given ``$NOTIFY_SOCKET``, return the address for ``sendto``, or None if unusable."""
    if address.startswith("@"):
        # Linux abstract namespace: the name starts with a NUL byte instead of "@".
        return "\0" + address[1:]
    if address.startswith("/"):
        return address
    # systemd 254+ can also hand a VM's service manager an AF_VSOCK address ("vsock:...");
    # iepd runs on the host, so such an address is not for it.
    logger.debug("ignoring NOTIFY_SOCKET=%r: not a path or an abstract socket", address)
    return None


def _status_line(text: str | None) -> tuple[str, ...]:
    """Given status text, return the ``STATUS=`` assignment on one line, or nothing."""
    if text is None:
        return ()
    return ("STATUS=" + " ".join(text.split()),)
