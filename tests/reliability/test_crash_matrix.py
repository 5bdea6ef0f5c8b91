"""SIGKILL at every step boundary of a follow-up, an escalation and an answer reminder, and
at random instants of the daemon's life; after each restart nothing is lost or repeated.

tests/e2e/test_crash_send.py covers the request letter and its `sent` reminder; this file
extends the same matrix (the crash points of iepd/faults.py) to the later letters, which go
out in the request's thread once `followup_after` has passed, and to the reminder queued in
the same transaction as a recorded answer. The random-instant test kills `iepd run` (the
daemon, not --once) after a random delay, many times over, then checks the invariants.
Set IEPD_LONG_RUN=1 for 200 random trials (10 by default), or IEPD_CRASH_TRIALS=N.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from iepd.store.database import Store
from support.crashpoints import ANSWER_POINTS, DELIVERED, LETTER_POINTS, UNCERTAIN
from support.daemon import NotifyListener, run_iepd, start_daemon, stop_daemon, wait_for
from support.family import Family
from support.mailboxes import parent_kinds, reminder_kinds, reply_to, school_mail, sent_folder
from support.mailservers import Dovecot

LONG_RUN = os.environ.get("IEPD_LONG_RUN") == "1"
# The escalation walks the same code as the follow-up (number 2 instead of 1): in CI only
# the boundaries where its outcome differs are killed; IEPD_LONG_RUN=1 kills at all of them.
ESCALATION_POINTS = (
    list(LETTER_POINTS) if LONG_RUN else ["data", "data-accepted", "accepted", "done#2"]
)
# The follow-up's reminder walks the same reminder code as the request's `sent` reminder,
# which test_crash_send.py kills at every boundary: in CI only where it can go wrong twice.
FOLLOW_UP_POINTS = (
    list(LETTER_POINTS)
    if LONG_RUN
    else [point for point in LETTER_POINTS if "#" not in point or "data" in point]
)
PAST_TIMING = 1.2  # seconds: longer than the "1s" of followup_after / escalate_after


def run_ok(family: Family) -> None:
    result = run_iepd(family)
    assert result.returncode == 0, result.stderr


def assert_sound(family: Family) -> Store:
    store = Store.open(family.state_dir)
    assert store.verify() == []
    assert store.integrity_check() == "ok"
    return store


def crash_then_restart(family: Family, point: str) -> None:
    crashed = run_iepd(family, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    run_ok(family)


def school_counts(dovecot: Dovecot, family: Family) -> tuple[int, int]:
    return len(school_mail(dovecot, family)), len(school_mail(dovecot, family, family.principal))


@pytest.mark.parametrize("point", FOLLOW_UP_POINTS)
def test_a_kill_at_any_step_of_a_follow_up_neither_loses_nor_repeats_it(
    point: str,
    dovecot: Dovecot,
    make_family: Callable[..., Family],
) -> None:
    family = make_family(timing='followup_after = "1s"')
    run_ok(family)  # the request and its `sent` reminder
    time.sleep(PAST_TIMING)
    crash_then_restart(family, point)

    expected = LETTER_POINTS[point]
    letters = school_mail(dovecot, family)
    kinds = parent_kinds(dovecot, family)
    with assert_sound(family) as store:
        request = store.get_request("sam-speech")
        assert request is not None
        events = Counter(event.kind for event in store.events("sam-speech"))
    assert events["request_sent"] == 1
    if expected == DELIVERED:
        assert len(letters) == 2
        assert letters[1]["In-Reply-To"] == letters[0]["Message-ID"]
        assert len(sent_folder(dovecot, family)) == 2
        assert kinds == ["sent", "followup_sent"]
        assert events["followup_sent"] == 1
        assert request.state == "followed_up"
    else:
        assert len(letters) == (2 if expected == UNCERTAIN else 1)
        assert len(sent_folder(dovecot, family)) == 1
        assert kinds == ["sent", "send_uncertain"]
        assert events["send_uncertain"] == 1
        assert events["followup_sent"] == 0

    run_ok(family)  # a third run sends nothing again
    assert len(school_mail(dovecot, family)) == len(letters)
    assert parent_kinds(dovecot, family) == kinds


@pytest.mark.parametrize("point", ESCALATION_POINTS)
def test_a_kill_at_any_step_of_an_escalation_neither_loses_nor_repeats_it(
    point: str,
    dovecot: Dovecot,
    make_family: Callable[..., Family],
) -> None:
    family = make_family(timing='followup_after = "1s"\nescalate_after = "1s"')
    run_ok(family)  # the request
    time.sleep(PAST_TIMING)
    run_ok(family)  # the follow-up
    time.sleep(PAST_TIMING)
    crash_then_restart(family, point)

    expected = LETTER_POINTS[point]
    to_case_manager, to_principal = school_counts(dovecot, family)
    kinds = [kind for kind in parent_kinds(dovecot, family) if kind != "no_response"]
    with assert_sound(family) as store:
        events = Counter(event.kind for event in store.events("sam-speech"))
    assert (events["request_sent"], events["followup_sent"]) == (1, 1)
    if expected == DELIVERED:
        assert (to_case_manager, to_principal) == (3, 1)
        assert len(sent_folder(dovecot, family)) == 3
        assert kinds == ["sent", "followup_sent", "escalation_sent"]
        assert events["escalation_sent"] == 1
    else:
        reached = 1 if expected == UNCERTAIN else 0
        assert (to_case_manager, to_principal) == (2 + reached, reached)
        assert len(sent_folder(dovecot, family)) == 2
        assert kinds == ["sent", "followup_sent", "send_uncertain"]
        assert events["send_uncertain"] == 1
        assert events["escalation_sent"] == 0

    run_ok(family)
    assert school_counts(dovecot, family) == (to_case_manager, to_principal)


@pytest.mark.parametrize("point", ANSWER_POINTS)
def test_a_kill_at_any_step_of_the_answer_reminder_records_the_answer_and_reminds_once(
    point: str,
    dovecot: Dovecot,
    make_family: Callable[..., Family],
) -> None:
    family = make_family()
    run_ok(family)
    [letter] = school_mail(dovecot, family)
    dovecot.deliver(
        family.parent,
        reply_to(letter, family, "Thank you. We will hold an IEP meeting; dates follow."),
        mail_from=family.case_manager,
    )
    crash_then_restart(family, point)
    run_ok(family)  # a third run: nothing twice

    # v2: the answer set no date, so the letter asking for one is drafted and shown
    assert reminder_kinds(dovecot, family) == ["sent", "answer", "draft_ready"]
    with assert_sound(family) as store:
        request = store.get_request("sam-speech")
        assert request is not None and request.state == "acknowledged"
        events = [event for event in store.events("sam-speech")]
    assert [event.kind for event in events].count("reply_received") == 1
    reminders = [event.detail for event in events if event.kind == "reminder_sent"]
    assert reminders == ["sent", "answer", "draft_ready"]
    assert len(school_mail(dovecot, family)) == 1


# -- a reader beside the daemon ------------------------------------------------------------

HOLDER = """
import os, signal, sys
from datetime import UTC, datetime
from pathlib import Path
from iepd.store.database import Store
store = Store.open(Path(sys.argv[1]))
print("open", flush=True)
sys.stdin.readline()
store.upsert_request(id="r1", child="sam", reason="general", urgent=False,
                     state_if_new="queued", subject="", now=datetime.now(UTC))
