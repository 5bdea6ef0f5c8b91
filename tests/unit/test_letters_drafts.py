"""The five letters drafted in the school's thread (issue 15): each a reply to the school's
newest message, in the project's words, with the facts it must carry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from test_letters import flat, make_config

from iepd.config.model import Assist, Duration
from iepd.letters.checks import check_templates
from iepd.letters.conversation import DraftFacts, ThreadTip, render_draft, thread_references
from iepd.vocabulary import DRAFT_KINDS

NOW = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
SENT_AT = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
MEETING = datetime(2026, 12, 15, 21, 30, tzinfo=UTC)  # Tuesday, 3:30 pm in Chicago
TIP = ThreadTip(
    message_id="<school-2@district.example>",
    references=("<req-1@family.example>", "<school-1@district.example>"),
    in_reply_to="<school-1@district.example>",
    subject="RE: Request for an IEP meeting for Sam Rivera",
    sender="Dana Alvarez",
    sent_at=datetime(2026, 12, 8, 16, 0, tzinfo=UTC),
)
FACTS = DraftFacts(
    request_sent_at=SENT_AT,
    meeting_start=MEETING,
    meeting_location="Room 12, Lincoln Elementary",
    items=("- 60 minutes of speech a week, from Jan 4", "2. make-up sessions: 8", " "),
)


def draft(tmp_path: Path, kind: str, **changes: object) -> EmailMessage:
    config = make_config(tmp_path, **changes)
    return render_draft(
        config, "sam-request", kind, tip=TIP, facts=FACTS,
        message_id="<d.iepd@family.example>", date=NOW,
    )  # fmt: skip


def text_of(message: EmailMessage) -> str:
    return flat(message.get_content())


@pytest.mark.parametrize("kind", DRAFT_KINDS)
def test_every_draft_replies_to_the_schools_newest_message(tmp_path: Path, kind: str) -> None:
    message = draft(tmp_path, kind)
    assert message["In-Reply-To"] == "<school-2@district.example>"
    assert message["References"] == (
        "<req-1@family.example> <school-1@district.example> <school-2@district.example>"
    )
    assert message["Subject"] == "RE: Request for an IEP meeting for Sam Rivera"
    assert message["To"] == "Dana Alvarez <dalvarez@district.example>"
    assert message["Cc"] is None
    assert message["Auto-Submitted"] is None and message["X-IEPD-Kind"] is None
    assert "Sincerely" in text_of(message)


def test_an_urgent_request_copies_the_principal_on_its_drafts(tmp_path: Path) -> None:
    message = draft(tmp_path, "insist", request_urgent=True)
    assert message["Cc"] == "Lee Chen <lchen@district.example>"


def test_a_reply_to_a_message_without_references_threads_on_its_in_reply_to() -> None:
    tip = ThreadTip("<b@district.example>", (), "<a@family.example>")
    assert thread_references(tip) == ["<a@family.example>", "<b@district.example>"]
    hostile = ThreadTip("<b@district.example>", ("<x@y>\r\nBcc: z@evil.example",), None)
    assert thread_references(hostile) == ["<b@district.example>"]


def test_ask_for_date_asks_when_and_repeats_the_availability(tmp_path: Path) -> None:
    text = text_of(draft(tmp_path, "ask_for_date"))
    assert "when the IEP meeting will be held" in text
    assert "Monday, December 7, 2026" not in text
    assert "Tuesday, December 8, 2026" in text  # the school's reply, in Chicago time


def test_insist_still_asks_for_the_formal_meeting_with_the_full_team(tmp_path: Path) -> None:
    text = text_of(draft(tmp_path, "insist"))
    assert "formal IEP meeting with the full IEP team" in text
    assert "Tuesday, December 1, 2026" in text  # the request's date


def test_pwn_request_asks_for_prior_written_notice_under_300_503(tmp_path: Path) -> None:
    text = text_of(draft(tmp_path, "pwn_request"))
    assert "prior written notice" in text and "34 CFR 300.503" in text
    for point in ("what the school refuses", "why it refuses", "based on", "other options"):
        assert point in text


def test_confirm_names_the_time_place_attendees_and_asks_for_drafts(tmp_path: Path) -> None:
    text = text_of(draft(tmp_path, "confirm", request_attendees=("Dr. Ana Lee, private SLP",)))
    assert "Tuesday, December 15, 2026" in text and "3:30" in text
    assert "Room 12, Lincoln Elementary" in text
    assert "Dr. Ana Lee, private SLP" in text
    assert "draft IEP" in text and "3 days before" in text


def test_recap_lists_the_items_and_the_time_to_correct_them(tmp_path: Path) -> None:
    assist = Assist(recap_correct_within=Duration(days=10))
    config = replace(make_config(tmp_path), assist=assist)
    text = text_of(render_draft(
        config, "sam-request", "recap", tip=TIP, facts=FACTS,
        message_id="<d.iepd@family.example>", date=NOW,
    ))  # fmt: skip
    assert "1. 60 minutes of speech a week, from Jan 4" in text
    assert "2. make-up sessions: 8" in text and "3." not in text
    assert "within 10 days, by Saturday, December 19, 2026" in text


def test_a_recap_without_items_or_a_meeting_is_refused(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with pytest.raises(ValueError, match="agreed item"):
        render_draft(
            config, "sam-request", "recap", tip=TIP, facts=DraftFacts(meeting_start=MEETING),
            message_id="<d.iepd@family.example>", date=NOW,
        )  # fmt: skip
    with pytest.raises(ValueError, match="meeting"):
        render_draft(
            config, "sam-request", "confirm", tip=TIP, facts=DraftFacts(),
            message_id="<d.iepd@family.example>", date=NOW,
        )  # fmt: skip


def test_the_parents_own_draft_template_wins(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    folder = config.override_templates_dir / "draft"
    folder.mkdir(parents=True)
    (folder / "insist.txt.j2").write_text("We still want the meeting, {{ case_manager.name }}.\n")
    assert text_of(draft(tmp_path, "insist")) == "We still want the meeting, Dana Alvarez."
    assert check_templates(config) == []


def test_check_renders_every_draft(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    folder = config.override_templates_dir / "draft"
    folder.mkdir(parents=True)
    (folder / "recap.txt.j2").write_text("{{ no_such_thing }}\n")
    problems = check_templates(config)
    assert any("draft/recap.txt.j2" in problem for problem in problems), problems
