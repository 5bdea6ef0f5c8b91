"""Every benchmark, one after the other, each in a process of its own: what `make bench`
runs. Each rewrites its own marked block of docs/benchmarks.md; this script rewrites the
summary block at the top (when, where, which versions, how long each took). Blocks written
by hand (the profile notes) are left alone.

``python benchmarks/run_all.py [--only latency,idle,scale,cli,classification]``;
IEPD_BENCH_SHORT=1 runs the short versions (20 deliveries, 60 s idle, no 100,000-message
inbox, fewer repeats), which suit a CI smoke run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import common

HERE = Path(__file__).resolve().parent
BENCHMARKS = {
    "latency": "latency.py",
    "idle": "idle.py",
    "scale": "scale.py",
    "cli": "cli_speed.py",
    "classification": "classification.py",
}
NAME = "run_all.py"


def _summary(ran: list[tuple[str, float, int, str, str]], started: str) -> str:
    rows = "\n".join(
        f"| `{script}` | {seconds:.0f} | {'ok' if status == 0 else f'FAILED ({status})'} "
        f"| {before} | {after} |"
        for script, seconds, status, before, after in ran
    )
    mode = "short (IEPD_BENCH_SHORT=1)" if common.SHORT else "full"
    return f"""Measurements, not tests: nothing here asserts a timing. `make bench` (that is,
`python benchmarks/run_all.py`) starts private servers on 127.0.0.1 (Dovecot, pymap,
aiosmtpd), runs every benchmark and rewrites the marked blocks below; each figure is a
median over repeated runs with its spread (min–max) and the number of runs.

**A shared machine.** These figures were taken on a 2-core virtual machine that other
engineers were using at the same time (test suites, builds): the load average (1, 5 and
15 minutes, as `uptime` prints it) is recorded with each figure. Medians resist the
disturbance; maxima and single runs do not.

Last run: {started} ({mode}). Machine: {common.machine()}.

| benchmark | seconds | status | load before | load after |
|---|---:|---|---|---|
{rows}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated names")
    args = parser.parse_args(argv)
    started = common.stamp()
    ran = []
    for name in args.only.split(","):
        script = BENCHMARKS[name.strip()]
        before = common.load_average()
        began = time.monotonic()
        print(f"== {script} (load {before})", file=sys.stderr, flush=True)
        status = subprocess.run([sys.executable, str(HERE / script)], env=os.environ).returncode
        ran.append((script, time.monotonic() - began, status, before, common.load_average()))
    common.write_block(NAME, _summary(ran, started))
    _order_summary_first()
    failed = [script for script, _, status, _, _ in ran if status != 0]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _order_summary_first() -> None:
    """A new summary block is appended at the end; it belongs right under the title."""
    begin, end = common.markers(NAME)
    text = common.DOCS.read_text()
    start, stop = text.index(begin), text.index(end) + len(end)
    block, rest = text[start:stop], text[:start] + text[stop:]
    title, _, body = rest.partition("\n")
    common.DOCS.write_text(f"{title}\n\n{block}\n\n{body.strip()}\n")


if __name__ == "__main__":
    sys.exit(main())
