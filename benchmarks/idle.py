"""Idle cost: `iepd run` with 10 open requests and nothing happening, for 10 minutes
(IEPD_BENCH_SHORT=1: 60 s). Reads the daemon's /proc entries once a window (a minute;
10 s when short): resident memory (VmRSS), CPU time (utime + stime of all threads) and
wake-ups (voluntary context switches of all threads: each is one sleep that ended).
Run as ``python benchmarks/idle.py [--seconds N]``; writes its block into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

from support.daemon import NotifyListener, start_daemon, stop_daemon
from support.mailservers import make_certs

NAME = "idle.py"
REQUESTS = 10
RSS_TARGET_MIB = 55.0
CPU_TARGET_PERCENT = 0.1
SETTLE = 5.0


def imports_only_rss() -> float:
    """RSS in MiB of a Python that imports what `iepd run` imports and does nothing."""
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import iepd.run.daemon, iepd.cli.main, pathlib, re;"
            "text = pathlib.Path('/proc/self/status').read_text();"
            "print(re.search(r'VmRSS:\\s+(\\d+)', text)[1])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(found.stdout) / 1024


def measure(seconds: float, window: float) -> dict[str, list[float] | float | str]:
    with (
        tempfile.TemporaryDirectory(prefix="iepd-bench-") as tls_dir,
        common.bench_servers(make_certs(Path(tls_dir)), requests=REQUESTS) as bench,
    ):
        common.seed_sent(bench.family)
        with NotifyListener(bench.root / "notify.sock") as notify:
            process = start_daemon(bench.family, extra_env=notify.environ())
            try:
                notify.wait_for("READY=1", process, 60)
                time.sleep(SETTLE)
                load_before = common.load_average()
                rss: list[float] = []
                cpu: list[float] = []
                wakeups: list[float] = []
                last = common.read_process(process.pid)
                first = last
                end = time.monotonic() + seconds
                while time.monotonic() < end - 0.5:
                    time.sleep(min(window, end - time.monotonic()))
                    now = common.read_process(process.pid)
                    rss.append(now.rss / common.MIB)
                    cpu.append(100 * (now.cpu - last.cpu) / window)
                    wakeups.append((now.voluntary - last.voluntary) * 60 / window)
                    last = now
                    print(
                        f"\ridle: {len(rss) * window:.0f}/{seconds:.0f} s", end="", file=sys.stderr
                    )
                print(file=sys.stderr)
                load_after = common.load_average()
            finally:
                _, stderr = stop_daemon(process)
        if process.returncode != 0:
            raise RuntimeError(f"iepd run exited {process.returncode}:\n{stderr[-2000:]}")
    return {
        "rss": rss,
        "cpu": cpu,
        "wakeups": wakeups,
        "cpu_total": 100 * (last.cpu - first.cpu) / seconds,
        "wakeups_total": (last.voluntary - first.voluntary) * 60 / seconds,
        "load": f"{load_before} at the start, {load_after} at the end",
    }


def report(found: dict[str, list[float] | float | str], seconds: float, window: float) -> str:
    rss = found["rss"]
    cpu = found["cpu"]
    wakeups = found["wakeups"]
    assert isinstance(rss, list) and isinstance(cpu, list) and isinstance(wakeups, list)
    cpu_total = float(found["cpu_total"])  # type: ignore[arg-type]
    wakeups_total = float(found["wakeups_total"])  # type: ignore[arg-type]
    baseline = imports_only_rss()
    rss_met = "met" if max(rss) < RSS_TARGET_MIB else "NOT met"
    cpu_met = "met" if cpu_total < CPU_TARGET_PERCENT else "NOT met"
    rows = "\n".join(
        [
            f"| RSS, MiB (VmRSS) | {common.spread(rss)} | max {max(rss):.1f} "
            f"| < {RSS_TARGET_MIB:.0f} ({rss_met}) |",
            f"| CPU, % of one core (utime + stime) | {common.spread(cpu, 3)} "
            f"| {cpu_total:.4f} | < {CPU_TARGET_PERCENT} ({cpu_met}) |",
            "| wake-ups per minute (voluntary context switches, all threads) "
            f"| {common.spread(wakeups)} | {wakeups_total:.1f} | — |",
        ]
    )
    return f"""## Idle cost

Measured {common.stamp()} with `python benchmarks/idle.py --seconds {seconds:.0f}`; load
average {found["load"]} (a shared machine: other work ran at the same time).

`iepd run` with {REQUESTS} open requests (sent, none due for days) against a private Dovecot
(STARTTLS, IDLE re-issued every 9 minutes, the default) and aiosmtpd, left alone for
{seconds:.0f} s after READY and {SETTLE:.0f} s of settling. Read from `/proc/PID` once every
{window:.0f} s: each window's value, as median (min–max, n = windows).

| figure | per window | whole run | target |
|---|---:|---:|---:|
{rows}

For scale: a Python that only imports what `iepd run` imports
(`import iepd.run.daemon, iepd.cli.main`) holds {baseline:.1f} MiB.

Machine: {common.machine()}.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = 60.0 if common.SHORT else 600.0
    parser.add_argument("--seconds", type=float, default=default, help=f"default {default:.0f}")
    args = parser.parse_args(argv)
    window = 10.0 if args.seconds <= 120 else 60.0
    found = measure(args.seconds, window)
    section = report(found, args.seconds, window)
    common.write_block(NAME, section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
