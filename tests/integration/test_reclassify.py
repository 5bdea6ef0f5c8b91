"""The parent corrects iepd's reading of the school's newest message (`AUTO`, `ANSWER`,
`DECLINED`, `INFORMAL`, or `iepd reclassify ID CLASS`) on a real store, with the real sender
and recorder and no mail server (support.offline): the request then goes on exactly as if
the message had been read so from the start (issue 15).
"""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from iepd.decide.plan import Remind, SendFollowUp, SendLetter, next_actions, request_next_step
from iepd.run.drafting import Drafting
from iepd.run.one_pass import reminder_context
from iepd.run.parent_moves import MoveRefused, ParentMoves
from iepd.run.snapshots import rules_for, snapshots
from support.offline import REQUEST, Offline, answered_request, school_reply, sent_request

DAY = timedelta(days=1)


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[Offline]:
    found = answered_request(tmp_path)
    yield found
    found.store.close()


def run_plan(offline: Offline) -> list[object]:
    """One planning pass carried out as OnePass does; a request follow-up is queued as the
    daemon queues it, and the outbox walked as by a server that accepts everything."""
    plan = next_actions(snapshots(offline.config, offline.store), rules_for(offline.config),
                        offline.clock())  # fmt: skip
    drafting = Drafting(offline.config, offline.store, offline.sender, offline.clock)
    for action in plan.actions:
        assert not isinstance(action, SendLetter)
        if isinstance(action, SendFollowUp):
            offline.sender.queue_followup(action.request_id, action.number)
        elif isinstance(action, Remind):
            offline.sender.queue_reminder(
                action.request_id, action.kind, action.key, reminder_context(action)
            )
        else:
            drafting.carry_out(action)
    offline.accept_everything()
    return list(plan.actions)


def moves(offline: Offline) -> ParentMoves:
    return ParentMoves(offline.config, offline.store, offline.sender, offline.clock)


def state(offline: Offline) -> str:
    row = offline.store.get_request(REQUEST)
    assert row is not None
    return row.state


def drafts(offline: Offline) -> list[tuple[str, str]]:
    return [(draft.kind, draft.status) for draft in offline.store.drafts(REQUEST)]


def school_letters(offline: Offline) -> list[str]:
    return [
        row.purpose
        for row in offline.store.list_outgoing(REQUEST)
        if row.purpose != "reminder" and row.step == "done"
    ]


def next_step(offline: Offline) -> tuple[str, object] | None:
    [snapshot] = snapshots(offline.config, offline.store)
    return request_next_step(snapshot, rules_for(offline.config), offline.clock())


def test_auto_puts_the_request_back_to_waiting_for_the_school(offline: Offline) -> None:
    """The bug: AUTO was confirmed, but the request stayed acknowledged, its ask_for_date
    draft pending, and no follow-up ever went out."""
    run_plan(offline)
    assert state(offline) == "acknowledged"
    assert drafts(offline) == [("ask_for_date", "pending")]
    sent = offline.store.get_request(REQUEST).sent_at  # type: ignore[union-attr]
    assert sent is not None

    said = moves(offline).reclassify(REQUEST, "auto_reply", via="email:<a@family.example>")
    assert "automatic reply" in said
    assert state(offline) == "sent"
    assert offline.store.get_request(REQUEST).answered_at is None  # type: ignore[union-attr]
    assert drafts(offline) == [("ask_for_date", "withdrawn")]
    assert offline.event_kinds().count("draft_withdrawn") == 1
    with pytest.raises(MoveRefused, match="no draft waiting"):
        moves(offline).send_draft(REQUEST, via="cli")

    # the follow-up clock runs from the request as if the auto-reply had never been read
    step = next_step(offline)
    assert step is not None and step[0] == "follow-up"
    assert step[1] == sent + 7 * DAY
    offline.clock.now = sent + 7 * DAY + timedelta(minutes=1)
    run_plan(offline)
    assert school_letters(offline) == ["request", "followup"]
    assert state(offline) == "followed_up"
    assert drafts(offline) == [("ask_for_date", "withdrawn")]  # nothing drafted again
    run_plan(offline)
    assert school_letters(offline) == ["request", "followup"]


def test_auto_after_a_follow_up_goes_back_to_followed_up(tmp_path: Path) -> None:
    offline = answered_request(tmp_path)  # answered an hour after the request
    try:
        # the request's follow-up had gone out before the (mis-read) answer
        offline.sender.queue_followup(REQUEST, 1)
        offline.accept_everything()
        run_plan(offline)
        moves(offline).reclassify(REQUEST, "auto_reply", via="cli")
        assert state(offline) == "followed_up"
        step = next_step(offline)
        assert step is not None and step[0] == "escalation"
    finally:
        offline.store.close()


