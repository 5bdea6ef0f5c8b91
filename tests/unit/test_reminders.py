"""The reminders to the parent: every kind renders with its context, carries the iepd headers,
goes to remind_to, and says what the parent needs to know."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_letters import HOSTILE_TEXT, REQUEST_ID, addresses, flat, make_config, request_letter

from iepd.config.model import Config
from iepd.errors import TemplateError
from iepd.letters.reminders import REMINDER_KINDS, REQUIRED_CONTEXT, render_reminder, sample_context
from iepd.letters.text_format import WRAP_WIDTH

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # Tuesday, December 1, 2026, 9:00 pm in Chicago
REMINDER_HEADERS = {
    "from", "to", "subject", "date", "message-id", "x-iepd-kind", "x-iepd-request",
    "auto-submitted", "mime-version", "content-type", "content-transfer-encoding",
}  # fmt: skip


def reminder(
    config: Config, kind: str, context: dict[str, object] | None = None, **options: object
) -> EmailMessage:
    message = render_reminder(
        config,
        kind,
        REQUEST_ID,
        message_id=f"<{kind}.iepd@family.example>",
        date=NOW,
        context=sample_context(kind, NOW) if context is None else context,
        **options,  # type: ignore[arg-type]
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    text = part.get_content()
    assert isinstance(text, str)
    return text.replace("\r\n", "\n")  # the parser keeps the CR LF line ends of the wire


def test_reminder_kinds_are_the_fifteen_of_the_spec_and_the_sent_copy_failure() -> None:
    # sent_copy_failed is iepd's own addition (docs/spec-differences.md).
    assert set(REMINDER_KINDS) == {
        "sent", "answer", "auto_reply", "bounce", "declined", "informal", "invite",
        "followup_sent", "escalation_sent", "no_response", "meeting_prep", "after_meeting",
        "deadline_passed", "send_failed", "send_uncertain", "sent_copy_failed",
        "command_done", "command_refused", "help", "draft_ready", "recap_due", "letter_sent",
    }  # fmt: skip
    assert set(REQUIRED_CONTEXT) == set(REMINDER_KINDS)


@pytest.mark.parametrize("kind", REMINDER_KINDS)
def test_every_reminder_goes_to_remind_to_with_the_iepd_headers(tmp_path: Path, kind: str) -> None:
    message = reminder(make_config(tmp_path), kind)

    assert addresses(message, "To") == ["jordan.alerts@family.example"]
    assert addresses(message, "From") == ["jordan@family.example"]
    assert message["X-IEPD-Kind"] == kind
    assert message["X-IEPD-Request"] == REQUEST_ID
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"] == f"<{kind}.iepd@family.example>"
    assert message["Subject"].startswith("[iepd] ")
    assert "Sam Rivera" in message["Subject"]
    assert message["Cc"] is None


@pytest.mark.parametrize("kind", REMINDER_KINDS)
def test_every_reminder_names_the_child_and_the_request_in_wrapped_plain_text(
    tmp_path: Path, kind: str
) -> None:
    body = body_of(reminder(make_config(tmp_path), kind))

    assert body.startswith("Hello Jordan Rivera,\n")
    assert "Sam Rivera" in body
    assert REQUEST_ID in body
    assert max(len(line) for line in body.splitlines()) <= WRAP_WIDTH


def test_reminder_subjects_differ_by_kind(tmp_path: Path) -> None:
    config = make_config(tmp_path)

    subjects = {reminder(config, kind)["Subject"] for kind in REMINDER_KINDS}

    assert len(subjects) == len(REMINDER_KINDS)


def test_sent_reminder_attaches_the_letter_byte_for_byte_as_message_rfc822(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path)
    letter = request_letter(config).as_bytes()

    message = reminder(config, "sent", attachment=letter)

    assert message.get_content_type() == "multipart/mixed"
    attached = [part for part in message.iter_attachments() if isinstance(part, EmailMessage)]
    assert [part.get_content_type() for part in attached] == ["message/rfc822"]
    inner = attached[0].get_content()
    assert inner["Message-ID"] == "<1.2.3.iepd@family.example>"
    assert inner["Subject"] == "Request for an IEP meeting for Sam Rivera"
    assert letter in message.as_bytes(policy=email.policy.SMTP)
    assert message["X-IEPD-Kind"] == "sent"


def test_sent_reminder_lists_recipients_and_when(tmp_path: Path) -> None:
    context: dict[str, object] = {
        "sent_at": NOW,
        "recipients": ["dalvarez@district.example", "lchen@district.example"],
    }

    body = body_of(reminder(make_config(tmp_path), "sent", context))

    assert "- dalvarez@district.example\n- lchen@district.example\n" in body
    assert "Tuesday, December 1, 2026 at 9:00 pm CST" in flat(body)


@pytest.mark.parametrize("kind", ["answer", "auto_reply", "declined", "informal"])
def test_reminders_about_a_school_message_quote_its_excerpt_and_sender(
    tmp_path: Path, kind: str
) -> None:
    context: dict[str, object] = {
        "excerpt": "We can meet on the 14th.\nRoom 12 works.",
        "from_": "Dana Alvarez <dalvarez@district.example>",
        "received_at": NOW,
        "subject": "Re: Request for an IEP meeting for Sam Rivera",
    }

    body = body_of(reminder(make_config(tmp_path), kind, context))

    assert "> We can meet on the 14th.\n> Room 12 works.\n" in body
    assert "From: Dana Alvarez <dalvarez@district.example>" in body
    assert "Subject: Re: Request for an IEP meeting for Sam Rivera" in body


@pytest.mark.parametrize("kind", ["declined", "no_response", "deadline_passed"])
def test_refusal_and_silence_reminders_list_the_options_as_information_not_advice(
    tmp_path: Path, kind: str
) -> None:
    body = flat(body_of(reminder(make_config(tmp_path), kind)))

    assert "not legal advice" in body
    assert "complaint with your state education agency" in body
    assert "mediation" in body
    assert "advocate" in body
    assert "attorney" in body


def test_no_response_lists_the_request_and_followup_dates(tmp_path: Path) -> None:
    context: dict[str, object] = {
        "sent_at": datetime(2026, 11, 10, 15, tzinfo=UTC),
        "followup_dates": [
            datetime(2026, 11, 17, 15, tzinfo=UTC),
            datetime(2026, 11, 24, 15, tzinfo=UTC),
        ],
    }

    body = flat(body_of(reminder(make_config(tmp_path), "no_response", context)))

    assert "Tuesday, November 10, 2026" in body
    assert "- Tuesday, November 17, 2026 - Tuesday, November 24, 2026" in body


def test_informal_reminder_says_a_formal_meeting_can_be_insisted_on(tmp_path: Path) -> None:
    body = flat(body_of(reminder(make_config(tmp_path), "informal")))

    assert "You can insist on a formal IEP meeting" in body


def test_invite_reminder_gives_time_place_and_the_coming_reminders(tmp_path: Path) -> None:
    context: dict[str, object] = {
        "meeting_start": datetime(2026, 12, 15, 1, 30, tzinfo=UTC),  # the 14th in Chicago
        "meeting_location": "Lincoln Elementary, Room 12",
    }

    message = reminder(make_config(tmp_path), "invite", context)
    body = flat(body_of(message))

    assert "When: Monday, December 14, 2026 at 7:30 pm CST" in body
    assert "Where: Lincoln Elementary, Room 12" in body
    assert "3 days before the meeting" in body
    assert message["Subject"].endswith("on Monday, December 14")


def test_invite_reminder_without_a_location_says_it_is_not_stated(tmp_path: Path) -> None:
    context: dict[str, object] = {"meeting_start": NOW, "meeting_location": ""}

    body = body_of(reminder(make_config(tmp_path), "invite", context))

    assert "Where: not stated in the invitation" in body


def test_meeting_prep_reminder_is_a_checklist(tmp_path: Path) -> None:
    body = flat(body_of(reminder(make_config(tmp_path), "meeting_prep")))

    for expected in (
        "- Review the current IEP",
        "- Write down your questions, and the outcomes you hope",
        "- Gather your documents",
        "- Tell the school who is coming with you",
    ):
        assert expected in body


def test_after_meeting_reminder_asks_for_writing_and_offers_a_summary_letter(
    tmp_path: Path,
) -> None:
    body = flat(body_of(reminder(make_config(tmp_path), "after_meeting")))

    assert "every agreement is written down: in the IEP itself, or in meeting notes" in body
    assert "Dear Dana Alvarez," in body
    assert "this is my understanding of what we agreed" in body


def test_send_failed_reminder_quotes_the_servers_error(tmp_path: Path) -> None:
    context: dict[str, object] = {"error": "550 5.1.1 <dalvarez@district.example> unknown"}

    body = body_of(reminder(make_config(tmp_path), "send_failed", context))

    assert "> 550 5.1.1 <dalvarez@district.example> unknown" in body
    assert "Nothing was sent." in body


def test_send_uncertain_reminder_asks_to_check_and_says_nothing_was_resent(
    tmp_path: Path,
) -> None:
    context: dict[str, object] = {"letter": "follow-up", "attempted_at": NOW}

    body = flat(body_of(reminder(make_config(tmp_path), "send_uncertain", context)))

    assert "your follow-up for Sam Rivera on Tuesday, December 1, 2026" in body
    assert "Sent folder" in body
    assert "ask the school" in body
    assert "nothing was resent" in body
    assert '"Request for an IEP meeting for Sam Rivera"' in body


def test_send_uncertain_needs_no_context(tmp_path: Path) -> None:
    body = body_of(reminder(make_config(tmp_path), "send_uncertain", {}))

    assert "request for an IEP meeting for Sam Rivera, just as" in flat(body)


def test_reminder_without_a_required_context_key_raises_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"answer.*excerpt, received_at"):
        reminder(make_config(tmp_path), "answer", {"from_": "a@district.example", "subject": "Re"})


def test_reminder_of_an_unknown_kind_raises_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown reminder kind"):
        reminder(make_config(tmp_path), "birthday", {})


def test_context_cannot_replace_the_shared_variables(tmp_path: Path) -> None:
    context = {**sample_context("answer", NOW), "child": "someone else"}

    body = body_of(reminder(make_config(tmp_path), "answer", context))

    assert "Sam Rivera" in body
    assert "someone else" not in body


def test_reminder_override_template_wins(tmp_path: Path) -> None:
    (tmp_path / "templates" / "reminder").mkdir(parents=True)
    (tmp_path / "templates" / "reminder" / "answer.txt.j2").write_text(
        "Answer from {{ from_ }}.\n", encoding="utf-8"
    )

    body = body_of(reminder(make_config(tmp_path), "answer"))

    assert body == "Answer from Dana Alvarez <dalvarez@district.example>.\n"


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(["none", "parent_name", "parent_remind_to", "child_name", "request_id"]),
    value=HOSTILE_TEXT,
    excerpt=HOSTILE_TEXT,
    kind=st.sampled_from(REMINDER_KINDS),
)
def test_no_field_or_context_value_adds_a_header_or_a_recipient_to_a_reminder(
    tmp_path: Path, field: str, value: str, excerpt: str, kind: str
) -> None:
    config = make_config(tmp_path, changes={} if field == "none" else {field: value})
    context = sample_context(kind, NOW)
    for key in ("excerpt", "from_", "subject", "error", "recipient", "meeting_location"):
        if key in context:
            context[key] = excerpt
    try:
        message = render_reminder(
            config,
            kind,
            config.requests[0].id,
            message_id="<r.iepd@family.example>",
            date=NOW,
            context=context,
        )
    except (ValueError, TemplateError):
        event("refused")
        return
    event("rendered")
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)

    assert {name.lower() for name in parsed.keys()} == REMINDER_HEADERS
    assert len(parsed.keys()) == len(REMINDER_HEADERS)
    assert addresses(parsed, "To") == [config.parent.remind_to]
    assert addresses(parsed, "From") == [config.parent.email]
    assert parsed["X-IEPD-Kind"] == kind


def test_draft_ready_shows_the_exact_letter_and_how_to_approve_it(tmp_path: Path) -> None:
    context = {
        "draft_name": "letter asking again for a formal IEP meeting",
        "letter": "Dear Dana Alvarez,\n\nI still ask for the formal IEP meeting.",
        "to": "Dana Alvarez <dalvarez@district.example>",
        "letter_subject": "Re: Request for an IEP meeting for Sam Rivera",
    }
    text = body_of(reminder(make_config(tmp_path), "draft_ready", context))
    assert "> I still ask for the formal IEP meeting." in text
    assert "SEND" in text and f"iepd send {REQUEST_ID}" in text
    assert "Nothing is sent until you approve it" in text
    auto = body_of(reminder(make_config(tmp_path), "draft_ready", {**context, "auto_at": NOW}))
    assert "iepd will send it on" in auto and "CLOSE" in auto


def test_recap_due_asks_for_the_agreements_one_per_line(tmp_path: Path) -> None:
    message = reminder(make_config(tmp_path), "recap_due", {"meeting_start": NOW})
    text = body_of(message)
    assert "AGREED" in text and f"iepd agreed {REQUEST_ID}" in text
    assert "within 10 days" in text
    assert message["Subject"] == "[iepd] After Sam Rivera's IEP meeting: what was agreed?"
