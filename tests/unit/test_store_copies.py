"""The store's part in filing Sent copies, against real SQLite files in tmp_path: the failed
attempts counted at step `accepted`, the check that a letter's sending is recorded once, and
the migration that adds the count to a database of schema version 1."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iepd.store.database import InvalidStepError, OutgoingRow, Store

NOW = datetime(2026, 12, 1, 14, 3, 5, tzinfo=UTC)
MESSAGE_ID = "<req-1@family.example>"
LETTER = (
    b"From: Jordan Rivera <jordan@family.example>\r\n"
    b"To: Dana Alvarez <dalvarez@district.example>\r\n"
    b"Subject: Request for an IEP meeting for Sam Rivera\r\n"
    b"Message-ID: <req-1@family.example>\r\n"
    b"\r\n"
    b"Dear Ms. Alvarez,\r\n"
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "state") as opened:
        yield opened


def accepted_letter(store: Store) -> OutgoingRow:
    store.upsert_request(
        id="sam-1",
        child="sam",
        reason="general",
        urgent=False,
        state_if_new="queued",
        subject="",
        now=NOW,
    )
    row = store.add_outgoing(
        request_id="sam-1",
        purpose="request",
        reminder_kind=None,
        dedup_key="request:sam-1",
        message_id=MESSAGE_ID,
        envelope_from="jordan@family.example",
        recipients=["dalvarez@district.example"],
        raw=LETTER,
        headers={"To": "Dana Alvarez <dalvarez@district.example>", "Message-ID": MESSAGE_ID},
        now=NOW,
    )
    for step in ("smtp", "data", "accepted"):
        row = store.set_step(row.message_row, step, now=NOW)
    return row


def test_a_new_outgoing_message_has_no_failed_copy_attempt(store: Store) -> None:
    assert accepted_letter(store).copy_attempts == 0


def test_postpone_copy_counts_the_attempt_and_keeps_the_error_and_the_next_try(
    store: Store,
) -> None:
    row = accepted_letter(store)
    later = NOW + timedelta(minutes=1)
    row = store.postpone_copy(row.message_row, now=NOW, error="no Sent folder", next_try_at=later)
    row = store.postpone_copy(row.message_row, now=NOW, error="still none", next_try_at=later)
    assert (row.step, row.copy_attempts, row.last_error) == ("accepted", 2, "still none")
    assert row.next_try_at == later
    assert row.accepted_at == NOW  # the letter's sending time is untouched
    # Moving on clears the retry time.
    done = store.set_step(row.message_row, "done", now=later)
    assert done.next_try_at is None and done.copy_attempts == 2


@pytest.mark.parametrize("step", ["queued", "done"])
def test_postpone_copy_is_refused_where_no_copy_is_owed(store: Store, step: str) -> None:
    row = accepted_letter(store)
    if step == "done":
        store.set_step(row.message_row, "done", now=NOW)
    else:
        row = store.add_outgoing(
            request_id="sam-1",
            purpose="reminder",
            reminder_kind="sent",
            dedup_key="reminder:sent:sam-1:x",
            message_id="<rem-1@family.example>",
            envelope_from="jordan@family.example",
            recipients=["jordan@family.example"],
            raw=LETTER,
            headers={},
            now=NOW,
        )
    with pytest.raises(InvalidStepError, match="no Sent copy is owed"):
        store.postpone_copy(row.message_row, now=NOW, error="x", next_try_at=NOW)


def test_has_event_finds_an_event_by_request_kind_and_message_id(store: Store) -> None:
    accepted_letter(store)
    assert not store.has_event("sam-1", "request_sent", MESSAGE_ID)
    store.append_event(request_id="sam-1", kind="request_sent", at=NOW, message_id=MESSAGE_ID)
    assert store.has_event("sam-1", "request_sent", MESSAGE_ID)
    assert not store.has_event("sam-1", "followup_sent", MESSAGE_ID)
    assert not store.has_event("sam-2", "request_sent", MESSAGE_ID)
    assert not store.has_event("sam-1", "request_sent", "<other@family.example>")


def test_a_version_1_database_gains_the_copy_count_and_keeps_its_rows(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    with Store.open(state_dir) as store:
        row = accepted_letter(store)
    # Back to what iepd before issue 12 wrote: schema 1, a letter stuck at `accepted`.
    with sqlite3.connect(state_dir / "iepd.sqlite3", isolation_level=None) as connection:
        connection.execute("ALTER TABLE outbox DROP COLUMN copy_attempts")
        # and without what version 3 added (issue 15)
        connection.execute("DROP TABLE drafts")
        connection.execute("DROP TABLE moves")
        connection.execute("PRAGMA user_version = 1")
    connection.close()

    with Store.open(state_dir) as store:
        migrated = store.get_outgoing("request:sam-1")
        assert migrated is not None
        assert (migrated.step, migrated.copy_attempts) == ("accepted", 0)
        assert migrated.message_row == row.message_row
        assert store.verify() == []
