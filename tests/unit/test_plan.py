"""The pure planner: which actions are due, and when to wake next (parent in Chicago)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from iepd.config.model import Duration, SendWindow, Timing
from iepd.decide.conversation import ChangeState, Conversation
from iepd.decide.plan import (
    Action,
    Plan,
    Remind,
    RequestSnapshot,
    SendFollowUp,
    SendLetter,
    TimingRules,
    next_actions,
    reminder_key,
    request_next_step,
    timing_rules,
)
from iepd.decide.schooldays import as_utc, localize

CHICAGO = ZoneInfo("America/Chicago")
RULES = TimingRules(timezone=CHICAGO)
SCHOOL_HOURS = SendWindow(frozenset(range(5)), time(7, 30), time(16, 0))
WINDOWED = replace(RULES, send_window=SCHOOL_HOURS)
WEEK = timedelta(days=7)


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Given a wall-clock time in Chicago, return the instant in UTC."""
    return localize(datetime(year, month, day, hour, minute), CHICAGO)


# Tue 2026-12-01 10:00 CST: a school day, inside school hours, no DST change near.
NOW = local(2026, 12, 1, 10)
MEETING = local(2026, 12, 10, 15, 30)


def request(state: str = "queued", **changes: Any) -> RequestSnapshot:
    meeting = changes.get("meeting_at")
    if meeting is not None and "conversation" not in changes:
        # As the daemon leaves it: the letter confirming a known meeting is drafted at once
        # (issue 15), so these tests of the reminders start after it.
        made = frozenset({f"confirm:{as_utc(meeting).isoformat()}"})
        changes["conversation"] = Conversation(drafts_made=made)
    return RequestSnapshot(id="sam-speech", state=state, **changes)


def after_meeting(meeting: datetime) -> list[Action]:
    """What a day after the meeting brings (v2): the state, and the reminder asking for
    the agreements (in place of v1's after_meeting reminder)."""
    return [
        ChangeState("sam-speech", "meeting_held", "the meeting's time passed"),
        Remind("sam-speech", "recap_due", f"recap_due:{meeting.isoformat()}"),
    ]


def sent(days_ago: float, state: str = "sent", **changes: Any) -> RequestSnapshot:
    return request(state, sent_at=NOW - timedelta(days=days_ago), **changes)


def plan_for(snapshot: RequestSnapshot, rules: TimingRules = RULES, now: datetime = NOW) -> Plan:
    return next_actions([snapshot], rules, now)


@pytest.mark.parametrize(
    ("snapshot", "rules", "actions", "next_wake"),
    [
        pytest.param(request(), RULES, [SendLetter("sam-speech")], None, id="queued_is_sent_now"),
        pytest.param(
            request("draft"), RULES, [SendLetter("sam-speech")], None, id="draft_off_hold_is_sent"
        ),
        pytest.param(
            request(send_at=NOW + timedelta(hours=3)),
            RULES,
            [],
            NOW + timedelta(hours=3),
            id="future_send_at_waits_for_it",
        ),
        pytest.param(
            request(send_at=NOW - timedelta(days=3)),
            RULES,
            [SendLetter("sam-speech")],
            None,
            id="past_send_at_is_sent_now",
        ),
        pytest.param(request(hold=True), RULES, [], None, id="hold_is_never_sent"),
        pytest.param(request("draft", hold=True), RULES, [], None, id="draft_on_hold_waits"),
        pytest.param(request(closed=True), RULES, [], None, id="closed_is_never_sent"),
        pytest.param(request(outbox_busy=True), RULES, [], None, id="in_the_outbox_is_not_resent"),
        pytest.param(
            request("sent", sent_at=NOW - timedelta(hours=1)),
            RULES,
            [],
            NOW - timedelta(hours=1) + WEEK,
            id="sent_is_not_sent_again",
        ),
        pytest.param(
            request(),
            WINDOWED,
            [SendLetter("sam-speech")],
            None,
            id="inside_the_window_is_sent_now",
        ),
    ],
)
def test_next_actions_sends_a_queued_request_once_when_due_and_in_the_window(
    snapshot: RequestSnapshot, rules: TimingRules, actions: list[Action], next_wake: datetime | None
) -> None:
    plan = plan_for(snapshot, rules)
    assert list(plan.actions) == actions
    assert plan.next_wake == next_wake


