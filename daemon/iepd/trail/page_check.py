"""The export page renders for a config: `iepd check` asks this, so a parent's broken
``templates/export/index.html.j2`` is found at the check and not on the day the paper trail
is needed. The sample trail has one of each thing the page lists (an event, the letter, the
school's answer, a reminder), so a loop over any of them is run at least once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from iepd.config.model import Config
from iepd.errors import TemplateError
from iepd.store.rows import EventRow, MessageRow, RequestRow
from iepd.trail.export import cover_for
from iepd.trail.export_page import Body, render_index
from iepd.trail.timeline import Trail, TrailEntry, TrailMessage


def check_export_page(config: Config) -> list[str]:
    """Given a config, render the export page of its first request with a sample trail;
    return one line per problem (none: the page is usable)."""
    if not config.requests:
        return []
    trail = _sample_trail(config.requests[0].id, config.requests[0].child)
    bodies = {
        message.number: Body("Thank you for your letter. We will be in touch soon.")
        for message in trail.messages
    }
    cover = cover_for(config, trail, trail.request.updated_at)
    try:
        render_index(cover, trail, bodies, templates=config.override_templates_dir)
    except TemplateError as exc:
        return [f"export page: {exc}"]
    return []


def _sample_trail(request_id: str, child: str) -> Trail:
    sent = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    answered = sent + timedelta(days=2)
    request = RequestRow(
        id=request_id, child=child, reason="general", urgent=False, state="answered",
        subject="Request for an IEP meeting", message_id="<sample.iepd@example.invalid>",
        created_at=sent, sent_at=sent, answered_at=answered, meeting_at=None,
        meeting_location=None, followup_count=0, last_followup_at=None, updated_at=answered,
    )  # fmt: skip
    letter = _message(1, request_id, "out", "request", None, "<sample.iepd@example.invalid>", sent)
    answer = _message(2, request_id, "in", "answer", None, "<sample.school@example.invalid>",
                      answered, klass="answer")  # fmt: skip
    reminder = _message(3, request_id, "out", "reminder", "answer",
                        "<sample.reminder@example.invalid>", answered)  # fmt: skip
    messages = (
        TrailMessage(1, "request", letter, sent, "done"),
        TrailMessage(2, "answer", answer, None, None),
        TrailMessage(3, "reminder-answer", reminder, answered, "done"),
    )
    events = (
        EventRow(1, request_id, sent, "sent", letter.message_id, None, letter.subject, None,
                 "0" * 64, "1" * 64),
        EventRow(2, request_id, answered, "answer", answer.message_id, answer.from_addr,
                 answer.subject, None, "1" * 64, "2" * 64),
    )  # fmt: skip
    entries = (TrailEntry(events[0], messages[0]), TrailEntry(events[1], messages[1]))
    return Trail(request, entries, messages, "2" * 64, len(events))


def _message(
    number: int,
    request_id: str,
    direction: str,
    purpose: str,
    reminder_kind: str | None,
    message_id: str,
    at: datetime,
    *,
    klass: str | None = None,
) -> MessageRow:
    school = "Dana Alvarez <dalvarez@district.example>"
    parent = "Jordan Rivera <jordan@family.example>"
    return MessageRow(
        id=number, request_id=request_id, direction=direction, purpose=purpose,
        reminder_kind=reminder_kind, message_id=message_id, in_reply_to=None, references=(),
        from_addr=parent if direction == "out" else school, to_addrs=(school,), cc_addrs=(),
        subject="Request for an IEP meeting", date_header=at, internaldate=at, detected_at=at,
        created_at=at, mailbox=None, uidvalidity=None, uid=None, sha256="0" * 64,
        eml_path=f"{number:03d}.eml", raw_path=Path(f"{number:03d}.eml"), size=0, klass=klass,
        excerpt="We will be in touch soon." if klass else None, problems=None,
    )  # fmt: skip
