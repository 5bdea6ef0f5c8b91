"""What every benchmark shares: its marked block in docs/benchmarks.md, the machine and the
versions, medians and spreads, /proc readings of a child process, and a real `iepd run`
pointed at a private Dovecot and an aiosmtpd server with many open requests already sent.

Figures are taken on whatever machine runs them, often shared with other work: each block
records the load average next to its figures, and every figure is a median over repeats.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import importlib.metadata
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from iepd.config.load import load_config  # noqa: E402
from iepd.store.database import Store  # noqa: E402
from support.daemon import environ  # noqa: E402
from support.family import Family, speech_request  # noqa: E402
from support.mailservers import Dovecot, SmtpServer, TlsFiles  # noqa: E402
from support.offline import send_requests  # noqa: E402

# IEPD_BENCH_DOCS: write somewhere else (a CI smoke run leaves the committed figures alone).
DOCS = Path(os.environ.get("IEPD_BENCH_DOCS") or ROOT / "docs" / "benchmarks.md")
SHORT = os.environ.get("IEPD_BENCH_SHORT") == "1"
PYTHON = sys.executable
MIB = 1024 * 1024


# -- the document


def markers(name: str) -> tuple[str, str]:
    return f"<!-- benchmarks/{name}: begin -->", f"<!-- benchmarks/{name}: end -->"


def write_block(name: str, body: str) -> None:
    """Put body between the markers of `name` in docs/benchmarks.md, replacing what an
    earlier run wrote there; a new block goes at the end."""
    begin, end = markers(name)
    section = f"{begin}\n{body.strip()}\n{end}"
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` prints them."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def dovecot_version() -> str:
    try:
        found = subprocess.run(
            ["/usr/sbin/dovecot", "--version"], capture_output=True, text=True, timeout=10
        )
        return found.stdout.split()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def machine() -> str:
    """One line: kernel, CPU, cores, memory, Python and the versions that matter."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    uname = platform.uname()
    packages = ", ".join(
        f"{name} {version(name)}"
        for name in ("iepd", "imapclient", "aiosmtplib", "apscheduler", "jinja2", "pymap")
    )
    return (
        f"{uname.system} {uname.release} {uname.machine}, {cpu}, {os.cpu_count()} cores, "
        f"{memory:.1f} GiB; Python {platform.python_version()}; {packages}; "
        f"Dovecot {dovecot_version()}, aiosmtpd {version('aiosmtpd')}"
    )


def stamp() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"


# -- statistics


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def spread(values: Sequence[float], digits: int = 1, unit: str = "") -> str:
    """'median (min-max, n=…)' for a table cell."""
    if not values:
        return "—"
    low, high, mid = min(values), max(values), statistics.median(values)
    return f"{mid:.{digits}f}{unit} ({low:.{digits}f}–{high:.{digits}f}, n={len(values)})"


# -- a child process, read from /proc


@dataclasses.dataclass(frozen=True)
class ProcessReading:
    rss: int  # bytes
    cpu: float  # seconds of user + system time, all threads
    voluntary: int  # context switches of all threads: each is a sleep, i.e. one wake-up
    involuntary: int


def read_process(pid: int) -> ProcessReading:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    # The fields after the command name, which may itself hold spaces or parentheses.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    voluntary = involuntary = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    voluntary += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches:"):
                    involuntary += int(line.split()[1])
    return ProcessReading(rss * 1024, cpu, voluntary, involuntary)


TIME = Path("/usr/bin/time")


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, int, float, str]:
    """Run argv to its end; return wall seconds, peak RSS in bytes, CPU seconds, stderr.
    Raise RuntimeError if it fails.

    The peak RSS comes from GNU time when installed: a child forked straight from this
    process starts out sharing its memory, and ru_maxrss counts that (a benchmark holding
    100,000 messages made a 50 MiB iepd look like 100 MiB). GNU time is small, so its own
    child's figure is iepd's own. The extra fork adds a millisecond or two to the wall time.
    """
    with tempfile.TemporaryFile() as errors, tempfile.NamedTemporaryFile("r") as peak:
        wrapped = [str(TIME), "-f", "%M", "-o", peak.name, *argv] if TIME.exists() else argv
        started = time.perf_counter()
        process = subprocess.Popen(wrapped, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        text = errors.read().decode(errors="replace")
        rss = usage.ru_maxrss * 1024
        if TIME.exists() and process.returncode == 0:
            rss = int(peak.read().split()[-1]) * 1024
    if process.returncode != 0:
        raise RuntimeError(f"{argv} exited {process.returncode}:\n{text[-3000:]}")
    return wall, rss, usage.ru_utime + usage.ru_stime, text


# -- a family with many open requests, on real servers


@dataclasses.dataclass
class Bench:
    """The servers and the family a benchmark runs iepd against."""

    root: Path
    dovecot: Dovecot
    smtp: SmtpServer
    family: Family

    def environ(self, **extra: str) -> dict[str, str]:
        return environ(self.family, extra)


class StampedList(list[Any]):
    """The SMTP server's record of received envelopes, with the wall-clock time each was
    accepted: the server appends just before it answers 250."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted_at: list[float] = []
        self.changed = threading.Condition()

    def append(self, item: Any) -> None:
        now = time.time()
        with self.changed:
            self.accepted_at.append(now)
            super().append(item)
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self) >= count, timeout)


@contextlib.contextmanager
def bench_servers(tls: TlsFiles, requests: int, timing: str = "") -> Iterator[Bench]:
    """A private Dovecot with the parent's account, an SMTP server that accepts the parent's
    login and records (never delivers) what it gets, and a config with `requests` requests."""
    root = Path(tempfile.mkdtemp(prefix="iepd-bench-family-"))
    parent = f"parent-{secrets.token_hex(3)}@example.test"
    password = secrets.token_urlsafe(12)
    dovecot = Dovecot(tls)
    smtp = SmtpServer(tls, users={parent: password})
    smtp.received = StampedList()
    try:
        dovecot.add_user(parent, password)
        dovecot.start()
        smtp.start()
        family = Family(
            root=root,
            parent=parent,
            parent_password=password,
            case_manager="dana.alvarez@example.test",
            principal="lee.chen@example.test",
            imap_port=dovecot.imap_port,
            smtp_port=smtp.port,
            ca_file=Path(dovecot.ca_file),
            requests=[
                speech_request("sam-speech" if n == 0 else f"sam-speech-{n}")
                for n in range(requests)
            ],
            timing=timing,
        )
        family.write()
        yield Bench(root, dovecot, smtp, family)
    finally:
        smtp.stop()
        dovecot.close()
        shutil.rmtree(root, ignore_errors=True)


def seed_sent(family: Family, sent_at: dt.datetime | None = None) -> dict[str, str]:
    """Record every request of the config as sent at sent_at (default now), as `iepd run`
    leaves it when the servers accept everything (support.offline.send_requests: the letter
    and the parent's `sent` reminder queued, accepted and recorded), without sending: 1,000
    real sends would take minutes. Return each request's letter Message-ID."""
    config = load_config(family.config_path, family.environ({"HOME": str(family.root)}))
    when = sent_at or dt.datetime.now(dt.UTC)
    with Store.open(config.state_dir) as store:
        return send_requests(config, store, lambda: when)