def test_next_actions_after_hours_waits_for_the_next_opening() -> None:
    friday_evening = local(2026, 12, 4, 17)
    plan = plan_for(request(), WINDOWED, friday_evening)
    assert plan.actions == ()
    assert plan.next_wake == local(2026, 12, 7, 7, 30)


def test_next_actions_with_send_at_on_a_saturday_waits_for_monday_opening() -> None:
    saturday = local(2026, 12, 5, 9)
    plan = plan_for(request(send_at=saturday), WINDOWED, saturday + timedelta(hours=1))
    assert plan.actions == ()
    assert plan.next_wake == local(2026, 12, 7, 7, 30)


def test_next_actions_window_opening_after_spring_forward_is_at_local_0730() -> None:
    friday_evening = local(2027, 3, 12, 17)
    plan = plan_for(request(), WINDOWED, friday_evening)
    assert plan.next_wake == datetime(2027, 3, 15, 12, 30, tzinfo=UTC)


def test_next_actions_window_opening_after_fall_back_is_at_local_0730() -> None:
    friday_evening = local(2026, 10, 30, 17)
    plan = plan_for(request(), WINDOWED, friday_evening)
    assert plan.next_wake == datetime(2026, 11, 2, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("snapshot", "actions", "next_wake"),
    [
        pytest.param(sent(6), [], NOW + timedelta(days=1), id="six_days_of_silence_waits"),
        pytest.param(sent(7), [SendFollowUp("sam-speech", 1)], None, id="seven_days_follows_up"),
        pytest.param(
            sent(40),
            [SendFollowUp("sam-speech", 1)],
            None,
            id="down_for_weeks_sends_only_the_first_follow_up",
        ),
        pytest.param(
            sent(14, state="followed_up", followups_sent=(NOW - WEEK,)),
            [SendFollowUp("sam-speech", 2)],
            None,
            id="a_week_after_the_follow_up_escalates",
        ),
        pytest.param(
            sent(10, state="followed_up", followups_sent=(NOW - timedelta(days=3),)),
            [],
            NOW + timedelta(days=4),
            id="escalation_waits_a_week_after_the_follow_up",
        ),
        pytest.param(
            sent(21, state="escalated", followups_sent=(NOW - 2 * WEEK, NOW - WEEK)),
            [Remind("sam-speech", "no_response", "no_response")],
            None,
            id="a_week_after_escalation_reminds_no_response",
        ),
        pytest.param(
            sent(
                21,
                state="escalated",
                followups_sent=(NOW - 2 * WEEK, NOW - WEEK),
                reminders_sent=frozenset({"no_response"}),
            ),
            [],
            None,
            id="no_response_is_reminded_once",
        ),
        pytest.param(
            sent(7, outbox_busy=True), [], None, id="follow_up_in_the_outbox_is_not_repeated"
        ),
        pytest.param(
            sent(8, state="followed_up", followups_sent=(NOW - timedelta(days=1),)),
            [],
            NOW + timedelta(days=6),
            id="follow_up_already_sent_is_not_repeated",
        ),
    ],
)
def test_next_actions_follows_up_then_escalates_then_reminds_on_silence(
    snapshot: RequestSnapshot, actions: list[Action], next_wake: datetime | None
) -> None:
    plan = plan_for(snapshot)
    assert [_without_context(action) for action in plan.actions] == actions
    assert plan.next_wake == next_wake


@pytest.mark.parametrize(
    "snapshot",
    [
        pytest.param(sent(8, answered_at=NOW - timedelta(days=2)), id="answered_at_set"),
        pytest.param(sent(8, state="answered"), id="answered"),
        pytest.param(sent(8, state="declined"), id="declined"),
        pytest.param(sent(8, state="meeting_scheduled"), id="meeting_scheduled"),
        pytest.param(sent(8, state="undeliverable"), id="bounced"),
        pytest.param(sent(8, state="failed"), id="failed"),
        pytest.param(sent(8, state="uncertain"), id="uncertain"),
        pytest.param(sent(8, state="closed"), id="closed_state"),
        pytest.param(sent(8, closed=True), id="closed_in_config"),
        pytest.param(sent(8, hold=True), id="hold"),
        pytest.param(sent(30, meeting_at=NOW + WEEK * 9), id="meeting_agreed_outside_email"),
    ],
)
def test_next_actions_with_answer_bounce_or_close_sends_no_follow_up(
    snapshot: RequestSnapshot,
) -> None:
    plan = plan_for(snapshot)
    assert not [action for action in plan.actions if isinstance(action, SendFollowUp)]
    assert request_next_step(snapshot, RULES, NOW + WEEK * 4) is None or (
        snapshot.meeting_at is not None
    )


