"""The request lifecycle driven by hypothesis: a simulated clock, a simulated store and
outbox, the planner asked at random moments, and the school, the mail system and the parent
acting in between. The invariants are the promises a parent relies on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from iepd.config.model import Duration, SendWindow
from iepd.decide.conversation import ChangeState, Conversation, MakeDraft
from iepd.decide.plan import (
    Action,
    Remind,
    RequestSnapshot,
    SendFollowUp,
    SendLetter,
    TimingRules,
    next_actions,
    request_next_step,
)
from iepd.decide.schooldays import in_send_window, localize

CHICAGO = ZoneInfo("America/Chicago")
# A week before the fall-back; a start up to 200 days later also crosses spring-forward.
EPOCH = localize(datetime(2026, 10, 25, 8, 0), CHICAGO)
FINAL_STATES = frozenset(
    {"answered", "declined", "meeting_scheduled", "undeliverable", "failed", "uncertain"}
)
AWAITING = frozenset({"sent", "followed_up", "escalated"})
# A local calendar day is never shorter than 23 hours, whatever DST does.
SHORTEST_DAY = timedelta(hours=23)

durations = st.builds(
    Duration, days=st.integers(1, 8), seconds=st.sampled_from([0, 90, 3600, 12 * 3600])
) | st.builds(Duration, days=st.just(0), seconds=st.sampled_from([90, 3600, 12 * 3600]))
windows = st.sampled_from(
    [
        None,
        SendWindow(frozenset(range(5)), time(7, 30), time(16, 0)),
        SendWindow(frozenset(range(7)), time(2, 30), time(4, 0)),  # empty hour at spring-forward
        SendWindow(frozenset(range(7)), time(1, 0), time(1, 45)),  # the repeated hour
        SendWindow(frozenset({0, 2, 4}), time(22, 0), time(6, 0)),  # overnight
    ]
)
holidays = st.frozensets(
    st.dates(min_value=date(2026, 10, 20), max_value=date(2027, 6, 30)), max_size=15
)
timings = st.builds(
    TimingRules,
    timezone=st.just(CHICAGO),
    followup_after=durations,
    escalate_after=durations,
    business_days=st.booleans(),
    holidays=holidays,
    send_window=windows,
    meeting_prep_before=durations,
    after_meeting=durations,
    meeting_deadline=st.none() | durations,
)
hours = st.integers(0, 400).map(lambda count: timedelta(hours=count))
requests = st.lists(st.tuples(st.booleans(), st.none() | hours), min_size=1, max_size=3)
steps_of_time = st.sampled_from(
    [timedelta(minutes=1), timedelta(hours=1), timedelta(hours=7), timedelta(days=1)]
) | st.integers(0, 45 * 86_400).map(lambda seconds: timedelta(seconds=seconds))


@dataclass
class StoredRequest:
    """The simulated store's row, plus what the test remembers about its history."""

    id: str
    hold: bool
    send_at: datetime | None
    state: str = "queued"
    closed: bool = False
    sent_at: datetime | None = None
    followups_sent: list[datetime] = field(default_factory=list)
    answered_at: datetime | None = None
    meeting_at: datetime | None = None
    reminders_sent: set[str] = field(default_factory=set)
    drafts_made: set[str] = field(default_factory=set)  # v2: the confirm draft of a meeting
    outbox: list[Action] = field(default_factory=list)
    # History, for the invariants.
    letters_planned: int = 0
    followups_planned: list[int] = field(default_factory=list)
    stopped_by: str | None = None  # answer, bounce or closed: no follow-up after it

    def snapshot(self) -> RequestSnapshot:
        return RequestSnapshot(
            id=self.id,
            state=self.state,
            hold=self.hold,
            closed=self.closed,
            send_at=self.send_at,
            sent_at=self.sent_at,
            followups_sent=tuple(self.followups_sent),
            answered_at=self.answered_at,
            meeting_at=self.meeting_at,
            reminders_sent=frozenset(self.reminders_sent),
            outbox_busy=bool(self.outbox),
            conversation=Conversation(drafts_made=frozenset(self.drafts_made)),
        )

    def is_resting(self) -> bool:
        """Whether it may rightly wait for nothing: ended, on hold, answered in some way
        (including a meeting date), or escalated with the parent already told."""
        return (
            self.closed
            or self.hold
            or self.state in FINAL_STATES
            or self.answered_at is not None
            or self.meeting_at is not None
            or (len(self.followups_sent) >= 2 and "no_response" in self.reminders_sent)
        )


