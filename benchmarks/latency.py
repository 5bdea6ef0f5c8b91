"""Answer-detection latency: how long after a message lands in the inbox iepd's watcher has
it in hand, next to the floor, a bare imapclient IDLE client on the same server in the same
run. Run as ``python benchmarks/latency.py [--deliveries N]``; it starts a private Dovecot
and pymap on 127.0.0.1, stops them again, and writes its table into docs/benchmarks.md.

Both observers log in as the same user before the first delivery. Each message is delivered
alone (LMTP for Dovecot, APPEND for pymap), and the next waits until both have seen it. The
clock starts when delivery returns: an observer that hears of the message before the
delivering client has its answer (pymap tells IDLE clients before it answers the APPEND)
shows a negative latency, which is kept as measured.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import imaplib
import importlib.metadata
import logging
import platform
import random
import re
import secrets
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import imapclient  # noqa: E402 (the benchmark's own floor client, not iepd's)

from iepd.config_types import ImapSettings  # noqa: E402
from iepd.credentials import Secret  # noqa: E402
from iepd.imap import ImapSession  # noqa: E402
from iepd.watcher import Delivery, FetchedMessage, Watcher  # noqa: E402
from mailservers import Dovecot, Pymap, imap_login, make_certs  # noqa: E402

logger = logging.getLogger("benchmarks.latency")

DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- benchmarks/latency.py: begin -->"
END = "<!-- benchmarks/latency.py: end -->"
TARGET_MS = 50.0
WAIT = 10.0  # per delivery, for both observers
LOGIN_WAIT = 10.0
_EXISTS = re.compile(rb"^\* (\d+) EXISTS", re.IGNORECASE)


@dataclass(frozen=True)
class Server:
    """Where the observers connect and how a message is put in the inbox."""

    name: str
    host: str
    port: int
    security: str  # plain | starttls
    ca_file: Path | None
    user: str
    password: str
    deliver: Callable[[bytes], object]
    how: str  # how delivery happens, for the table


class Arrivals:
    """perf_counter() stamps of what one observer saw, in order, with a wait for the n-th."""

    def __init__(self) -> None:
        self.stamps: list[float] = []
        self._changed = threading.Condition()

    def add(self, stamp: float) -> None:
        with self._changed:
            self.stamps.append(stamp)
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.stamps) >= count, timeout)

    def __len__(self) -> int:
        with self._changed:
            return len(self.stamps)


class MemoryLedger:
    """The watcher's UidLedger, kept in a dict (the store's job in the daemon)."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, int], int] = {}
        self._newest: dict[str, int] = {}
        self._lock = threading.Lock()

    def last_uid(self, mailbox: str, uidvalidity: int) -> int | None:
        with self._lock:
            return self._last.get((mailbox, uidvalidity))

    def set_last_uid(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        with self._lock:
            self._last[(mailbox, uidvalidity)] = uid
            self._newest[mailbox] = uidvalidity

    def known_uidvalidity(self, mailbox: str) -> int | None:
        with self._lock:
            return self._newest.get(mailbox)


class BareIdle:
    """The floor: imapclient in IDLE, reading whole lines with blocking reads (pymap sends
    lines in pieces, which imapclient's idle_check() cannot always assemble) and stamping
    each new EXISTS. Nothing else happens between an EXISTS and its stamp."""

    def __init__(self, server: Server) -> None:
        self.arrivals = Arrivals()
        context = None
        if server.security == "starttls":
            context = ssl.create_default_context(cafile=str(server.ca_file))
        self._client = imapclient.IMAPClient(server.host, port=server.port, ssl=False, timeout=30)
        if context is not None:
            self._client.starttls(context)
        self._client.login(server.user, server.password)
        selected = self._client.select_folder("INBOX", readonly=True)
        self._count = int(selected[b"EXISTS"])
        sock = self._client.socket()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._client.idle()
        sock.settimeout(None)  # stop() ends the blocking read by shutting the socket down
        self._thread = threading.Thread(target=self._read, name="bare-idle", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        imap = self._client._imap
        with contextlib.suppress(OSError, imaplib.IMAP4.error, EOFError):
            while True:
                line = imap._get_line()
                stamp = time.perf_counter()
                found = _EXISTS.match(line)
                if found and int(found[1]) > self._count:
                    for _ in range(int(found[1]) - self._count):
                        self.arrivals.add(stamp)
                    self._count = int(found[1])

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self._client.socket(), socket.SHUT_RDWR)
        self._thread.join(5)
        with contextlib.suppress(OSError):
            self._client.socket().close()


def _watcher(server: Server, arrivals: Arrivals) -> Watcher:
    settings = ImapSettings(server.host, server.port, server.security)

    def connect() -> ImapSession:
        return ImapSession(
            settings,
            username=server.user,
            secret=Secret(server.password),
            auth="password",
            ca_file=server.ca_file,
        )

    def deliver(item: Delivery) -> None:
        if isinstance(item, FetchedMessage):
            arrivals.add(time.perf_counter())

    return Watcher(
        connect,
        "INBOX",
        ledger=MemoryLedger(),
        is_candidate=lambda headers: True,
        deliver=deliver,
        idle_refresh=540.0,
        poll_every=60.0,
        rescan_since=lambda: None,  # start after the newest message, as with nothing open
    )


def _message(number: int) -> bytes:
    when = dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    return (
        "From: Principal <principal@school.example.test>\r\n"
        "To: Parent <parent@example.test>\r\n"
        f"Subject: Re: Request for an IEP meeting ({number})\r\n"
        f"Date: {when}\r\n"
        f"Message-ID: <bench-{number}-{secrets.token_hex(6)}@school.example.test>\r\n"
        "\r\n"
        "We can meet on Tuesday at 3 pm in the main office.\r\n"
    ).encode()


@dataclass(frozen=True)
class Result:
    server: Server
    floor: list[float]  # seconds, one per delivery both observers saw
    iepd: list[float]
    missed: int


def measure(server: Server, deliveries: int) -> Result:
    """Given a running server, deliver `deliveries` messages one at a time and return the
    latency of each observer for each message both of them saw in time."""
    bare = BareIdle(server)
    seen = Arrivals()
    watcher = _watcher(server, seen)
    watcher.start()
    floor: list[float] = []
    iepd: list[float] = []
    missed = 0
    try:
        # The watcher is in IDLE once its first catch-up is done.
        watcher.catch_up_now(WAIT)
        time.sleep(0.5)
        for number in range(deliveries):
            server.deliver(_message(number))
            delivered = time.perf_counter()
            both = bare.arrivals.wait_for(number + 1, WAIT) and seen.wait_for(number + 1, WAIT)
            if not both:
                # Lost track of which stamp belongs to which message: stop here.
                logger.error("%s: delivery %d not seen within %g s", server.name, number, WAIT)
                missed = deliveries - number
                break
            floor.append(bare.arrivals.stamps[number] - delivered)
            iepd.append(seen.stamps[number] - delivered)
            # Let both go back to IDLE; a random pause keeps deliveries off any server timer.
            time.sleep(random.uniform(0.2, 0.4))
            print(
                f"\r{server.name}: {number + 1}/{deliveries}",
                end="",
                file=sys.stderr,
                flush=True,
            )
        print(file=sys.stderr)
    finally:
        watcher.stop()
        bare.stop()
    return Result(server, floor, iepd, missed)


def _wait_for_login(host: str, port: int, user: str, password: str) -> None:
    """Dovecot re-reads its passwd-file about once a second: wait until the user can log in."""
    deadline = time.monotonic() + LOGIN_WAIT
    while True:
        try:
            with imap_login(host, port, user, password):
                return
        except imaplib.IMAP4.error:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def dovecot_server(tls_dir: Path) -> Iterator[Server]:
    user, password = "parent-bench@example.test", secrets.token_urlsafe(12)
    dovecot = Dovecot(make_certs(tls_dir))
    try:
        dovecot.add_user(user, password)
        dovecot.start()
        _wait_for_login(dovecot.host, dovecot.imap_port, user, password)
        yield Server(
            name="Dovecot",
            host=dovecot.host,
            port=dovecot.imap_port,
            security="starttls",
            ca_file=dovecot.ca_file,
            user=user,
            password=password,
            deliver=lambda raw: dovecot.deliver(user, raw),
            how="LMTP, STARTTLS IMAP",
        )
    finally:
        dovecot.close()


@contextlib.contextmanager
def pymap_server() -> Iterator[Server]:
    user, password = "parent@example.test", secrets.token_urlsafe(12)
    with Pymap(user, password) as pymap:
        yield Server(
            name="pymap",
            host=pymap.host,
            port=pymap.imap_port,
            security="plain",
            ca_file=None,
            user=user,
            password=password,
            deliver=lambda raw: pymap.deliver(user, raw),
            how="APPEND, plain IMAP",
        )


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of values (seconds), in milliseconds."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return 1000 * ordered[rank - 1]


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _dovecot_version() -> str:
    try:
        found = subprocess.run(
            ["/usr/sbin/dovecot", "--version"], capture_output=True, text=True, timeout=10
        )
        return found.stdout.split()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def report(results: list[Result], deliveries: int, started: dt.datetime) -> str:
    """Given the results, return the Markdown section for docs/benchmarks.md."""
    rows = []
    verdicts = []
    for result in results:
        name, how = result.server.name, result.server.how
        if not result.floor:
            rows.append(f"| {name} ({how}) | — | 0 | — | — | — |")
            verdicts.append(f"{name}: not measured")
            continue
        for label, values in (("bare IDLE (floor)", result.floor), ("iepd", result.iepd)):
            rows.append(
                f"| {name} ({how}) | {label} | {len(values)} | {_percentile(values, 0.5):.1f} "
                f"| {_percentile(values, 0.95):.1f} | {1000 * max(values):.1f} |"
            )
        gap = 1000 * (statistics.median(result.iepd) - statistics.median(result.floor))
        met = "met" if gap <= TARGET_MS else "NOT met"
        verdicts.append(f"{name}: iepd − floor at p50 = {gap:+.1f} ms, target {met}")
        if result.missed:
            verdicts.append(f"{name}: {result.missed} deliveries not measured (timeout)")
    machine = platform.uname()
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip()
    lines = [
        BEGIN,
        "## Answer-detection latency",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC with "
        f"`python benchmarks/latency.py --deliveries {deliveries}`.",
        "",
        "From the end of delivery (LMTP returned for Dovecot, APPEND returned for pymap) to "
        "the EXISTS read by a bare imapclient IDLE client (the floor), and to the "
        "`FetchedMessage` handed over by iepd's `Watcher` (header and body fetched), on the "
        "same server in the same run, one message at a time. Milliseconds; a negative "
        "figure means the observer heard of the message before the delivering client had "
        "its answer.",
        "",
        "| server | observer | n | p50 ms | p95 ms | max ms |",
        "|---|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"Target (issue 3 item 7, issue 6 item 2): iepd within {TARGET_MS:.0f} ms of the floor "
        "at p50 on both servers.",
        "",
        *(f"- {verdict}" for verdict in verdicts),
        "",
        f"Machine: `{uname}`; {machine.machine}, nproc {_nproc()}. "
        f"Python {platform.python_version()}, imapclient {_version('imapclient')}, "
        f"pymap {_version('pymap')}, iepd {_version('iepd')}, Dovecot {_dovecot_version()}.",
        "",
        "Reproduce: `python benchmarks/latency.py` (default 50 deliveries per server; "
        "`--deliveries N` for more). Needs Dovecot (`dovecot-imapd`, `dovecot-lmtpd`).",
        END,
    ]
    return "\n".join(lines) + "\n"


def _nproc() -> str:
    found = subprocess.run(["nproc"], capture_output=True, text=True)
    return found.stdout.strip() or "?"


def write_docs(section: str) -> None:
    """Put section into docs/benchmarks.md, replacing the one an earlier run wrote."""
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section.rstrip("\n") + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=50, help="per server (default 50)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = dt.datetime.now(dt.UTC)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="iepd-bench-") as tls_dir:
        servers: list[Callable[[], contextlib.AbstractContextManager[Server]]] = [
            lambda: dovecot_server(Path(tls_dir)),
            pymap_server,
        ]
        for server_context in servers:
            with server_context() as server:
                results.append(measure(server, args.deliveries))
    section = report(results, args.deliveries, started)
    write_docs(section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
