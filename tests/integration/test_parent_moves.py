"""The parent's moves and the conversation's drafts on a real store, with the real sender
and recorder and no mail server (support.offline): a draft is made once and shown, sent once
exactly as shown, withdrawn by a newer school message, and the moves are done once per reply
(issue 15)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from iepd.decide.plan import Remind, SendFollowUp, SendLetter, next_actions
from iepd.errors import StoreError
from iepd.run.drafting import Drafting
from iepd.run.one_pass import reminder_context
from iepd.run.parent_moves import MoveRefused, ParentMoves
from iepd.run.snapshots import rules_for, snapshots
from support.offline import REQUEST, Offline, answered_request, school_reply


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[Offline]:
    found = answered_request(tmp_path)
    yield found
    found.store.close()


def run_plan(offline: Offline) -> list[object]:
    """One planning pass, carried out as OnePass does, without sending (the outbox is then
    walked by accept_everything, as a server that accepts everything)."""
    plan = next_actions(snapshots(offline.config, offline.store), rules_for(offline.config),
                        offline.clock())  # fmt: skip
    drafting = Drafting(offline.config, offline.store, offline.sender, offline.clock)
    for action in plan.actions:
        assert not isinstance(action, SendLetter | SendFollowUp)
        if isinstance(action, Remind):
            offline.sender.queue_reminder(
                action.request_id, action.kind, action.key, reminder_context(action)
            )
        else:
            drafting.carry_out(action)
    return list(plan.actions)


def moves(offline: Offline) -> ParentMoves:
    return ParentMoves(offline.config, offline.store, offline.sender, offline.clock)


def letters(offline: Offline, purpose: str) -> list[bytes]:
    return [
        row.read_raw() for row in offline.store.list_outgoing(REQUEST) if row.purpose == purpose
    ]


def test_an_answer_brings_one_draft_shown_in_a_reminder(offline: Offline) -> None:
    run_plan(offline)
    run_plan(offline)
    draft = offline.store.pending_draft(REQUEST)
    assert draft is not None and draft.kind == "ask_for_date"
    assert offline.store.get_request(REQUEST).state == "acknowledged"  # type: ignore[union-attr]
    [shown] = offline.reminders("draft_ready")
    reminder = email.message_from_bytes(shown.read_raw(), policy=email.policy.default)
    text = reminder.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "iepd will send it on" in text
    [attached] = [part for part in reminder.iter_attachments()]
    shown_bytes = attached.get_content().as_bytes().replace(b"\r\n", b"\n")
    assert shown_bytes == draft.read_raw().replace(b"\r\n", b"\n")
    letter = email.message_from_bytes(draft.read_raw(), policy=email.policy.default)
    assert letter["In-Reply-To"] == "<reply-1@mail.example.test>"
    assert offline.event_kinds().count("draft_created") == 1


def test_send_sends_the_draft_once_exactly_as_shown(offline: Offline) -> None:
    run_plan(offline)
    draft = offline.store.pending_draft(REQUEST)
    assert draft is not None
    said = moves(offline).send_draft(REQUEST, via="email:<r1@family.example>")
    assert "queued" in said
    again = moves(offline).send_draft(REQUEST, via="email:<r1@family.example>")
    assert again == said
    assert letters(offline, "ask_for_date") == [draft.read_raw()]
    with pytest.raises(MoveRefused, match="no draft waiting to be sent"):
        moves(offline).send_draft(REQUEST, via="email:<r2@family.example>")
    offline.accept_everything()
    kinds = offline.event_kinds()
    assert kinds.count("letter_sent") == 1 and kinds.count("draft_approved") == 1
    assert len(offline.reminders("letter_sent")) == 1
    # sent: the school now owes the date; nothing more is drafted for the same answer
    assert not [a for a in run_plan(offline) if not isinstance(a, Remind)]


def test_ask_for_date_goes_out_by_itself_after_followup_after(offline: Offline) -> None:
    run_plan(offline)
    offline.clock.now += timedelta(days=6)
    run_plan(offline)
    assert letters(offline, "ask_for_date") == []
    offline.clock.now += timedelta(days=1, hours=1)
    run_plan(offline)
    draft = offline.store.drafts(REQUEST)[0]
    assert draft.status == "approved" and draft.decided_by == "auto"
    assert letters(offline, "ask_for_date") == [draft.read_raw()]


def test_a_newer_school_message_withdraws_the_unsent_draft(offline: Offline) -> None:
    run_plan(offline)
    first = offline.store.pending_draft(REQUEST)
    assert first is not None
    offline.clock.now += timedelta(hours=2)
    offer = school_reply(
        offline,
        "Instead of a meeting, I could give you a quick call on Thursday to check in.",
        number=2,
    )
    assert offline.receive(offer.as_bytes(policy=email.policy.SMTP)) == "informal"
    run_plan(offline)
    withdrawn = offline.store.drafts(REQUEST)[0]
    assert withdrawn.id == first.id and withdrawn.status == "withdrawn"
    pending = offline.store.pending_draft(REQUEST)
    assert pending is not None and pending.kind == "insist"
    with pytest.raises(StoreError):  # the withdrawn draft can never be sent
        offline.store.decide_draft(first.id, status="approved", by="cli", now=offline.clock())
    assert offline.store.get_request(REQUEST).state == "informal_offered"  # type: ignore[union-attr]


def test_close_withdraws_the_draft_and_ends_the_request(offline: Offline) -> None:
    run_plan(offline)
    said = moves(offline).close(REQUEST, via="cli")
    assert "closed" in said
    assert offline.store.pending_draft(REQUEST) is None
    assert run_plan(offline) == []
    with pytest.raises(MoveRefused, match="already closed"):
        moves(offline).close(REQUEST, via="cli")


def test_meeting_then_agreed_then_send_brings_the_recap_out(offline: Offline) -> None:
    run_plan(offline)
    meeting = offline.clock.now + timedelta(days=5)
    said = moves(offline).set_meeting(REQUEST, meeting, via="email:<m@family.example>")
    assert "is set for" in said
    assert offline.store.pending_draft(REQUEST) is None  # ask_for_date withdrawn
    run_plan(offline)
    confirm = offline.store.pending_draft(REQUEST)
    assert confirm is not None and confirm.kind == "confirm"
    moves(offline).send_draft(REQUEST, via="cli")
    offline.accept_everything()
    offline.clock.now = meeting + timedelta(days=1, minutes=1)
    run_plan(offline)
    assert offline.store.get_request(REQUEST).state == "meeting_held"  # type: ignore[union-attr]
    assert len(offline.reminders("recap_due")) == 1
    with pytest.raises(MoveRefused, match="no agreements"):
        moves(offline).agreed(REQUEST, ["  "], via="cli")
    moves(offline).agreed(REQUEST, ["Speech back to 60 minutes a week", "8 make-up sessions"],
                          via="email:<a@family.example>")  # fmt: skip
    recap = offline.store.pending_draft(REQUEST)
    assert recap is not None and recap.kind == "recap"
    assert b"8 make-up sessions" in recap.read_raw()
    offline.clock.now += timedelta(days=30)
    run_plan(offline)
    assert letters(offline, "recap") == []  # never sent without SEND
    moves(offline).send_draft(REQUEST, via="cli")
    offline.accept_everything()
    assert offline.store.get_request(REQUEST).state == "recap_sent"  # type: ignore[union-attr]
    assert run_plan(offline) == []


def test_reclassify_replans_from_the_corrected_class(offline: Offline) -> None:
    run_plan(offline)
    said = moves(offline).reclassify(REQUEST, "declined", via="cli")
    assert "a refusal" in said
    run_plan(offline)
    assert offline.store.drafts(REQUEST)[0].status == "withdrawn"
    pending = offline.store.pending_draft(REQUEST)
    assert pending is not None and pending.kind == "pwn_request"
    assert offline.store.get_request(REQUEST).state == "awaiting_notice"  # type: ignore[union-attr]
    with pytest.raises(MoveRefused, match="already reads"):
        moves(offline).reclassify(REQUEST, "declined", via="cli")


def test_the_answer_reminder_says_what_iepd_will_do_next(offline: Offline) -> None:
    [answer] = offline.reminders("answer")
    reminder = email.message_from_bytes(answer.read_raw(), policy=email.policy.default)
    text = " ".join(reminder.get_body(preferencelist=("plain",)).get_content().split())  # type: ignore[union-attr]
    assert "What iepd will do next" in text and "ask for one in writing on" in text
    assert "reply MEETING" in text and "CLOSE" in text


def test_the_export_shows_the_drafts_and_keeps_the_withdrawn_one(
    offline: Offline, tmp_path: Path
) -> None:
    from iepd.trail.export import export_request

    run_plan(offline)
    offline.clock.now += timedelta(hours=2)
    offer = school_reply(offline, "Could we just talk on the phone instead?", number=2)
    offline.receive(offer.as_bytes(policy=email.policy.SMTP))
    run_plan(offline)  # ask_for_date withdrawn, insist drafted
    moves(offline).send_draft(REQUEST, via="cli")
    offline.accept_everything()
    result = export_request(
        offline.config, offline.store, REQUEST, tmp_path / "export", now=offline.clock()
    )
    [withdrawn] = [name for name in result.files if name.startswith("messages/draft-")]
    assert withdrawn.endswith("-ask_for_date-withdrawn.eml")
    assert any(name.endswith("-insist.eml") for name in result.files)
    sums = (tmp_path / "export" / "SHA256SUMS").read_text()
    assert withdrawn in sums
    page = (tmp_path / "export" / "index.html").read_text()
    for label in ("Draft withdrawn: never sent", "Letter sent in the school&#39;s thread",
                  "Letter drafted, shown to the parent for approval"):  # fmt: skip
        assert label in page, label
    csv = (tmp_path / "export" / "timeline.csv").read_text(encoding="utf-8-sig")
    assert "draft_withdrawn" in csv and "letter_sent" in csv


def test_a_meeting_set_by_the_parent_wins_over_the_configs_older_date(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from iepd.config.load import load_config
    from iepd.mail.credentials import Secret
    from iepd.mail.transport import MailTransport
    from iepd.outbox.enqueue import OutboxQueue
    from iepd.run.one_pass import OnePass
    from iepd.store.database import Store
    from support.family import offline_family, speech_request
    from support.offline import Clock

    family = offline_family(tmp_path, [speech_request(extra="meeting_at = 2026-12-10T15:30:00")])
    config = load_config(family.config_path, family.environ())
    clock = Clock()
    with Store.open(config.state_dir) as store:
        one_pass = OnePass(config, store, MailTransport(config, Secret("unused")), clock)
        one_pass.sync_requests()
        moved = datetime(2026, 12, 11, 21, 0, tzinfo=UTC)
        ParentMoves(config, store, OutboxQueue(config, store, clock), clock).set_meeting(
            "sam-speech", moved, via="cli"
        )
        one_pass.sync_requests()
        one_pass.sync_requests()
        row = store.get_request("sam-speech")
        assert row is not None and row.meeting_at == moved
        scheduled = [e for e in store.events("sam-speech") if e.kind == "meeting_scheduled"]
        assert len(scheduled) == 2
