"""The parent corrects iepd's reading of the school's newest message (AUTO, ANSWER, DECLINED,
INFORMAL): the state the request goes to, the draft made for the old reading withdrawn, the
corrected kind's draft made (again, when the reading comes back), and the school's clocks.
Pure, table-driven (issue 15)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from iepd.decide.conversation import (
    Conversation,
    MakeDraft,
    PendingDraft,
    SchoolMove,
    SentLetter,
    WithdrawDraft,
)
from iepd.decide.corrections import state_after_correction
from iepd.decide.plan import (
    RequestSnapshot,
    SendFollowUp,
    TimingRules,
    next_actions,
    request_next_step,
)
from iepd.decide.schooldays import localize

CHICAGO = ZoneInfo("America/Chicago")
RULES = TimingRules(timezone=CHICAGO)
DAY = timedelta(days=1)
SENT = localize(datetime(2026, 11, 20, 9), CHICAGO)
ANSWERED = localize(datetime(2026, 12, 1, 10), CHICAGO)
S1, S2 = "<s1@district.example>", "<s2@district.example>"
OLDER = SchoolMove(S1, "answer", ANSWERED)
NEWER = SchoolMove(S2, "informal", ANSWERED + DAY)


@pytest.mark.parametrize(
    ("state", "newest", "with_notice", "emailed", "followups", "expected"),
    [
        # no message of the school is read as an answer any more: back to waiting for one
        ("acknowledged", None, False, True, 0, "sent"),
        ("answered", None, False, True, 0, "sent"),
        ("informal_offered", None, False, True, 1, "followed_up"),
        ("awaiting_notice", None, False, True, 2, "escalated"),
        ("declined", None, False, True, 2, "escalated"),
        ("acknowledged", None, False, False, 0, "queued"),  # only mailed, never emailed
        # another reading of the same message, or an older answer read as it was
        ("acknowledged", "declined", False, True, 0, "awaiting_notice"),
        ("acknowledged", "declined", True, True, 0, "declined"),
        ("awaiting_notice", "informal", False, True, 0, "informal_offered"),
        ("informal_offered", "answer", False, True, 1, "acknowledged"),
        # a message read as an auto-reply is an answer after all (ANSWER on it)
        ("sent", "answer", False, True, 0, "acknowledged"),
        ("followed_up", "informal", False, True, 1, "informal_offered"),
        ("escalated", "declined", True, True, 2, "declined"),
        # a state no reading of the school's message decides stays as it is
        ("meeting_scheduled", None, False, True, 0, "meeting_scheduled"),
        ("meeting_held", "answer", False, True, 0, "meeting_held"),
        ("closed", None, False, True, 0, "closed"),
        ("undeliverable", None, False, True, 0, "undeliverable"),
        ("sent", None, False, True, 0, "sent"),
        ("followed_up", None, False, True, 1, "followed_up"),
    ],
)
def test_the_state_after_a_correction(
    state: str,
    newest: str | None,
    with_notice: bool,
    emailed: bool,
    followups: int,
    expected: str,
) -> None:
    found = state_after_correction(
        state, newest, with_notice=with_notice, emailed=emailed, followups=followups
    )
    assert found == expected


def snap(state: str, **conversation: object) -> RequestSnapshot:
    return RequestSnapshot(
        id="sam",
        state=state,
        sent_at=SENT,
        answered_at=ANSWERED if conversation.get("school") else None,
        conversation=Conversation(**conversation),  # type: ignore[arg-type]
    )


def actions(snapshot: RequestSnapshot, now: datetime) -> list[object]:
    return list(next_actions([snapshot], RULES, now).actions)


def draft(kind: str, replies_to: str, made: datetime = ANSWERED + timedelta(minutes=1)) -> object:
    return PendingDraft(7, kind, replies_to, made)


WITHDRAWN_FOR = "the school's message it answers is no longer read as an answer"


@pytest.mark.parametrize(
    ("school", "pending", "expected"),
    [
        # AUTO on the only answer: its draft is withdrawn, nothing else is planned now
        (None, draft("ask_for_date", S1), [WithdrawDraft("sam", 7, WITHDRAWN_FOR)]),
        (None, draft("insist", S1), [WithdrawDraft("sam", 7, WITHDRAWN_FOR)]),
        (None, draft("pwn_request", S1), [WithdrawDraft("sam", 7, WITHDRAWN_FOR)]),
        # AUTO on a newer message: the older answer is the school's move again
        (OLDER, draft("insist", S2, ANSWERED + DAY), [WithdrawDraft("sam", 7, WITHDRAWN_FOR)]),
        # a draft for the message as it is read stays
        (OLDER, draft("ask_for_date", S1), []),
        (NEWER, draft("insist", S2, ANSWERED + DAY), []),
    ],
)
def test_a_draft_for_a_message_no_longer_read_as_an_answer_is_withdrawn(
    school: SchoolMove | None, pending: PendingDraft, expected: list[object]
) -> None:
    state = "sent" if school is None else "acknowledged"
    if school is not None and school.klass == "informal":
        state = "informal_offered"
    made = frozenset({f"{pending.kind}:{pending.replies_to}"})
    found = actions(snap(state, school=school, draft=pending, drafts_made=made), ANSWERED + DAY)
    assert [item for item in found if isinstance(item, WithdrawDraft)] == expected
    if school is None:  # the request's own follow-up is due again (SENT + followup_after)
        assert SendFollowUp("sam", 1) in found


@pytest.mark.parametrize(
    ("klass", "made", "withdrawn", "key"),
    [
        # first reading: the plain key
        ("answer", set(), set(), f"ask_for_date:{S1}"),
        # answer -> declined -> informal -> answer: ask_for_date comes back under a new key
        (
            "answer",
            {f"ask_for_date:{S1}", f"pwn_request:{S1}", f"insist:{S1}"},
            {f"ask_for_date:{S1}", f"pwn_request:{S1}", f"insist:{S1}"},
            f"ask_for_date:{S1}#2",
        ),
        # and once more: the third draft of that kind for that message
        (
            "declined",
            {f"pwn_request:{S1}", f"pwn_request:{S1}#2", f"ask_for_date:{S1}"},
            {f"pwn_request:{S1}", f"pwn_request:{S1}#2", f"ask_for_date:{S1}"},
            f"pwn_request:{S1}#3",
        ),
    ],
)
def test_a_reading_that_comes_back_drafts_its_letter_again(
    klass: str, made: set[str], withdrawn: set[str], key: str
) -> None:
    school = replace(OLDER, klass=klass)
    talk = snap(
        "acknowledged", school=school, drafts_made=frozenset(made),
        drafts_withdrawn=frozenset(withdrawn),
    )  # fmt: skip
    makes = [item for item in actions(talk, ANSWERED + DAY) if isinstance(item, MakeDraft)]
    assert [item.key for item in makes] == [key]


def test_a_draft_pending_under_its_key_is_not_made_twice() -> None:
    keys = frozenset({f"ask_for_date:{S1}", f"ask_for_date:{S1}#2"})
    talk = snap(
        "acknowledged", school=OLDER, draft=draft("ask_for_date", S1), drafts_made=keys,
        drafts_withdrawn=frozenset({f"ask_for_date:{S1}"}),
    )  # fmt: skip
    assert not [item for item in actions(talk, ANSWERED + DAY) if isinstance(item, MakeDraft)]


@pytest.mark.parametrize(
    ("corrected", "sent_kind", "drafted"),
    [
        ("informal", "ask_for_date", "insist"),  # ask_for_date went out; it was an offer
        ("declined", "ask_for_date", "pwn_request"),
        ("answer", "insist", "ask_for_date"),
        ("answer", "ask_for_date", None),  # the letter for this reading is out already
        ("informal", "insist", None),
    ],
)
def test_a_correction_after_a_letter_went_out_drafts_the_corrected_letter(
    corrected: str, sent_kind: str, drafted: str | None
) -> None:
    school = replace(OLDER, klass=corrected)
    letter = SentLetter(sent_kind, "<l1@family.example>", ANSWERED + 7 * DAY)
    talk = snap(
        "acknowledged", school=school, letters=(letter,),
        drafts_made=frozenset({f"{sent_kind}:{S1}"}),
    )  # fmt: skip
    makes = [item for item in actions(talk, ANSWERED + 8 * DAY) if isinstance(item, MakeDraft)]
    assert [item.kind for item in makes] == ([drafted] if drafted else [])


def test_the_requests_follow_up_counts_from_the_newest_letter_in_the_thread() -> None:
    """AUTO after ask_for_date went out: the school owes an answer to that letter, so the
    request's follow-up clock runs from it, not from the request."""
    asked_at = ANSWERED + 7 * DAY
    letter = SentLetter("ask_for_date", "<l1@family.example>", asked_at)
    waiting = snap("sent", letters=(letter,), drafts_made=frozenset({f"ask_for_date:{S1}"}))
    assert request_next_step(waiting, RULES, asked_at + DAY) == ("follow-up", asked_at + 7 * DAY)
    assert actions(waiting, asked_at + 7 * DAY) == [SendFollowUp("sam", 1)]
