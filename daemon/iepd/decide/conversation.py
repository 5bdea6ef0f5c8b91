"""The conversation after the school's first answer, until the meeting and its recap (issue
15). PURE: given what the store knows about one request and the time, which written move is
owed, by whom, and which steps are due.

After each step one side owes the next written move. The school owes one after an answer
with no date (iepd drafts ``ask_for_date``, which is itself the follow-up), after an offer
of less than a meeting (``insist``), after a refusal without prior written notice
(``pwn_request``), and after the parent's own message in the thread; its clocks run from the
parent's newest move. The parent owes one when a draft waits for SEND, or the agreements
after a meeting. A newer school message withdraws a draft still pending: it was written to
an older message.

The planner (``plan``) calls ``conversation_steps`` for every request and turns the steps
into its plan; this module knows nothing of the planner, so both stay small.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, TypeAlias

from iepd.vocabulary import FINISHED_STATES, RECAP_DUE

ASK, INSIST, PWN, CONFIRM, RECAP = "ask_for_date", "insist", "pwn_request", "confirm", "recap"
NO_RESPONSE = "no_response"
# The draft each school move calls for, and the state it puts the request in.
DRAFT_FOR = {"answer": ASK, "informal": INSIST, "declined": PWN}
STATE_FOR = {
    "answer": "acknowledged",
    "informal": "informal_offered",
    "declined": "awaiting_notice",
}
# The letters after which the school's silence is followed up (ask_for_date is itself the
# first follow-up; after pwn_request one follow-up, then the parent hears the options).
FOLLOWUPS_AFTER = {ASK: (2,), INSIST: (1, 2), PWN: (1,), "parent": (1, 2)}


@dataclass(frozen=True)
class SchoolMove:
    """The school's newest message that answers (not an auto-reply, not a bounce)."""

    message_id: str
    klass: str  # answer | informal | declined | invite
    at: datetime
    names_a_time: bool = False  # its new text names a weekday, a date or a clock time
    with_notice: bool = False  # a refusal that came with prior written notice


@dataclass(frozen=True)
class PendingDraft:
    id: int
    kind: str
    replies_to: str | None
    created_at: datetime


@dataclass(frozen=True)
class SentLetter:
    """A drafted letter the server accepted."""

    kind: str
    message_id: str
    at: datetime


@dataclass(frozen=True)
class Conversation:
    """What the planner needs of a request's conversation; every datetime is aware."""

    school: SchoolMove | None = None
    draft: PendingDraft | None = None
    drafts_made: frozenset[str] = frozenset()  # every draft's dedup key (made once each)
    drafts_withdrawn: frozenset[str] = frozenset()  # the keys of the drafts withdrawn
    letters: tuple[SentLetter, ...] = ()  # oldest first
    round_followups: Mapping[str, tuple[datetime, ...]] = field(default_factory=dict, hash=False)
    last_parent_message_at: datetime | None = None
    meeting_location: str = ""


@dataclass(frozen=True)
class Clocks:
    """The timing rules as functions of an instant, built by the planner from its rules."""

    followup: Callable[[datetime], datetime]  # + followup_after
    escalate: Callable[[datetime], datetime]  # + escalate_after
    after_meeting: Callable[[datetime], datetime]  # + after_meeting
    window: Callable[[datetime], datetime]  # the next instant letters may go out
    local: Callable[[datetime], str]  # ISO text in the parent's timezone
    auto_send: frozenset[str]


# ---- the actions (the planner's Remind carries the reminders)


@dataclass(frozen=True)
class MakeDraft:
    """Render and record a draft of ``kind`` answering ``replies_to``; ``key`` makes it once."""

    request_id: str
    kind: str
    key: str
    replies_to: str | None
    sends_at: datetime | None = None  # when it goes out without SEND (auto_send), if ever
    why: str = ""  # why it waits for the parent although its kind is in auto_send


@dataclass(frozen=True)
class SendDraft:
    """Send the pending draft without the parent's SEND: its kind is in auto_send."""

    request_id: str
    draft_id: int


@dataclass(frozen=True)
class WithdrawDraft:
    request_id: str
    draft_id: int
    why: str


@dataclass(frozen=True)
class ChangeState:
    request_id: str
    state: str
    why: str


@dataclass(frozen=True)
class FollowUpRound:
    """Follow-up ``number`` (2: the principal copied) of the school's silence after the
    parent's move at ``after`` (a drafted letter, Message-ID ``after_message_id``, or the
    parent's own message); ``round`` names that move in the dedup key."""

    request_id: str
    number: int
    round: str
    after: datetime
    after_message_id: str | None


@dataclass(frozen=True)
class ReminderDue:
    kind: str
    key: str
    context: Mapping[str, str] = field(default_factory=dict, hash=False)


ConversationAction: TypeAlias = (
    MakeDraft | SendDraft | WithdrawDraft | ChangeState | FollowUpRound | ReminderDue
)


