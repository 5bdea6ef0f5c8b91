"""Kill `iepd run --once` with SIGKILL at every step boundary of a send, then run it again.

After the restart: the school has the letter exactly once, or the parent has been told its
fate is uncertain (and it was not resent); the Sent folder holds at most one copy; the
paper trail verifies; SQLite's integrity check passes. The process kills itself at the
point named by IEPD_CRASH_AT (see iepd/faults.py), so each boundary is hit exactly; the
points and what each must leave are support/crashpoints.py's table.
"""

from __future__ import annotations

import signal
import sqlite3

import pytest

from iepd.store.database import Store
from support.crashpoints import DELIVERED, LETTER_POINTS, UNCERTAIN
from support.daemon import run_iepd
from support.family import Family
from support.mailboxes import parent_kinds
from support.mailservers import Dovecot


@pytest.mark.parametrize("point", list(LETTER_POINTS))
def test_a_kill_at_any_step_of_a_send_neither_loses_nor_repeats_the_letter(
    point: str, family: Family, dovecot: Dovecot
) -> None:
    crashed = run_iepd(family, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr

    restarted = run_iepd(family)
    assert restarted.returncode == 0, restarted.stderr

    school = dovecot.messages(family.case_manager, family.passwords[family.case_manager])
    sent_copies = dovecot.messages(family.parent, family.parent_password, "Sent")
    reminders = parent_kinds(dovecot, family)
    store = Store.open(family.state_dir)
    request = store.get_request("sam-speech")
    assert request is not None
    events = [event.kind for event in store.events("sam-speech")]

    expected = LETTER_POINTS[point]
    if expected == DELIVERED:
        assert len(school) == 1
        assert len(sent_copies) == 1
        assert reminders == ["sent"]
        assert request.state == "sent"
        assert events.count("request_sent") == 1
    else:
        assert len(school) == (1 if expected == UNCERTAIN else 0)
        assert sent_copies == []
        assert reminders == ["send_uncertain"]
        assert request.state == "uncertain"
        assert events.count("send_uncertain") == 1
        assert "request_sent" not in events

    assert store.verify() == []
    assert store.integrity_check() == "ok"
    store.close()

    # A third run changes nothing: nothing is ever sent twice.
    again = run_iepd(family)
    assert again.returncode == 0, again.stderr
    assert len(dovecot.messages(family.case_manager, family.passwords[family.case_manager])) == len(
        school
    )
    assert parent_kinds(dovecot, family) == reminders


def test_a_kill_after_data_counts_as_sent_when_the_provider_filed_a_copy(
    family: Family, dovecot: Dovecot
) -> None:
    crashed = run_iepd(family, crash_at="data-accepted")
    assert crashed.returncode == -signal.SIGKILL
    # Gmail and Microsoft 365 file a copy of what they accept in Sent themselves.
    [eml] = (family.state_dir / "mail").glob("*.eml")
    dovecot.append(family.parent, family.parent_password, "Sent", eml.read_bytes())

    restarted = run_iepd(family)
    assert restarted.returncode == 0, restarted.stderr

    assert len(dovecot.messages(family.case_manager, family.passwords[family.case_manager])) == 1
    assert len(dovecot.messages(family.parent, family.parent_password, "Sent")) == 1
    assert parent_kinds(dovecot, family) == ["sent"]
    with sqlite3.connect(family.state_dir / "iepd.sqlite3") as connection:
        [(state,)] = connection.execute("SELECT state FROM requests WHERE id = 'sam-speech'")
    assert state == "sent"