def test_next_actions_with_answer_before_due_sends_no_follow_up() -> None:
    snapshot = sent(3, state="answered", answered_at=NOW - timedelta(days=1))
    later = NOW + WEEK * 3
    assert plan_for(snapshot, now=later) == Plan(actions=(), next_wake=None)


def test_next_actions_follow_up_overdue_at_night_waits_for_the_window() -> None:
    evening = local(2026, 12, 1, 20)
    plan = plan_for(sent(9), WINDOWED, evening)
    assert plan.actions == ()
    assert plan.next_wake == local(2026, 12, 2, 7, 30)
    morning = plan_for(sent(9), WINDOWED, local(2026, 12, 2, 7, 30))
    assert morning.actions == (SendFollowUp("sam-speech", 1),)


def test_next_actions_with_business_days_counts_school_days_across_thanksgiving() -> None:
    rules = replace(
        RULES,
        followup_after=Duration(days=2),
        business_days=True,
        holidays=frozenset({date(2026, 11, 26), date(2026, 11, 27)}),
    )
    wednesday = local(2026, 11, 25, 9)
    snapshot = request("sent", sent_at=wednesday)
    assert plan_for(snapshot, rules, wednesday + timedelta(hours=1)).next_wake == local(
        2026, 12, 1, 9
    )
    assert plan_for(snapshot, rules, local(2026, 11, 30, 23)).actions == ()
    assert plan_for(snapshot, rules, local(2026, 12, 1, 9)).actions == (
        SendFollowUp("sam-speech", 1),
    )


@pytest.mark.parametrize(
    ("snapshot", "now", "actions", "next_wake"),
    [
        pytest.param(
            sent(1, meeting_at=MEETING),
            NOW,
            [],
            local(2026, 12, 7, 15, 30),
            id="prep_waits_until_three_days_before",
        ),
        pytest.param(
            sent(1, meeting_at=MEETING),
            local(2026, 12, 7, 15, 30),
            [Remind("sam-speech", "meeting_prep", reminder_key("meeting_prep", MEETING))],
            local(2026, 12, 11, 15, 30),
            id="prep_three_days_before_then_after_meeting_a_day_after",
        ),
        pytest.param(
            sent(1, meeting_at=MEETING),
            local(2026, 12, 9, 12),
            [Remind("sam-speech", "meeting_prep", reminder_key("meeting_prep", MEETING))],
            local(2026, 12, 11, 15, 30),
            id="prep_for_a_meeting_set_at_short_notice_is_due_now",
        ),
        pytest.param(
            sent(1, meeting_at=MEETING),
            local(2026, 12, 10, 17),
            [],
            local(2026, 12, 11, 15, 30),
            id="prep_for_a_meeting_already_held_is_skipped",
        ),
        pytest.param(
            sent(1, meeting_at=MEETING),
            local(2027, 1, 20, 9),
            after_meeting(MEETING),
            None,
            id="after_meeting_overdue_for_weeks_is_sent_once_now",
        ),
        pytest.param(
            sent(
                1,
                meeting_at=MEETING + timedelta(days=2),
                reminders_sent=frozenset({reminder_key("meeting_prep", MEETING)}),
            ),
            local(2026, 12, 9, 16),
            [
                Remind(
                    "sam-speech",
                    "meeting_prep",
                    reminder_key("meeting_prep", MEETING + timedelta(days=2)),
                )
            ],
            local(2026, 12, 13, 15, 30),
            id="rescheduled_meeting_gets_new_reminders",
        ),
        pytest.param(
            sent(
                1,
                meeting_at=MEETING,
                reminders_sent=frozenset({reminder_key("meeting_prep", MEETING)}),
            ),
            local(2026, 12, 9, 12),
            [],
            local(2026, 12, 11, 15, 30),
            id="prep_is_reminded_once",
        ),
        pytest.param(
            request(hold=True, meeting_at=MEETING),
            local(2026, 12, 8, 12),
            [Remind("sam-speech", "meeting_prep", reminder_key("meeting_prep", MEETING))],
            local(2026, 12, 11, 15, 30),
            id="meeting_of_a_request_on_hold_is_still_reminded",
        ),
        pytest.param(
            sent(1, meeting_at=MEETING, closed=True),
            local(2026, 12, 8, 12),
            [],
            None,
            id="closed_request_gets_no_meeting_reminders",
        ),
    ],
)
def test_next_actions_reminds_before_and_after_a_known_meeting(
    snapshot: RequestSnapshot, now: datetime, actions: list[Action], next_wake: datetime | None
) -> None:
    plan = plan_for(snapshot, now=now)
    assert [_without_context(action) for action in plan.actions] == actions
    assert plan.next_wake == next_wake


