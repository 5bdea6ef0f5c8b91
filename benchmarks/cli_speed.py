"""The command line: wall time of `iepd --help`, and of `iepd status` for a family's ten
requests with a year of history and for 1,000 requests, each a fresh process, repeated,
the commands taking turns; and the instructions one run executes, counted by callgrind when
valgrind is installed. Also lists the heaviest imports of `iepd status`. The package's
bytecode is written first, as pip does on install. Run as
``python benchmarks/cli_speed.py [--runs N]``; writes its block into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
import year_of_mail

from support.family import Family, offline_family, speech_request

NAME = "cli_speed.py"
FAMILY_REQUESTS = 10
REQUESTS = 1000
HELP_TARGET_MS = 150.0
FAMILY_TARGET_MS = 100.0
REQUESTS_TARGET_MS = 300.0


def _many(root: Path) -> Family:
    """A config with REQUESTS requests, all recorded as sent two days ago."""
    family = offline_family(root, [speech_request(f"sam-speech-{n}") for n in range(REQUESTS)])
    common.seed_sent(family, sent_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    return family


Run = tuple[list[str], dict[str, str]]


def _time_round_robin(commands: dict[str, Run], runs: int) -> dict[str, list[float]]:
    """Given named commands (argv and environment), return the seconds of each run of each,
    after one unmeasured warm-up run of each. The commands take turns, one run at a time,
    so that every one of them meets the same slow and quick spells of a shared machine
    (run one after another, a command measured in a quick minute looked faster than one
    doing less work in a slow one)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(runs + 1):
        for name, (argv, env) in commands.items():
            started = time.perf_counter()
            subprocess.run(argv, env=env, check=True, capture_output=True)
            if round_number:
                times[name].append(time.perf_counter() - started)
    return times


def _imports(env: dict[str, str]) -> str:
    """The heaviest top-level imports of `iepd status` (python -X importtime)."""
    found = subprocess.run(
        [common.PYTHON, "-X", "importtime", "-m", "iepd", "status"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    top = []
    for line in found.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            if not name.startswith("  ") or (name.startswith("  ") and not name.startswith("   ")):
                top.append((int(parts[1]) / 1000, name.strip()))
    top.sort(reverse=True)
    return ", ".join(f"{name} {ms:.0f} ms" for ms, name in top[:5])


def _instructions(argv: list[str], env: dict[str, str]) -> int | None:
    """Instructions one run of argv executes, counted by valgrind's callgrind when it is
    installed (Debian's `valgrind`): the same count whatever else the machine is doing, so
    two versions compare exactly where their wall times on a shared machine do not."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    found = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    counted = re.search(r"Collected : ([0-9]+)", found.stderr)
    return int(counted.group(1)) if counted else None


def _compile_package() -> None:
    """Write iepd's bytecode, as pip does when it installs a package. An editable install
    under PYTHONDONTWRITEBYTECODE=1 never has any, and every run would first compile the
    package from source: a cost no installed iepd pays."""
    import iepd

    subprocess.run(
        [common.PYTHON, "-m", "compileall", "-q", str(Path(iepd.__file__).parent)],
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},
    )


def measure(runs: int) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix="iepd-bench-cli-"))
    try:
        _compile_package()
        base = {"PATH": os.environ["PATH"]}
        family = year_of_mail.year_of_mail(root / "family", FAMILY_REQUESTS)
        year = family.environ({**base, "HOME": str(family.root)})
        many = _many(root / "many")
        thousand = many.environ({**base, "HOME": str(many.root)})
        load = common.load_average()
        iepd = str(Path(common.PYTHON).parent / "iepd")
        command = [iepd] if Path(iepd).exists() else [common.PYTHON, "-m", "iepd"]
        commands: dict[str, Run] = {
            "python": ([common.PYTHON, "-c", "pass"], year),
            "help": ([*command, "--help"], year),
            "family": ([*command, "status"], year),
            "family_json": ([*command, "status", "--json"], year),
            "many": ([*command, "status"], thousand),
            "many_json": ([*command, "status", "--json"], thousand),
        }
        found: dict[str, object] = dict(_time_round_robin(commands, runs))
        found["instructions"] = {name: _instructions(*commands[name]) for name in commands}
        found["imports"] = _imports(year)
        found["load"] = f"{load} at the start, {common.load_average()} at the end"
        found["command"] = " ".join(Path(part).name for part in command)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return found


def report(found: dict[str, object], runs: int) -> str:
    rows = []
    verdicts = []
    instructions = found["instructions"]
    assert isinstance(instructions, dict)
    family = f"{FAMILY_REQUESTS} requests and a year of history"
    for key, label, target in (
        ("python", "`python -c pass` (the interpreter alone)", None),
        ("help", "`iepd --help`", HELP_TARGET_MS),
        ("family", f"`iepd status`, {family}", FAMILY_TARGET_MS),
        ("family_json", f"`iepd status --json`, {family}", FAMILY_TARGET_MS),
        ("many", f"`iepd status`, {REQUESTS:,} requests", REQUESTS_TARGET_MS),
        ("many_json", f"`iepd status --json`, {REQUESTS:,} requests", REQUESTS_TARGET_MS),
    ):
        times = found[key]
        assert isinstance(times, list)
        ms = [1000 * value for value in times]
        p50 = statistics.median(ms)
        goal = f"≤ {target:.0f}" if target else "—"
        counted = instructions.get(key)
        millions = f"{counted / 1e6:,.0f}" if counted else "—"
        rows.append(f"| {label} | {common.spread(ms)} | {millions} | {goal} |")
        if target:
            met = "met" if p50 <= target else "NOT met"
            verdicts.append(f"{label}: {p50:.0f} ms, target {target:.0f} ms {met}")
    return f"""## The command line

Measured {common.stamp()} with `python benchmarks/cli_speed.py --runs {runs}` (a fresh process
per run, the commands taking turns run by run, after one warm-up of each; command
`{found["command"]}`); load average
{found["load"]} (a shared machine: other work ran at the same time).

The family: {FAMILY_REQUESTS} requests sent over the last twelve months and lived through by
iepd's own planner, sender and message recorder (`benchmarks/year_of_mail.py`): each letter,
a follow-up or two where the school was silent, the school's answers, an out-of-office
reply, a refusal and an offer of a call, the meetings the parent wrote into the config, the
reminders before and after them, and the requests closed since. {REQUESTS:,} requests: each
letter sent two days ago. No cache of any kind: every run reads the config and the store.

| command | ms, median (min–max, n) | million instructions | target ms |
|---|---:|---:|---:|
{chr(10).join(rows)}

{chr(10).join(f"- {verdict}" for verdict in verdicts)}

Instructions are counted in one run by valgrind's callgrind ("—": not counted, or valgrind
not installed): unlike the times, they come out the same however busy the machine is.

Heaviest imports of `iepd status` for the family (cumulative, `python -X importtime`):
{found["imports"]}.

Machine: {common.machine()}.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10 if common.SHORT else 30)
    args = parser.parse_args(argv)
    found = measure(args.runs)
    section = report(found, args.runs)
    common.write_block(NAME, section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
