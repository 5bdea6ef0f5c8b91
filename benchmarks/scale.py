"""Scale: start-up catch-up of `iepd run --once` with inboxes of 1,000, 10,000 and 100,000
messages and 1,000 open requests, in steady state (the store already has the inbox's last
UID) and after NEW messages arrived; time, peak memory and the cost per new message.
Run as ``python benchmarks/scale.py [--sizes 1000,10000,100000] [--repeats N]``;
IEPD_BENCH_SHORT=1 leaves out the 100,000 inbox. Writes its block into docs/benchmarks.md.

The inbox is filled by writing maildir files straight into the private Dovecot's folder
(delivering 100,000 messages over LMTP would take most of an hour) with received dates
spread over the last three years, then indexed by one SELECT, outside the timed part. The
requests are recorded as sent two days ago (see common.seed_sent). The NEW messages are the
newest: nine in ten are ordinary mail from unrelated senders, one in ten is the school's
answer in a request's thread, which iepd records and reminds the parent of over SMTP.
Before each run the state folder is put back as it was, so every run does the same work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import os
import pwd
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import common

from iepd.store.database import Store
from support.mailservers import imap_login, make_certs

NAME = "scale.py"
REQUESTS = 1000
NEW = 100
ANSWER_EVERY = 10
START_TARGET = 2.0
MEMORY_TARGET_MIB = 100.0
YEARS = 3


def _ordinary(number: int, when: dt.datetime) -> bytes:
    return (
        f"From: Shop {number % 97} <news{number % 97}@shop{number % 13}.example.com>\r\n"
        "To: parent@example.test\r\n"
        f"Subject: Weekly offers, issue {number}\r\n"
        f"Date: {email.utils.format_datetime(when)}\r\n"
        f"Message-ID: <n{number}.{when.timestamp():.0f}@shop.example.com>\r\n"
        "List-Unsubscribe: <mailto:leave@shop.example.com>\r\n"
        "\r\n"
        f"This week's offers, number {number}. Nothing about school.\r\n"
    ).encode()


def _answer(number: int, when: dt.datetime, letter_id: str, case_manager: str) -> bytes:
    return (
        f"From: Dana Alvarez <{case_manager}>\r\n"
        "To: parent@example.test\r\n"
        "Subject: Re: Request for an IEP meeting for Sam Rivera\r\n"
        f"Date: {email.utils.format_datetime(when)}\r\n"
        f"Message-ID: <answer{number}.{when.timestamp():.0f}@example.test>\r\n"
        f"In-Reply-To: {letter_id}\r\n"
        f"References: {letter_id}\r\n"
        "\r\n"
        "Thank you. We will hold an IEP meeting; I will send dates this week.\r\n"
    ).encode()


def _write_maildir(cur: Path, messages: list[tuple[bytes, dt.datetime]], first: int) -> None:
    owner = _dovecot_owner()
    for offset, (raw, when) in enumerate(messages):
        stamp = when.timestamp()
        path = cur / f"{stamp:.0f}.M{first + offset}P1.bench,S={len(raw)}:2,S"
        path.write_bytes(raw)
        os.utime(path, (stamp, stamp))
        if owner is not None:
            os.chown(path, *owner)


def _dovecot_owner() -> tuple[int, int] | None:
    """Run as root, the test Dovecot stores mail as the dovecot user (see its config)."""
    if os.geteuid() != 0:
        return None
    user = pwd.getpwnam("dovecot")
    return user.pw_uid, user.pw_gid


def _index(bench: common.Bench) -> tuple[int, int, float]:
    """SELECT the inbox so that Dovecot indexes it; return (messages, UIDVALIDITY, s)."""
    started = time.perf_counter()
    with imap_login(
        bench.dovecot.host,
        bench.dovecot.imap_port,
        bench.family.parent,
        bench.family.parent_password,
    ) as imap:
        status, data = imap.select("INBOX", readonly=True)
        assert status == "OK", data
        count = int(data[0] or 0)
        _, found = imap.response("UIDVALIDITY")
        uidvalidity = int(found[0])
    return count, uidvalidity, time.perf_counter() - started


def _fill(bench: common.Bench, size: int, letters: dict[str, str]) -> tuple[int, float]:
    """Put size - NEW old messages in the inbox and index them, then NEW newer ones; return
    the UIDVALIDITY and the seconds Dovecot took to index."""
    maildir = bench.dovecot.directory / "mail" / bench.family.parent / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    owner = _dovecot_owner()
    if owner is not None:
        for path in (maildir.parent, maildir, *(maildir / s for s in ("cur", "new", "tmp"))):
            os.chown(path, *owner)
    now = dt.datetime.now(dt.UTC)
    old = size - NEW
    span = dt.timedelta(days=365 * YEARS)
    start = now - span - dt.timedelta(days=3)  # the newest old message is 3 days old
    dates = [start + span * n / old for n in range(old)]
    _write_maildir(maildir / "cur", [(_ordinary(n, when), when) for n, when in enumerate(dates)], 0)
    _, uidvalidity, first_index = _index(bench)
    ids = list(letters.values())
    new = []
    for n in range(NEW):
        when = now - dt.timedelta(minutes=NEW - n)
        if n % ANSWER_EVERY == 0:
            raw = _answer(n, when, ids[n % len(ids)], bench.family.case_manager)
        else:
            raw = _ordinary(old + n, when)
        new.append((raw, when))
    _write_maildir(maildir / "cur", new, old)
    count, again, second_index = _index(bench)
    assert count == size and again == uidvalidity, (count, size, again, uidvalidity)
    return uidvalidity, first_index + second_index


def _runs(bench: common.Bench, pristine: Path, repeats: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {"wall": [], "rss": [], "cpu": []}
    state = bench.family.state_dir
    profile = os.environ.get("IEPD_BENCH_PROFILE")
    if profile:  # one extra run under pyinstrument, not counted: where the time goes
        shutil.rmtree(state)
        shutil.copytree(pristine, state)
        output = f"{profile}-{pristine.name}.txt"
        common.run_measured(
            [common.PYTHON, "-m", "pyinstrument", "-o", output, "-m", "iepd", "run", "--once"],
            bench.environ(),
        )
    for _ in range(repeats):
        shutil.rmtree(state)
        shutil.copytree(pristine, state)
        wall, rss, cpu, _ = common.run_measured(
            [common.PYTHON, "-m", "iepd", "run", "--once"], bench.environ()
        )
        found["wall"].append(wall)
        found["rss"].append(rss / common.MIB)
        found["cpu"].append(cpu)
    return found


def measure(size: int, repeats: int) -> dict[str, object]:
    with (
        tempfile.TemporaryDirectory(prefix="iepd-bench-") as scratch,
        common.bench_servers(make_certs(Path(scratch) / "tls"), requests=REQUESTS) as bench,
    ):
        letters = common.seed_sent(
            bench.family, sent_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
        )
        uidvalidity, index_seconds = _fill(bench, size, letters)
        results: dict[str, object] = {"index": index_seconds, "load": common.load_average()}
        # "new" first: the store never lowers a recorded UID.
        for case, last_uid in (("new", size - NEW), ("steady", size)):
            with Store.open(bench.family.state_dir) as store:
                store.set_last_uid("INBOX", uidvalidity, last_uid, now=dt.datetime.now(dt.UTC))
            pristine = Path(scratch) / f"state-{case}"
            shutil.copytree(bench.family.state_dir, pristine)
            results[case] = _runs(bench, pristine, repeats)
            print(f"scale {size} {case}: {results[case]}", file=sys.stderr)
        received = len(bench.smtp.received)
        results["reminders"] = received / repeats
    return results


def report(found: dict[int, dict[str, object]], repeats: int, argv: str) -> str:
    rows = []
    verdicts = []
    for size, results in found.items():
        steady = results["steady"]
        new = results["new"]
        assert isinstance(steady, dict) and isinstance(new, dict)
        per_message = (
            1000 * (statistics.median(new["wall"]) - statistics.median(steady["wall"])) / NEW
        )
        rows.append(
            f"| {size:,} | steady (no new mail) | {common.spread(steady['wall'], 2)} "
            f"| {common.spread(steady['rss'])} | {common.spread(steady['cpu'], 2)} | — |"
        )
        rows.append(
            f"| {size:,} | {NEW} new ({NEW // ANSWER_EVERY} answers) "
            f"| {common.spread(new['wall'], 2)} | {common.spread(new['rss'])} "
            f"| {common.spread(new['cpu'], 2)} | {per_message:.1f} |"
        )
        start = statistics.median(steady["wall"])
        catch_up = statistics.median(new["wall"])
        worst_rss = max(max(steady["rss"]), max(new["rss"]))
        verdicts.append(
            f"{size:,} messages: start-up {start:.2f} s "
            f"({'met' if start < START_TARGET else 'NOT met'}), {catch_up:.2f} s with {NEW} new "
            f"messages and {NEW // ANSWER_EVERY} reminders sent; peak memory "
            f"{worst_rss:.1f} MiB ({'met' if worst_rss < MEMORY_TARGET_MIB else 'NOT met'}); "
            f"Dovecot indexed the inbox in {results['index']:.1f} s (not timed); "
            f"load {results['load']}"
        )
    return f"""## Scale

