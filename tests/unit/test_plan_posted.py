"""The pure planner and a request that was only mailed, never emailed: the school's clocks
run from the day the post delivered it (parent in Chicago)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from iepd.config.model import Duration
from iepd.decide.plan import (
    Remind,
    RequestSnapshot,
    SendFollowUp,
    SendLetter,
    TimingRules,
    letter_reached_school,
    next_actions,
    request_next_step,
)
from iepd.decide.schooldays import localize

CHICAGO = ZoneInfo("America/Chicago")
RULES = TimingRules(timezone=CHICAGO)
DELIVERED = localize(datetime(2026, 12, 3), CHICAGO)  # Thu Dec 3, the day of delivery
WEEK = timedelta(days=7)


def mailed_only(state: str = "queued", **changes: Any) -> RequestSnapshot:
    return RequestSnapshot(id="sam-speech", state=state, delivered_at=DELIVERED, **changes)


def test_a_delivered_letter_is_not_emailed_and_is_followed_up_a_week_after_delivery() -> None:
    early = next_actions([mailed_only()], RULES, DELIVERED + timedelta(days=6))
    assert early.actions == () and early.next_wake == DELIVERED + WEEK
    due = next_actions([mailed_only()], RULES, DELIVERED + WEEK)
    assert due.actions == (SendFollowUp("sam-speech", 1),)
    assert request_next_step(mailed_only(), RULES, DELIVERED) == ("follow-up", DELIVERED + WEEK)


def test_a_request_mailed_but_not_yet_delivered_is_planned_as_before() -> None:
    snapshot = RequestSnapshot(id="sam-speech", state="queued")
    assert next_actions([snapshot], RULES, DELIVERED).actions == (SendLetter("sam-speech"),)


def test_the_escalation_and_no_response_follow_from_the_delivery() -> None:
    followed = mailed_only("followed_up", followups_sent=(DELIVERED + WEEK,))
    assert next_actions([followed], RULES, DELIVERED + 2 * WEEK).actions == (
        SendFollowUp("sam-speech", 2),
    )
    escalated = mailed_only("escalated", followups_sent=(DELIVERED + WEEK, DELIVERED + 2 * WEEK))
    [remind] = next_actions([escalated], RULES, DELIVERED + 3 * WEEK).actions
    assert isinstance(remind, Remind) and remind.kind == "no_response"
    assert remind.context["sent_at"] == DELIVERED.astimezone(CHICAGO).isoformat()


def test_an_email_sent_as_well_keeps_the_emails_clock() -> None:
    emailed = mailed_only("sent", sent_at=DELIVERED + timedelta(days=2))
    assert letter_reached_school(emailed) == DELIVERED + timedelta(days=2)
    assert request_next_step(emailed, RULES, DELIVERED) == (
        "follow-up",
        DELIVERED + timedelta(days=2) + WEEK,
    )


def test_on_hold_answered_or_closed_a_delivered_letter_is_not_followed_up() -> None:
    later = DELIVERED + 3 * WEEK
    for snapshot in (
        mailed_only("draft", hold=True),
        mailed_only(answered_at=DELIVERED + timedelta(days=1)),
        mailed_only(closed=True),
        mailed_only(meeting_at=DELIVERED + 2 * WEEK),
    ):
        assert not [
            action for action in next_actions([snapshot], RULES, later).actions
            if isinstance(action, SendFollowUp | SendLetter)
        ], snapshot  # fmt: skip


def test_the_meeting_deadline_runs_from_the_delivery() -> None:
    rules = replace(RULES, meeting_deadline=Duration(days=30))
    assert request_next_step(mailed_only(answered_at=DELIVERED), rules, DELIVERED) == (
        "deadline_passed reminder",
        DELIVERED + timedelta(days=30),
    )
