"""The store against real SQLite files in tmp_path: durability settings, modes, the
append-only hash-chained trail, idempotent sends and forward-only send steps."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from iepd.errors import StoreError
from iepd.store.database import InvalidStepError, MessageRow, OutgoingRow, Store
from iepd.store.schema import GENESIS_HASH, SCHEMA_VERSION, allowed_steps

NOW = datetime(2026, 12, 1, 14, 3, 5, 123456, tzinfo=UTC)
CHICAGO = timezone(timedelta(hours=-6))
LETTER = (
    b"From: Jordan Rivera <jordan@family.example>\r\n"
    b"To: Dana Alvarez <dalvarez@district.example>\r\n"
    b"Cc: Lee Chen <lchen@district.example>\r\n"
    b"Subject: Request for an IEP meeting for Sam Rivera\r\n"
    b"Message-ID: <req-1@family.example>\r\n"
    b"\r\n"
    b"Dear Ms. Alvarez,\r\n"
)
HEADERS = {
    "From": "Jordan Rivera <jordan@family.example>",
    "To": "Dana Alvarez <dalvarez@district.example>",
    "Cc": "Lee Chen <lchen@district.example>",
    "Subject": "Request for an IEP meeting for Sam Rivera",
    "Date": "Tue, 01 Dec 2026 08:03:05 -0600",
    "Message-ID": "<req-1@family.example>",
}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def raw_connection(state_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(state_dir / "iepd.sqlite3", isolation_level=None)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def store(state_dir: Path) -> Iterator[Store]:
    with Store.open(state_dir) as opened:
        yield opened


def add_request(store: Store, request_id: str = "sam-1", state: str = "queued") -> None:
    store.upsert_request(
        id=request_id,
        child="sam",
        reason="general",
        urgent=False,
        state_if_new=state,
        subject="Request for an IEP meeting for Sam Rivera",
        now=NOW,
    )


def add_letter(store: Store, dedup_key: str = "request:sam-1", raw: bytes = LETTER) -> OutgoingRow:
    return store.add_outgoing(
        request_id="sam-1",
        purpose="request",
        reminder_kind=None,
        dedup_key=dedup_key,
        message_id="<req-1@family.example>",
        envelope_from="jordan@family.example",
        recipients=["dalvarez@district.example", "lchen@district.example"],
        raw=raw,
        headers=HEADERS,
        now=NOW,
    )


def add_answer(
    store: Store, *, uidvalidity: int = 7, uid: int = 42, raw: bytes = b"x"
) -> MessageRow | None:
    return store.add_incoming(
        request_id="sam-1",
        message_id="<answer-1@district.example>",
        in_reply_to="<req-1@family.example>",
        references="<req-1@family.example>",
        from_addr="dalvarez@district.example",
        to_addrs=["jordan@family.example"],
        cc_addrs=[],
        subject="Re: Request for an IEP meeting for Sam Rivera",
        date_header=NOW,
        internaldate=NOW + timedelta(seconds=2),
        detected_at=NOW + timedelta(seconds=3),
        mailbox="INBOX",
        uidvalidity=uidvalidity,
        uid=uid,
        raw=b"Subject: Re: Request\r\n\r\nWe can meet Tuesday.\r\n" + raw,
        klass="answer",
        excerpt="We can meet Tuesday.",
        problems=None,
    )


# -- the file, its settings and modes


def test_fresh_database_has_the_current_schema_version(store: Store, state_dir: Path) -> None:
    with raw_connection(state_dir) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3


def test_every_connection_runs_wal_synchronous_full_and_foreign_keys(store: Store) -> None:
    settings = store.connection_settings()
    assert settings["journal_mode"] == "wal"
    assert settings["synchronous"] == 2  # FULL
    assert settings["foreign_keys"] == 1
    assert settings["busy_timeout"] > 0


def test_state_folder_is_0700_and_database_wal_and_shm_are_0600(
    store: Store, state_dir: Path
) -> None:
    add_request(store)  # a write, so that -wal and -shm exist
    assert mode(state_dir) == 0o700
    assert mode(state_dir / "mail") == 0o700
    for name in ("iepd.sqlite3", "iepd.sqlite3-wal", "iepd.sqlite3-shm"):
        assert mode(state_dir / name) == 0o600, name


def test_open_tightens_a_state_folder_readable_by_others(state_dir: Path) -> None:
    state_dir.mkdir(mode=0o755)
    state_dir.chmod(0o755)
    Store.open(state_dir).close()
    assert mode(state_dir) == 0o700


def test_open_refuses_a_database_newer_than_the_code(state_dir: Path) -> None:
    Store.open(state_dir).close()
    with raw_connection(state_dir) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this iepd"):
        Store.open(state_dir)


def test_open_refuses_a_file_that_is_not_a_database(state_dir: Path) -> None:
    state_dir.mkdir()
    (state_dir / "iepd.sqlite3").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="file is not a database"):
        Store.open(state_dir)


# -- opening to read (status, timeline, verify, export)


def test_open_existing_of_a_missing_state_folder_is_none_and_creates_nothing(
    state_dir: Path,
) -> None:
    assert Store.open_existing(state_dir) is None
    assert not state_dir.exists()


def test_open_existing_reads_what_open_wrote_without_changing_the_folder(state_dir: Path) -> None:
    with Store.open(state_dir) as store:
        add_request(store)
    before = sorted(path.name for path in state_dir.iterdir())

    opened = Store.open_existing(state_dir)
    assert opened is not None
    with opened:
        assert [row.id for row in opened.list_requests()] == ["sam-1"]

    assert sorted(path.name for path in state_dir.iterdir()) == before


def test_open_existing_of_an_empty_database_file_is_none_and_leaves_it_unmigrated(
    state_dir: Path,
) -> None:
    # What a crash between creating the file and writing its schema leaves.
    state_dir.mkdir()
    (state_dir / "iepd.sqlite3").touch()

    assert Store.open_existing(state_dir) is None

    with raw_connection(state_dir) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 0
    assert not (state_dir / "mail").exists()


def test_open_existing_refuses_a_database_newer_than_the_code(state_dir: Path) -> None:
    Store.open(state_dir).close()
    with raw_connection(state_dir) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this iepd"):
        Store.open_existing(state_dir)


def test_open_existing_refuses_a_file_that_is_not_a_database(state_dir: Path) -> None:
    state_dir.mkdir()
    (state_dir / "iepd.sqlite3").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="file is not a database"):
        Store.open_existing(state_dir)


def test_open_existing_of_a_state_folder_that_is_a_file_says_so(state_dir: Path) -> None:
    state_dir.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot read the state folder"):
        Store.open_existing(state_dir)


def test_reopening_after_close_keeps_requests_messages_steps_and_events(state_dir: Path) -> None:
    with Store.open(state_dir) as store:
        add_request(store)
        letter = add_letter(store)
        store.set_step(letter.message_row, "smtp", now=NOW)
        store.set_last_uid("INBOX", 7, 12, now=NOW)
        events_before = store.events()
    with Store.open(state_dir) as store:
        request = store.get_request("sam-1")
        assert request is not None and request.state == "queued"
        outgoing = store.get_outgoing("request:sam-1")
        assert outgoing is not None and outgoing.step == "smtp" and outgoing.attempts == 1
        assert store.events() == events_before
        assert store.last_uid("INBOX", 7) == 12
        assert store.verify() == []
        assert store.integrity_check() == "ok"


def test_a_closed_store_refuses_work(state_dir: Path) -> None:
    store = Store.open(state_dir)
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_requests()


CRASH_SCRIPT = """
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from iepd.store.database import Store
store = Store.open(Path(sys.argv[1]))
store.upsert_request(id="r", child="c", reason="general", urgent=False, state_if_new="queued",
                     subject=None, now=datetime.now(UTC))