class Step(NamedTuple):
    name: str
    due: datetime
    action: ConversationAction


def draft_key(kind: str, answers: str | None, withdrawn: frozenset[str] = frozenset()) -> str:
    """The dedup key of a draft: its kind and what it answers (a Message-ID, a meeting);
    ``#2``, ``#3``... when the parent's corrections brought back a reading whose draft was
    withdrawn (answer -> declined -> answer drafts ask_for_date again)."""
    key = base = f"{kind}:{answers or '-'}"
    number = 1
    while key in withdrawn:
        number += 1
        key = f"{base}#{number}"
    return key


def conversation_steps(
    request_id: str,
    state: str,
    meeting_at: datetime | None,
    conversation: Conversation,
    reminders_sent: frozenset[str],
    clocks: Clocks,
    now: datetime,
) -> list[Step]:
    """Given one request's state, meeting, conversation and reminders already sent, return
    its due or future steps. Nothing before the school's first answer (the request's own
    follow-ups cover that) and nothing once the request is finished."""
    if state in FINISHED_STATES:
        return []
    school, draft = conversation.school, conversation.draft
    steps: list[Step] = []
    if draft is not None and (why := _stale(draft, school, meeting_at)):
        steps.append(Step("withdraw draft", now, WithdrawDraft(request_id, draft.id, why)))
        draft = None
    if meeting_at is not None:
        return steps + _meeting(
            request_id, state, meeting_at, conversation, draft, reminders_sent, clocks, now
        )
    if school is None:
        return steps
    wanted = DRAFT_FOR.get(school.klass)
    if wanted is None or (school.klass == "declined" and school.with_notice):
        return steps
    if state != STATE_FOR[school.klass]:
        steps.append(
            Step(
                f"state {STATE_FOR[school.klass]}",
                now,
                ChangeState(request_id, STATE_FOR[school.klass], f"the school's {school.klass}"),
            )
        )
    after_school = [letter for letter in conversation.letters if letter.at >= school.at]
    key = draft_key(wanted, school.message_id, conversation.drafts_withdrawn)
    sends_at, why = _sends_at(wanted, school, conversation, clocks, now)
    # A letter of another kind out already (the parent corrected the reading after it went):
    # the corrected kind's letter is still owed.
    answered = any(letter.kind == wanted for letter in after_school)
    if not answered and draft is None and key not in conversation.drafts_made:
        make = MakeDraft(request_id, wanted, key, school.message_id, sends_at, why)
        steps.append(Step(f"{wanted} draft", now, make))
    if draft is not None and draft.kind == wanted and sends_at is not None:
        steps.append(Step(wanted, sends_at, SendDraft(request_id, draft.id)))
    if draft is None:  # a pending draft is the next move: no follow-up beside it
        steps.extend(
            _silence(request_id, school, after_school, conversation, reminders_sent, clocks, now)
        )
    return steps


NAMED_A_TIME = (
    "The school's message seems to name a day or a time for the meeting, so iepd does not"
    " send this by itself. If a date is set, reply MEETING and the date instead (for example"
    " MEETING Dec 8 3:30 pm): iepd then confirms it in writing."
)


LATE = (
    "iepd drafted this letter after the time it would have sent it by itself (the school's"
    " answer is older than this version of iepd), so it waits for you."
)


def _sends_at(
    kind: str, school: SchoolMove, conversation: Conversation, clocks: Clocks, now: datetime
) -> tuple[datetime | None, str]:
    """When a draft of ``kind`` goes out without SEND (None: never), and why not if not."""
    if kind not in clocks.auto_send:
        return None, ""
    if kind == ASK and school.names_a_time:
        return None, NAMED_A_TIME
    start = max(school.at, conversation.last_parent_message_at or school.at)
    # ask_for_date is the follow-up: it waits followup_after; the others go at once.
    due = clocks.followup(start) if kind == ASK else now
    made_at = conversation.draft.created_at if conversation.draft is not None else now
    if kind == ASK and due <= made_at:
        # Drafted after its time had passed (an answer recorded before this iepd drafted
        # letters): a letter the parent never saw coming must not go out at once.
        return None, LATE
    return clocks.window(max(due, now)), ""


def _stale(draft: PendingDraft, school: SchoolMove | None, meeting_at: datetime | None) -> str:
    if (
        school is not None
        and draft.replies_to != school.message_id
        and (school.at > draft.created_at)
    ):
        return "the school wrote again before it was sent"
    if draft.kind in DRAFT_FOR.values() and (
        school is None or draft.replies_to != school.message_id
    ):
        # The parent read the message it answers as an auto-reply (AUTO).
        return "the school's message it answers is no longer read as an answer"
    if meeting_at is not None and draft.kind in (ASK, INSIST, PWN):
        return "the meeting is set"
    if (
        school is not None
        and draft.replies_to == school.message_id
        and draft.kind in DRAFT_FOR.values()
        and DRAFT_FOR.get(school.klass) != draft.kind
    ):
        return f"the school's message is now read as {school.klass}"
    return ""


