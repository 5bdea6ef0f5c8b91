"""support.offline brings a request to "queued", "sent" and "answered" the way `iepd run`
does: the tests that start from those states rest on these records being the daemon's."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from iepd.config.load import load_config
from iepd.store.database import Store
from support.family import offline_family, speech_request
from support.offline import (
    REQUEST,
    Clock,
    answered_request,
    queued_request,
    send_requests,
    sent_request,
)


def test_a_queued_request_has_its_letter_queued_and_nothing_sent(tmp_path: Path) -> None:
    offline = queued_request(tmp_path)
    with offline.store:
        request = offline.store.get_request(REQUEST)
        assert request is not None and request.state == "queued"
        assert request.message_id == offline.letter_id
        assert [row.step for row in offline.store.list_outgoing(REQUEST)] == ["queued"]
        assert "request_sent" not in offline.event_kinds()


def test_a_sent_request_has_its_letter_and_sent_reminder_done_and_recorded_once(
    tmp_path: Path,
) -> None:
    offline = sent_request(tmp_path)
    with offline.store as store:
        request = store.get_request(REQUEST)
        assert request is not None and request.state == "sent"
        assert request.sent_at == offline.clock.now
        rows = store.list_outgoing(REQUEST)
        assert [(row.purpose, row.reminder_kind, row.step) for row in rows] == [
            ("request", None, "done"),
            ("reminder", "sent", "done"),
        ]
        assert store.pending_outgoing() == []
        kinds = Counter(offline.event_kinds())
        assert (kinds["request_sent"], kinds["reminder_sent"]) == (1, 1)
        assert store.verify() == []


def test_an_answered_request_has_the_answer_recorded_and_its_reminder_sent(
    tmp_path: Path,
) -> None:
    offline = answered_request(tmp_path)
    with offline.store as store:
        request = store.get_request(REQUEST)
        assert request is not None and request.state == "answered"
        assert [row.klass for row in offline.incoming()] == ["answer"]
        assert [row.step for row in offline.reminders("answer")] == ["done"]
        assert offline.event_kinds().count("reply_received") == 1
        assert store.verify() == []


def test_send_requests_sends_every_request_of_a_config_not_on_hold(tmp_path: Path) -> None:
    held = speech_request("draft", extra="hold = true")
    family = offline_family(tmp_path, [speech_request("one"), speech_request("two"), held])
    config = load_config(family.config_path, family.environ())
    with Store.open(config.state_dir) as store:
        letters = send_requests(config, store, Clock())
        states = {row.id: row.state for row in store.list_requests()}
        assert states == {"one": "sent", "two": "sent", "draft": "draft"}
        assert sorted(letters) == ["one", "two"]
        for request_id, message_id in letters.items():
            request = store.get_request(request_id)
            assert request is not None and request.message_id == message_id
        assert store.pending_outgoing() == []
