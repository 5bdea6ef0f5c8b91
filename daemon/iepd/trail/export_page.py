"""The printable page of an export: one self-contained ``index.html``.

The page is the template ``export/index.html.j2``, rendered by an environment that
HTML-escapes every value, so nothing a message brings (a subject, a body, an address) can
become markup unless the template says so. A parent replaces the page the way a letter is
replaced: a file of the same name in ``templates/`` next to the config wins. The page iepd
ships loads nothing (inline CSS only, a Content-Security-Policy of ``default-src 'none'``),
its only links are relative ones to the ``.eml`` copies beside it, and its print styles fit
both US Letter and A4: the page size is left to the printer and the margins suit either.

The template sees plain values, worked out here (the page's words and layout are the
template's; what each event and message means is decided here):

| name | value |
|---|---|
| ``title`` | "Paper trail: sam-1 (Sam Rivera, 4th grade, Lincoln Elementary School)" |
| ``version`` | iepd's version |
| ``cover`` | the ``Cover`` (request_id, child, parent, case_manager, ..., timezone) |
| ``exported_at``, ``first_sent`` | ``Moment``s; ``first_sent`` is None before a send |
| ``state`` | the request's state in words ("meeting scheduled") |
| ``head``, ``event_count`` | the chain head and the number of events of the whole log |
| ``events`` | a ``TimelineRow`` per event of this request, oldest first |
| ``letters`` | a ``LetterView`` per letter to and answer from the school, in time order |
| ``reminders`` | a ``ReminderRow`` per reminder iepd emailed to the parent |
| ``plural(count, word, words)`` | "1 event", "2 events" (``words`` defaults to word + "s") |

A ``Moment`` is a time as the page shows it: ``local`` ("Mon 2026-11-16 08:00:00 CST") and
``utc`` ("2026-11-16 14:00:00 UTC").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from iepd import __version__
from iepd.letters.compose import render_page, template_path
from iepd.letters.localized import plural_form, short_weekday
from iepd.store.rows import EventRow
from iepd.trail import export_words
from iepd.trail.timeline import Trail, TrailMessage
from iepd.vocabulary import PARENT_MESSAGE

TEMPLATE = "export/index.html.j2"
# iepd's English words, kept here for the importers that show them; every language's are in
# ``export_words``
EVENT_LABELS: Mapping[str, str] = export_words.EVENT_LABELS["en"]
MESSAGE_LABELS: Mapping[str, str] = export_words.MESSAGE_LABELS["en"]
STEP_NOTES: Mapping[str, str] = export_words.STEP_NOTES["en"]
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Cover:
    """What the first page says about the request and the export."""

    request_id: str
    child: str  # "Sam Rivera, 4th grade, Lincoln Elementary School"
    parent: str  # "Jordan Rivera <jordan@family.example>"
    case_manager: str
    principal: str
    reason: str
    concern: str
    urgent: bool
    exported_at: datetime
    timezone: str
    language: str = "en"  # the parent's: the page's words (v2)


@dataclass(frozen=True)
class Body:
    """The readable text of one message."""

    text: str
    html_only: bool = False
    delivery_status: str = ""
    calendar: tuple[tuple[str, datetime | None, str | None], ...] = ()  # summary, start, place
    problems: str = ""


class Moment(NamedTuple):
    """A time as the page shows it: in the parent's timezone, and in UTC."""

    local: str  # "Mon 2026-11-16 08:00:00 CST"
    utc: str  # "2026-11-16 14:00:00 UTC"


class TimelineRow(NamedTuple):
    """One event of the request, with the message it is about (if any)."""

    seq: int
    at: Moment
    label: str  # "Answer received"
    kind: str  # "reply_received"
    meeting_at: Moment | None  # meeting_scheduled: the date recorded
    detail: str  # any other detail, as recorded
    from_addr: str
    to_addrs: tuple[str, ...]
    subject: str
    number: str | None  # "004": the message's number; None for an event with no message
    file: str | None  # "004-answer.eml"


class CalendarEntry(NamedTuple):
    summary: str
    start: Moment | None
    location: str


class LetterView(NamedTuple):
    """One letter to or answer from the school, shown in full."""

    number: str  # "001"
    label: str  # "Letter: the request for an IEP meeting"
    outgoing: bool
    from_addr: str
    to_addrs: tuple[str, ...]
    cc_addrs: tuple[str, ...]
    subject: str
    message_id: str  # "none" when the message had none
    date_header: Moment | None
    accepted: Moment | None  # outgoing: when the SMTP server accepted it
    warning: str  # outgoing: why it may not have reached the school ("NOT SENT: ...")
    step: str  # outgoing: the outbox step while not yet accepted
    received: Moment | None  # incoming: the IMAP INTERNALDATE
    recorded: Moment | None  # when iepd recorded it
    klass: str  # incoming: "answer", "bounce", ... or "unclassified"
    sha256: str
    file: str  # "001-request.eml", in messages/
    size: int
    problems: str  # incoming: what could not be read cleanly
    html_only: bool
    text: str  # "(no text part)" when it had none
    delivery_status: str  # a bounce's machine-readable report
    calendar: tuple[CalendarEntry, ...]


class ReminderRow(NamedTuple):
    """One reminder iepd emailed to the parent: listed, not shown in full."""

    number: str
    sent: Moment | None
    kind: str  # "no response"
    subject: str
    file: str


def plural(count: int, word: str, words: str | None = None, language: str = "en") -> str:
    """Given a count and a noun, return them together: "1 event", "2 events" (the plural
    category from CLDR in a language other than English)."""
    one = count == 1 if language == "en" else plural_form(count, language) == "one"
    return f"{count} {word if one else words or word + 's'}"


