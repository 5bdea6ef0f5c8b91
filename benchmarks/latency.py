"""Answer-detection latency: how long after a message lands in the inbox iepd's watcher has
it in hand, next to the floor, a bare imapclient IDLE client on the same server in the same
run, and a client that polls every 60 s as cron scripts do; then, with the real daemon
(`iepd run`), how long after the event the parent's reminder is accepted by the SMTP server.
Run as ``python benchmarks/latency.py [--deliveries N]``; it starts a private Dovecot, pymap
and an aiosmtpd server on 127.0.0.1, stops them again, and writes its table into
docs/benchmarks.md.

The 60 s poller is not left to run for hours: its detection delay is the wait until its
next poll, uniform on [0, 60] s for a delivery at a random moment, plus the time one poll
takes. The benchmark really polls (EXAMINE, UID SEARCH, header FETCH on its own connection)
once after each delivery to measure the second part, and draws the first from a seeded
generator.

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
import logging
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

import common

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import imapclient  # noqa: E402 (the benchmark's own floor client, not iepd's)
from daemon_latency import ReminderResult, measure_reminders  # noqa: E402

from iepd.config.model import ImapSettings  # noqa: E402
from iepd.inbox.catchup import FetchedMessage, Handover  # noqa: E402
from iepd.inbox.watcher import Watcher  # noqa: E402
from iepd.mail.credentials import Secret  # noqa: E402
from iepd.mail.imap import ImapSession  # noqa: E402
from support.mailservers import Dovecot, Pymap, imap_login, make_certs  # noqa: E402

logger = logging.getLogger("benchmarks.latency")

DOCS = common.DOCS
BEGIN = "<!-- benchmarks/latency.py: begin -->"
END = "<!-- benchmarks/latency.py: end -->"
TARGET_MS = 50.0
REMINDER_TARGET_MS = 150.0
POLL_EVERY = 60.0
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

    def hand_over(item: Handover) -> None:
        if isinstance(item, FetchedMessage):
            arrivals.add(time.perf_counter())

    return Watcher(
        connect,
        "INBOX",
        ledger=MemoryLedger(),
        is_candidate=lambda headers: True,
        hand_over=hand_over,
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


class Poller:
    """What a cron script does every 60 s: EXAMINE, UID SEARCH for what is new, FETCH the
    new headers. poll() returns the seconds one such poll took and how many it found."""

    def __init__(self, server: Server) -> None:
        self._client = imapclient.IMAPClient(server.host, port=server.port, ssl=False, timeout=30)
        if server.security == "starttls":
            self._client.starttls(ssl.create_default_context(cafile=str(server.ca_file)))
        self._client.login(server.user, server.password)
        self._client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._client.select_folder("INBOX", readonly=True)
        self._last = max(self._client.search(["ALL"]), default=0)

    def poll(self) -> tuple[float, int]:
        started = time.perf_counter()
        self._client.select_folder("INBOX", readonly=True)
        found = [u for u in self._client.search(["UID", f"{self._last + 1}:*"]) if u > self._last]
        if found:
            self._client.fetch(found, ["BODY.PEEK[HEADER]", "INTERNALDATE"])
            self._last = max(found)
        return time.perf_counter() - started, len(found)

    def stop(self) -> None:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self._client.logout()


@dataclass(frozen=True)
class Result:
    server: Server
    floor: list[float]  # seconds, one per delivery both observers saw
    iepd: list[float]
    missed: int
    poll: list[float]  # the 60 s poller: a uniform wait for its next poll + one real poll


def measure(server: Server, deliveries: int) -> Result:
    """Given a running server, deliver `deliveries` messages one at a time and return the
    latency of each observer for each message both of them saw in time."""
    bare = BareIdle(server)
    poller = Poller(server)
    phase = random.Random(f"{server.name}-{deliveries}")  # the same draws on every run
    poll: list[float] = []
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
            cost, found = poller.poll()
            if found != 1:
                logger.warning("%s: the poller found %d messages, not 1", server.name, found)
            poll.append(phase.uniform(0, POLL_EVERY) + cost)
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
        poller.stop()
    return Result(server, floor, iepd, missed, poll)


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
    return 1000 * common.percentile(values, fraction)


def _row(name: str, label: str, values: list[float], floor: list[float] | None) -> str:
    p50 = _percentile(values, 0.5)
    ratio = "—"
    if floor is not None:
        base = _percentile(floor, 0.5)
        ratio = f"{p50 / base:,.1f}×" if base > 0 else "—"
    return (
        f"| {name} | {label} | {len(values)} | {p50:,.1f} | {_percentile(values, 0.95):,.1f} "
        f"| {1000 * max(values):,.1f} | {ratio} |"
    )


def report(
    results: list[Result],
    reminders: ReminderResult | None,
    deliveries: int,
    started: dt.datetime,
    load: str,
) -> str:
    """Given the results, return the Markdown section for docs/benchmarks.md."""
    rows = []
    verdicts = []
    for result in results:
        name = f"{result.server.name} ({result.server.how})"
        if not result.floor:
            rows.append(f"| {name} | — | 0 | — | — | — | — |")
            verdicts.append(f"{result.server.name}: not measured")
            continue
        rows.append(_row(name, "bare IDLE (floor)", result.floor, None))
        rows.append(_row(name, "iepd watcher", result.iepd, result.floor))
        rows.append(_row(name, f"poll every {POLL_EVERY:.0f} s", result.poll, result.floor))
        gap = 1000 * (statistics.median(result.iepd) - statistics.median(result.floor))
        met = "met" if gap <= TARGET_MS else "NOT met"
        slower = statistics.median(result.poll) / statistics.median(result.iepd)
        verdicts.append(
            f"{result.server.name}: iepd − floor at p50 = {gap:+.1f} ms, target {met}; "
            f"the {POLL_EVERY:.0f} s poller is {slower:,.0f}× slower than iepd at p50"
        )
        if result.missed:
            verdicts.append(
                f"{result.server.name}: {result.missed} deliveries not measured (timeout)"
            )
    dovecot_floor = next((r.floor for r in results if r.server.name == "Dovecot" and r.floor), None)
    if reminders is not None and reminders.detect:
        name = "Dovecot + aiosmtpd, `iepd run`"
        rows.append(
            _row(name, "delivery → `reply_received` recorded", reminders.detect, dovecot_floor)
        )
        rows.append(_row(name, "recorded → `answer` reminder accepted", reminders.remind, None))
        rows.append(_row(name, "delivery → reminder accepted", reminders.total, dovecot_floor))
        p50 = _percentile(reminders.remind, 0.5)
        met = "met" if _percentile(reminders.remind, 0.95) <= REMINDER_TARGET_MS else "NOT met"
        verdicts.append(
            f"reminder: accepted {p50:.1f} ms after the event at p50, "
            f"{_percentile(reminders.remind, 0.95):.1f} ms at p95 "
            f"(target {REMINDER_TARGET_MS:.0f} ms: {met} at p95); "
            f"load during that run {reminders.load}"
        )
        if reminders.missed:
            verdicts.append(f"reminder: {reminders.missed} deliveries not measured (timeout)")
    lines = [
        BEGIN,
        "## Answer-detection latency",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC with "
        f"`python benchmarks/latency.py --deliveries {deliveries}`; load average at the start "
        f"{load} (1, 5, 15 min; a shared machine: other work ran at the same time).",
        "",
        "From the end of delivery (LMTP returned for Dovecot, APPEND returned for pymap) to "
        "the EXISTS read by a bare imapclient IDLE client (the floor), to the "
        "`FetchedMessage` handed over by iepd's `Watcher` (header and body fetched), and to "
        f"a client polling every {POLL_EVERY:.0f} s, on the same server in the same run, one "
        "message at a time. The poller's figure is a wait drawn uniformly from "
        f"[0, {POLL_EVERY:.0f}] s (a seeded generator: when its next poll comes) plus the "
        "measured time of one real poll (EXAMINE, UID SEARCH, FETCH of the new header) made "
        "after each delivery; running it for real would take "
        f"{deliveries} minutes per server. The last three rows run the real daemon "
        "(`iepd run` subprocess) and time an answer in the request's thread to the "
        "`reply_received` event in its store and to the `answer` reminder accepted by the "
        "SMTP server (the server's record of the message, appended just before it answers "
        "250). Milliseconds; the ratio is the p50 against the floor's p50 on that server; a "
        "negative figure means the observer heard of the message before the delivering "
        "client had its answer.",
        "",
        "| server | observer | n | p50 ms | p95 ms | max ms | p50 / floor |",
        "|---|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Targets (issue 6 item 2): iepd within {TARGET_MS:.0f} ms of the floor at p50 on both "
        f"servers; the reminder accepted within {REMINDER_TARGET_MS:.0f} ms after the event.",
        "",
        *(f"- {verdict}" for verdict in verdicts),
        "",
        f"Machine: {common.machine()}.",
        "",
        "Reproduce: `python benchmarks/latency.py` (default 100 deliveries per server; "
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
    default = 20 if common.SHORT else 100
    parser.add_argument(
        "--deliveries", type=int, default=default, help=f"per server (default {default})"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = dt.datetime.now(dt.UTC)
    load = common.load_average()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="iepd-bench-") as tls_dir:
        servers: list[Callable[[], contextlib.AbstractContextManager[Server]]] = [
            lambda: dovecot_server(Path(tls_dir)),
            pymap_server,
        ]
        for server_context in servers:
            with server_context() as server:
                results.append(measure(server, args.deliveries))
        tls = make_certs(Path(tls_dir) / "daemon")
        reminders = measure_reminders(tls, args.deliveries)
    section = report(results, reminders, args.deliveries, started, load)
    write_docs(section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
