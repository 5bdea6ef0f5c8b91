"""The counts imaplib keeps aside from replies: what the watcher reads before it goes back
to IDLE, so that mail announced during a catch-up is not left waiting for the next one."""

from __future__ import annotations

from types import SimpleNamespace

from iepd.inbox.idle_io import take_announced_count


def test_the_last_announced_count_is_taken_with_recent_and_nothing_else() -> None:
    kept = {"EXISTS": [b"2", b"4"], "RECENT": [b"2"], "FETCH": [b"x"]}
    imap = SimpleNamespace(untagged_responses=kept)

    assert take_announced_count(imap) == 4
    assert kept == {"FETCH": [b"x"]}
    assert take_announced_count(imap) is None  # taken once


def test_no_count_or_an_unreadable_one_is_none() -> None:
    assert take_announced_count(SimpleNamespace(untagged_responses={})) is None
    assert take_announced_count(SimpleNamespace(untagged_responses={"EXISTS": [b"?"]})) is None
    assert take_announced_count(SimpleNamespace()) is None  # an imaplib without the dict