def _silence(
    request_id: str,
    school: SchoolMove,
    after_school: list[SentLetter],
    conversation: Conversation,
    reminders_sent: frozenset[str],
    clocks: Clocks,
    now: datetime,
) -> list[Step]:
    """The school's clocks after the parent's newest move since its message: a drafted
    letter, or the parent's own message (which restarts them)."""
    moves: list[tuple[datetime, str, str | None]] = [
        (letter.at, letter.kind, letter.message_id) for letter in after_school
    ]
    parent_at = conversation.last_parent_message_at
    if parent_at is not None and parent_at > school.at:
        moves.append((parent_at, "parent", None))
    if not moves:
        return []
    at, kind, message_id = max(moves, key=lambda move: move[0])
    numbers = FOLLOWUPS_AFTER.get(kind, ())
    round_id = f"{kind}@{at.isoformat()}"
    sent = conversation.round_followups.get(round_id, ())
    if len(sent) < len(numbers):
        number = numbers[len(sent)]
        previous = sent[-1] if sent else at
        due = clocks.followup(previous) if number == 1 else clocks.escalate(previous)
        name = "follow-up" if number == 1 else "escalation"
        action = FollowUpRound(request_id, number, round_id, at, message_id)
        return [Step(name, clocks.window(max(due, now)), action)]
    key = f"{NO_RESPONSE}:{round_id}"
    if key in reminders_sent:
        return []
    last = sent[-1] if sent else at
    context = {
        "sent_at": clocks.local(at),
        "followup_at": clocks.local(sent[0]) if sent else "",
        "escalation_at": clocks.local(sent[1]) if len(sent) > 1 else "",
    }
    return [
        Step("no_response reminder", clocks.escalate(last), ReminderDue(NO_RESPONSE, key, context))
    ]


def _meeting(
    request_id: str,
    state: str,
    meeting_at: datetime,
    conversation: Conversation,
    draft: PendingDraft | None,
    reminders_sent: frozenset[str],
    clocks: Clocks,
    now: datetime,
) -> list[Step]:
    steps: list[Step] = []
    stamp = meeting_at.isoformat()
    made = conversation.drafts_made
    confirm_key = draft_key(CONFIRM, stamp)
    # Confirming is written in the request's thread: only once the request has gone out.
    sent = state not in ("draft", "queued")
    if sent and now < meeting_at and confirm_key not in made and draft is None:
        school_id = conversation.school.message_id if conversation.school else None
        auto_at = clocks.window(now) if CONFIRM in clocks.auto_send else None
        make = MakeDraft(request_id, CONFIRM, confirm_key, school_id, auto_at)
        steps.append(Step("confirm draft", now, make))
    if draft is not None and draft.kind == CONFIRM and CONFIRM in clocks.auto_send:
        steps.append(Step(CONFIRM, now, SendDraft(request_id, draft.id)))
    if any(letter.kind == RECAP for letter in conversation.letters if letter.at >= meeting_at):
        steps.append(
            Step("state recap_sent", now, ChangeState(request_id, "recap_sent", "the recap is out"))
        )
        return steps
    # The meeting is taken as held when the recap is asked for (after_meeting after it).
    held_at = clocks.after_meeting(meeting_at)
    if state != "meeting_held":
        why = "the meeting's time passed"
        steps.append(Step("meeting held", held_at, ChangeState(request_id, "meeting_held", why)))
    key = f"{RECAP_DUE}:{stamp}"
    recap_made = any(item.startswith(f"{RECAP}:{stamp}") for item in made)
    if key not in reminders_sent and not recap_made:
        context = {"meeting_at": clocks.local(meeting_at)}
        steps.append(Step("recap_due reminder", held_at, ReminderDue(RECAP_DUE, key, context)))
    return steps


def waiting_for(
    state: str,
    meeting_at: datetime | None,
    conversation: Conversation,
    now: datetime,
    auto_send: frozenset[str] = frozenset(),
) -> str:
    """Given a request's state, meeting, conversation and the draft kinds sent without SEND,
    return who owes the next written move: "school", "parent" or "nothing". A draft that
    goes out by itself (ask_for_date, by default) is iepd's move: the school owes the date."""
    if state in FINISHED_STATES:
        return "nothing"
    draft, school = conversation.draft, conversation.school
    if draft is not None:
        named = draft.kind == ASK and school is not None and school.names_a_time
        if draft.kind not in auto_send or named:
            return "parent"
        return "nothing" if draft.kind == CONFIRM else "school"
    if state in ("draft", "uncertain"):
        return "parent"
    if state == "queued":
        return "nothing"  # iepd's own move: the letter goes out when due
    if meeting_at is not None:
        return "parent" if meeting_at <= now else "nothing"
    school = conversation.school
    if school is not None and school.klass == "declined" and school.with_notice:
        return "nothing"
    return "school"
