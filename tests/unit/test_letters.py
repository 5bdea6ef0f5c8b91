"""The letters to the school: every reason renders, headers come only from the API, threading,
overrides, template errors, and no hostile value can add a header or a recipient."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from iepd.config.model import (
    REASONS,
    Child,
    Config,
    Contact,
    ImapSettings,
    MailSettings,
    Parent,
    PasswordSource,
    RequestSettings,
    SmtpSettings,
    Timing,
)
from iepd.errors import TemplateError
from iepd.letters.checks import check_templates
from iepd.letters.compose import finish, make_message_id
from iepd.letters.reminders import UNSURE_KINDS
from iepd.letters.school import render_followup, render_request
from iepd.letters.text_format import WRAP_WIDTH, tidy

SENT_AT = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # Tuesday, December 1, 2026 in Chicago
NOW = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
REQUEST_ID = "sam-request"

DETAILS = {
    "services_not_delivered": {
        "service": "60 minutes per week of speech-language therapy in a small group"
    },
    "outside_evaluation": {
        "evaluator": "Dr. Morgan Patel, licensed psychologist",
        "areas": "reading fluency, working memory and attention",
    },
}


def make_config(
    tmp_path: Path,
    *,
    reason: str = "general",
    urgent: bool = False,
    pronouns: str = "he",
    changes: Mapping[str, object] | None = None,
    **more_changes: object,
) -> Config:
    """Return a realistic config for one child and one request; ``changes`` and
    ``more_changes`` replace fields of the parent, child, case manager, principal or
    request (``child_name=...``)."""
    changes = {**(changes or {}), **more_changes}
    prefixes = ("parent_", "child_", "case_manager_", "principal_", "request_")

    def taken(prefix: str) -> dict[str, object]:
        return {k.removeprefix(prefix): v for k, v in changes.items() if k.startswith(prefix)}

    unknown = [k for k in changes if not k.startswith(prefixes)]
    assert not unknown, unknown
    parent = Parent(
        name="Jordan Rivera",
        email="jordan@family.example",
        remind_to="jordan.alerts@family.example",
        timezone="America/Chicago",
        signature="Jordan Rivera\n(555) 010-0000\n12 Elm Street, Springfield",
    )
    case_manager = Contact(name="Dana Alvarez", email="dalvarez@district.example")
    principal = Contact(name="Lee Chen", email="lchen@district.example")
    child = Child(
        id="sam",
        name="Sam Rivera",
        grade="4th grade",
        school="Lincoln Elementary School",
        pronouns=pronouns,
        case_manager=replace(case_manager, **taken("case_manager_")),  # type: ignore[arg-type]
        principal=replace(principal, **taken("principal_")),  # type: ignore[arg-type]
        school_domains=("district.example",),
    )
    request = RequestSettings(
        id=REQUEST_ID,
        child="sam",
        reason=reason,
        concern=(
            "Since October Sam has received about half of his speech sessions, and his "
            "teacher tells me he has stopped raising his hand in class because he is "
            "embarrassed by how he sounds."
        ),
        availability=("Mon or Wed after 3:30 pm", "Fri 8-10 am", "Any weekday by video call"),
        urgent=urgent,
        details=DETAILS.get(reason, {}),
    )
    mail = MailSettings(
        username="jordan@family.example",
        password=PasswordSource(source="keyring"),
        imap=ImapSettings(host="imap.family.example", port=993, security="tls"),
        smtp=SmtpSettings(host="smtp.family.example", port=465, security="tls"),
    )
    return Config(
        path=tmp_path / "config.toml",
        state_dir=tmp_path / "state",
        parent=replace(parent, **taken("parent_")),  # type: ignore[arg-type]
        mail=mail,
        timing=Timing(),
        children=(replace(child, **taken("child_")),),  # type: ignore[arg-type]
        requests=(replace(request, **taken("request_")),),  # type: ignore[arg-type]
    )


def request_letter(config: Config) -> EmailMessage:
    return render_request(
        config, REQUEST_ID, message_id="<1.2.3.iepd@family.example>", date=SENT_AT
    )


def followup(config: Config, number: int, **overrides: object) -> EmailMessage:
    arguments: dict[str, object] = {
        "number": number,
        "original_message_id": "<1.2.3.iepd@family.example>",
        "original_references": (),
        "original_subject": "Request for an IEP meeting for Sam Rivera",
        "original_sent_at": SENT_AT,
        "message_id": f"<{number}.followup.iepd@family.example>",
        "date": NOW,
    }
    arguments.update(overrides)
    return render_followup(config, REQUEST_ID, **arguments)  # type: ignore[arg-type]


def flat(text: str) -> str:
    """Collapse all whitespace, so that a phrase wrapped across lines still matches."""
    return " ".join(text.split())


def reparsed(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def addresses(message: EmailMessage, name: str) -> list[str]:
    header = message[name]
    return [] if header is None else [item.addr_spec for item in header.addresses]


# ---- the request letter -------------------------------------------------------------------


@pytest.mark.parametrize("reason", REASONS)
def test_every_reason_renders_a_letter_naming_child_reason_concern_details_and_availability(
    tmp_path: Path, reason: str
) -> None:
    config = make_config(tmp_path, reason=reason)
    request = config.requests[0]
    body = flat(reparsed(request_letter(config)).get_content())

    for expected in (
        "Sam Rivera",
        "4th grade",
        "Lincoln Elementary School",
        "IEP meeting",
        "full IEP team",
        "at any time",
        "confirm in writing",
        flat(request.concern),
        *request.availability,
        *request.details.values(),
        "Jordan Rivera (555) 010-0000 12 Elm Street, Springfield",
    ):
        assert flat(expected) in body, expected
    assert "check-in" not in body.lower()
    assert "urgent" not in body.lower()


@pytest.mark.parametrize("reason", REASONS)
def test_every_reason_letter_wraps_prose_at_72_columns(tmp_path: Path, reason: str) -> None:
    body = request_letter(make_config(tmp_path, reason=reason)).get_content()

    assert max(len(line) for line in body.splitlines()) <= WRAP_WIDTH
    assert "\n- Fri 8-10 am\n" in body  # list items stay on their own lines


def test_services_not_delivered_letter_says_compensatory_services_may_be_owed(
    tmp_path: Path,
) -> None:
    body = flat(
        request_letter(make_config(tmp_path, reason="services_not_delivered")).get_content()
    )

    assert "compensatory services" in body
    assert "may be owed" in body


@pytest.mark.parametrize(
    ("pronouns", "expected", "wrong"),
    [
        ("he", "he seems to have lost skills he had", "they seem"),
        ("she", "she seems to have lost skills she had", " he seems"),
        ("they", "they seem to have lost skills they had", "they seems"),
    ],
)
def test_letter_uses_the_childs_pronouns_with_matching_verbs(
    tmp_path: Path, pronouns: str, expected: str, wrong: str
) -> None:
    config = make_config(tmp_path, reason="regression", pronouns=pronouns)
    body = flat(request_letter(config).get_content())

    assert expected in body
    assert wrong not in body


def test_request_letter_headers_come_from_the_config(tmp_path: Path) -> None:
    message = reparsed(request_letter(make_config(tmp_path)))

    assert message["From"].addresses[0].display_name == "Jordan Rivera"
    assert addresses(message, "From") == ["jordan@family.example"]
    assert addresses(message, "To") == ["dalvarez@district.example"]
    assert message["Subject"] == "Request for an IEP meeting for Sam Rivera"
    assert message["Message-ID"] == "<1.2.3.iepd@family.example>"
    assert message["Date"].datetime == SENT_AT
    assert message["Date"].datetime.utcoffset().total_seconds() == -6 * 3600  # Chicago, CST
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"


def test_non_urgent_letter_has_no_cc_and_no_iepd_headers(tmp_path: Path) -> None:
    message = reparsed(request_letter(make_config(tmp_path)))

    assert message["Cc"] is None
    assert message["Auto-Submitted"] is None
    assert not [name for name in message.keys() if name.lower().startswith("x-iepd")]


def test_urgent_letter_says_urgent_asks_for_a_prompt_date_and_copies_the_principal(
    tmp_path: Path,
) -> None:
    message = reparsed(request_letter(make_config(tmp_path, urgent=True)))
    body = flat(message.get_content())

    assert message["Subject"] == "URGENT: Request for an IEP meeting for Sam Rivera"
    assert addresses(message, "Cc") == ["lchen@district.example"]
    assert "This request is urgent." in body
    assert "within the next few school days" in body


def test_letter_for_an_unknown_request_raises_key_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        render_request(make_config(tmp_path), "nope", message_id="<a@family.example>", date=SENT_AT)


def test_letter_with_a_naive_date_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone"):
        render_request(
            make_config(tmp_path),
            REQUEST_ID,
            message_id="<a@family.example>",
            date=datetime(2026, 12, 1, 8, 0),
        )


def test_make_message_id_uses_the_parents_domain_and_is_unique() -> None:
    first = make_message_id("Jordan@Family.Example")
    second = make_message_id("jordan@family.example")

    assert first.startswith("<") and first.endswith(".iepd@family.example>")
    assert first != second


def test_make_message_id_without_a_domain_raises_value_error() -> None:
    with pytest.raises(ValueError):
        make_message_id("jordan")


# ---- follow-ups -------------------------------------------------------------------------


def test_followup_is_threaded_under_the_request(tmp_path: Path) -> None:
    message = reparsed(
        followup(make_config(tmp_path), 1, original_references=("<earlier@district.example>",))
    )

    assert message["In-Reply-To"] == "<1.2.3.iepd@family.example>"
    assert message["References"].split() == [
        "<earlier@district.example>",
        "<1.2.3.iepd@family.example>",
    ]
    assert message["Subject"] == "Re: Request for an IEP meeting for Sam Rivera"
    assert message["Message-ID"] == "<1.followup.iepd@family.example>"


def test_followup_subject_never_doubles_re(tmp_path: Path) -> None:
    message = followup(make_config(tmp_path), 1, original_subject="RE: Request for Sam Rivera")

    assert message["Subject"] == "RE: Request for Sam Rivera"


def test_followup_recalls_the_request_date_in_the_parents_timezone_and_asks_to_confirm(
    tmp_path: Path,
) -> None:
    body = flat(followup(make_config(tmp_path), 1).get_content())

    assert "Tuesday, December 1, 2026" in body
    assert "confirm in writing that you have received it" in body
    assert "when a date for the meeting will be set" in body
    assert "Mon or Wed after 3:30 pm" in body


def test_first_followup_copies_the_principal_only_when_urgent(tmp_path: Path) -> None:
    plain = reparsed(followup(make_config(tmp_path), 1))
    urgent = reparsed(followup(make_config(tmp_path, urgent=True), 1))

    assert addresses(plain, "To") == ["dalvarez@district.example"]
    assert plain["Cc"] is None
    assert addresses(urgent, "Cc") == ["lchen@district.example"]


def test_escalation_always_copies_the_principal_and_addresses_both(tmp_path: Path) -> None:
    message = reparsed(followup(make_config(tmp_path), 2))
    body = flat(message.get_content())

    assert addresses(message, "To") == ["dalvarez@district.example"]
    assert addresses(message, "Cc") == ["lchen@district.example"]
    assert "Dear Dana Alvarez and Lee Chen," in body
    assert "Tuesday, December 1, 2026" in body
    assert "confirm in writing" in body
    assert message["In-Reply-To"] == "<1.2.3.iepd@family.example>"


@pytest.mark.parametrize("number", [0, 3])
def test_followup_number_other_than_one_or_two_is_refused(tmp_path: Path, number: int) -> None:
    with pytest.raises(ValueError, match="1 or 2"):
        followup(make_config(tmp_path), number)


def test_followup_with_a_malformed_original_message_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Message-ID"):
        followup(make_config(tmp_path), 1, original_message_id="<a@b>\r\nBcc: x@y")


# ---- templates: overrides and errors ------------------------------------------------------


def write_override(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_override_template_next_to_the_config_wins(tmp_path: Path) -> None:
    write_override(
        tmp_path,
        "request/general.txt.j2",
        "Hello {{ case_manager.name }}, about {{ child.name }}.\n",
    )

    body = request_letter(make_config(tmp_path)).get_content()

    assert body == "Hello Dana Alvarez, about Sam Rivera.\n"


def test_override_of_a_shared_part_changes_every_letter_that_uses_it(tmp_path: Path) -> None:
    write_override(tmp_path, "request/_base.txt.j2", "{% block reason %}{% endblock %}ours\n")

    body = request_letter(make_config(tmp_path, reason="regression")).get_content()

    assert body.endswith("ours\n")
    assert "progress toward his IEP goals" in flat(body)


def test_template_with_an_undefined_variable_raises_template_error_naming_it(
    tmp_path: Path,
) -> None:
    write_override(tmp_path, "request/general.txt.j2", "Hi\n\n{{ child.nickname }}\n")

    with pytest.raises(TemplateError) as caught:
        request_letter(make_config(tmp_path))

    assert "request/general.txt.j2" in str(caught.value)
    assert "nickname" in str(caught.value)
    assert "line 3" in str(caught.value)


def test_template_with_a_syntax_error_raises_template_error_with_its_line(tmp_path: Path) -> None:
    write_override(tmp_path, "followup.txt.j2", "Dear {{ case_manager.name }},\n{% if %}\n")

    with pytest.raises(TemplateError, match=r"followup\.txt\.j2.*line 2"):
        followup(make_config(tmp_path), 1)


def test_check_templates_finds_no_problem_in_the_shipped_templates(tmp_path: Path) -> None:
    for reason in REASONS:
        assert check_templates(make_config(tmp_path, reason=reason, urgent=True)) == []


def test_check_templates_reports_a_broken_override_and_a_misnamed_one(tmp_path: Path) -> None:
    write_override(tmp_path, "escalation.txt.j2", "{{ principal.title }}\n")
    write_override(tmp_path, "request/genral.txt.j2", "typo\n")

    problems = check_templates(make_config(tmp_path))

    assert len(problems) == 2
    assert "escalation.txt.j2" in problems[0] and "title" in problems[0]
    assert "genral.txt.j2" in problems[1] and "overrides no template" in problems[1]


def test_check_templates_renders_the_unsure_words_an_override_can_break(tmp_path: Path) -> None:
    # Only the unsure branch is broken: the sure reminders alone would render it fine.
    write_override(
        tmp_path,
        "reminder/_unsure.txt.j2",
        "{% if unsure %}{{ deciding[0].missing.attribute }}{% endif %}\n",
    )

    problems = check_templates(make_config(tmp_path))

    assert len(problems) == len(UNSURE_KINDS)
    assert all("_unsure.txt.j2" in problem for problem in problems)


def test_tidy_wraps_prose_keeps_lists_and_quotes_and_drops_control_characters() -> None:
    words = " ".join(["word"] * 30)

    text = tidy(f"{words}\n\n\n\n- {words}\n> {words}\x00\u2028end")

    lines = text.splitlines()
    assert all(len(line) <= WRAP_WIDTH for line in lines)
    assert lines[lines.index("") + 1].startswith("- word")
    assert lines[lines.index("") + 2].startswith("  word")
    assert [line for line in lines if line.startswith(">")][1].startswith("> word")
    assert lines.count("") == 1
    assert "\x00" not in text
    assert text.endswith("\nend\n")


# ---- hostile values ---------------------------------------------------------------------

HOSTILE = st.sampled_from(
    [
        "\r\nBcc: evil@attacker.example",
        "\nBcc: evil@attacker.example",
        "\rX-Evil: 1",
        "=?utf-8?q?=0D=0ABcc:_evil@attacker.example?=",
        "=?utf-8?b?DQpCY2M6IGV2aWxAYXR0YWNrZXIuZXhhbXBsZQ==?=",
        "\x00",
        "\u2028",
        "\u2029",
        "\x85",
        ", evil@attacker.example",
        "<evil@attacker.example>",
        '"',
        "\\",
        ";",
        ":",
        "@",
        "Ünïcödé",
        "evil@attacker.example",
    ]
)
HOSTILE_TEXT = st.lists(st.one_of(HOSTILE, st.text(max_size=12)), min_size=1, max_size=5).map(
    "".join
)
TEXT_FIELDS = [
    "parent_name",
    "parent_signature",
    "child_name",
    "child_grade",
    "child_school",
    "case_manager_name",
    "principal_name",
    "request_concern",
]
ADDRESS_FIELDS = ["parent_email", "case_manager_email", "principal_email"]
LETTER_HEADERS = {
    "from", "to", "cc", "subject", "date", "message-id",
    "mime-version", "content-type", "content-transfer-encoding",
}  # fmt: skip
THREAD_HEADERS = {"in-reply-to", "references"}


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(TEXT_FIELDS + ADDRESS_FIELDS + ["request_availability"]),
    value=HOSTILE_TEXT,
    urgent=st.booleans(),
    number=st.sampled_from([0, 1, 2]),
)
def test_no_field_value_adds_a_header_or_a_recipient(
    tmp_path: Path, field: str, value: str, urgent: bool, number: int
) -> None:
    change: object = (value, "Fri 8-10 am") if field == "request_availability" else value
    config = make_config(tmp_path, urgent=urgent, changes={field: change})
    child = config.children[0]
    try:
        message = request_letter(config) if number == 0 else followup(config, number)
    except (ValueError, TemplateError):
        event("refused")
        return
    event("rendered")
    parsed = reparsed(message)

    copied = urgent or number == 2
    expected = LETTER_HEADERS - ({"cc"} if not copied else set())
    expected |= THREAD_HEADERS if number else set()
    assert {name.lower() for name in parsed.keys()} == expected
    assert len(parsed.keys()) == len(expected)
    assert addresses(parsed, "To") == [child.case_manager.email]
    assert addresses(parsed, "Cc") == ([child.principal.email] if copied else [])
    assert addresses(parsed, "From") == [config.parent.email]


def test_finish_refuses_a_header_that_would_break_out_of_its_line() -> None:
    message = EmailMessage(policy=email.policy.SMTP)
    # set directly, past header_text: the email package decodes the encoded CR LF itself
    message["Subject"] = "=?utf-8?q?=0D=0ABcc:_evil@attacker.example?="

    with pytest.raises(ValueError, match="Subject"):
        finish(message, "body\n")


def test_encoded_words_in_a_name_are_refused(tmp_path: Path) -> None:
    config = make_config(tmp_path, case_manager_name="=?utf-8?q?Dana?=")

    with pytest.raises(ValueError, match=r"case_manager\.name.*encoded word"):
        request_letter(config)