store.add_outgoing(
    request_id="r", purpose="reminder", reminder_kind="sent", dedup_key="reminder:x",
    message_id="<r@x>", envelope_from="a@x", recipients=["a@x"], raw=sys.argv[2].encode(),
    headers={}, now=datetime.now(UTC),
)
"""


def test_a_crash_between_the_eml_and_its_row_leaves_no_row_and_a_retry_records_one(
    state_dir: Path,
) -> None:
    environment = {**os.environ, "IEPD_CRASH_AT": "store.outgoing_eml_written"}
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(state_dir), "first rendering"],
        env=environment,
        check=False,
    )
    assert crashed.returncode == -signal.SIGKILL
    with Store.open(state_dir) as store:
        assert store.get_outgoing("reminder:x") is None
        assert store.verify() == []
    subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(state_dir), "second rendering"], check=True
    )
    with Store.open(state_dir) as store:
        row = store.get_outgoing("reminder:x")
        assert row is not None and row.read_raw() == b"second rendering"


# -- timestamps


def test_times_are_stored_as_iso_utc_text_and_returned_aware_utc(
    store: Store, state_dir: Path
) -> None:
    add_request(store)
    store.update_request("sam-1", now=NOW, sent_at=datetime(2026, 12, 1, 8, 3, 5, tzinfo=CHICAGO))
    with raw_connection(state_dir) as connection:
        stored = connection.execute("SELECT sent_at, created_at FROM requests").fetchone()
    assert stored == ("2026-12-01T14:03:05.000000Z", "2026-12-01T14:03:05.123456Z")
    request = store.get_request("sam-1")
    assert request is not None
    assert request.sent_at == datetime(2026, 12, 1, 14, 3, 5, tzinfo=UTC)
    assert request.sent_at.tzinfo is UTC


def test_a_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.append_event(request_id=None, kind="closed", at=datetime(2026, 12, 1))


# -- transactions


def test_an_error_in_a_transaction_rolls_back_everything_in_it(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        add_request(store)
        raise RuntimeError("boom")
    assert store.get_request("sam-1") is None
    assert store.events() == []


def test_a_nested_transaction_joins_the_outer_one(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        with store.transaction():
            add_request(store)
        assert store.get_request("sam-1") is not None
        raise RuntimeError("the outer block fails after the inner one finished")
    assert store.get_request("sam-1") is None


def test_a_failed_nested_block_rolls_back_only_itself(store: Store) -> None:
    with store.transaction():
        add_request(store, "sam-1")
        with pytest.raises(RuntimeError), store.transaction():
            add_request(store, "sam-2")
            raise RuntimeError("inner")
    assert [row.id for row in store.list_requests()] == ["sam-1"]


# -- requests


def test_upsert_inserts_once_logs_queued_and_later_never_touches_the_state(store: Store) -> None:
    add_request(store)
    store.update_request("sam-1", now=NOW, state="sent")
    row = store.upsert_request(
        id="sam-1",
        child="sam",
        reason="regression",
        urgent=True,
        state_if_new="queued",
        subject="New subject",
        now=NOW + timedelta(hours=1),
    )
    assert (row.state, row.reason, row.urgent, row.subject) == (
        "sent",
        "regression",
        True,
        "New subject",
    )
    assert [event.kind for event in store.events("sam-1")] == ["request_queued"]


def test_upsert_of_a_draft_logs_request_drafted(store: Store) -> None:
    add_request(store, state="draft")
    assert [event.kind for event in store.events()] == ["request_drafted"]


def test_update_request_refuses_columns_outside_the_whitelist(store: Store) -> None:
    add_request(store)
    with pytest.raises(ValueError, match="created_at"):
        store.update_request("sam-1", now=NOW, created_at=NOW)
    with pytest.raises(ValueError, match="unknown request state"):
        store.update_request("sam-1", now=NOW, state="lost")


def test_update_of_an_unknown_request_raises(store: Store) -> None:
    with pytest.raises(StoreError, match="no request"):
        store.update_request("nobody", now=NOW, state="sent")


# -- outgoing messages and their send steps


def test_add_outgoing_records_the_headers_the_copy_and_the_request_message_id(
    store: Store, state_dir: Path
) -> None:
    add_request(store)
    row = add_letter(store)
    assert row.step == "queued" and row.attempts == 0
    assert row.raw_path.is_absolute() and row.raw_path.read_bytes() == LETTER
    assert row.raw_path.parent == state_dir / "mail"
    assert mode(row.raw_path) == 0o600
    assert row.sha256 == hashlib.sha256(LETTER).hexdigest() and row.size == len(LETTER)
    assert row.to_addrs == ("dalvarez@district.example",)
    assert row.cc_addrs == ("lchen@district.example",)
    assert row.from_addr == "jordan@family.example"
    assert row.recipients == ("dalvarez@district.example", "lchen@district.example")
    request = store.get_request("sam-1")
    assert request is not None and request.message_id == "<req-1@family.example>"
    [message] = store.messages_for("sam-1")
    assert message.date_header == datetime(2026, 12, 1, 14, 3, 5, tzinfo=UTC)
    assert store.has_message_id("<req-1@family.example>", "out")
    assert not store.has_message_id("<req-1@family.example>", "in")


def test_add_outgoing_is_idempotent_on_its_dedup_key(store: Store) -> None:
    add_request(store)
    first = add_letter(store)
    second = add_letter(store, raw=LETTER.replace(b"Dear", b"Hello"))
    assert second == first
    assert second.read_raw() == LETTER
    assert len(store.messages_for("sam-1")) == 1


def test_a_follow_up_keeps_its_thread_headers(store: Store) -> None:
    add_request(store)
    row = store.add_outgoing(
        request_id="sam-1",
        purpose="followup",
        reminder_kind=None,
        dedup_key="followup:sam-1",
        message_id="<fu-1@family.example>",
        envelope_from="jordan@family.example",
        recipients=["dalvarez@district.example"],
        raw=b"Subject: Re: x\r\n\r\nhello\r\n",
        headers={
            "In-Reply-To": "<req-1@family.example>",
            "References": "<a@x> <req-1@family.example>",
        },
        now=NOW,
    )
    assert row.in_reply_to == "<req-1@family.example>"
    assert row.references == ("<a@x>", "<req-1@family.example>")


def test_send_steps_move_forward_and_record_attempts_and_acceptance(store: Store) -> None:
    add_request(store)
    row = add_letter(store)
    later = NOW + timedelta(seconds=5)
    for step in ("smtp", "data", "accepted", "filed"):
        row = store.set_step(row.message_row, step, now=later)
        assert store.pending_outgoing() == [row]
    assert row.attempts == 1 and row.accepted_at == later
    row = store.set_step(row.message_row, "done", now=later)
    assert store.pending_outgoing() == []


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        (["smtp", "data"], "smtp"),
        (["smtp", "data"], "queued"),  # the end of DATA may have been sent
        (["smtp", "data", "accepted"], "data"),
        (["smtp", "data", "accepted"], "failed"),
        (["smtp", "data", "accepted", "filed", "done"], "queued"),
        (["failed"], "queued"),
        (["smtp", "data", "uncertain"], "accepted"),
        (["smtp"], "uncertain"),
        ([], "queued"),
        ([], "sent"),
    ],
)
def test_send_steps_refuse_backward_moves_and_moves_out_of_final_steps(
    store: Store, path: list[str], refused: str
) -> None:
    add_request(store)
    row = add_letter(store)
    for step in path:
        row = store.set_step(row.message_row, step, now=NOW)
    with pytest.raises(InvalidStepError):
        store.set_step(row.message_row, refused, now=NOW)
    current = store.get_outgoing("request:sam-1")
    assert current is not None and current.step == (path[-1] if path else "queued")


def test_a_connection_error_before_data_goes_back_to_queued_with_its_retry_time(
    store: Store,
) -> None:
    add_request(store)
    row = add_letter(store)
    store.set_step(row.message_row, "smtp", now=NOW)
    retry = NOW + timedelta(minutes=1)
    row = store.set_step(row.message_row, "queued", now=NOW, error="421 busy", next_try_at=retry)
    assert (row.step, row.last_error, row.next_try_at) == ("queued", "421 busy", retry)
    row = store.set_step(row.message_row, "smtp", now=retry)
    assert row.attempts == 2 and row.next_try_at is None and row.last_error == "421 busy"


def test_a_4xx_reply_in_data_may_go_back_to_queued_only_with_the_reply(store: Store) -> None:
    assert "queued" not in allowed_steps("data")
    assert "queued" in allowed_steps("data", with_reply=True)
    add_request(store)
    row = add_letter(store)
    store.set_step(row.message_row, "smtp", now=NOW)
    store.set_step(row.message_row, "data", now=NOW)
    row = store.set_step(row.message_row, "queued", now=NOW, error="451 try again later")
    assert row.step == "queued"


def test_set_step_refuses_an_unknown_step(store: Store) -> None:
    add_request(store)
    row = add_letter(store)
    with pytest.raises(InvalidStepError, match="unknown send step"):
        store.set_step(row.message_row, "sent", now=NOW)


def test_sent_message_ids_lists_letters_to_the_school_but_not_reminders(store: Store) -> None:
    add_request(store)
    add_letter(store)
    store.add_outgoing(
        request_id="sam-1",
        purpose="reminder",
        reminder_kind="sent",
        dedup_key="reminder:sent:sam-1:<req-1@family.example>",
        message_id="<rem-1@family.example>",
        envelope_from="jordan@family.example",
        recipients=["jordan@family.example"],
        raw=b"Subject: [iepd] sent\r\n\r\nSent.\r\n",
        headers={"Subject": "[iepd] sent"},
        now=NOW,
    )
    assert store.sent_message_ids() == {"<req-1@family.example>": "sam-1"}
    assert len(store.list_outgoing("sam-1")) == 2


# -- incoming messages


def test_add_incoming_records_the_three_times_and_the_raw_copy(store: Store) -> None:
    add_request(store)
    row = add_answer(store)
    assert row is not None
    assert (row.direction, row.purpose, row.klass) == ("in", "incoming", "answer")
    assert row.internaldate == NOW + timedelta(seconds=2)
    assert row.detected_at == NOW + timedelta(seconds=3)
    assert row.references == ("<req-1@family.example>",)
    assert hashlib.sha256(row.raw_path.read_bytes()).hexdigest() == row.sha256
    assert store.messages_for("sam-1") == [row]


def test_add_incoming_returns_none_for_a_uid_already_recorded(store: Store) -> None:
    add_request(store)
    assert add_answer(store) is not None
    assert add_answer(store, raw=b"other bytes") is None
    assert len(store.messages_for("sam-1")) == 1


def test_add_incoming_returns_none_for_the_same_message_after_a_uidvalidity_change(
    store: Store,
) -> None:
    add_request(store)
    assert add_answer(store, uidvalidity=7, uid=42) is not None
    assert add_answer(store, uidvalidity=8, uid=3) is None
    assert add_answer(store, uidvalidity=8, uid=4, raw=b"a different message") is not None


def test_add_incoming_refuses_an_unknown_class(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown message class"):
        store.add_incoming(
            request_id="sam-1", message_id=None, in_reply_to=None, references=None,
            from_addr=None, to_addrs=None, cc_addrs=None, subject=None, date_header=None,
            internaldate=None, detected_at=NOW, mailbox="INBOX", uidvalidity=1, uid=1,
            raw=b"", klass="spam", excerpt=None, problems=None,
        )  # fmt: skip


# -- .eml files


def test_write_eml_is_idempotent_for_the_same_bytes_and_refuses_different_ones(
    store: Store,
) -> None:
    first = store.write_eml(b"one", "copy")
    assert (
        store.write_eml(b"one", "copy")
        == first
        == ("mail/copy.eml", hashlib.sha256(b"one").hexdigest())
    )
    with pytest.raises(StoreError, match="refusing to overwrite"):
        store.write_eml(b"two", "copy")
    assert (store.mail_dir / "copy.eml").read_bytes() == b"one"


def test_write_eml_makes_a_hostile_name_safe(store: Store) -> None:
    relative, _ = store.write_eml(b"x", "../../etc/<passwd@x> ü")
    assert relative == "mail/_.._etc__passwd_x___.eml"
    assert (store.state_dir / relative).read_bytes() == b"x"
    assert not [name for name in os.listdir(store.mail_dir) if name.startswith(".")]


# -- the paper trail


def test_events_cannot_be_updated_or_deleted_even_with_raw_sql(
    store: Store, state_dir: Path
) -> None:
    store.append_event(request_id="sam-1", kind="request_queued", at=NOW)
    with raw_connection(state_dir) as connection:
        with pytest.raises(sqlite3.DatabaseError, match="append-only: UPDATE refused"):
            connection.execute("UPDATE events SET kind = 'closed'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only: DELETE refused"):
            connection.execute("DELETE FROM events")
    assert [event.kind for event in store.events()] == ["request_queued"]


def test_event_hashes_follow_the_documented_formula(store: Store) -> None:
    first = store.append_event(request_id="sam-1", kind="request_queued", at=NOW, detail="queued")
    second = store.append_event(
        request_id="sam-1",
        kind="reply_received",
        at=NOW,
        message_id="<a@district.example>",
        from_addr="dalvarez@district.example",
        subject="Re: Rencontre – café",
    )
    canonical = json.dumps(
        {"seq": 2, "request_id": "sam-1", "at": "2026-12-01T14:03:05.123456Z",
         "kind": "reply_received", "message_id": "<a@district.example>",
         "from": "dalvarez@district.example", "subject": "Re: Rencontre – café", "detail": None},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )  # fmt: skip
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert second.hash == hashlib.sha256(f"{first.hash}\n{canonical}".encode()).hexdigest()
    assert store.chain_head() == second.hash


def fill_trail(store: Store) -> None:
    add_request(store)
    add_letter(store)
    for kind in ("request_sent", "reminder_sent", "reply_received"):
        store.append_event(request_id="sam-1", kind=kind, at=NOW)


def test_an_untouched_store_verifies(store: Store) -> None:
    fill_trail(store)
    add_answer(store)
    assert store.verify() == []
    assert store.verify("sam-1") == []


def test_verify_names_the_seq_of_an_event_edited_behind_sqlites_back(
    store: Store, state_dir: Path
) -> None:
    fill_trail(store)
    with raw_connection(state_dir) as connection:
        connection.execute("DROP TRIGGER events_no_update")
        connection.execute("UPDATE events SET kind = 'nothing_happened' WHERE seq = 3")
    problems = store.verify()
    assert any(problem.startswith("event 3: content changed") for problem in problems)
    assert "the append-only trigger events_no_update on events is missing" in problems
    assert not any(problem.startswith(("event 2", "event 4")) for problem in problems)


def test_verify_finds_an_edit_whose_hash_was_recomputed_at_the_next_link(
    store: Store, state_dir: Path
) -> None:
    fill_trail(store)
    with raw_connection(state_dir) as connection:
        connection.execute("DROP TRIGGER events_no_update")
        connection.execute("UPDATE events SET hash = ? WHERE seq = 2", ("f" * 64,))
    problems = store.verify()
    assert any(problem.startswith("event 2: content changed") for problem in problems)
    assert any(problem.startswith("event 3: chain broken") for problem in problems)


def test_verify_finds_deleted_events_in_the_middle_and_at_the_end(
    store: Store, state_dir: Path
) -> None:
    fill_trail(store)
    with raw_connection(state_dir) as connection:
        connection.execute("DROP TRIGGER events_no_delete")
        connection.execute("DELETE FROM events WHERE seq IN (2, 4)")
    problems = store.verify()
    assert "events 2 to 2 are missing" in problems
    assert any(problem.startswith("event 3: chain broken") for problem in problems)
    assert "events 4 to 4 are missing from the end of the log" in problems


def test_verify_finds_an_edited_and_a_missing_eml(store: Store) -> None:
    fill_trail(store)
    answer = add_answer(store)
    letter = store.get_outgoing("request:sam-1")
    assert answer is not None and letter is not None
    letter.raw_path.write_bytes(LETTER.replace(b"Dear", b"Hi"))
    answer.raw_path.unlink()
    problems = store.verify()
    assert len(problems) == 2
    assert f"{letter.eml_path} changed: sha256 should be {letter.sha256}" in problems[0]
    assert problems[1].endswith(f"{answer.eml_path} is missing")


def test_two_connections_appending_at_once_keep_one_unbroken_chain(state_dir: Path) -> None:
    stores = [Store.open(state_dir), Store.open(state_dir)]
    try:
        for other in stores:
            assert other.connection_settings()["synchronous"] == 2

        def append(store: Store, name: str) -> None:
            for index in range(50):
                store.append_event(request_id=name, kind=f"tick-{index}", at=NOW)

        threads = [
            threading.Thread(target=append, args=(store, name))
            for store in stores
            for name in ("a", "b")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [event.seq for event in stores[0].events()] == list(range(1, 201))
        assert stores[1].verify() == []
    finally:
        for other in stores:
            other.close()


# -- IMAP progress


def test_last_uid_only_ever_increases(store: Store) -> None:
    assert store.last_uid("INBOX", 7) is None
    store.set_last_uid("INBOX", 7, 10, now=NOW)
    store.set_last_uid("INBOX", 7, 5, now=NOW)
    assert store.last_uid("INBOX", 7) == 10
    store.set_last_uid("INBOX", 7, 11, now=NOW)
    assert store.last_uid("INBOX", 7) == 11
    assert store.last_uid("INBOX", 8) is None


def test_known_uidvalidity_is_the_generation_recorded_last(store: Store) -> None:
    assert store.known_uidvalidity("INBOX") is None
    store.set_last_uid("INBOX", 7, 10, now=NOW)
    store.set_last_uid("INBOX", 9, 0, now=NOW + timedelta(minutes=1))
    assert store.known_uidvalidity("INBOX") == 9


def test_last_answer_times_keeps_the_latest_answering_class_per_request(store: Store) -> None:
    add_request(store)
    add_request(store, "sam-2")
    assert store.last_answer_times() == {}
    first = add_answer(store, uid=1, raw=b"1")
    store.add_incoming(
        request_id="sam-1", message_id="<auto@district.example>", in_reply_to=None,
        references=None, from_addr="dalvarez@district.example", to_addrs=None, cc_addrs=None,
        subject="Out of office", date_header=None, internaldate=None,
        detected_at=NOW + timedelta(days=9), mailbox="INBOX", uidvalidity=7, uid=2,
        raw=b"Subject: Out of office\r\n\r\nAway.\r\n", klass="auto_reply", excerpt=None,
        problems=None,
    )  # fmt: skip
    # Detected later but stored with an offset: compared as a time, not as text.
    later = store.add_incoming(
        request_id="sam-1", message_id="<decline@district.example>", in_reply_to=None,
        references=None, from_addr="dalvarez@district.example", to_addrs=None, cc_addrs=None,
        subject="Re: Request", date_header=None, internaldate=None,
        detected_at=(NOW + timedelta(hours=5)).astimezone(CHICAGO), mailbox="INBOX",
        uidvalidity=7, uid=3, raw=b"Subject: Re: Request\r\n\r\nNo.\r\n", klass="declined",
        excerpt=None, problems=None,
    )  # fmt: skip
    assert first is not None and later is not None
    answers = store.last_answer_times()
    assert answers == {"sam-1": NOW + timedelta(hours=5)}
    expected = max(
        message.detected_at
        for message in store.messages_for("sam-1")
        if message.klass in {"answer", "declined", "informal", "invite"}
        and message.detected_at is not None
    )
    assert answers["sam-1"] == expected


def test_outgoing_summaries_match_the_full_outgoing_rows(store: Store) -> None:
    add_request(store)
    row = add_letter(store)
    store.set_step(row.message_row, "smtp", now=NOW)
    store.set_step(row.message_row, "data", now=NOW)
    store.set_step(row.message_row, "accepted", now=NOW + timedelta(seconds=1))
    add_request(store, "sam-2")
    store.add_outgoing(
        request_id="sam-2", purpose="reminder", reminder_kind="sent",
        dedup_key="reminder:sent:sam-2:<req-2@family.example>",
        message_id="<rem-2@family.example>", envelope_from="jordan@family.example",
        recipients=["jordan@family.example"], raw=b"Subject: [iepd] sent\r\n\r\nSent.\r\n",
        headers={"Subject": "[iepd] sent"}, now=NOW + timedelta(minutes=1),
    )  # fmt: skip
    full = store.list_outgoing()
    summaries = store.outgoing_summaries()
    fields = ("request_id", "purpose", "dedup_key", "step", "accepted_at", "updated_at")
    assert [tuple(getattr(s, f) for f in fields) for s in summaries] == [
        tuple(getattr(r, f) for f in fields) for r in full
    ]
    assert summaries[0].accepted_at == NOW + timedelta(seconds=1)
    assert [s.dedup_key for s in store.outgoing_summaries("sam-2")] == [
        "reminder:sent:sam-2:<req-2@family.example>"
    ]
