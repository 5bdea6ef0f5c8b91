"""The conversation after the school's first answer (issue 15), through the planner: whose
turn it is, the drafts, the auto-sent ask_for_date, withdrawal by a newer school message,
the school's clocks after the parent's moves, and the recap after the meeting. Pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from iepd.decide.conversation import (
    ChangeState,
    Conversation,
    FollowUpRound,
    MakeDraft,
    PendingDraft,
    SchoolMove,
    SendDraft,
    SentLetter,
    WithdrawDraft,
    waiting_for,
)
from iepd.decide.plan import Remind, RequestSnapshot, TimingRules, next_actions, request_next_step
from iepd.decide.schooldays import localize

CHICAGO = ZoneInfo("America/Chicago")
RULES = TimingRules(timezone=CHICAGO)
DAY = timedelta(days=1)


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return localize(datetime(2026, month, day, hour, minute), CHICAGO)


SENT = local(11, 20, 9)
ANSWERED = local(12, 1, 10)  # the school's answer, Tue Dec 1
SCHOOL = SchoolMove("<s1@district.example>", "answer", ANSWERED)
ASK_DRAFT = PendingDraft(
    7, "ask_for_date", "<s1@district.example>", ANSWERED + timedelta(minutes=1)
)
MADE = frozenset({"ask_for_date:<s1@district.example>"})


def snap(state: str = "acknowledged", **conversation: object) -> RequestSnapshot:
    conversation.setdefault("school", SCHOOL)
    return RequestSnapshot(
        id="sam",
        state=state,
        sent_at=SENT,
        answered_at=ANSWERED,
        conversation=Conversation(**conversation),  # type: ignore[arg-type]
    )


def actions(snapshot: RequestSnapshot, now: datetime, rules: TimingRules = RULES) -> list[object]:
    found = []
    for action in next_actions([snapshot], rules, now).actions:
        found.append(replace(action, context={}) if isinstance(action, Remind) else action)
    return found


def test_an_answer_without_a_date_drafts_ask_for_date_at_once() -> None:
    assert actions(snap("answered"), ANSWERED + timedelta(minutes=1)) == [
        ChangeState("sam", "acknowledged", "the school's answer"),
        MakeDraft(
            "sam",
            "ask_for_date",
            "ask_for_date:<s1@district.example>",
            SCHOOL.message_id,
            sends_at=ANSWERED + 7 * DAY,
        ),
    ]


def test_a_draft_that_waits_although_auto_says_why() -> None:
    named = snap("answered", school=replace(SCHOOL, names_a_time=True))
    (_, make) = actions(named, ANSWERED + timedelta(minutes=1))
    assert isinstance(make, MakeDraft)
    assert make.sends_at is None and "MEETING" in make.why


def test_ask_for_date_goes_out_by_itself_followup_after_the_answer() -> None:
    pending = snap(draft=ASK_DRAFT, drafts_made=MADE)
    assert actions(pending, ANSWERED + 6 * DAY) == []
    assert next_actions([pending], RULES, ANSWERED + 6 * DAY).next_wake == ANSWERED + 7 * DAY
    assert actions(pending, ANSWERED + 7 * DAY) == [SendDraft("sam", 7)]
    assert request_next_step(pending, RULES, ANSWERED + DAY) == ("ask_for_date", ANSWERED + 7 * DAY)


def test_ask_for_date_waits_for_send_when_not_in_auto_send() -> None:
    pending = snap(draft=ASK_DRAFT, drafts_made=MADE)
    assert actions(pending, ANSWERED + 30 * DAY, replace(RULES, auto_send=frozenset())) == []
    assert waiting_for("acknowledged", None, pending.conversation, ANSWERED) == "parent"


def test_an_answer_that_names_a_day_never_sends_ask_for_date_by_itself() -> None:
    named = replace(SCHOOL, names_a_time=True)
    pending = snap(school=named, draft=ASK_DRAFT, drafts_made=MADE)
    assert actions(pending, ANSWERED + 30 * DAY) == []
    assert waiting_for("acknowledged", None, pending.conversation, ANSWERED) == "parent"


def test_the_parents_message_moves_the_auto_send_later() -> None:
    pending = snap(draft=ASK_DRAFT, drafts_made=MADE, last_parent_message_at=ANSWERED + 3 * DAY)
    assert actions(pending, ANSWERED + 7 * DAY) == []
    assert actions(pending, ANSWERED + 10 * DAY) == [SendDraft("sam", 7)]


def test_a_newer_school_message_withdraws_the_draft_and_plans_from_the_new_one() -> None:
    newer = SchoolMove("<s2@district.example>", "informal", ANSWERED + 2 * DAY)
    stale = snap(school=newer, draft=ASK_DRAFT, drafts_made=MADE)
    assert actions(stale, ANSWERED + 2 * DAY) == [
        WithdrawDraft("sam", 7, "the school wrote again before it was sent"),
        ChangeState("sam", "informal_offered", "the school's informal"),
        MakeDraft("sam", "insist", "insist:<s2@district.example>", "<s2@district.example>"),
    ]


def test_insist_waits_for_send_by_default_and_goes_at_once_when_auto() -> None:
    informal = SchoolMove("<s1@district.example>", "informal", ANSWERED)
    draft = PendingDraft(8, "insist", informal.message_id, ANSWERED)
    pending = snap(
        "informal_offered",
        school=informal,
        draft=draft,
        drafts_made=frozenset({"insist:<s1@district.example>"}),
    )
    assert actions(pending, ANSWERED + 30 * DAY) == []
    auto = replace(RULES, auto_send=frozenset({"insist"}))
    assert actions(pending, ANSWERED + DAY, auto) == [SendDraft("sam", 8)]


def test_a_refusal_with_prior_written_notice_asks_for_nothing() -> None:
    refusal = SchoolMove("<s1@district.example>", "declined", ANSWERED, with_notice=True)
    done = snap("declined", school=refusal)
    assert actions(done, ANSWERED + DAY) == []
    assert waiting_for("declined", None, done.conversation, ANSWERED) == "nothing"
    without = snap("declined", school=replace(refusal, with_notice=False))
    assert actions(without, ANSWERED + DAY) == [
        ChangeState("sam", "awaiting_notice", "the school's declined"),
        MakeDraft("sam", "pwn_request", "pwn_request:<s1@district.example>", refusal.message_id),
    ]


INSIST_SENT = SentLetter("insist", "<i@family.example>", ANSWERED + DAY)
ROUND = f"insist@{(ANSWERED + DAY).isoformat()}"


@pytest.mark.parametrize(
    ("rounds", "now", "expected"),
    [
        pytest.param({}, ANSWERED + 7 * DAY, [], id="quiet_before_followup_after"),
        pytest.param(
            {},
            ANSWERED + 8 * DAY,
            [FollowUpRound("sam", 1, ROUND, ANSWERED + DAY, "<i@family.example>")],
            id="follow_up_after_insist",
        ),
        pytest.param(
            {ROUND: (ANSWERED + 8 * DAY,)},
            ANSWERED + 15 * DAY,
            [FollowUpRound("sam", 2, ROUND, ANSWERED + DAY, "<i@family.example>")],
            id="then_the_escalation",
        ),
        pytest.param(
            {ROUND: (ANSWERED + 8 * DAY, ANSWERED + 15 * DAY)},
            ANSWERED + 22 * DAY,
            [Remind("sam", "no_response", f"no_response:{ROUND}")],
            id="then_the_parent_hears_the_options",
        ),
    ],
)
def test_after_insist_the_schools_silence_is_followed_up_then_escalated(
    rounds: dict[str, tuple[datetime, ...]], now: datetime, expected: list[object]
) -> None:
    informal = SchoolMove("<s1@district.example>", "informal", ANSWERED)
    sent = snap(
        "informal_offered",
        school=informal,
        letters=(INSIST_SENT,),
        drafts_made=frozenset({"insist:<s1@district.example>"}),
        round_followups=rounds,
    )
    assert actions(sent, now) == expected
    assert waiting_for("informal_offered", None, sent.conversation, now) == "school"


def test_ask_for_date_is_itself_the_follow_up_so_escalation_comes_next() -> None:
    letter = SentLetter("ask_for_date", "<a@family.example>", ANSWERED + 7 * DAY)
    sent = snap(letters=(letter,), drafts_made=MADE)
    round_id = f"ask_for_date@{letter.at.isoformat()}"
    assert actions(sent, ANSWERED + 13 * DAY) == []
    assert actions(sent, ANSWERED + 14 * DAY) == [
        FollowUpRound("sam", 2, round_id, letter.at, "<a@family.example>")
    ]


def test_the_parents_own_message_restarts_the_schools_clock() -> None:
    parent_at = ANSWERED + 10 * DAY
    sent = snap(
        letters=(SentLetter("ask_for_date", "<a@family.example>", ANSWERED + 7 * DAY),),
        drafts_made=MADE,
        last_parent_message_at=parent_at,
    )
    assert actions(sent, ANSWERED + 14 * DAY) == []
    assert actions(sent, parent_at + 7 * DAY) == [
        FollowUpRound("sam", 1, f"parent@{parent_at.isoformat()}", parent_at, None)
    ]


MEETING = local(12, 15, 15, 30)


def test_a_meeting_brings_the_confirm_draft_then_the_recap_due_reminder() -> None:
    invite = SchoolMove("<s1@district.example>", "invite", ANSWERED)
    before = RequestSnapshot(
        id="sam",
        state="meeting_scheduled",
        sent_at=SENT,
        meeting_at=MEETING,
        conversation=Conversation(school=invite),
    )
    key = f"confirm:{MEETING.isoformat()}"
    assert actions(before, ANSWERED + DAY) == [
        MakeDraft("sam", "confirm", key, "<s1@district.example>")
    ]
    made = replace(
        before,
        conversation=Conversation(school=invite, drafts_made=frozenset({key})),
        reminders_sent=frozenset({f"meeting_prep:{MEETING.isoformat()}"}),
    )
    assert actions(made, MEETING + timedelta(hours=2)) == []
    assert waiting_for("meeting_scheduled", MEETING, made.conversation, ANSWERED) == "nothing"
    assert actions(made, MEETING + DAY) == [
        ChangeState("sam", "meeting_held", "the meeting's time passed"),
        Remind("sam", "recap_due", f"recap_due:{MEETING.isoformat()}"),
    ]
    assert waiting_for("meeting_held", MEETING, made.conversation, MEETING + DAY) == "parent"


def test_the_recap_is_never_sent_by_itself_and_its_sending_ends_the_request() -> None:
    recap = PendingDraft(9, "recap", None, MEETING + DAY)
    rules = replace(
        RULES, auto_send=frozenset({"ask_for_date", "insist", "pwn_request", "confirm"})
    )
    pending = RequestSnapshot(
        id="sam",
        state="meeting_held",
        sent_at=SENT,
        meeting_at=MEETING,
        conversation=Conversation(
            draft=recap,
            drafts_made=frozenset(
                {f"confirm:{MEETING.isoformat()}", f"recap:{MEETING.isoformat()}:cli"}
            ),
        ),
        reminders_sent=frozenset({f"recap_due:{MEETING.isoformat()}"}),
    )
    assert actions(pending, MEETING + 30 * DAY, rules) == []
    sent = replace(
        pending,
        conversation=replace(
            pending.conversation,
            draft=None,
            letters=(SentLetter("recap", "<r@family.example>", MEETING + 2 * DAY),),
        ),
    )
    assert actions(sent, MEETING + 3 * DAY) == [
        ChangeState("sam", "recap_sent", "the recap is out")
    ]
    assert actions(replace(sent, state="recap_sent"), MEETING + 3 * DAY) == []
    assert waiting_for("recap_sent", MEETING, sent.conversation, MEETING) == "nothing"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("closed", "nothing"),
        ("undeliverable", "nothing"),
        ("queued", "nothing"),
        ("draft", "parent"),
        ("uncertain", "parent"),
        ("sent", "school"),
        ("escalated", "school"),
    ],
)
def test_waiting_for_by_state(state: str, expected: str) -> None:
    assert waiting_for(state, None, Conversation(), ANSWERED) == expected


def test_a_closed_request_has_no_conversation() -> None:
    closed = replace(snap(draft=ASK_DRAFT, drafts_made=MADE), closed=True)
    assert actions(closed, ANSWERED + 30 * DAY) == []


def test_a_message_read_again_withdraws_the_draft_made_for_the_old_reading() -> None:
    refusal = replace(SCHOOL, klass="declined")
    pending = snap(school=refusal, draft=ASK_DRAFT, drafts_made=MADE)
    assert actions(pending, ANSWERED + DAY)[:1] == [
        WithdrawDraft("sam", 7, "the school's message is now read as declined")
    ]


def test_a_draft_that_goes_by_itself_leaves_the_turn_with_the_school() -> None:
    pending = snap(draft=ASK_DRAFT, drafts_made=MADE)
    auto = frozenset({"ask_for_date"})
    assert waiting_for("acknowledged", None, pending.conversation, ANSWERED, auto) == "school"
    named = snap(school=replace(SCHOOL, names_a_time=True), draft=ASK_DRAFT, drafts_made=MADE)
    assert waiting_for("acknowledged", None, named.conversation, ANSWERED, auto) == "parent"


def test_before_any_answer_the_parents_own_message_restarts_the_follow_up_clock() -> None:
    parent_at = SENT + 5 * DAY
    waiting = RequestSnapshot(
        id="sam", state="sent", sent_at=SENT, last_parent_message_at=parent_at
    )
    assert next_actions([waiting], RULES, SENT + 7 * DAY).actions == ()
    assert request_next_step(waiting, RULES, SENT + 7 * DAY) == ("follow-up", parent_at + 7 * DAY)


def test_an_answer_older_than_followup_after_is_drafted_but_never_sent_by_itself() -> None:
    """After an upgrade, an answer recorded weeks ago gets its draft, not a letter at once."""
    old = snap("answered")
    (_, make) = actions(old, ANSWERED + 30 * DAY)
    assert isinstance(make, MakeDraft) and make.sends_at is None and "waits for you" in make.why
    late = PendingDraft(7, "ask_for_date", SCHOOL.message_id, ANSWERED + 30 * DAY)
    assert actions(snap(draft=late, drafts_made=MADE), ANSWERED + 60 * DAY) == []
