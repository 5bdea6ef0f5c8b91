"""matching and bulk: a school system's notice about the request itself, marked as bulk mail
or sent from an unmonitored address, belongs to the request; a system's or a list's mail
about anything else does not (pure, table-driven; the world of tests/unit/test_matching.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_matching import CTX, message

from iepd.decide import bulk
from iepd.decide.matching import Match, is_candidate, match

NAMES = "sender_names_child"
PARENT = ("jordan@family.example",)
SYSTEM = "noreply@district.example"
BULK = {"precedence": "bulk"}

# A notification system marks every message Precedence: bulk, the per-child notice to one
# parent as much as the newsletter to all of them; only the first may answer the request.
KEPT_CASES = [
    (
        "a_notice_system_issues_the_prior_written_notice",
        dict(
            sender=SYSTEM,
            headers=BULK,
            to_addrs=PARENT,
            subject="Document issued - RIVERA, SAM",
            text="A Prior Written Notice has been issued for your child Sam.\n"
            "This is an automated message. Replies to this address are not monitored.",
        ),
    ),
    (
        "a_notice_system_sends_the_invitation_to_the_iep_meeting",
        dict(
            sender=SYSTEM,
            headers=BULK,
            to_addrs=PARENT,
            subject="Meeting notice - Sam Rivera",
            text="An Invitation to Participate in the IEP team meeting has been issued.\n"
            "Do not reply to this message.",
        ),
    ),
    (
        "an_unmonitored_office_address_sends_the_notice_of_meeting",
        dict(
            sender="sped-notices@district.example",
            subject="Notice of Meeting - Sam Rivera",
            text="Notice of Meeting. The committee will meet on January 6 at 4 pm.\n"
            "Replies to this address are not monitored.",
        ),
    ),
    (
        "a_spanish_notice_of_meeting_from_a_system",
        dict(
            sender=SYSTEM,
            headers=BULK,
            to_addrs=PARENT,
            subject="Aviso de reunión - Sam Rivera",
            text="Aviso de reunión del equipo del IEP: 6 de enero, 4 pm.\n"
            "Por favor no responda a este mensaje.",
        ),
    ),
]


@pytest.mark.parametrize(("case", "fields"), KEPT_CASES, ids=[c[0] for c in KEPT_CASES])
def test_a_systems_notice_about_the_request_belongs_to_it(
    case: str, fields: dict[str, object]
) -> None:
    incoming = message(**fields)  # type: ignore[arg-type]
    assert bulk.reason(incoming, CTX.parent_addresses) is None
    assert match(incoming, CTX) == Match("sam-speech", NAMES)
    assert is_candidate(replace(incoming, text=""), CTX)


SET_ASIDE_CASES = [
    (
        "a_bulk_grade_alert_to_the_parent_alone_naming_the_child",
        dict(
            sender=SYSTEM,
            headers=BULK,
            to_addrs=PARENT,
            subject="Grade alert - RIVERA, SAM",
            text="Sam's IEP progress report is ready. This is an automated message.",
        ),
    ),
    (
        "a_bulk_newsletter_to_the_parent_alone_naming_the_child",
        dict(
            sender="lincoln-news@district.example",
            headers=BULK,
            to_addrs=PARENT,
            text="Lincoln weekly: congratulations to Sam Rivera, our speech meet winner!",
        ),
    ),
    (
        "a_bulk_notice_not_addressed_to_the_parent",
        dict(
            sender=SYSTEM,
            headers=BULK,
            to_addrs=("lincoln-families@district.example",),
            text="Prior written notice for Sam: see the portal.",
        ),
    ),
    (
        "a_bulk_notice_to_the_parent_and_others",
        dict(
            sender=SYSTEM,
            headers=BULK,
            to_addrs=(*PARENT, "other.parent@family2.example"),
            text="Prior written notice for Sam: see the portal.",
        ),
    ),
    (
        "a_list_message_to_the_parent_alone_is_still_list_mail",
        dict(
            headers={"precedence": "list"},
            to_addrs=PARENT,
            text="Prior written notice for Sam: see the portal.",
        ),
    ),
    (
        "a_systems_invitation_to_another_meeting",
        dict(
            sender=SYSTEM,
            headers=BULK,
            to_addrs=PARENT,
            text="Sam's class: an invitation to attend the PTA meeting on Tuesday.\n"
            "This is an automated message.",
        ),
    ),
    (
        "a_notice_of_a_board_meeting_from_a_system",
        dict(
            sender=SYSTEM,
            text="Sam's school: notice of board meeting, Tuesday at 7 pm.\n"
            "Replies to this address are not monitored.",
        ),
    ),
]


@pytest.mark.parametrize(("case", "fields"), SET_ASIDE_CASES, ids=[c[0] for c in SET_ASIDE_CASES])
def test_a_systems_or_a_lists_mail_about_anything_else_is_set_aside(
    case: str, fields: dict[str, object]
) -> None:
    incoming = message(**fields)  # type: ignore[arg-type]
    assert bulk.reason(incoming, CTX.parent_addresses) is not None
    assert match(incoming, CTX) is None


def test_a_bulk_marked_message_from_the_school_is_fetched_its_body_may_hold_an_invitation() -> None:
    # A meeting scheduler marks its invitations Precedence: bulk; only the body shows one.
    headers_only = message(sender=SYSTEM, headers=BULK, subject="Meeting scheduled: Sam")
    assert is_candidate(headers_only, CTX)


def test_a_bulk_marked_message_from_a_stranger_is_not_fetched() -> None:
    headers_only = message(sender="news@shop.example", headers=BULK, subject="Sam, 20% off")
    assert not is_candidate(headers_only, CTX)