def test_auto_on_a_newer_message_goes_back_to_the_older_answer(offline: Offline) -> None:
    """The school answered (ask_for_date drafted), then wrote again; that message was an
    auto-reply after all: the older answer's draft comes back, as if it had never left."""
    run_plan(offline)
    offline.clock.now += timedelta(hours=2)
    offer = school_reply(offline, "Could we just talk on the phone instead?", number=2)
    assert offline.receive(offer.as_bytes(policy=email.policy.SMTP)) == "informal"
    offline.accept_everything()
    run_plan(offline)
    assert drafts(offline) == [("ask_for_date", "withdrawn"), ("insist", "pending")]

    moves(offline).reclassify(REQUEST, "auto_reply", via="cli")
    run_plan(offline)
    assert drafts(offline) == [
        ("ask_for_date", "withdrawn"),
        ("insist", "withdrawn"),
        ("ask_for_date", "pending"),
    ]
    assert state(offline) == "acknowledged"
    assert offline.store.get_request(REQUEST).answered_at is not None  # type: ignore[union-attr]


def test_answer_declined_and_back_brings_each_draft_again(offline: Offline) -> None:
    run_plan(offline)
    moves(offline).reclassify(REQUEST, "declined", via="cli")
    run_plan(offline)
    assert state(offline) == "awaiting_notice"
    moves(offline).reclassify(REQUEST, "informal", via="cli")
    run_plan(offline)
    assert state(offline) == "informal_offered"
    moves(offline).reclassify(REQUEST, "answer", via="cli")
    run_plan(offline)
    assert state(offline) == "acknowledged"
    assert drafts(offline) == [
        ("ask_for_date", "withdrawn"),
        ("pwn_request", "withdrawn"),
        ("insist", "withdrawn"),
        ("ask_for_date", "pending"),
    ]
    run_plan(offline)
    assert len(offline.store.drafts(REQUEST)) == 4  # made once


def test_a_correction_after_the_draft_went_out_drafts_the_corrected_letter(
    offline: Offline,
) -> None:
    """ask_for_date went out by itself; the parent then says the school only offered a call:
    the insist letter is drafted for SEND, and the school's clocks wait for it."""
    run_plan(offline)
    offline.clock.now += 7 * DAY + timedelta(hours=1)
    run_plan(offline)
    assert school_letters(offline) == ["request", "ask_for_date"]
    moves(offline).reclassify(REQUEST, "informal", via="cli")
    run_plan(offline)
    assert drafts(offline) == [("ask_for_date", "approved"), ("insist", "pending")]
    assert state(offline) == "informal_offered"
    offline.clock.now += 30 * DAY
    run_plan(offline)  # the pending insist is the next move: no follow-up beside it
    assert school_letters(offline) == ["request", "ask_for_date"]


def test_auto_after_the_draft_went_out_restarts_the_clock_from_that_letter(
    offline: Offline,
) -> None:
    """ask_for_date went out; the answer it replied to was an auto-reply after all: the
    school still owes an answer, and the follow-up counts from the newest letter."""
    run_plan(offline)
    offline.clock.now += 7 * DAY + timedelta(hours=1)
    run_plan(offline)
    [asked] = [row for row in offline.store.list_outgoing(REQUEST) if row.purpose == "ask_for_date"]
    assert asked.accepted_at is not None
    moves(offline).reclassify(REQUEST, "auto_reply", via="cli")
    assert state(offline) == "sent"
    step = next_step(offline)
    assert step is not None and step[0] == "follow-up"
    assert step[1] == asked.accepted_at + 7 * DAY


def test_answer_on_a_message_read_as_an_auto_reply_makes_it_the_answer(tmp_path: Path) -> None:
    """The classifier took the school's answer for an out-of-office reply; the parent says
    it is an answer: the request is acknowledged, answered when the message came, and the
    ask_for_date draft follows instead of the request's follow-up."""
    offline = sent_request(tmp_path)
    try:
        offline.clock.now += timedelta(hours=1)
        came_at = offline.clock.now
        away = school_reply(
            offline, "I am out of the office until Monday and will answer you then.",
            Auto_Submitted="auto-replied",
        )  # fmt: skip
        assert offline.receive(away.as_bytes(policy=email.policy.SMTP)) == "auto_reply"
        offline.accept_everything()
        offline.clock.now += timedelta(hours=1)
        moves(offline).reclassify(REQUEST, "answer", via="cli")
        row = offline.store.get_request(REQUEST)
        assert row is not None and row.state == "acknowledged" and row.answered_at == came_at
        offline.clock.now += 8 * DAY
        run_plan(offline)
        assert "followup" not in school_letters(offline)
        assert drafts(offline)[0][0] == "ask_for_date"
    finally:
        offline.store.close()


def test_a_correction_back_after_the_letter_went_out_drafts_nothing_twice(
    offline: Offline,
) -> None:
    """ask_for_date went out; INFORMAL brings insist; ANSWER again withdraws it and drafts no
    second ask_for_date: the one sent stands, and the school's silence after it is followed
    up (the escalation, ask_for_date being itself the first follow-up)."""
    run_plan(offline)
    offline.clock.now += 7 * DAY + timedelta(hours=1)
    run_plan(offline)
    moves(offline).reclassify(REQUEST, "informal", via="cli")
    run_plan(offline)
    moves(offline).reclassify(REQUEST, "answer", via="cli")
    run_plan(offline)
    assert drafts(offline) == [("ask_for_date", "approved"), ("insist", "withdrawn")]
    assert state(offline) == "acknowledged"
    step = next_step(offline)
    assert step is not None and step[0] == "escalation"