Measured {common.stamp()} with `python benchmarks/scale.py{argv}` (a shared machine: the load
average, 1, 5 and 15 min, is given for each inbox).

`iepd run --once` (a whole process: start-up, config, store, IMAP login and catch-up, the
plan over every request, exit) with {REQUESTS:,} open requests, all sent two days ago, on a
private Dovecot whose inbox was filled with maildir files dated over the last {YEARS} years.
"steady": the store already holds the inbox's last UID. "new": the {NEW} newest messages
arrived since; one in {ANSWER_EVERY} is the school's answer in a request's thread (recorded,
and a reminder sent over SMTP), the rest ordinary mail (headers fetched, nothing else). Each
figure is median (min–max, n = runs); the state folder is restored before each run. Memory is
the process's peak RSS (`ru_maxrss`); CPU is user + system time; the cost per new message is
the difference of the medians divided by {NEW}.

| inbox | case | wall s | peak RSS MiB | CPU s | ms per new message |
|---:|---|---:|---:|---:|---:|
{chr(10).join(rows)}

Targets (issue 6 item 4): cost grows with the new messages, not the inbox; start-up under
{START_TARGET:.0f} s at 100,000 messages; memory under {MEMORY_TARGET_MIB:.0f} MiB.

{chr(10).join(f"- {verdict}" for verdict in verdicts)}

Machine: {common.machine()}.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_sizes = "1000,10000" if common.SHORT else "1000,10000,100000"
    parser.add_argument("--sizes", default=default_sizes, help=f"default {default_sizes}")
    parser.add_argument("--repeats", type=int, default=3 if common.SHORT else 5)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    found = {size: measure(size, args.repeats) for size in sizes}
    shown = f" --sizes {args.sizes} --repeats {args.repeats}"
    section = report(found, args.repeats, shown)
    common.write_block(NAME, section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
