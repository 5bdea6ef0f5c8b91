"""The planner: given what the store knows and the time, which actions are due. PURE.

It reads no clock, database or network: the service hands it snapshots of the requests and
``now``, carries out the actions it returns, records them, and asks again at ``next_wake``.
Asking twice with nothing recorded in between returns the same actions, and recording an
action (the request sent, the follow-up's time, the reminder's key) is what stops it from
being returned again, so a restart never repeats anything.

Days are school days when ``business_days`` is set for ``followup_after``,
``escalate_after`` and ``meeting_deadline``; ``meeting_prep_before`` and ``after_meeting``
are reminders to the parent and always count calendar days.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeAlias
from zoneinfo import ZoneInfo

from iepd.config.model import Duration, SendWindow, Timing
from iepd.decide.conversation import (
    ChangeState,
    Clocks,
    Conversation,
    ConversationAction,
    FollowUpRound,
    ReminderDue,
    SendDraft,
    conversation_steps,
)
from iepd.decide.schooldays import as_utc, next_window_instant, shift
from iepd.vocabulary import (
    AWAITING_ANSWER_STATES,
    DEFAULT_AUTO_SEND,
    NOT_DELIVERED_STATES,
    UNSENT_STATES,
)

logger = logging.getLogger(__name__)

NO_RESPONSE = "no_response"
MEETING_PREP = "meeting_prep"
AFTER_MEETING = "after_meeting"
DEADLINE_PASSED = "deadline_passed"

STEP_SEND = "send"
STEP_FOLLOW_UP = "follow-up"
STEP_ESCALATION = "escalation"


_DEFAULTS = Timing()


@dataclass(frozen=True)
class RequestSnapshot:
    """What the planner needs to know about one request; every datetime is aware."""

    id: str
    state: str  # draft queued sent followed_up escalated answered declined
    # meeting_scheduled undeliverable failed closed uncertain
    urgent: bool = False
    hold: bool = False  # config: never send
    closed: bool = False  # config: the parent ended it
    send_at: datetime | None = None
    sent_at: datetime | None = None  # when the request letter was accepted
    followups_sent: tuple[datetime, ...] = ()  # accepted times of follow-up 1 and 2
    answered_at: datetime | None = None  # the first real answer
    meeting_at: datetime | None = None
    reminders_sent: frozenset[str] = frozenset()  # dedup keys of reminders already queued
    outbox_busy: bool = False  # a letter for this request is queued or in flight
    # When the parent sent their newest message in the thread (found in the Sent folder):
    # the school owes an answer to it, so its clocks restart from there.
    last_parent_message_at: datetime | None = None
    # When the post delivered the printed request letter (`iepd mailed --delivered`): with
    # no email of it sent, the school's clocks run from there.
    delivered_at: datetime | None = None
    # v2: the school's newest answer, the pending draft, the drafted letters sent (issue 15)
    conversation: Conversation = field(default_factory=Conversation)


@dataclass(frozen=True)
class TimingRules:
    """The config's [timing] with the parent's timezone; built by timing_rules()."""

    timezone: ZoneInfo
    followup_after: Duration = _DEFAULTS.followup_after
    escalate_after: Duration = _DEFAULTS.escalate_after
    business_days: bool = False
    holidays: frozenset[date] = frozenset()
    send_window: SendWindow | None = None
    meeting_prep_before: Duration = _DEFAULTS.meeting_prep_before
    after_meeting: Duration = _DEFAULTS.after_meeting
    meeting_deadline: Duration | None = None
    auto_send: frozenset[str] = frozenset(DEFAULT_AUTO_SEND)  # [assist] auto_send


@dataclass(frozen=True)
class SendLetter:
    """The request letter is due."""

    request_id: str


@dataclass(frozen=True)
class SendFollowUp:
    """Follow-up number 1, or 2 (the escalation, principal copied), is due."""

    request_id: str
    number: int


@dataclass(frozen=True)
class Remind:
    """A reminder to the parent is due; record key so that it is never sent again."""

    request_id: str
    kind: str  # no_response | meeting_prep | after_meeting | deadline_passed
    key: str
    context: Mapping[str, str] = field(default_factory=dict, hash=False)


Action: TypeAlias = SendLetter | SendFollowUp | Remind | ConversationAction


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    next_wake: datetime | None  # the earliest due time strictly after now, in UTC


@dataclass(frozen=True)
class _Step:
    """One thing a request waits for: due None means it is in the outbox right now."""

    name: str
    due: datetime | None
    action: Action | None


def timing_rules(
    timing: Timing, timezone: str, auto_send: frozenset[str] = frozenset(DEFAULT_AUTO_SEND)
) -> TimingRules:
    """Given the config's Timing and the parent's IANA timezone name, return TimingRules.

    A send window whose end is not after its start runs past midnight (its end == start:
    all day). Raise ValueError if the send window names no weekday, because every letter
    would then wait forever; raise zoneinfo.ZoneInfoNotFoundError if the timezone is
    unknown.
    """
    zone = ZoneInfo(timezone)
    window = timing.send_window
    if window is not None and not window.weekdays:
        raise ValueError("timing.send_window names no weekday")
    return TimingRules(
        timezone=zone,
        followup_after=timing.followup_after,
        escalate_after=timing.escalate_after,
        business_days=timing.business_days,
        holidays=frozenset(timing.holidays),
        send_window=window,
        meeting_prep_before=timing.meeting_prep_before,
        after_meeting=timing.after_meeting,
        meeting_deadline=timing.meeting_deadline,
        auto_send=auto_send,
    )


def reminder_key(kind: str, meeting_at: datetime | None = None) -> str:
    """Given a reminder kind and, for meeting reminders, the meeting's start, return the
    dedup key recorded once the reminder is queued: "no_response", or
    "meeting_prep:2026-12-12T21:30:00+00:00" (UTC, so a rescheduled meeting gets a new key
    and the same meeting always gets the same one)."""
    if meeting_at is None:
        return kind
    return f"{kind}:{as_utc(meeting_at).isoformat()}"


def next_actions(snapshots: Sequence[RequestSnapshot], rules: TimingRules, now: datetime) -> Plan:
    """Given snapshots of the requests, the timing rules and the current time, return the
    actions due now, ordered by due time, and the next wake-up time.

    An action that fell due long ago (the daemon was down) is returned now, once: letters
    then wait for the send window, reminders do not. Raise ValueError if a datetime is
    naive.
    """
    moment = as_utc(now)
    due: list[tuple[datetime, int, Action]] = []
    wakes: list[datetime] = []
    for index, snapshot in enumerate(snapshots):
        for step in _steps(snapshot, rules, moment):
            if step.due is None or step.action is None:
                continue
            if step.due <= moment:
                due.append((step.due, index, step.action))
            else:
                wakes.append(step.due)
    due.sort(key=lambda item: (item[0], item[1]))
    return Plan(
        actions=tuple(action for _, _, action in due),
        next_wake=min(wakes) if wakes else None,
    )


def request_next_step(
    snapshot: RequestSnapshot, rules: TimingRules, now: datetime
) -> tuple[str, datetime | None] | None:
    """Given one request, return its next step's name ("send", "follow-up", "escalation",
    "no_response reminder", "meeting_prep reminder", ...) and when it is due (UTC; at or
    before now means due now; None means it is in the outbox right now), or None when the
    request waits for nothing."""
    steps = _steps(snapshot, rules, as_utc(now))
    if not steps:
        return None
    in_progress = [step for step in steps if step.due is None]
    if in_progress:
        return in_progress[0].name, None
    first = min(steps, key=lambda step: step.due or as_utc(now))
    return first.name, first.due


def letter_reached_school(snapshot: RequestSnapshot) -> datetime | None:
    """Given a request, return when the school got its letter: when the email was accepted,
    else, for a letter only mailed, when the post delivered it; None before either."""
    return snapshot.sent_at if snapshot.sent_at is not None else snapshot.delivered_at


def _only_mailed(snapshot: RequestSnapshot) -> bool:
    return snapshot.sent_at is None and snapshot.delivered_at is not None


def awaits_answer(snapshot: RequestSnapshot) -> bool:
    """Given a request, return whether it may still be followed up: the school has the
    letter and no answer, invitation, meeting date, bounce or closing has come."""
    return (
        (
            snapshot.state in AWAITING_ANSWER_STATES
            or (snapshot.state in UNSENT_STATES and _only_mailed(snapshot))
        )
        and not snapshot.closed
        and not snapshot.hold
        and letter_reached_school(snapshot) is not None
        and snapshot.answered_at is None
        # A meeting agreed outside email (config meeting_at) is an answer too: asking the
        # school when a date will be set would be wrong once there is one.
        and snapshot.meeting_at is None
    )


def _steps(snapshot: RequestSnapshot, rules: TimingRules, now: datetime) -> list[_Step]:
    if snapshot.closed or snapshot.state == "closed":
        return []
    return [
        *_letter_steps(snapshot, rules, now),
        *_meeting_steps(snapshot, rules, now),
        *_conversation(snapshot, rules, now),
        *_deadline_steps(snapshot, rules),
    ]


def _letter_steps(snapshot: RequestSnapshot, rules: TimingRules, now: datetime) -> list[_Step]:
    if snapshot.hold:
        return []
    # A letter the post delivered is not emailed on top: the school has it.
    if snapshot.state in UNSENT_STATES and snapshot.sent_at is None and not _only_mailed(snapshot):
        if snapshot.outbox_busy:
            return [_Step(STEP_SEND, None, None)]
        start = now if snapshot.send_at is None else max(as_utc(snapshot.send_at), now)
        return [_Step(STEP_SEND, _in_window(start, rules), SendLetter(snapshot.id))]
    reached = letter_reached_school(snapshot)
    if not awaits_answer(snapshot) or reached is None:  # awaits_answer() checks both
        return []
    number = len(snapshot.followups_sent) + 1
    if number <= 2:
        name = STEP_FOLLOW_UP if number == 1 else STEP_ESCALATION
        if snapshot.outbox_busy:
            return [_Step(name, None, None)]
        previous = reached if number == 1 else snapshot.followups_sent[0]
        # The parent's own message in the thread is a move the school owes an answer to:
        # the clock restarts from it, as from a drafted letter sent before the parent read
        # the school's only answer as an auto-reply after all (AUTO).
        letters = [letter.at for letter in snapshot.conversation.letters]
        previous = max(previous, snapshot.last_parent_message_at or previous, *letters)
        wait = rules.followup_after if number == 1 else rules.escalate_after
        due = _later(previous, wait, rules)
        # A follow-up overdue while the window is shut waits for the next opening.
        return [_Step(name, _in_window(max(due, now), rules), SendFollowUp(snapshot.id, number))]
    if NO_RESPONSE in snapshot.reminders_sent:
        return []
    escalated_at = snapshot.followups_sent[1]
    context = {
        "sent_at": _local_iso(reached, rules),
        "followup_at": _local_iso(snapshot.followups_sent[0], rules),
        "escalation_at": _local_iso(escalated_at, rules),
    }
    remind = Remind(snapshot.id, NO_RESPONSE, reminder_key(NO_RESPONSE), context)
    due = _later(escalated_at, rules.escalate_after, rules)
    return [_Step(_reminder_name(NO_RESPONSE), due, remind)]


def _meeting_steps(snapshot: RequestSnapshot, rules: TimingRules, now: datetime) -> list[_Step]:
    if snapshot.meeting_at is None:
        return []
    meeting = as_utc(snapshot.meeting_at)
    context = {"meeting_at": _local_iso(meeting, rules)}
    steps = []
    prep_key = reminder_key(MEETING_PREP, meeting)
    # Preparing for a meeting that is over helps no one; a prep time already past with the
    # meeting still ahead (a meeting set at short notice) is due at once.
    if prep_key not in snapshot.reminders_sent and now < meeting:
        due = shift(meeting, rules.meeting_prep_before, rules.timezone, backwards=True)
        remind = Remind(snapshot.id, MEETING_PREP, prep_key, context)
        steps.append(_Step(_reminder_name(MEETING_PREP), due, remind))
    # v2: after the meeting, the recap_due reminder (conversation) takes the place of v1's
    # after_meeting reminder.
    return steps


def _deadline_steps(snapshot: RequestSnapshot, rules: TimingRules) -> list[_Step]:
    reached = letter_reached_school(snapshot)
    if (
        rules.meeting_deadline is None
        or reached is None
        or snapshot.state in NOT_DELIVERED_STATES
        or DEADLINE_PASSED in snapshot.reminders_sent
    ):
        return []
    deadline = _later(reached, rules.meeting_deadline, rules)
    if snapshot.meeting_at is not None and as_utc(snapshot.meeting_at) <= deadline:
        return []
    context = {
        "sent_at": _local_iso(reached, rules),
        "deadline": _local_iso(deadline, rules),
        "meeting_at": "" if snapshot.meeting_at is None else _local_iso(snapshot.meeting_at, rules),
    }
    remind = Remind(snapshot.id, DEADLINE_PASSED, reminder_key(DEADLINE_PASSED), context)
    return [_Step(_reminder_name(DEADLINE_PASSED), deadline, remind)]


def _conversation(snapshot: RequestSnapshot, rules: TimingRules, now: datetime) -> list[_Step]:
    if snapshot.closed:
        return []
    clocks = Clocks(
        followup=lambda instant: _later(instant, rules.followup_after, rules),
        escalate=lambda instant: _later(instant, rules.escalate_after, rules),
        after_meeting=lambda instant: shift(instant, rules.after_meeting, rules.timezone),
        window=lambda instant: _in_window(instant, rules),
        local=lambda instant: _local_iso(instant, rules),
        auto_send=rules.auto_send,
    )
    meeting = None if snapshot.meeting_at is None else as_utc(snapshot.meeting_at)
    steps = conversation_steps(
        snapshot.id,
        snapshot.state,
        meeting,
        snapshot.conversation,
        snapshot.reminders_sent,
        clocks,
        now,
    )
    found = []
    for step in steps:
        if snapshot.hold and not isinstance(step.action, ReminderDue | ChangeState):
            continue  # on hold: nothing is written to the school, the parent still hears
        action: Action = step.action
        if isinstance(step.action, ReminderDue):
            action = Remind(snapshot.id, step.action.kind, step.action.key, step.action.context)
        # A letter of the thread already in the outbox: the next one waits for it to leave.
        busy = snapshot.outbox_busy and isinstance(step.action, SendDraft | FollowUpRound)
        found.append(_Step(step.name, None if busy else step.due, None if busy else action))
    return found


def _later(instant: datetime, wait: Duration, rules: TimingRules) -> datetime:
    return shift(
        instant,
        wait,
        rules.timezone,
        business_days=rules.business_days,
        holidays=rules.holidays,
    )


def _in_window(instant: datetime, rules: TimingRules) -> datetime:
    return next_window_instant(instant, rules.send_window, rules.timezone)


def _local_iso(instant: datetime, rules: TimingRules) -> str:
    return as_utc(instant).astimezone(rules.timezone).isoformat()


def _reminder_name(kind: str) -> str:
    return f"{kind} reminder"