def _moment(moment: datetime, zone: ZoneInfo, language: str = "en") -> Moment:
    local = moment.astimezone(zone)
    weekday = local.strftime("%a") if language == "en" else short_weekday(local, language)
    return Moment(
        local=f"{weekday} {local.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        utc=moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    )


def _maybe(moment: datetime | None, zone: ZoneInfo, language: str = "en") -> Moment | None:
    return None if moment is None else _moment(moment, zone, language)


def _timeline_row(
    event: EventRow, message: TrailMessage | None, zone: ZoneInfo, language: str = "en"
) -> TimelineRow:
    meeting_at, detail = None, event.detail or ""
    if detail and event.kind == "meeting_scheduled":
        try:
            meeting_at, detail = _moment(datetime.fromisoformat(detail), zone, language), ""
        except ValueError:
            pass  # shown as recorded
    elif detail and event.kind == PARENT_MESSAGE:
        try:  # when the parent sent it, read as the rest of the page's times are
            when = _moment(datetime.fromisoformat(detail), zone, language).local
            detail = export_words.PAGE_WORDS[language]["sent"].format(when=when)
        except ValueError:
            pass
    return TimelineRow(
        seq=event.seq,
        at=_moment(event.at, zone, language),
        label=export_words.EVENT_LABELS[language].get(event.kind, event.kind.replace("_", " ")),
        kind=event.kind,
        meeting_at=meeting_at,
        detail=detail,
        from_addr=(message.row.from_addr if message else event.from_addr) or "",
        to_addrs=message.row.to_addrs if message else (),
        subject=event.subject or "",
        number=f"{message.number:03d}" if message else None,
        file=message.filename if message else None,
    )


def _letter_view(
    message: TrailMessage, body: Body, zone: ZoneInfo, language: str = "en"
) -> LetterView:
    row = message.row
    outgoing = row.direction == "out"
    said = export_words.PAGE_WORDS[language]
    klass = row.klass or said["unclassified"]
    return LetterView(
        number=f"{message.number:03d}",
        label=export_words.MESSAGE_LABELS[language].get(
            message.kind, message.kind.replace("_", " ")
        ),
        outgoing=outgoing,
        from_addr=row.from_addr or "",
        to_addrs=row.to_addrs,
        cc_addrs=row.cc_addrs,
        subject=row.subject or "",
        message_id=row.message_id or "none",
        date_header=_maybe(row.date_header, zone, language),
        accepted=_maybe(message.sent_at, zone, language) if outgoing else None,
        warning=export_words.STEP_NOTES[language].get(message.step or "", "") if outgoing else "",
        step=(message.step or said["unknown"]) if outgoing else "",
        received=None if outgoing else _maybe(row.internaldate, zone, language),
        recorded=_maybe(row.created_at if outgoing else row.detected_at, zone, language),
        klass=""
        if outgoing or message.kind == PARENT_MESSAGE
        else export_words.named(klass, language, export_words.CLASS_NAMES_ES),
        sha256=row.sha256,
        file=message.filename,
        size=row.size,
        problems=body.problems,
        html_only=body.html_only,
        text=body.text if body.text.strip() else said["no_text"],
        delivery_status=body.delivery_status,
        calendar=tuple(
            CalendarEntry(summary, _maybe(start, zone, language), location or "")
            for summary, start, location in body.calendar
        ),
    )


def _reminder_row(message: TrailMessage, zone: ZoneInfo, language: str = "en") -> ReminderRow:
    kind = message.kind.removeprefix("reminder-")
    return ReminderRow(
        number=f"{message.number:03d}",
        sent=_maybe(message.sent_at, zone, language),
        kind=export_words.named(kind, language, export_words.REMINDER_NAMES_ES),
        subject=message.row.subject or "",
        file=message.filename,
    )


def page_variables(cover: Cover, trail: Trail, bodies: Mapping[int, Body]) -> dict[str, object]:
    """Given the cover facts, the trail and each message's readable text (by number),
    return the variables the page's template sees (the table in this module's docstring).
    """
    zone, language = ZoneInfo(cover.timezone), cover.language
    said = export_words.PAGE_WORDS[language]
    return {
        "title": said["title"].format(request_id=cover.request_id, child=cover.child),
        "version": __version__,
        "cover": cover,
        "exported_at": _moment(cover.exported_at, zone, language),
        "first_sent": _maybe(trail.request.sent_at, zone, language),
        "state": export_words.named(trail.request.state, language, export_words.STATE_NAMES_ES),
        "head": trail.head,
        "event_count": trail.event_count,
        "events": [
            _timeline_row(entry.event, entry.message, zone, language) for entry in trail.entries
        ],
        "letters": [
            _letter_view(message, bodies.get(message.number, Body("")), zone, language)
            for message in trail.messages
            if not message.is_reminder
        ],
        "reminders": [
            _reminder_row(message, zone, language)
            for message in trail.messages
            if message.is_reminder
        ],
        "plural": partial(plural, language=language),
    }


def render_index(
    cover: Cover,
    trail: Trail,
    bodies: Mapping[int, Body],
    *,
    templates: Path | None = None,
) -> str:
    """Given the cover facts, the trail, each message's readable text (by number) and the
    parent's templates folder (None: iepd's page), return the whole ``index.html``.

    Raise TemplateError if the parent's page fails to render, naming the file and line.
    """
    name = template_path(TEMPLATE, cover.language)
    return render_page(templates, name, page_variables(cover, trail, bodies))