def at_least(duration: Duration) -> timedelta:
    """The shortest time a duration can take: school days are never fewer calendar days."""
    return duration.days * SHORTEST_DAY + timedelta(seconds=duration.seconds)


class PlanMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.timing = TimingRules(timezone=CHICAGO)
        self.now = EPOCH
        self.store: list[StoredRequest] = []

    @initialize(rules=timings, start=hours, configured=requests)
    def configure(
        self,
        rules: TimingRules,
        start: timedelta,
        configured: list[tuple[bool, timedelta | None]],
    ) -> None:
        self.timing = rules
        self.now = EPOCH + start * 12
        for index, (hold, send_in) in enumerate(configured):
            send_at = None if send_in is None else self.now + send_in
            state = "draft" if hold else "queued"
            self.store.append(StoredRequest(f"r{index}", hold, send_at, state))

    def pick(self, index: int) -> StoredRequest:
        return self.store[index % len(self.store)]

    def snapshots(self) -> list[RequestSnapshot]:
        return [request.snapshot() for request in self.store]

    # Time passes.

    @rule(step=steps_of_time)
    def time_passes(self, step: timedelta) -> None:
        self.now += step

    @rule()
    def time_passes_until_the_next_wake(self) -> None:
        wake = next_actions(self.snapshots(), self.timing, self.now).next_wake
        if wake is not None:
            assert wake > self.now
            self.now = wake

    # The service.

    @rule(deliver_at_once=st.booleans())
    def the_service_runs_the_plan(self, deliver_at_once: bool) -> None:
        plan = next_actions(self.snapshots(), self.timing, self.now)
        assert plan.next_wake is None or plan.next_wake > self.now
        for action in plan.actions:
            request = next(item for item in self.store if item.id == action.request_id)
            self.check_action(request, action)
            if isinstance(action, Remind):
                request.reminders_sent.add(action.key)
            elif isinstance(action, MakeDraft):
                request.drafts_made.add(action.key)
            elif isinstance(action, ChangeState):
                request.state = action.state
            elif deliver_at_once:
                self.deliver(request, action)
            else:
                request.outbox.append(action)
        # Recording what was done is what stops it: asked again, the planner has nothing.
        again = next_actions(self.snapshots(), self.timing, self.now)
        # A request letter delivered at once may make the meeting's confirm draft due (it
        # waits for the request to have gone out): that is new, not the same action again.
        for action in again.actions:
            assert isinstance(action, MakeDraft) and deliver_at_once, action
            request = next(item for item in self.store if item.id == action.request_id)
            self.check_action(request, action)
            request.drafts_made.add(action.key)
        if again.actions:
            again = next_actions(self.snapshots(), self.timing, self.now)
        assert again.actions == ()
        upcoming = [
            request_next_step(request.snapshot(), self.timing, self.now) for request in self.store
        ]
        due_times = [step[1] for step in upcoming if step is not None and step[1] is not None]
        assert all(due > self.now for due in due_times)
        if not any(request.outbox for request in self.store):
            assert again.next_wake == min(due_times, default=None)

    @rule(cycles=st.integers(1, 8), deliver_at_once=st.booleans())
    def the_daemon_runs_for_a_while(self, cycles: int, deliver_at_once: bool) -> None:
        for _ in range(cycles):
            self.time_passes_until_the_next_wake()
            self.the_service_runs_the_plan(deliver_at_once)
            self.the_outbox_delivers()

    @rule()
    def the_outbox_delivers(self) -> None:
        for request in self.store:
            for action in request.outbox:
                self.deliver(request, action)
            request.outbox.clear()

    def check_action(self, request: StoredRequest, action: Action) -> None:
        if isinstance(action, SendLetter):
            assert request.letters_planned == 0, "the request letter was planned twice"
            assert not request.hold and not request.closed
            assert request.send_at is None or self.now >= request.send_at
            assert in_send_window(self.now, self.timing.send_window, CHICAGO)
            request.letters_planned += 1
        elif isinstance(action, SendFollowUp):
            assert action.number not in request.followups_planned, "a follow-up planned twice"
            assert request.stopped_by is None, f"a follow-up after {request.stopped_by}"
            assert action.number == len(request.followups_sent) + 1
            assert in_send_window(self.now, self.timing.send_window, CHICAGO)
            assert request.sent_at is not None
            since = request.sent_at if action.number == 1 else request.followups_sent[0]
            wait = self.timing.followup_after if action.number == 1 else self.timing.escalate_after
            assert self.now - since >= at_least(wait)
            request.followups_planned.append(action.number)
            event(f"follow-up {action.number}")
        elif isinstance(action, MakeDraft):
            # No school message in this model: the only draft is the meeting's confirmation.
            assert action.kind == "confirm" and request.meeting_at is not None
            assert action.key not in request.drafts_made, "a draft made twice"
            assert self.now < request.meeting_at
        elif isinstance(action, ChangeState):
            assert action.state == "meeting_held" and request.meeting_at is not None
            assert self.now - request.meeting_at >= at_least(self.timing.after_meeting)
        else:
            assert isinstance(action, Remind)
            assert action.key not in request.reminders_sent, "a reminder planned twice"
            self.check_reminder(request, action)
            event(f"reminder {action.kind}")

    def check_reminder(self, request: StoredRequest, action: Remind) -> None:
        """A reminder comes no earlier than its time allows, and only when it applies."""
        rules = self.timing
        if action.kind == "no_response":
            assert len(request.followups_sent) == 2 and request.stopped_by is None
            assert self.now - request.followups_sent[1] >= at_least(rules.escalate_after)
        elif action.kind in ("meeting_prep", "recap_due"):
            assert request.meeting_at is not None
            assert action.key.endswith(request.meeting_at.isoformat())
            if action.kind == "meeting_prep":
                assert self.now < request.meeting_at, "preparing for a meeting already held"
            else:
                assert self.now - request.meeting_at >= at_least(rules.after_meeting)
        else:
            assert action.kind == "deadline_passed" and rules.meeting_deadline is not None
            assert request.sent_at is not None
            deadline = request.sent_at + at_least(rules.meeting_deadline)
            assert self.now >= deadline
            assert request.meeting_at is None or request.meeting_at > deadline

    def deliver(self, request: StoredRequest, action: Action) -> None:
        if isinstance(action, SendLetter):
            request.sent_at = self.now
            if request.state in ("draft", "queued"):
                request.state = "sent"
        elif isinstance(action, SendFollowUp):
            request.followups_sent.append(self.now)
            if request.state in AWAITING:
                request.state = "followed_up" if action.number == 1 else "escalated"

    # The school, the mail system and the parent.

    @rule(index=st.integers(0, 2), outcome=st.sampled_from(["answered", "declined", None]))
    def the_school_answers(self, index: int, outcome: str | None) -> None:
        """outcome None: the answer is recorded (answered_at) before the state changes."""
        request = self.pick(index)
        if request.state in AWAITING:
            request.state = outcome or request.state
            request.answered_at = self.now
            request.stopped_by = request.stopped_by or "an answer"

    @rule(index=st.integers(0, 2))
    def the_letter_bounces(self, index: int) -> None:
        request = self.pick(index)
        if request.state in AWAITING:
            request.state = "undeliverable"
            request.stopped_by = request.stopped_by or "a bounce"

    @rule(index=st.integers(0, 2))
    def the_parent_closes_the_request(self, index: int) -> None:
        request = self.pick(index)
        request.closed = True
        request.stopped_by = request.stopped_by or "closed"

    @rule(index=st.integers(0, 2))
    def the_parent_lifts_the_hold(self, index: int) -> None:
        self.pick(index).hold = False

    @rule(index=st.integers(0, 2), when=steps_of_time, by_invitation=st.booleans())
    def a_meeting_is_scheduled(self, index: int, when: timedelta, by_invitation: bool) -> None:
        request = self.pick(index)
        if by_invitation and request.state not in AWAITING | {"answered", "meeting_scheduled"}:
            return
        request.meeting_at = self.now + when
        if by_invitation:
            request.state = "meeting_scheduled"
            request.answered_at = request.answered_at or self.now
        request.stopped_by = request.stopped_by or "a meeting date"

    # The promises.

    @invariant()
    def nothing_is_stuck(self) -> None:
        for request in self.store:
            step = request_next_step(request.snapshot(), self.timing, self.now)
            if step is None:
                assert request.is_resting(), f"{request.id} in {request.state} waits for nothing"
            elif step[1] is None:
                assert request.outbox, f"{request.id}: in progress with an empty outbox"

    @invariant()
    def never_two_sends_of_one_letter(self) -> None:
        for request in self.store:
            assert request.letters_planned <= 1
            assert len(request.followups_planned) == len(set(request.followups_planned))
            assert len(request.followups_sent) <= 2


TestPlanLifecycle = PlanMachine.TestCase
TestPlanLifecycle.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
