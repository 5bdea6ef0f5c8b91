"""matching: which open request a message belongs to (pure, table-driven)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from types import MappingProxyType

import pytest

from iepd.decide import bulk
from iepd.decide.matching import Match, MatchContext, OpenRequest, is_candidate, match
from iepd.inbox.bounces import Failures
from iepd.inbox.invites import Invite
from iepd.inbox.parse import IncomingMessage, MessageParts

A1, A2, B1 = "<a1.iepd@family.example>", "<a2.iepd@family.example>", "<b1.iepd@family.example>"
NAMES = "sender_names_child"
START = datetime(2026, 12, 14, 15, 30, tzinfo=timezone(timedelta(hours=-6)))
SOLE = "sole_open_request"

SAM = OpenRequest(
    request_id="sam-speech",
    child_id="sam",
    child_name="Sam Rivera",
    sent_message_ids=frozenset({A1, A2}),
    case_manager="dalvarez@district.example",
    principal="lchen@district.example",
    school_domains=("district.example",),
)
MAYA = OpenRequest(
    request_id="maya-reading",
    child_id="maya",
    child_name="Maya Rivera",
    sent_message_ids=frozenset({B1}),
    case_manager="dalvarez@district.example",
    principal="mbrooks@hamiltonms.example",
    school_domains=("district.example", "hamiltonms.example"),
)
CTX = MatchContext(parent_addresses=frozenset({"jordan@family.example"}), requests=(SAM, MAYA))


def message(
    *,
    sender: str | None = "dalvarez@district.example",
    subject: str = "",
    text: str = "",
    in_reply_to: tuple[str, ...] = (),
    references: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
    parts: MessageParts | None = None,
    message_id: str = "<x1@district.example>",
    from_name: str = "",
    to_addrs: tuple[str, ...] = (),
    cc_addrs: tuple[str, ...] = (),
) -> IncomingMessage:
    return IncomingMessage(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        from_addr=sender,
        from_name=from_name,
        to_addrs=to_addrs,
        cc_addrs=cc_addrs,
        subject=subject,
        text=text,
        headers=MappingProxyType(dict(headers or {})),
        parts=parts or MessageParts(),
    )


THREAD_CASES = [
    ("in_reply_to_names_the_request", dict(in_reply_to=(A1,)), "sam-speech"),
    ("in_reply_to_names_the_follow_up", dict(in_reply_to=(A2,)), "sam-speech"),
    ("references_only", dict(references=("<zz@x>", B1)), "maya-reading"),
    (
        "in_reply_to_wins_over_references",
        dict(in_reply_to=(B1,), references=(A1,)),
        "maya-reading",
    ),
    (
        "latest_reference_wins",
        dict(references=(A1, B1)),
        "maya-reading",
    ),
    ("message_id_case_differs", dict(in_reply_to=("<A1.IEPD@Family.Example>",)), "sam-speech"),
    (
        "thread_beats_a_name_of_the_other_child",
        dict(in_reply_to=(B1,), subject="About Sam"),
        "maya-reading",
    ),
    ("no_from_header_but_threaded", dict(sender=None, in_reply_to=(A1,)), "sam-speech"),
    (
        "unknown_sender_but_threaded",
        dict(sender="sub@elsewhere.example", in_reply_to=(A1,)),
        "sam-speech",
    ),
]


@pytest.mark.parametrize(
    ("case", "fields", "expected"), THREAD_CASES, ids=[c[0] for c in THREAD_CASES]
)
def test_match_in_thread_returns_the_request_iepd_sent(
    case: str, fields: dict[str, object], expected: str
) -> None:
    found = match(message(**fields), CTX)  # type: ignore[arg-type]
    assert found == Match(expected, "thread")


SENDER_CASES = [
    (
        "case_manager_names_first_name",
        dict(text="Can we meet about Sam's speech sessions?"),
        Match("sam-speech", NAMES),
    ),
    (
        "principal_names_full_name",
        dict(sender="lchen@district.example", text="About SAM RIVERA's IEP meeting."),
        Match("sam-speech", NAMES),
    ),
    (
        "school_domain_address",
        dict(sender="frontoffice@district.example", subject="Maya - your request"),
        Match("maya-reading", NAMES),
    ),
    (
        "school_subdomain_address",
        dict(sender="t@lincoln.district.example", text="maya: dates for the IEP meeting"),
        Match("maya-reading", NAMES),
    ),
    (
        "both_named_subject_decides",
        dict(subject="Sam", text="Sam and Maya: IEP meeting dates"),
        Match("sam-speech", NAMES),
    ),
    ("both_named_in_subject_is_ambiguous", dict(subject="Sam and Maya"), None),
    ("both_named_only_in_text_is_ambiguous", dict(subject="Dates", text="Sam and Maya"), None),
    (
        "name_inside_a_longer_word_is_no_name",
        dict(
            sender="office@hamiltonms.example", text="Samantha's sample of Mayan art; IEP meeting"
        ),
        Match("maya-reading", SOLE),
    ),
    ("no_name_sender_with_two_requests", dict(text="About your IEP meeting request"), None),
    (
        "no_name_sender_with_one_request",
        dict(sender="office@hamiltonms.example", text="Your IEP meeting request"),
        Match("maya-reading", SOLE),
    ),
    (
        "no_name_sender_with_one_request_about_another_groups_meeting",
        dict(sender="office@hamiltonms.example", text="Reminder: the PTA meeting is Thursday."),
        None,
    ),
    (
        "no_name_and_not_about_a_meeting",
        dict(sender="office@hamiltonms.example", text="Picture day is Friday."),
        None,
    ),
    (
        "sole_request_but_another_child_named",
        dict(sender="office@hamiltonms.example", text="Sam's IEP meeting"),
        None,
    ),
    (
        "unrelated_sender_names_child",
        dict(sender="coach@soccerclub.example", text="Sam scored"),
        None,
    ),
    ("lookalike_domain", dict(sender="x@notdistrict.example", text="Sam"), None),
    (
        "teacher_names_child_about_something_else",
        dict(sender="epfeiffer@district.example", text="Sam's field trip slip is due Friday."),
        None,
    ),
    (
        "another_groups_meeting_is_not_the_one_asked_for",
        dict(
            sender="druiz@district.example",
            text="Sam's band rental form is due. Also, a short band parent meeting on Thursday.",
        ),
        None,
    ),
    (
        "a_public_records_notice_speaks_of_no_request",
        dict(
            sender="lferrer@district.example",
            text="Sam's concert call time is Thursday at 5:30.\n\nPUBLIC RECORDS NOTICE: most "
            "written communications are public records available upon request.",
        ),
        None,
    ),
    (
        "an_answer_above_a_public_records_notice_still_speaks_of_it",
        dict(
            sender="dalvarez@district.example",
            text="We can hold Sam's IEP meeting on Monday.\n\nPUBLIC RECORDS NOTICE: most "
            "written communications are public records available upon request.",
        ),
        Match("sam-speech", NAMES),
    ),
    (
        "what_her_iep_gives_on_a_test_is_not_the_request",
        dict(
            sender="tboyd@district.example",
            text="Sam can make up the reading test Wednesday; he gets his extended time "
            "from his IEP as always.",
        ),
        None,
    ),
    (
        "una_adaptacion_de_su_iep_en_la_excursion_tampoco",
        dict(
            sender="lortega@district.example",
            text="Falta la autorización de Sam para la excursión. Si necesita alguna "
            "adaptación de su IEP, la maestra irá con el grupo.",
        ),
        None,
    ),
    (
        "the_pta_meeting_in_spanish_neither",
        dict(sender="druiz@district.example", text="Sam: la reunión de la PTA es el jueves."),
        None,
    ),
    (
        "case_manager_names_child_about_something_else",
        dict(text="Sam left his jacket in my room, it's in the lost and found."),
        None,
    ),
    (
        "spanish_teacher_names_child_about_a_trip",
        dict(sender="lnavarro@hamiltonms.example", text="El permiso de Maya para la excursión."),
        None,
    ),
    (
        "spanish_answer_names_child",
        dict(sender="rvillarreal@district.example", text="Recibimos su solicitud para Maya."),
        Match("maya-reading", NAMES),
    ),
    (
        "an_auto_reply_names_the_child_in_its_subject",
        dict(subject="Automatic reply: Sam", headers={"auto-submitted": "auto-replied"}),
        Match("sam-speech", NAMES),
    ),
]


@pytest.mark.parametrize(
    ("case", "fields", "expected"), SENDER_CASES, ids=[c[0] for c in SENDER_CASES]
)
def test_match_by_sender_needs_the_school_and_one_named_child(
    case: str, fields: dict[str, object], expected: Match | None
) -> None:
    assert match(message(**fields), CTX) == expected  # type: ignore[arg-type]


NEVER_CASES = [
    ("list_id", dict(headers={"list-id": "<families.lists.district.example>"})),
    ("list_unsubscribe", dict(headers={"list-unsubscribe": "<mailto:u@district.example>"})),
    ("iepd_reminder", dict(headers={"x-iepd-kind": "answer"}, in_reply_to=(A1,))),
    ("parent_own_mail_threaded", dict(sender="jordan@family.example", in_reply_to=(A1,))),
    ("list_mail_even_when_threaded", dict(headers={"list-id": "<l>"}, in_reply_to=(A1,))),
    ("iepd_own_letter_in_the_inbox", dict(message_id=A1)),
]


@pytest.mark.parametrize(("case", "fields"), NEVER_CASES, ids=[c[0] for c in NEVER_CASES])
def test_match_never_takes_list_bulk_parent_or_iepd_mail(
    case: str, fields: dict[str, object]
) -> None:
    fields = {"text": "Sam's IEP meeting", **fields}
    incoming = message(**fields)  # type: ignore[arg-type]
    assert match(incoming, CTX) is None
    assert not is_candidate(replace(incoming, text=""), CTX)


@pytest.mark.parametrize("precedence", ["bulk", "JUNK", "list"])
def test_match_never_takes_unthreaded_mail_marked_bulk_to_nobody_or_to_many(
    precedence: str,
) -> None:
    # Fetched (a bulk-marked message from the school may hold an invitation, which only its
    # body shows), then set aside.
    incoming = message(headers={"precedence": precedence}, text="Sam's IEP meeting")
    assert match(incoming, CTX) is None
    to_many = replace(incoming, to_addrs=("jordan@family.example", "pat@family2.example"))
    assert match(to_many, CTX) is None


def test_match_with_parent_address_in_other_case_still_excludes_the_parent() -> None:
    ctx = replace(CTX, parent_addresses=frozenset({"Jordan@Family.Example"}))
    incoming = message(sender="jordan@family.example", in_reply_to=(A1,))
    assert match(incoming, ctx) is None


def test_match_threaded_auto_reply_with_precedence_bulk_still_matches() -> None:
    incoming = message(
        headers={"precedence": "bulk", "x-autoreply": "yes"},
        in_reply_to=(A1,),
    )
    assert match(incoming, CTX) == Match("sam-speech", "thread")


def test_match_sent_ids_without_brackets_are_still_found() -> None:
    request = replace(SAM, sent_message_ids=frozenset({" a1.iepd@family.example "}))
    ctx = replace(CTX, requests=(request, MAYA))
    found = match(message(in_reply_to=(A1,)), ctx)
    assert found == Match("sam-speech", "thread")


BOUNCE = dict(sender="mailer-daemon@mx.anywhere.example", from_name="Mail Delivery System")


def test_match_bounce_from_any_domain_by_returned_original() -> None:
    parts = MessageParts(returned_message_ids=(B1,))
    assert match(message(**BOUNCE, parts=parts), CTX) == Match("maya-reading", "bounce")  # type: ignore[arg-type]


def test_match_bounce_by_its_in_reply_to_when_nothing_is_returned() -> None:
    incoming = message(**BOUNCE, in_reply_to=(A2,))  # type: ignore[arg-type]
    assert match(incoming, CTX) == Match("sam-speech", "bounce")


def test_match_bounce_of_another_message_is_not_matched_even_from_the_school() -> None:
    parts = MessageParts(
        report_type="delivery-status",
        returned_message_ids=("<other@family.example>",),
        failures=Failures(permanent=("x@district.example",)),
    )
    incoming = message(sender="postmaster@district.example", text="Sam Rivera", parts=parts)
    assert match(incoming, CTX) is None


def test_match_forwarded_letter_from_a_person_is_not_a_bounce() -> None:
    parts = MessageParts(returned_message_ids=(A1,))
    incoming = message(sender="coach@soccerclub.example", parts=parts)
    assert match(incoming, CTX) is None


def test_match_two_open_requests_for_the_named_child_is_ambiguous_unless_threaded() -> None:
    second = replace(SAM, request_id="sam-behavior", sent_message_ids=frozenset({"<c1@f>"}))
    ctx = replace(CTX, requests=(SAM, second, MAYA))
    assert match(message(text="About Sam"), ctx) is None
    assert match(message(in_reply_to=("<c1@f>",)), ctx) == Match("sam-behavior", "thread")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("I will call you tomorrow about the IEP", False),
        ("Will's reading goals: the IEP team can meet", True),
        ("WILL RIVERA - IEP meeting", True),
        ("will rivera - IEP meeting", True),
    ],
)
def test_first_names_that_are_words_count_only_when_capitalised(text: str, named: bool) -> None:
    will = replace(SAM, child_name="Will Rivera", request_id="will-iep", child_id="will")
    ctx = replace(CTX, requests=(will, MAYA))
    expected = Match("will-iep", NAMES) if named else None
    assert match(message(sender="lchen@district.example", text=text), ctx) == expected


def test_is_candidate_is_false_without_open_requests() -> None:
    ctx = replace(CTX, requests=())
    assert not is_candidate(message(in_reply_to=(A1,)), ctx)


@pytest.mark.parametrize(
    "fields",
    [
        dict(in_reply_to=(A1,), sender="x@elsewhere.example"),
        dict(sender="dalvarez@district.example"),
        dict(sender="anyone@hamiltonms.example"),
        dict(sender="MAILER-DAEMON@mx.family.example".lower()),
        dict(sender="noreply@bank.example", subject="Undelivered Mail Returned to Sender"),
        dict(
            sender="noreply@bank.example",
            headers={"content-type": "multipart/report; report-type=delivery-status"},
        ),
    ],
)
def test_is_candidate_fetches_threads_school_mail_and_bounces(fields: dict[str, object]) -> None:
    assert is_candidate(message(**fields), CTX)  # type: ignore[arg-type]


def test_is_candidate_skips_strangers() -> None:
    assert not is_candidate(message(sender="deals@shop.example", subject="Sam, 20% off"), CTX)


# Mail to many families, or from a system, names the child and comes from the school; it is
# set aside before the sender rule (issue 14, item 3).
SET_ASIDE_CASES = [
    (
        "no_reply_sender_names_child",
        dict(sender="noreply@district.example", subject="Report card for Sam Rivera"),
    ),
    (
        "do_not_reply_sender",
        dict(sender="do-not-reply@district.example", text="Sam Rivera's IEP progress report"),
    ),
    (
        "student_information_system_by_name",
        dict(sender="sis@district.example", from_name="PowerSchool", text="Sam's IEP report"),
    ),
    (
        "platform_by_domain",
        dict(sender="messages@parentsquare.example", text="Sam's class: IEP night"),
    ),
    (
        "auto_generated_notification",
        dict(headers={"auto-submitted": "auto-generated"}, text="Sam: IEP goal report ready"),
    ),
    ("campaign_header", dict(headers={"x-campaign": "weekly-42"}, text="Sam: IEP night")),
    (
        "weekly_update_to_all_families",
        dict(
            sender="epfeiffer@district.example",
            text="Dear 4th grade families,\nSam and Ava led our meeting on recycling!",
        ),
    ),
    (
        "spanish_update_to_all_families",
        dict(text="Estimadas familias:\nMaya y Ana presentaron en la junta del consejo."),
    ),
    (
        "case_manager_writes_to_herself_parent_in_bcc",
        dict(to_addrs=("dalvarez@district.example",), text="IEP progress reports for Sam's class"),
    ),
    (
        "sent_to_a_families_list_parent_in_bcc",
        dict(to_addrs=("4th-grade-families@district.example",), text="Sam's IEP night"),
    ),
    (
        "many_recipients",
        dict(
            to_addrs=tuple(f"parent{n}@family{n}.example" for n in range(12)),
            text="Sam's class IEP meeting night",
        ),
    ),
    (
        "undisclosed_recipients",
        dict(headers={"to": "undisclosed-recipients:;"}, text="Sam's class IEP meeting night"),
    ),
    (
        "hello_everyone",
        dict(text="Hello everyone!\nSam and Ava ran our class meeting this week."),
    ),
    (
        "a_system_footer_on_mail_about_something_else",
        dict(
            sender="attendance@district.example",
            text="Sam Rivera was tardy today. Please do not reply to this message.",
        ),
    ),
    (
        "says_it_is_a_notification",
        dict(text="Sam has an IEP update.\nYou are receiving this email because you signed up."),
    ),
    (
        "spanish_notification",
        dict(text="Sam tiene una junta.\nPor favor no responda a este mensaje."),
    ),
]


@pytest.mark.parametrize(("case", "fields"), SET_ASIDE_CASES, ids=[c[0] for c in SET_ASIDE_CASES])
def test_match_sets_aside_mass_and_system_mail_even_naming_the_child(
    case: str, fields: dict[str, object]
) -> None:
    incoming = message(**fields)  # type: ignore[arg-type]
    assert match(incoming, CTX) is None
    assert bulk.reason(incoming, CTX.parent_addresses) is not None


KEPT_CASES = [
    (
        "meeting_notice_system_with_an_invitation",
        dict(
            sender="noreply@district.example",
            headers={"auto-submitted": "auto-generated"},
            subject="Notice of IEP Team Meeting - Sam Rivera",
            parts=MessageParts(invites=(Invite("PUBLISH", START, "Room 108", "IEP"),)),
        ),
    ),
    (
        "unthreaded_auto_reply_with_precedence_bulk",
        dict(
            subject="Out of Office AutoReply: Request for an IEP meeting for Sam Rivera",
            headers={"precedence": "bulk", "x-autoreply": "yes"},
        ),
    ),
    (
        "a_letter_to_the_parent_and_the_principal",
        dict(
            to_addrs=("jordan@family.example",),
            cc_addrs=("lchen@district.example",),
            text="Dear Jordan, we will hold Sam's IEP meeting on the 10th.",
        ),
    ),
    (
        "a_letter_to_a_parent_guardian",
        dict(text="Dear Parent/Guardian of Sam Rivera: the IEP team will meet on December 14."),
    ),
    (
        "a_compliance_system_sends_the_prior_written_notice",
        dict(
            sender="noreply-compliance@district.example",
            subject="Prior Written Notice - Sam Rivera",
            text="Please see the attached notice regarding your request.\nDo not reply.",
        ),
    ),
    (
        "an_office_letter_about_the_request_says_do_not_reply",
        dict(
            sender="sped.office@district.example",
            text="Your request for an IEP meeting for Sam was received.\n"
            "This mailbox is not monitored; please do not reply to this email.",
        ),
    ),
    (
        "a_reply_from_a_no_reply_address",
        dict(sender="noreply@district.example", subject="RE: Sam Rivera - IEP meeting"),
    ),
    (
        # "review it in advance" is no newsletter's "view it in your browser"
        "a_letter_asking_for_a_report_to_review_it_in_advance",
        dict(
            sender="pokafor@district.example",
            text="The district will convene Sam's IEP team. Please send the report so the team "
            "can review it in advance.",
        ),
    ),
]


@pytest.mark.parametrize(("case", "fields"), KEPT_CASES, ids=[c[0] for c in KEPT_CASES])
def test_match_keeps_invitations_auto_replies_and_letters_to_the_parent(
    case: str, fields: dict[str, object]
) -> None:
    incoming = message(**fields)  # type: ignore[arg-type]
    assert match(incoming, CTX) == Match("sam-speech", NAMES)


def test_a_group_mailbox_auto_reply_with_a_list_id_still_matches_its_thread() -> None:
    headers = {"list-id": "<sped-intake.district.example>", "auto-submitted": "auto-replied"}
    incoming = message(in_reply_to=(A1,), headers=headers)
    assert match(incoming, CTX) == Match("sam-speech", "thread")
    assert is_candidate(incoming, CTX)


def test_is_candidate_still_fetches_a_no_reply_sender_whose_body_may_hold_an_invitation() -> None:
    headers_only = message(sender="noreply@district.example", subject="Notice of meeting: Sam")
    assert is_candidate(headers_only, CTX)


def test_a_threaded_reply_is_never_set_aside_as_mass_mail() -> None:
    incoming = message(in_reply_to=(A1,), text="Dear families, ...", sender="noreply@x.example")
    assert match(incoming, CTX) == Match("sam-speech", "thread")