def test_meeting_reminder_carries_the_meeting_time_in_local_time() -> None:
    plan = plan_for(sent(1, meeting_at=MEETING), now=local(2026, 12, 8, 12))
    (remind,) = plan.actions
    assert isinstance(remind, Remind)
    assert remind.key == "meeting_prep:2026-12-10T21:30:00+00:00"
    assert remind.context == {"meeting_at": "2026-12-10T15:30:00-06:00"}


def test_meeting_prep_across_spring_forward_keeps_local_time() -> None:
    meeting = local(2027, 3, 16, 15, 30)
    plan = plan_for(sent(1, meeting_at=meeting), now=local(2027, 3, 12, 9))
    assert plan.next_wake == datetime(2027, 3, 13, 21, 30, tzinfo=UTC)  # Sat 15:30 CST


DEADLINE_RULES = replace(RULES, meeting_deadline=Duration(days=30))


@pytest.mark.parametrize(
    ("snapshot", "actions", "next_wake"),
    [
        pytest.param(
            sent(31, state="answered", answered_at=NOW - timedelta(days=29)),
            [Remind("sam-speech", "deadline_passed", "deadline_passed")],
            None,
            id="deadline_passed_without_a_meeting",
        ),
        pytest.param(
            sent(20, state="answered", answered_at=NOW - timedelta(days=19)),
            [],
            NOW + timedelta(days=10),
            id="deadline_not_yet_passed_waits",
        ),
        pytest.param(
            sent(31, state="meeting_scheduled", meeting_at=NOW - timedelta(days=5)),
            after_meeting(NOW - timedelta(days=5)),
            None,
            id="meeting_before_the_deadline_is_no_deadline_reminder",
        ),
        pytest.param(
            sent(
                31,
                state="meeting_scheduled",
                meeting_at=NOW + WEEK * 3,
                reminders_sent=frozenset({"deadline_passed"}),
            ),
            [],
            NOW + WEEK * 3 - timedelta(days=3),
            id="deadline_passed_is_reminded_once",
        ),
        pytest.param(
            sent(31, state="undeliverable"), [], None, id="bounced_letter_starts_no_deadline"
        ),
    ],
)
def test_next_actions_reminds_when_the_meeting_deadline_passes_without_a_meeting(
    snapshot: RequestSnapshot, actions: list[Action], next_wake: datetime | None
) -> None:
    plan = plan_for(snapshot, DEADLINE_RULES)
    assert [_without_context(action) for action in plan.actions] == actions
    assert plan.next_wake == next_wake


def test_next_actions_meeting_later_than_the_deadline_reminds_at_the_deadline() -> None:
    snapshot = sent(20, state="meeting_scheduled", meeting_at=NOW + WEEK * 4)
    assert plan_for(snapshot, DEADLINE_RULES).next_wake == NOW + timedelta(days=10)
    at_deadline = plan_for(snapshot, DEADLINE_RULES, NOW + timedelta(days=10))
    assert [_without_context(action) for action in at_deadline.actions] == [
        Remind("sam-speech", "deadline_passed", "deadline_passed")
    ]