print("committed", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_commit_survives_a_crash_after_another_process_opened_and_closed_the_store(
    tmp_path: Path,
) -> None:
    # `iepd status` beside the daemon: its close must not delete the daemon's WAL. It did
    # when Store.open re-opened the database file itself (close() drops POSIX locks).
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    assert holder.stdout.readline().strip() == "open"
    Store.open(tmp_path).close()
    holder.stdin.write("commit\n")
    holder.stdin.flush()
    assert holder.stdout.readline().strip() == "committed"
    assert holder.wait(timeout=30) == -signal.SIGKILL
    with Store.open(tmp_path) as store:
        assert store.get_request("r1") is not None
        assert store.integrity_check() == "ok"


# -- random instants --------------------------------------------------------------------


def trial_count() -> int:
    if os.environ.get("IEPD_CRASH_TRIALS"):
        return int(os.environ["IEPD_CRASH_TRIALS"])
    return 200 if LONG_RUN else 10


KILLS_PER_FAMILY = 5
MAX_KILL_DELAY = 3.0  # seconds: a request, a follow-up and an escalation fit in about 5


@dataclass
class Tally:
    trials: int = 0
    letters: int = 0
    delivered: int = 0
    uncertain: int = 0
    duplicates: int = 0
    losses: int = 0
    problems: list[str] | None = None

    def problem(self, text: str) -> None:
        self.problems = [*(self.problems or []), text]


def settled(family: Family) -> bool:
    """Whether every letter has come to rest: nothing pending, and the escalation out or a
    letter's fate left to the parent (after which no later letter is sent)."""
    if not (family.state_dir / "iepd.sqlite3").exists():
        return False
    with Store.open(family.state_dir) as store:
        rows = store.list_outgoing("sam-speech")
        pending = store.pending_outgoing()
    steps = {row.purpose: row.step for row in rows if row.reminder_kind is None}
    finished = steps.get("escalation") in ("done", "failed", "uncertain") or (
        "uncertain" in steps.values()
    )
    return finished and not pending


def describe(family: Family) -> str:
    with Store.open(family.state_dir) as store:
        request = store.get_request("sam-speech")
        rows = [f"{row.dedup_key}={row.step}" for row in store.list_outgoing("sam-speech")]
    return f"request {request.state if request else None}; outbox: {', '.join(rows)}"


def check_family(dovecot: Dovecot, family: Family, tally: Tally) -> None:
    to_school = [
        str(message["Message-ID"])
        for who in (family.case_manager, family.principal)
        for message in school_mail(dovecot, family, who)
    ]
    in_sent = Counter(str(message["Message-ID"]) for message in sent_folder(dovecot, family))
    kinds = Counter(parent_kinds(dovecot, family))
    with Store.open(family.state_dir) as store:
        if store.verify() != []:
            tally.problem(f"{family.root}: chain: {store.verify()}")
        if store.integrity_check() != "ok":
            tally.problem(f"{family.root}: integrity: {store.integrity_check()}")
        letters = [row for row in store.list_outgoing("sam-speech") if row.reminder_kind is None]
        events = Counter(event.kind for event in store.events("sam-speech"))
    recorded = {row.message_id: row for row in letters}
    strangers = [mid for mid in to_school if mid not in recorded]
    if strangers:
        tally.problem(f"{family.root}: unrecorded letters reached the school: {strangers}")
    per_id = Counter(to_school)
    for row in letters:
        tally.letters += 1
        # The escalation goes to the case manager and (Cc) the principal: two mailboxes.
        copies_expected = 2 if row.purpose == "escalation" else 1
        copies = per_id[row.message_id]
        if copies > copies_expected or in_sent[row.message_id] > 1:
            tally.duplicates += 1
            tally.problem(f"{family.root}: {row.purpose} repeated ({copies}, Sent {in_sent})")
        if row.step == "done":
            tally.delivered += 1
            event = {"request": "request_sent"}.get(row.purpose, f"{row.purpose}_sent")
            if copies == 0 or in_sent[row.message_id] != 1 or events[event] != 1:
                tally.losses += 1
                tally.problem(f"{family.root}: {row.purpose} done but {copies} copies / {event}")
        elif row.step == "uncertain":
            tally.uncertain += 1
        else:
            tally.losses += 1
            tally.problem(f"{family.root}: {row.purpose} left at step {row.step}")
    told = sum(1 for row in letters if row.step == "uncertain")
    if kinds["send_uncertain"] < told:
        tally.losses += 1
        tally.problem(f"{family.root}: {told} uncertain letters, {kinds} reminders")


def test_random_sigkills_of_the_daemon_lose_and_repeat_nothing(
    tmp_path: Path,
    dovecot: Dovecot,
    make_family: Callable[..., Family],
) -> None:
    trials = trial_count()
    seed = int(os.environ.get("IEPD_CRASH_SEED", str(random.randrange(1 << 30))))
    chance = random.Random(seed)
    tally = Tally()
    started = time.monotonic()
    family_number = 0
    while tally.trials < trials:
        family_number += 1
        family = make_family(
            tmp_path / f"family-{family_number}",
            timing='followup_after = "2s"\nescalate_after = "2s"',
        )
        for _ in range(min(KILLS_PER_FAMILY, trials - tally.trials)):
            daemon = start_daemon(family)
            time.sleep(chance.uniform(0.05, MAX_KILL_DELAY))
            daemon.send_signal(signal.SIGKILL)
            daemon.communicate(timeout=15)
            tally.trials += 1
        with NotifyListener(family.root / "notify.sock") as notify:
            daemon = start_daemon(family, extra_env=notify.environ())

            def at_rest(family: Family = family, notify: NotifyListener = notify) -> bool:
                return notify.ready() and settled(family)

            try:
                wait_for(at_rest, "every letter to come to rest", 60)
            except AssertionError:
                status, stderr = stop_daemon(daemon)
                raise AssertionError(
                    f"seed {seed}: {describe(family)}; notified {notify.lines()}\n{stderr}"
                ) from None
            status, stderr = stop_daemon(daemon)
        assert status == 0, stderr
        assert "Traceback" not in stderr, stderr
        check_family(dovecot, family, tally)
    elapsed = time.monotonic() - started
    print(
        f"\nrandom SIGKILL trials: {tally.trials} kills over {family_number} families "
        f"(seed {seed}) in {elapsed:.0f} s; letters {tally.letters}: delivered "
        f"{tally.delivered}, uncertain (parent told) {tally.uncertain}; duplicates "
        f"{tally.duplicates}; losses {tally.losses}"
    )
    assert tally.problems is None, f"seed {seed}: {tally.problems}"
    assert (tally.duplicates, tally.losses) == (0, 0)
    assert tally.letters >= family_number  # every family's request was at least tried
