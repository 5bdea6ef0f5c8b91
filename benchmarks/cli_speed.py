"""The command line: wall time of `iepd --help`, and of `iepd status` with 1,000 requests
in the store, each a fresh process, repeated, the commands taking turns; and the
instructions one run executes, counted by callgrind when valgrind is installed. Also lists
the heaviest imports of `iepd --help`. The package's bytecode is written first, as pip
does on install; the warm-up run leaves the large config's parsed TOML in the cache
(config_file.py), and one row shows a run without it. Run as
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

from support.family import Family, offline_family, speech_request

NAME = "cli_speed.py"
REQUESTS = 1000
HELP_TARGET_MS = 150.0
STATUS_TARGET_MS = 250.0


def _family(root: Path) -> Family:
    """A config with REQUESTS requests, all recorded as sent; no server is needed."""
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


def _small_config(root: Path, family: Family, command: list[str]) -> Run:
    """`iepd status` with the same 1,000 requests in the store but only 10 in the config,
    the likelier shape after some years: a parent removes finished requests from the file.
    A second config file for the same state folder: the first with its requests after the
    tenth cut off (they come last in it)."""
    small = root / "small-config.toml"
    pieces = family.config_path.read_text().split("[[request]]")
    small.write_text("[[request]]".join(pieces[:11]))
    env = family.environ({"PATH": os.environ["PATH"], "HOME": str(root)})
    return [*command, "status"], {**env, "IEPD_CONFIG": str(small)}


def _imports(env: dict[str, str]) -> str:
    """The heaviest top-level imports of `iepd --help` (python -X importtime)."""
    found = subprocess.run(
        [common.PYTHON, "-X", "importtime", "-m", "iepd", "--help"],
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
    package from source (about 60 ms here): a cost no installed iepd pays."""
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
        family = _family(root)
        env = family.environ({"PATH": os.environ["PATH"], "HOME": str(root)})
        # A file where the cache folder would be: every run parses the TOML, as the first
        # run after each edit of the config does.
        (root / "no-cache").touch()
        uncached = {**env, "XDG_CACHE_HOME": str(root / "no-cache")}
        load = common.load_average()
        iepd = str(Path(common.PYTHON).parent / "iepd")
        command = [iepd] if Path(iepd).exists() else [common.PYTHON, "-m", "iepd"]
        commands: dict[str, Run] = {
            "python": ([common.PYTHON, "-c", "pass"], env),
            "help": ([*command, "--help"], env),
            "status": ([*command, "status"], env),
            "status_json": ([*command, "status", "--json"], env),
            "status_uncached": ([*command, "status"], uncached),
            "status_small": _small_config(root, family, command),
        }
        found: dict[str, object] = dict(_time_round_robin(commands, runs))
        found["instructions"] = {
            name: _instructions(*commands[name])
            for name in ("python", "help", "status", "status_json", "status_uncached")
        }
        found["imports"] = _imports(env)
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
    for key, label, target in (
        ("python", "`python -c pass` (the interpreter alone)", None),
        ("help", "`iepd --help`", HELP_TARGET_MS),
        ("status", f"`iepd status`, {REQUESTS:,} requests", STATUS_TARGET_MS),
        ("status_json", f"`iepd status --json`, {REQUESTS:,} requests", STATUS_TARGET_MS),
        (
            "status_uncached",
            f"`iepd status`, {REQUESTS:,} requests, the config just edited (TOML parsed)",
            None,
        ),
        (
            "status_small",
            f"`iepd status`, {REQUESTS:,} requests in the store, 10 in the config",
            STATUS_TARGET_MS,
        ),
    ):
        times = found[key]
        assert isinstance(times, list)
        ms = [1000 * value for value in times]
        p50 = statistics.median(ms)
        goal = f"< {target:.0f}" if target else "—"
        counted = instructions.get(key)
        millions = f"{counted / 1e6:,.0f}" if counted else "—"
        rows.append(f"| {label} | {common.spread(ms)} | {millions} | {goal} |")
        if target:
            verdicts.append(f"{label}: {p50:.0f} ms, target {'met' if p50 < target else 'NOT met'}")
    return f"""## The command line

Measured {common.stamp()} with `python benchmarks/cli_speed.py --runs {runs}` (a fresh process
per run, the commands taking turns run by run, after one warm-up of each; command
`{found["command"]}`); load average
{found["load"]} (a shared machine: other work ran at the same time).

| command | ms, median (min–max, n) | million instructions | target ms |
|---|---:|---:|---:|
{chr(10).join(rows)}

{chr(10).join(f"- {verdict}" for verdict in verdicts)}

Instructions are counted in one run by valgrind's callgrind ("—": not counted, or valgrind
not installed): unlike the times, they come out the same however busy the machine is.

Heaviest imports of `iepd --help` (cumulative, `python -X importtime`): {found["imports"]}.

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
