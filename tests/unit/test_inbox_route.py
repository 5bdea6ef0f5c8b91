"""inbox_route and the rules it leans on: where a message read from the inbox goes (a command,
the parent's own message, nothing, or matching), and when the parent's message copied into
the inbox is hers in a request's thread (pure, table-driven)."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from iepd.decide.inbox_route import inbox_route
from iepd.decide.matching import OpenRequest
from iepd.decide.parent_messages import (
    SentContext,
    answers_iepd,
    from_parent,
    parent_message_request,
    recorded_before,
    worth_fetching,
)
from iepd.inbox.parse import IncomingMessage

PARENT, OTHER_PARENT_ADDRESS = "jordan@family.example", "jordan.rivera@mail.example"
CASE_MANAGER = "dalvarez@district.example"
LETTER = "<a1.iepd@family.example>"
SCHOOL_REPLY = "<reply-7@district.example>"
REMINDER = "<r9.iepd@family.example>"
UNSENT_REMINDER = "<r10.iepd@family.example>"  # queued, not yet accepted by the server

SAM = OpenRequest(
    request_id="sam-speech",
    child_id="sam",
    child_name="Sam Rivera",
    sent_message_ids=frozenset({LETTER, SCHOOL_REPLY}),
    case_manager=CASE_MANAGER,
    principal="lchen@district.example",
    school_domains=("district.example",),
)
CTX = SentContext(
    parent_addresses=frozenset({PARENT, OTHER_PARENT_ADDRESS}),
    own_message_ids=frozenset({LETTER, REMINDER, UNSENT_REMINDER}),
    threads=(SAM,),
    correspondents=MappingProxyType({}),
    reminder_ids=frozenset({REMINDER, UNSENT_REMINDER}),
)


def message(
    *,
    sender: str | None = PARENT,
    to: tuple[str, ...] = (CASE_MANAGER,),
    cc: tuple[str, ...] = (PARENT,),
    in_reply_to: tuple[str, ...] = (SCHOOL_REPLY,),
    references: tuple[str, ...] = (LETTER, SCHOOL_REPLY),
    subject: str = "Re: Request for an IEP meeting for Sam Rivera",
    message_id: str | None = "<handwritten-1@family.example>",
    headers: dict[str, str] | None = None,
) -> IncomingMessage:
    return IncomingMessage(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        from_addr=sender,
        to_addrs=to,
        cc_addrs=cc,
        subject=subject,
        text="Could you tell me the date of the meeting?",
        headers=MappingProxyType(dict(headers or {})),
    )


REMINDER_REPLY = message(
    to=(PARENT,), cc=(CASE_MANAGER,), in_reply_to=(REMINDER,), references=(LETTER, REMINDER),
    subject="Re: [iepd] Your letter to the school went out",
)  # fmt: skip

ROUTES = [
    ("the parent's reply to a reminder iepd sent", REMINDER_REPLY, True, "command"),
    ("a stranger's reply to a reminder (ParentReplies ignores it)",
     message(sender="mallory@evil.example", in_reply_to=(REMINDER,)), True, "command"),
    ("the parent's reply to a reminder, copied to the school, in the letter's thread",
     REMINDER_REPLY, True, "command"),
    ("the parent's copy to herself of her message to the school", message(), False,
     "parent_message"),
    ("sent from the parent's other address", message(sender=OTHER_PARENT_ADDRESS), False,
     "parent_message"),
    ("the parent's address written in capitals", message(sender=PARENT.upper()), False,
     "parent_message"),
    ("the parent's private mail (not in a thread: recorded by nobody)",
     message(to=("friend@example.org",), in_reply_to=(), references=()), False,
     "parent_message"),
    ("the parent's reply to an [iepd] reminder iepd does not know (a made-up reference)",
     message(to=(PARENT,), in_reply_to=("<made-up@family.example>",),
             subject="Re: [iepd] The school answered"), False, "unknown_reminder_reply"),
    ("the parent's reply to a reminder not yet accepted by the server",
     message(to=(PARENT,), in_reply_to=(UNSENT_REMINDER,)), False, "unknown_reminder_reply"),
    ("the school's answer", message(sender=CASE_MANAGER, to=(PARENT,), cc=()), False, "school"),
    ("mail with no sender", message(sender=""), False, "school"),
]  # fmt: skip


@pytest.mark.parametrize(("msg", "answers_reminder", "route"), [case[1:] for case in ROUTES],
                         ids=[case[0] for case in ROUTES])  # fmt: skip
def test_inbox_route(msg: IncomingMessage, answers_reminder: bool, route: str) -> None:
    assert inbox_route(msg, CTX, answers_reminder=answers_reminder) == route


RECORDED = [
    ("a Cc to herself, in the thread", message(), "sam-speech"),
    ("a Bcc to herself (she is in no header but From)", message(cc=()), "sam-speech"),
    ("a reply to iepd's letter", message(in_reply_to=(LETTER,), references=(LETTER,)),
     "sam-speech"),
    ("a reply to a reminder, copied to the school", REMINDER_REPLY, None),
    ("References naming a reminder only", message(in_reply_to=(), references=(REMINDER,)),
     None),
    ("a reminder's Message-ID in another case",
     message(in_reply_to=(REMINDER.upper().replace("<", "").replace(">", ""),)), None),
    ("an [iepd] subject and a reply", message(subject="Re: [iepd] The school answered"), None),
    ("iepd's own letter, copied into the inbox", message(message_id=LETTER), None),
    ("iepd's reminder, copied into the inbox",
     message(to=(PARENT,), message_id=REMINDER, headers={"x-iepd-kind": "sent"}), None),
    ("to the parent alone", message(to=(PARENT,), cc=()), None),
]  # fmt: skip


@pytest.mark.parametrize(("msg", "request_id"), [case[1:] for case in RECORDED],
                         ids=[case[0] for case in RECORDED])  # fmt: skip
def test_which_of_the_parents_messages_are_hers_in_a_thread(
    msg: IncomingMessage, request_id: str | None
) -> None:
    found = parent_message_request(msg, CTX)
    assert (found.request_id if found else None) == request_id
    # The headers alone decide the fetch the same way (every case here shows it there).
    assert worth_fetching(msg, CTX) is (request_id is not None)


def test_answers_iepd_needs_a_reply_for_the_subject_to_count() -> None:
    fresh = message(in_reply_to=(), references=(), subject="[iepd] in a subject")
    assert not answers_iepd(fresh, CTX)
    assert answers_iepd(message(in_reply_to=(REMINDER,)), CTX)


def test_from_parent_reads_only_the_from_address() -> None:
    assert from_parent(message(), CTX)
    assert not from_parent(message(sender=CASE_MANAGER, to=(PARENT,)), CTX)
    assert not from_parent(message(sender=None), CTX)


@pytest.mark.parametrize(
    ("message_id", "recorded", "expected"),
    [
        ("<m1@family.example>", {"<m1@family.example>"}, True),
        ("<M1@Family.Example>", {"<m1@family.example>"}, True),
        (" m1@family.example ", {"<m1@family.example>"}, True),
        ("<m2@family.example>", {"<m1@family.example>"}, False),
        ("<m1@family.example>", set(), False),
        (None, {"<m1@family.example>"}, False),
    ],
)
def test_recorded_before_is_the_same_message_id_in_either_folder(
    message_id: str | None, recorded: set[str], expected: bool
) -> None:
    assert recorded_before(message(message_id=message_id), recorded) is expected