def test_next_actions_over_several_requests_orders_by_due_time_and_wakes_at_the_earliest() -> None:
    snapshots = [
        replace(sent(7), id="a-follow-up-due-now"),
        replace(sent(1, meeting_at=NOW + timedelta(days=1)), id="b-prep-due-two-days-ago"),
        replace(request(), id="c-queued"),
        replace(sent(5), id="d-follow-up-in-two-days"),
        replace(request(send_at=NOW + timedelta(hours=5)), id="e-later-today"),
    ]
    plan = next_actions(snapshots, RULES, NOW)
    assert [_without_context(action) for action in plan.actions] == [
        Remind(
            "b-prep-due-two-days-ago",
            "meeting_prep",
            reminder_key("meeting_prep", NOW + timedelta(days=1)),
        ),
        SendFollowUp("a-follow-up-due-now", 1),
        SendLetter("c-queued"),
    ]
    assert plan.next_wake == NOW + timedelta(hours=5)


def test_next_actions_rejects_a_naive_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_actions([request()], RULES, datetime(2026, 12, 1, 10))


@pytest.mark.parametrize(
    ("snapshot", "expected"),
    [
        pytest.param(request(), ("send", NOW), id="queued_sends_now"),
        pytest.param(request(outbox_busy=True), ("send", None), id="in_the_outbox"),
        pytest.param(sent(2), ("follow-up", NOW + timedelta(days=5)), id="sent"),
        pytest.param(
            sent(9, state="followed_up", followups_sent=(NOW - timedelta(days=2),)),
            ("escalation", NOW + timedelta(days=5)),
            id="followed_up",
        ),
        pytest.param(
            sent(16, state="escalated", followups_sent=(NOW - WEEK, NOW - timedelta(days=2))),
            ("no_response reminder", NOW + timedelta(days=5)),
            id="escalated",
        ),
        pytest.param(
            sent(2, state="meeting_scheduled", meeting_at=MEETING),
            ("meeting_prep reminder", local(2026, 12, 7, 15, 30)),
            id="meeting_scheduled",
        ),
        pytest.param(sent(2, state="answered"), None, id="answered_is_final"),
        pytest.param(sent(2, closed=True), None, id="closed_is_final"),
        pytest.param(request(hold=True), None, id="hold_waits_for_the_parent"),
    ],
)
def test_request_next_step_names_the_next_action_and_when(
    snapshot: RequestSnapshot, expected: tuple[str, datetime | None] | None
) -> None:
    assert request_next_step(snapshot, RULES, NOW) == expected


def test_timing_rules_copies_the_config_timing_with_the_timezone() -> None:
    timing = Timing(
        followup_after=Duration(days=5),
        business_days=True,
        holidays=frozenset({date(2026, 12, 25)}),
        send_window=SCHOOL_HOURS,
        meeting_deadline=Duration(days=30),
    )
    rules = timing_rules(timing, "America/Chicago")
    assert rules.timezone == CHICAGO
    assert rules.followup_after == Duration(days=5)
    assert rules.escalate_after == Duration(days=7)
    assert rules.business_days is True
    assert rules.holidays == frozenset({date(2026, 12, 25)})
    assert rules.send_window == SCHOOL_HOURS
    assert rules.meeting_deadline == Duration(days=30)


@pytest.mark.parametrize(
    "window",
    [
        pytest.param(SendWindow(frozenset(), time(8), time(9)), id="no_weekday"),
    ],
)
def test_timing_rules_rejects_a_send_window_that_never_opens(window: SendWindow) -> None:
    with pytest.raises(ValueError, match="send_window"):
        timing_rules(Timing(send_window=window), "America/Chicago")


@pytest.mark.parametrize(
    ("action", "same_fields"),
    [
        pytest.param(SendLetter("sam-speech"), ("sam-speech",), id="send_letter"),
        pytest.param(SendFollowUp("sam-speech", 1), ("sam-speech", 1), id="send_follow_up"),
        pytest.param(
            Remind("sam-speech", "no_response", "no_response"),
            ("sam-speech", "no_response", "no_response", {}),
            id="remind",
        ),
    ],
)
def test_an_action_never_equals_a_tuple_of_its_fields(
    action: Action, same_fields: tuple[object, ...]
) -> None:
    assert action != same_fields
    with pytest.raises(TypeError):  # nor is it unpacked by position
        iter(action)  # type: ignore[call-overload]


def _without_context(action: Action) -> Action:
    if isinstance(action, Remind):
        return replace(action, context={})
    return action
