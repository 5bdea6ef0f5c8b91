"""`iepd demo`: the whole flow in about twenty seconds, against a mail sandbox on loopback.

It starts the sandbox (pymap and aiosmtpd, ``iepd.demo.sandbox``) and the scripted school
(``iepd.demo.school``, its cast in ``iepd.demo.cast``), writes a config with timings in
seconds to a folder of its own, and runs the real daemon, ``python -m iepd run``, as a child
process: nothing here is a demo-only path through the daemon. It watches the store while the
daemon works, showing each request's state, last event and next action (a live table on a
terminal, one line per event otherwise), stops the daemon once every request has settled,
writes an export of each request and says what to open. The only module that imports rich;
``iepd.demo.process`` starts and stops the processes.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from iepd.demo.process import interrupt_on_sigterm, logs_to, start_daemon, stop_daemon
from iepd.errors import EX_UNAVAILABLE, IepdError
from iepd.store.database import Store

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from iepd.config.model import Config
    from iepd.demo.school import School
    from iepd.run.snapshots import RequestNextStep

logger = logging.getLogger(__name__)

TIMING = {"followup_after": "4s", "escalate_after": "4s"}
DEADLINE = 55.0  # seconds for the whole flow; it takes about fifteen to twenty
REFRESH = 0.25
PACKAGES = ("aiosmtpd", "pymap", "rich")
RECENT_LINES = 9
HOLD_BACK = 1.0
PLAIN_WIDTH = 120


class DemoUnavailable(IepdError):
    exit_code = EX_UNAVAILABLE


def missing_packages() -> list[str]:
    return [name for name in PACKAGES if importlib.util.find_spec(name) is None]


def run_demo(folder: Path | None = None, plain: bool = False, language: str = "en") -> int:
    """Run the demo in folder (default: a new temporary folder, kept for its export), the
    parent reading iepd in ``language`` ("en" or "es"), and return the exit status: 0 when
    every request ended as the script says, 1 otherwise, 130 when interrupted. Raise
    DemoUnavailable if a package the sandbox needs is missing."""
    missing = missing_packages()
    if missing:
        raise DemoUnavailable(
            f"iepd demo needs {', '.join(missing)}; install them with: "
            "pip install 'iepd[demo]'  (from a checkout: pip install -e '.[demo]', or make demo)"
        )
    started = time.monotonic()
    folder = _prepare(folder)
    from rich.console import Console

    # No markup: subjects such as "[iepd] Sent: ..." must print as they are.
    console = Console(highlight=False, markup=False, soft_wrap=True)
    if not console.is_terminal:
        plain = True
        console.width = PLAIN_WIDTH  # a log or a pipe: room for the table without wrapping
    with logs_to(folder / "demo.log"), interrupt_on_sigterm():
        try:
            return _run(folder, console, plain, started, language)
        except KeyboardInterrupt:
            console.print(f"\ndemo interrupted; its folder is kept: {folder}")
            return 130


def _prepare(folder: Path | None) -> Path:
    if folder is None:
        return Path(tempfile.mkdtemp(prefix="iepd-demo-"))
    folder = folder.expanduser().absolute()
    if folder.exists() and any(folder.iterdir()):
        raise IepdError(f"{folder} is not empty; give iepd demo a new or empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class _Flow:
    """What the demo has running: read by the view, stopped in reverse order."""

    folder: Path
    started: float
    config_path: Path
    config: Config
    store: Store
    school: School
    daemon: subprocess.Popen[bytes]

    def next_step(self) -> Callable[[str], RequestNextStep]:
        from iepd.run.snapshots import next_step_function

        return next_step_function(self.config, self.store, datetime.now(UTC))


def _run(folder: Path, console: Console, plain: bool, started: float, language: str) -> int:
    from rich.text import Text

    from iepd.config.load import load_config
    from iepd.demo import cast as demo_cast
    from iepd.demo.language import PARENT_REPLY, set_language
    from iepd.demo.sandbox import Sandbox
    from iepd.demo.school import School

    passwords = {user: secrets.token_urlsafe(16) for user in demo_cast.mailbox_owners()}
    parent = demo_cast.PARENT.email
    with contextlib.ExitStack() as stack:
        sandbox = Sandbox(passwords, folders={parent: ("INBOX", "Sent")})
        school = School(sandbox)
        school.parent_reply = PARENT_REPLY[language]
        sandbox.undeliverable = school.bounce
        stack.enter_context(sandbox)
        school.start()
        stack.callback(school.stop)
        config_path = demo_cast.write_config(
            folder, sandbox.imap_port, sandbox.smtp_port, passwords[parent], TIMING
        )
        set_language(config_path, language)
        # Opened before the daemon starts, and kept open: opening a store sweeps its mail
        # folder of half-written files, which must never happen under a running daemon.
        store = stack.enter_context(Store.open(folder / "state"))
        daemon = start_daemon(folder, config_path)
        stack.callback(stop_daemon, daemon)
        config = load_config(config_path, os.environ)
        flow = _Flow(folder, started, config_path, config, store, school, daemon)
        logger.info("demo in %s: iepd run is pid %d", folder, daemon.pid)
        console.print(
            f"iepd demo in {folder}\n"
            f"sandbox: IMAP with IDLE (pymap) on 127.0.0.1:{sandbox.imap_port}, "
            f"SMTP (aiosmtpd) on 127.0.0.1:{sandbox.smtp_port}; "
            f"follow-up after {TIMING['followup_after']}, "
            f"escalation after {TIMING['escalate_after']}\n"
        )
        settled = _watch(flow, console, plain)
        status = stop_daemon(daemon)
        # The sandbox lives in memory: keep a copy of what each person received.
        sandbox.dump(folder / "mailboxes")
        if plain:
            console.print(_table(flow))
        log = folder / "iepd-run.log"
        if not settled:
            console.print(f"gave up after {DEADLINE:.0f} s; the daemon's log: {log}", style="red")
        if status != 0:
            console.print(f"iepd run exited with status {status}; see {log}", style="red")
        outcomes = demo_cast.outcomes(store)
        for outcome in outcomes:
            mark = Text("ok   ", style="green") if outcome.ok else Text("FAIL ", style="red")
            console.print(mark, Text(f"{outcome.request_id}: {outcome.text}"), sep="")
        problems = store.verify()
        if problems:
            console.print(f"paper trail: {len(problems)} problems: {problems[0]}", style="red")
        else:
            console.print("paper trail: the event hash chain and every stored message verify")
        exported = _export(flow, console)
    elapsed = time.monotonic() - started
    console.print(f"\nfinished in {elapsed:.1f} s (demo folder: {folder})")
    passed = settled and status == 0 and all(o.ok for o in outcomes) and not problems
    return 0 if passed and exported else 1


# -- watching the store


def _watch(flow: _Flow, console: Console, plain: bool) -> bool:
    """Show progress until every request has settled (return True), the daemon exits or
    DEADLINE passes (return False)."""
    from rich.live import Live

    printed = _Printed()
    deadline = flow.started + DEADLINE
    if plain:
        while not _settled(flow) and time.monotonic() < deadline:
            for line in printed.new_lines(flow):
                console.print(line)
            time.sleep(REFRESH)
        for line in printed.new_lines(flow, flush=True):
            console.print(line)
        return _settled(flow)
    with Live(_screen(flow, printed), console=console, auto_refresh=False) as live:
        while not _settled(flow) and time.monotonic() < deadline:
            time.sleep(REFRESH)
            printed.new_lines(flow)
            live.update(_screen(flow, printed), refresh=True)
        printed.new_lines(flow, flush=True)
        live.update(_screen(flow, printed, final=True), refresh=True)
    return _settled(flow)


def _settled(flow: _Flow) -> bool:
    from iepd.demo import cast as demo_cast

    if flow.daemon.poll() is not None:
        return True  # nothing more will happen; the outcome says what went wrong
    rows = flow.store.list_requests()
    if len(rows) < len(demo_cast.SCENES) or flow.school.busy() or flow.store.pending_outgoing():
        return False
    if not demo_cast.script_done(flow.store):
        return False  # a draft waits for the parent's SEND, which the script sends
    next_step = flow.next_step()
    return all(next_step(row.id) is None for row in rows)


class _Printed:
    """The events and the school's doings, merged in order of time. A line is held back
    HOLD_BACK seconds, because the school often sees a letter before the daemon has
    committed the event that says it was sent."""

    def __init__(self) -> None:
        self.last_seq = 0
        self.school_lines = 0
        self.waiting: list[tuple[float, str]] = []
        self.lines: list[tuple[float, str]] = []

    def new_lines(self, flow: _Flow, flush: bool = False) -> list[str]:
        """Return the lines now due for showing, as text; with flush, every line."""
        offset = time.time() - time.monotonic()
        for event in flow.store.events():
            if event.seq <= self.last_seq:
                continue
            self.last_seq = event.seq
            when = event.at.timestamp() - offset - flow.started
            kind, words = describe(event.kind, event.detail, event.subject)
            self.waiting.append((when, f"{event.request_id or '-':<15} {kind:<28} {words}"))
        log = flow.school.notes()
        for when, text in log[self.school_lines :]:
            self.waiting.append((when - flow.started, f"{'(school)':<15} {text}"))
        self.school_lines = len(log)
        self.waiting.sort()
        cut = time.monotonic() - flow.started - HOLD_BACK
        due = [line for line in self.waiting if flush or line[0] <= cut]
        self.waiting = self.waiting[len(due) :]
        self.lines.extend(due)
        return [f"{when:5.1f}s  {text}" for when, text in due]


def describe(kind: str, detail: str | None, subject: str | None) -> tuple[str, str]:
    """Given an event's kind, detail and subject, return its name and words for a line:
    a reminder is named by its kind ("reminder_sent: no_response")."""
    if kind == "reminder_sent" and detail:
        return f"{kind}: {detail}", subject or ""
    return kind, subject or detail or ""


def _screen(flow: _Flow, printed: _Printed, final: bool = False) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    recent = printed.lines[-RECENT_LINES:]
    elapsed = time.monotonic() - flow.started
    title = "settled" if final else "running"
    return Group(
        _table(flow),
        Text(f"{elapsed:5.1f}s  {title}; recent events:", style="bold"),
        *(
            Text(f"{when:5.1f}s  {text}", overflow="ellipsis", no_wrap=True)
            for when, text in recent
        ),
    )


STATE_STYLES = {
    "answered": "green",
    "undeliverable": "red",
    "failed": "red",
    "escalated": "yellow",
    "followed_up": "yellow",
}


def _table(flow: _Flow) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    from iepd.demo import cast as demo_cast

    now = datetime.now(UTC)
    count = len(demo_cast.SCENES)
    table = Table(title=f"iepd demo: {count} requests to {demo_cast.SCHOOL}", title_justify="left")
    for header in ("request", "the school", "state", "last event", "parent told", "next action"):
        table.add_column(header)
    next_step = flow.next_step()
    rows = {row.id: row for row in flow.store.list_requests()}
    for scene in demo_cast.SCENES:
        row = rows.get(scene.request_id)
        events = flow.store.events(scene.request_id) if row else []
        letters = [event for event in events if event.kind != "reminder_sent"]
        reminders = [event for event in events if event.kind == "reminder_sent"]
        last = "-"
        if letters:
            last = f"{letters[-1].kind} {(now - letters[-1].at).total_seconds():.0f}s ago"
        step = next_step(scene.request_id) if row else ("send", None)
        if step is None:
            upcoming = "-"
        elif step[1] is None or step[1] <= now:
            upcoming = f"{step[0]} now"
        else:
            upcoming = f"{step[0]} in {(step[1] - now).total_seconds():.0f}s"
        state = row.state if row else "(not yet seen)"
        table.add_row(
            scene.request_id,
            scene.behaviour,
            Text(state, style=STATE_STYLES.get(state, "")),
            last,
            reminders[-1].detail or "-" if reminders else "-",
            upcoming,
        )
    return table


# -- the end


def _export(flow: _Flow, console: Console) -> bool:
    """Write each request's export under folder/export; return False if one was refused."""
    from iepd.demo import cast as demo_cast

    try:
        from iepd.trail.export import export_request
    except ImportError:  # an iepd without the export: say how it would be made
        console.print(
            "\nexport: this iepd has no export yet; with it, run:\n"
            f"  iepd --config {flow.config_path} export eli-behavior --out {flow.folder}/export"
        )
        return True
    console.print("\nthe paper trail of each request, ready to hand over:")
    for scene in demo_cast.SCENES:
        target = flow.folder / "export" / scene.request_id
        try:
            result = export_request(
                flow.config, flow.store, scene.request_id, target, now=datetime.now(UTC)
            )
        except IepdError as error:
            console.print(f"export of {scene.request_id} refused: {error}", style="red")
            return False
        console.print(f"  {scene.request_id:<15} {result.folder}")
    first = flow.folder / "export" / "eli-behavior"
    console.print(
        f"open {first / 'index.html'} in a browser (it prints on Letter or A4);\n"
        f"check its files with: cd {first} && sha256sum -c SHA256SUMS"
    )
    return True
