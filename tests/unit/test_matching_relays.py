"""matching and bulk: a school's messaging platform, parent portal or help desk that relays one
staff member's own message to the parent alone belongs to the request when the message, from
the school's domain, names the child and speaks of the request, as the staff member's own
email would; a post to many, an alert, a stranger's platform or a ticket's bare status change
does not (pure, table-driven; the world of tests/unit/test_matching.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_matching import CTX, SAM, message

from iepd.decide import bulk
from iepd.decide.matching import Match, MatchContext, is_candidate, match

NAMES = "sender_names_child"
PARENT = ("jordan@family.example",)
PORTAL = "no-reply@portal.district.example"
FOOTER = "\n\nTo change your notification settings, log in to the portal."

RELAYED_CASES = [
    (
        "a_platform_names_the_staff_member_in_its_from",
        dict(
            sender="sis-noreply@district.example",
            from_name="Kim Ortega via Family Access",
            to_addrs=PARENT,
            subject="Family Access Message: Sam Rivera",
            text="Jordan,\nSam's IEP meeting will be on January 6 at 4 pm." + FOOTER,
        ),
    ),
    (
        "a_portal_says_new_message_from_a_person",
        dict(
            sender=PORTAL,
            from_name="District Portal",
            to_addrs=PARENT,
            subject="New message from Kim Ortega",
            headers={
                "auto-submitted": "auto-generated",
                "list-unsubscribe": "<https://portal.district.example/settings>",
            },
            text="Kim Ortega (Lincoln) sent you a message about Sam Rivera:\n\n"
            "I got your letter asking for a meeting and will send dates soon." + FOOTER,
        ),
    ),
    (
        "a_portal_quotes_the_message_it_relays",
        dict(
            sender=PORTAL,
            to_addrs=PARENT,
            subject="New message from Kim Ortega (Lincoln Elementary)",
            headers={"auto-submitted": "auto-generated"},
            text="About: Sam Rivera\n\nKim Ortega sent you a message:\n\n"
            "> Could you call me about the speech sessions? A quick talk may do.\n\n"
            "Open conversation\n\nDo not reply to this email.",
        ),
    ),
    (
        "a_messenger_footer_names_the_sender",
        dict(
            sender="noreply@district.example",
            from_name="Lincoln Elementary",
            to_addrs=PARENT,
            subject="Message regarding Sam Rivera",
            text="Thank you for your letter. The team can meet on January 6.\n\n"
            "This message was sent to Jordan Rivera by Lee Chen using School Messenger.",
        ),
    ),
    (
        "a_help_desk_carries_a_staff_response",
        dict(
            sender="helpdesk-noreply@district.example",
            from_name="District Help Desk",
            to_addrs=PARENT,
            subject="[Help Desk] Case #HD-55012 has been updated",
            headers={"auto-submitted": "auto-generated"},
            text="Your case #HD-55012 has been updated.\n\n--- New response ---\n"
            "The campus will call you this week about Sam Rivera's speech services.\n"
            "------\n\nYou are receiving this email because you opened a case.",
        ),
    ),
    (
        "a_spanish_platform_message",
        dict(
            sender="avisos-noreply@district.example",
            to_addrs=PARENT,
            subject="Nuevo mensaje de Ana Ruiz",
            text="Ana Ruiz le envió un mensaje:\n\nRecibí su carta; la junta de Sam será el"
            " 6 de enero.\n\nPor favor no responda a este mensaje.",
        ),
    ),
]


@pytest.mark.parametrize(("case", "fields"), RELAYED_CASES, ids=[c[0] for c in RELAYED_CASES])
def test_a_staff_members_message_relayed_by_a_school_system_belongs_to_the_request(
    case: str, fields: dict[str, object]
) -> None:
    incoming = message(**fields)  # type: ignore[arg-type]
    assert bulk.reason(incoming, CTX.parent_addresses) is not None, "a system's mail"
    assert bulk.relays_a_person(incoming, CTX.parent_addresses) is not None
    assert is_candidate(replace(incoming, text=""), CTX)
    assert match(incoming, CTX) == Match("sam-speech", NAMES)


RELAY = dict(
    sender="sis-noreply@district.example",
    from_name="Kim Ortega via Family Access",
    to_addrs=PARENT,
    subject="Family Access Message",
)
NOT_MATCHED_CASES = [
    (
        "a_relayed_note_about_something_else",
        dict(RELAY, text="Sam left his lunch box in the gym today." + FOOTER),
    ),
    (
        "a_relayed_message_from_a_platform_outside_the_school",
        dict(
            RELAY,
            sender="donotreply@parentsquare.example",
            text="Sam's IEP meeting will be on January 6." + FOOTER,
        ),
    ),
    (
        "a_relayed_post_to_families",
        dict(RELAY, text="Hello Room 14 families!\nSam's class IEP night is Monday." + FOOTER),
    ),
    (
        "a_relayed_post_to_a_list_with_the_parent_in_bcc",
        dict(
            RELAY,
            to_addrs=("room14-families@district.example",),
            text="Sam's IEP meeting night is Monday." + FOOTER,
        ),
    ),
    (
        "a_relayed_post_to_the_parent_and_another_family",
        dict(
            RELAY,
            to_addrs=(*PARENT, "other@family2.example"),
            text="Sam's IEP meeting night is Monday." + FOOTER,
        ),
    ),
    (
        "a_relayed_post_with_a_campaign_header",
        dict(RELAY, headers={"x-campaign": "week-49"}, text="Sam's IEP meeting night." + FOOTER),
    ),
    (
        "a_relayed_post_marked_list_mail",
        dict(RELAY, headers={"list-id": "<room14.district.example>"}, text="Sam's IEP night."),
    ),
    (
        "an_office_relayed_is_no_person",
        dict(
            RELAY,
            from_name="Lincoln Student Services via Family Access",
            text="Sam's IEP progress report is ready." + FOOTER,
        ),
    ),
    (
        "a_tickets_status_change_without_a_staff_response",
        dict(
            sender="helpdesk-noreply@district.example",
            to_addrs=PARENT,
            subject="[Help Desk] Case #HD-55012 has been updated",
            headers={"auto-submitted": "auto-generated"},
            text="Your case #HD-55012 about Sam Rivera's IEP meeting has been updated.\n"
            "Status: Pending",
        ),
    ),
    (
        "an_alert_quoting_a_teachers_comment",
        dict(
            sender="powerschool-noreply@district.example",
            to_addrs=PARENT,
            subject="Grade alert - Sam Rivera",
            headers={"auto-submitted": "auto-generated"},
            text="Teacher comment:\n\n> Sam's speech homework is missing.\n\n"
            "This is an automated message.",
        ),
    ),
]


@pytest.mark.parametrize(
    ("case", "fields"), NOT_MATCHED_CASES, ids=[c[0] for c in NOT_MATCHED_CASES]
)
def test_a_post_an_alert_or_a_strangers_relay_is_still_not_matched(
    case: str, fields: dict[str, object]
) -> None:
    assert match(message(**fields), CTX) is None  # type: ignore[arg-type]


def test_a_relayed_message_naming_no_child_is_never_the_senders_one_open_request() -> None:
    # Straight from the case manager, "the meeting" with one open request would do (SPEC); a
    # platform's copy must name the child, as a broadcast copied to every parent never does.
    only_sam = MatchContext(parent_addresses=CTX.parent_addresses, requests=(SAM,))
    relayed = message(**dict(RELAY, text="The IEP meeting is on January 6." + FOOTER))  # type: ignore[arg-type]
    assert match(relayed, only_sam) is None
    direct = message(text="The IEP meeting is on January 6.")
    assert match(direct, only_sam) == Match("sam-speech", "sole_open_request")


def test_mail_with_list_unsubscribe_that_relays_nobody_is_still_not_fetched() -> None:
    headers_only = message(
        sender="news@district.example",
        to_addrs=PARENT,
        subject="Lincoln weekly: Sam's class IEP night",
        headers={"list-unsubscribe": "<https://district.example/unsubscribe>"},
    )
    assert not is_candidate(headers_only, CTX)


# A platform outside the school's domains (ParentSquare, Remind, Schoology) vouches for nobody;
# the name it relays does when it is the case manager's or the principal's, as configured.
STAFF_CTX = MatchContext(
    parent_addresses=CTX.parent_addresses,
    requests=(replace(SAM, staff_names=("Dana Alvarez", "Lee Chen")),),
)
OUTSIDE = dict(
    sender="donotreply@parentsquare.example",
    from_name="Dana Alvarez via ParentSquare",
    to_addrs=PARENT,
    subject="Message from Dana Alvarez",
    headers={"list-unsubscribe": "<https://parentsquare.example/settings>"},
)


@pytest.mark.parametrize(
    "fields",
    [
        dict(
            OUTSIDE,
            text="Hi Jordan, I got your letter about Sam. Could we talk by phone first?" + FOOTER,
        ),
        dict(
            OUTSIDE,
            sender="no-reply@schoology.example",
            from_name="Schoology",
            subject="Dana Alvarez sent you a message",
            text="Dana Alvarez sent you a message\n\nSubject: Sam\n\nI got your letter; "
            "the IEP team can meet on January 6." + FOOTER,
        ),
        dict(
            OUTSIDE,
            from_name="Remind",
            subject="New message from DANA  ÁLVAREZ",
            text="Sam's IEP meeting: does January 6 at 4 work?" + FOOTER,
        ),
        dict(
            OUTSIDE,
            from_name="Mrs. Alvarez via ParentSquare",
            subject="New message from Mrs. Alvarez",
            text="I got your letter about Sam's IEP meeting; does Monday work?" + FOOTER,
        ),
    ],
    ids=[
        "parentsquare_from_name",
        "schoology_subject",
        "remind_name_in_capitals_with_accent",
        "a_title_and_the_surname",
    ],
)
def test_a_platform_outside_the_school_relaying_the_case_manager_belongs_to_the_request(
    fields: dict[str, object],
) -> None:
    incoming = message(**fields)  # type: ignore[arg-type]
    assert is_candidate(replace(incoming, text=""), STAFF_CTX)
    assert match(incoming, STAFF_CTX) == Match("sam-speech", NAMES)


@pytest.mark.parametrize(
    "fields",
    [
        dict(
            OUTSIDE,
            from_name="Kim Ortega via ParentSquare",
            subject="Message from Kim Ortega",
            text="Sam's IEP meeting will be on January 6." + FOOTER,
        ),
        dict(OUTSIDE, text="The IEP meeting will be on January 6." + FOOTER),
        dict(OUTSIDE, text="Sam left his jacket in my room today." + FOOTER),
        dict(OUTSIDE, headers={"x-campaign": "week-49"}, text="Sam's IEP night." + FOOTER),
    ],
    ids=["someone_else_relayed", "no_child_named", "about_something_else", "a_campaign"],
)
def test_a_platform_outside_the_school_relaying_anyone_else_or_anything_else_is_not_matched(
    fields: dict[str, object],
) -> None:
    assert match(message(**fields), STAFF_CTX) is None  # type: ignore[arg-type]


def test_a_platform_that_shows_the_case_manager_as_its_sender_is_fetched_and_matched() -> None:
    canvas = message(
        sender="notifications@instructure.example",
        from_name="Dana Alvarez",
        to_addrs=PARENT,
        subject="Sam - IEP meeting",
        text="Dana Alvarez just sent you a message in Canvas:\n\nYes, let's get the IEP team "
        "together for Sam. Does January 4 work?\n\nView this message in Canvas." + FOOTER,
    )
    assert is_candidate(replace(canvas, text=""), STAFF_CTX)
    assert match(canvas, STAFF_CTX) == Match("sam-speech", NAMES)
    stranger = replace(canvas, from_name="Kim Ortega", text=canvas.text.replace("Dana", "Kim"))
    assert not is_candidate(replace(stranger, text=""), STAFF_CTX)
    assert match(stranger, STAFF_CTX) is None


def test_new_yorks_cse_meeting_notice_from_a_no_reply_system_is_about_the_request() -> None:
    notice = message(
        sender="iepdirect-noreply@district.example",
        to_addrs=PARENT,
        subject="Meeting Notice - Committee on Special Education - Sam Rivera",
        text="This is to notify you that a meeting of the Committee on Special Education has "
        "been scheduled for your child: Thursday, December 17 at 3:45 PM.",
    )
    assert bulk.reason(notice, CTX.parent_addresses) is None
    assert match(notice, CTX) == Match("sam-speech", NAMES)
