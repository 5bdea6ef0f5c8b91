"""The store keeps the parent's own messages: a row with its raw copy and a `parent_message`
event whose detail is when it was sent, and the planner's snapshot carries the newest."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from iepd.config.load import load_config
from iepd.run.snapshots import snapshot, snapshots
from iepd.store.database import Store
from iepd.store.files import sha256_hex
from support.family import offline_family, speech_request

SENT = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
LETTER_ID = "<request.sam-1@family.example>"


def _store_with_a_sent_request(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "state")
    for request_id in ("sam-1", "sam-2"):
        store.upsert_request(
            id=request_id,
            child="sam",
            reason="general",
            urgent=False,
            state_if_new="queued",
            subject="",
            now=SENT,
        )
    row = store.add_outgoing(
        request_id="sam-1",
        purpose="request",
        reminder_kind=None,
        dedup_key="request:sam-1",
        message_id=LETTER_ID,
        envelope_from="jordan@family.example",
        recipients=["dalvarez@example.test"],
        raw=b"Subject: x\r\n\r\nbody\r\n",
        headers={"Subject": "x"},
        now=SENT,
    )
    store.set_step(row.message_row, "accepted", now=SENT)
    store.update_request("sam-1", now=SENT, state="sent", sent_at=SENT)
    return store


def _record(store: Store, uid: int, sent_at: datetime, raw: bytes) -> None:
    found = sent_at + timedelta(hours=1)
    with store.transaction():
        row = store.add_incoming(
            request_id="sam-1",
            message_id=f"<hand-{uid}@family.example>",
            in_reply_to=LETTER_ID,
            references=[LETTER_ID],
            from_addr="jordan@family.example",
            to_addrs=["dalvarez@example.test"],
            cc_addrs=[],
            subject="Re: x",
            date_header=sent_at,
            internaldate=sent_at,
            detected_at=found,
            mailbox="Sent",
            uidvalidity=1,
            uid=uid,
            raw=raw,
            klass=None,
            excerpt="When can we meet?",
            problems=None,
        )
        assert row is not None
        store.record_parent_message(stored=row, sent_at=sent_at, detected_at=found)


def test_the_snapshot_carries_when_the_parents_newest_message_was_sent(tmp_path: Path) -> None:
    family = offline_family(tmp_path / "family", [speech_request("sam-1"), speech_request("sam-2")])
    config = load_config(family.config_path, dict(os.environ) | family.environ())
    with _store_with_a_sent_request(tmp_path) as store:
        rows = {row.id: row for row in store.list_requests()}
        assert snapshot(config, store, rows["sam-1"]).last_parent_message_at is None

        newest = SENT + timedelta(days=9)
        _record(store, 5, newest, b"Subject: Re: x\r\n\r\nWhen can we meet?\r\n")
        _record(store, 4, SENT + timedelta(days=3), b"Subject: Re: x\r\n\r\nAny news?\r\n")

        assert store.last_parent_message_times() == {"sam-1": newest}
        by_id = {found.id: found for found in snapshots(config, store)}
        assert by_id["sam-1"].last_parent_message_at == newest
        assert by_id["sam-2"].last_parent_message_at is None
        assert snapshot(config, store, rows["sam-1"]).last_parent_message_at == newest


def test_a_parent_message_is_kept_with_its_raw_copy_and_event(tmp_path: Path) -> None:
    raw = b"Subject: Re: x\r\n\r\nWhen can we meet?\r\n"
    with _store_with_a_sent_request(tmp_path) as store:
        _record(store, 5, SENT + timedelta(days=9), raw)

        [event] = [event for event in store.events("sam-1") if event.kind == "parent_message"]
        assert event.message_id == "<hand-5@family.example>"
        assert event.from_addr == "jordan@family.example"
        assert event.detail == "2026-11-11T15:00:00.000000Z"
        [stored] = [row for row in store.messages_for("sam-1") if row.direction == "in"]
        assert stored.raw_path.read_bytes() == raw
        assert stored.sha256 == sha256_hex(raw)
        assert stored.klass is None
        assert store.verify() == []
        # The thread now holds the letter and the parent's message; iepd's own is known.
        assert store.thread_messages()["sam-1"] == [
            (LETTER_ID, None),
            ("<hand-5@family.example>", "jordan@family.example"),
        ]
        assert store.own_message_ids() == frozenset({LETTER_ID.casefold()})
