"""Snapshots read for every request at once equal those read one request at a time."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from iepd.config.load import load_config
from iepd.config.model import Config
from iepd.decide.plan import request_next_step
from iepd.run.snapshots import next_step_function, rules_for, snapshot, snapshots
from iepd.store.database import Store
from support.family import offline_family, speech_request

SENT = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def _config_and_store(tmp_path: Path) -> tuple[Config, Store]:
    family = offline_family(tmp_path, [speech_request(f"sam-{n}") for n in range(3)])
    return load_config(family.config_path, dict(os.environ) | family.environ()), Store.open(
        family.state_dir
    )


def _send(store: Store, request_id: str, purpose: str, at: datetime) -> None:
    row = store.add_outgoing(
        request_id=request_id,
        purpose=purpose,
        reminder_kind=None,
        dedup_key=f"{purpose}:{request_id}",
        message_id=f"<{purpose}.{request_id}@example.test>",
        envelope_from="parent@example.test",
        recipients=["dana.alvarez@example.test"],
        raw=b"Subject: x\r\n\r\nbody\r\n",
        headers={"Subject": "x"},
        now=at,
    )
    store.set_step(row.message_row, "accepted", now=at)
    store.set_step(row.message_row, "done", now=at)


def test_snapshots_of_every_request_equal_snapshots_read_one_by_one(tmp_path: Path) -> None:
    config, store = _config_and_store(tmp_path)
    with store:
        for request in config.requests:
            store.upsert_request(
                id=request.id,
                child="sam",
                reason=request.reason,
                urgent=False,
                state_if_new="queued",
                subject="",
                now=SENT,
            )
        _send(store, "sam-0", "request", SENT)
        store.update_request("sam-0", now=SENT, state="sent", sent_at=SENT)
        _send(store, "sam-1", "request", SENT)
        _send(store, "sam-1", "followup", SENT + timedelta(days=7))
        store.update_request("sam-1", now=SENT, state="followed_up", sent_at=SENT)

        escalation = store.add_outgoing(
            request_id="sam-1",
            purpose="escalation",
            reminder_kind=None,
            dedup_key="escalation:sam-1",
            message_id="<escalation.sam-1@example.test>",
            envelope_from="parent@example.test",
            recipients=["lee.chen@example.test"],
            raw=b"Subject: y\r\n\r\nbody\r\n",
            headers={"Subject": "y"},
            now=SENT + timedelta(days=12),
        )
        for step in ("smtp", "data", "uncertain"):
            store.set_step(escalation.message_row, step, now=SENT + timedelta(days=12))
        _send(store, "sam-1", "reminder", SENT + timedelta(days=1))

        together = snapshots(config, store)
        one_by_one = [snapshot(config, store, row) for row in store.list_requests()]
        assert together == one_by_one
        # Summaries stand in for whole rows: the same snapshot from either.
        from_rows = [
            snapshot(config, store, row, store.list_outgoing(row.id))
            for row in store.list_requests()
        ]
        assert together == from_rows
        assert together[1].followups_sent == (
            SENT + timedelta(days=7),
            SENT + timedelta(days=12),
        )
        assert [len(found.followups_sent) for found in together] == [0, 2, 0]

        now = SENT + timedelta(days=3)
        next_step = next_step_function(config, store, now)
        rules = rules_for(config)
        for found in one_by_one:
            assert next_step(found.id) == request_next_step(found, rules, now)
        assert next_step("not-a-request") is None


def test_snapshots_of_every_request_run_no_query_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planner reads every snapshot on each pass and `iepd status` on each call: each
    table's rows are read once, whatever the count of requests."""
    config, store = _config_and_store(tmp_path)
    queries: list[str] = []
    read = store._fetchall

    def counted(sql: str, parameters: Any = ()) -> Any:
        queries.append(sql)
        return read(sql, parameters)

    with store:
        monkeypatch.setattr(store, "_fetchall", counted)
        snapshots(config, store)
    assert queries
    assert [sql for sql, times in Counter(queries).items() if times > 1] == []
