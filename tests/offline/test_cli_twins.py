"""The command line's twins of the commands by email (issue 15): `iepd send`, `close`,
`meeting`, `agreed`, `reclassify`, as a subprocess on a real store, and `iepd status`
saying who owes the next move. No mail server is contacted: a letter approved here is
queued for the daemon to send."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from iepd.decide.plan import Remind, next_actions
from iepd.run.drafting import Drafting
from iepd.run.one_pass import reminder_context
from iepd.run.snapshots import rules_for, snapshots
from iepd.store.database import Store
from support.offline import REQUEST, Offline, answered_request


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[Offline]:
    found = answered_request(tmp_path)
    # One planning pass, as `iepd run` makes it: the ask_for_date draft and its reminder.
    plan = next_actions(snapshots(found.config, found.store), rules_for(found.config),
                        found.clock())  # fmt: skip
    drafting = Drafting(found.config, found.store, found.sender, found.clock)
    for action in plan.actions:
        if isinstance(action, Remind):
            found.sender.queue_reminder(
                action.request_id, action.kind, action.key, reminder_context(action)
            )
        else:
            drafting.carry_out(action)  # type: ignore[arg-type]
    found.store.close()
    yield found


def iepd(offline: Offline, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = offline.family.environ({"PATH": os.environ["PATH"], "HOME": str(offline.family.root)})
    return subprocess.run(
        [sys.executable, "-m", "iepd", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip


def status(offline: Offline) -> dict[str, object]:
    result = iepd(offline, "status", "--json")
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    return row  # type: ignore[no-any-return]


def test_send_queues_the_draft_once_and_status_says_whose_turn(offline: Offline) -> None:
    assert status(offline)["waiting_for"] == "school"  # ask_for_date goes out by itself
    sent = iepd(offline, "send", REQUEST)
    assert sent.returncode == 0, sent.stderr
    assert "queued" in sent.stdout and "iepd run --once" in sent.stdout
    again = iepd(offline, "send", REQUEST)
    assert again.returncode == 1
    assert "there is no draft waiting to be sent for sam-speech" in again.stderr
    with Store.open(offline.family.state_dir) as store:
        [letter] = [row for row in store.list_outgoing(REQUEST) if row.purpose == "ask_for_date"]
        assert letter.step == "queued"
    table = iepd(offline, "status").stdout.splitlines()
    assert "WAITING FOR" in table[0] and table[1].split()[3] == "school"


def test_meeting_agreed_and_reclassify_and_close(offline: Offline) -> None:
    meeting = iepd(offline, "meeting", REQUEST, "Dec", "8", "3:30", "pm")
    assert meeting.returncode == 0, meeting.stderr
    assert "is set for Tuesday, December 8, 2026" in meeting.stdout
    unreadable = iepd(offline, "meeting", REQUEST, "next", "week")
    assert unreadable.returncode == 1 and "cannot read" in unreadable.stderr
    agreed = iepd(
        offline,
        "agreed",
        REQUEST,
        stdin="# a comment\nSpeech 60 min a week\n\n8 make-up sessions\n",
    )
    assert agreed.returncode == 0, agreed.stderr
    assert "with 2 items" in agreed.stdout
    assert status(offline)["waiting_for"] == "parent"  # the recap waits for SEND
    reclassify = iepd(offline, "reclassify", REQUEST, "informal")
    assert reclassify.returncode == 0 and "less than an IEP meeting" in reclassify.stdout
    closed = iepd(offline, "close", REQUEST)
    assert closed.returncode == 0 and "closed" in closed.stdout
    assert status(offline)["waiting_for"] == "nothing"
    with Store.open(offline.family.state_dir) as store:
        assert store.pending_draft(REQUEST) is None
        kinds = [event.kind for event in store.events(REQUEST)]
    assert "agreed_recorded" in kinds and "reclassified" in kinds and kinds[-1] == "closed"
