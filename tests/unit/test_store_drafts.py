"""The drafts table, the moves ledger and schema version 3 (issue 15) against real SQLite
files in tmp_path."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iepd.errors import StoreError
from iepd.store import database
from iepd.store.database import Store
from iepd.store.schema import MIGRATIONS

NOW = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
LETTER = (
    b"From: Jordan Rivera <jordan@family.example>\r\n"
    b"To: Dana Alvarez <dalvarez@district.example>\r\n"
    b"Subject: Re: Request for an IEP meeting for Sam Rivera\r\n"
    b"Message-ID: <draft-1@family.example>\r\n"
    b"\r\n"
    b"Dear Ms. Alvarez,\r\n"
)
HEADERS = {
    "From": "Jordan Rivera <jordan@family.example>",
    "To": "Dana Alvarez <dalvarez@district.example>",
    "Subject": "Request for an IEP meeting for Sam Rivera",
    "Message-ID": "<req-1@family.example>",
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "state") as opened:
        opened.upsert_request(
            id="sam-1", child="sam", reason="general", urgent=False, state_if_new="sent",
            subject="Request", now=NOW,
        )  # fmt: skip
        yield opened


def add(store: Store, key: str = "ask_for_date:<school-1@district.example>") -> int:
    return store.add_draft(
        request_id="sam-1",
        kind="ask_for_date",
        dedup_key=key,
        replies_to="<school-1@district.example>",
        message_id="<draft-1@family.example>",
        subject="Re: Request for an IEP meeting for Sam Rivera",
        raw=LETTER,
        now=NOW,
    ).id


def test_a_draft_is_recorded_once_with_its_exact_bytes_and_event(store: Store) -> None:
    first = add(store)
    assert add(store) == first
    draft = store.pending_draft("sam-1")
    assert draft is not None and draft.id == first
    assert (draft.kind, draft.status, draft.replies_to) == (
        "ask_for_date", "pending", "<school-1@district.example>",
    )  # fmt: skip
    assert draft.read_raw() == LETTER
    kinds = [event.kind for event in store.events("sam-1")]
    assert kinds.count("draft_created") == 1
    assert store.verify() == []


def test_a_draft_is_decided_once(store: Store) -> None:
    draft_id = add(store)
    later = NOW + timedelta(minutes=5)
    approved = store.decide_draft(
        draft_id, status="approved", by="email:<r@family.example>", now=later, outbox_key="k"
    )
    assert (approved.status, approved.decided_at, approved.outbox_key) == ("approved", later, "k")
    assert store.pending_draft("sam-1") is None
    with pytest.raises(StoreError, match="already approved"):
        store.decide_draft(draft_id, status="withdrawn", by="a newer message", now=later)
    assert [event.kind for event in store.events("sam-1")][-1] == "draft_approved"


def test_a_withdrawn_draft_is_no_longer_pending(store: Store) -> None:
    draft_id = add(store)
    store.decide_draft(draft_id, status="withdrawn", by="a newer school message", now=NOW)
    assert store.pending_draft("sam-1") is None
    assert store.drafts("sam-1")[0].decided_by == "a newer school message"
    assert store.events("sam-1")[-1].detail == "ask_for_date: a newer school message"


def test_a_move_is_remembered_by_its_via(store: Store) -> None:
    assert store.move_said("email:<r@family.example>") is None
    with store.transaction():
        store.record_move(
            via="email:<r@family.example>", request_id="sam-1", move="close",
            said="Closed.", now=NOW,
        )  # fmt: skip
    assert store.move_said("email:<r@family.example>") == "Closed."
    with pytest.raises(StoreError):
        store.record_move(
            via="email:<r@family.example>", request_id="sam-1", move="close",
            said="Closed.", now=NOW,
        )  # fmt: skip


def test_the_v2_states_and_the_drafted_letters_are_accepted(store: Store) -> None:
    for state in ("acknowledged", "informal_offered", "awaiting_notice", "meeting_held",
                  "recap_sent"):  # fmt: skip
        assert store.update_request("sam-1", now=NOW, state=state).state == state
    row = store.add_outgoing(
        request_id="sam-1", purpose="insist", reminder_kind=None, dedup_key="insist:sam-1",
        message_id="<i@family.example>", envelope_from="jordan@family.example",
        recipients=["dalvarez@district.example"], raw=LETTER, headers=HEADERS, now=NOW,
    )  # fmt: skip
    assert row.purpose == "insist"


def test_a_version_2_database_is_rebuilt_keeping_every_row_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state_dir = tmp_path / "state"
    monkeypatch.setattr(database, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS[:2])
    with Store.open(state_dir) as old:
        old.upsert_request(
            id="sam-1", child="sam", reason="general", urgent=False, state_if_new="sent",
            subject="Request", now=NOW,
        )  # fmt: skip
        letter = old.add_outgoing(
            request_id="sam-1", purpose="request", reminder_kind=None,
            dedup_key="request:sam-1", message_id="<req-1@family.example>",
            envelope_from="jordan@family.example", recipients=["dalvarez@district.example"],
            raw=LETTER, headers=HEADERS, now=NOW,
        )  # fmt: skip
        old.append_event(request_id="sam-1", kind="request_sent", at=NOW)
        with pytest.raises(StoreError):
            old.update_request("sam-1", now=NOW, state="acknowledged")
    monkeypatch.undo()

    with Store.open(state_dir) as store:
        assert store.get_request("sam-1") is not None
        kept = store.get_outgoing("request:sam-1")
        assert kept is not None and kept.message_row == letter.message_row
        assert store.update_request("sam-1", now=NOW, state="acknowledged").state == "acknowledged"
        assert store.verify() == []
        assert store.connection_settings()["foreign_keys"] == 1
        assert store.integrity_check() == "ok"
    with sqlite3.connect(state_dir / "iepd.sqlite3") as connection:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'"
        )}  # fmt: skip
        assert {"messages_by_request", "messages_by_message_id"} <= indexes
        # An outbox row pointing nowhere is still refused after the rebuild.
        connection.execute("PRAGMA foreign_keys = ON")
        with pytest.raises(sqlite3.IntegrityError):
            connection.execute(
                "INSERT INTO outbox (message_row, dedup_key, envelope_from, recipients, step,"
                " updated_at) VALUES (999, 'x', 'a', '[]', 'queued', 'now')"
            )
    connection.close()
