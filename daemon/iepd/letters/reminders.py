"""Render the reminders iepd sends the parent, one kind per step that needs the parent.

A reminder goes To ``parent.remind_to``, From ``parent.email``, with a subject starting
"[iepd] " that names the child and the event, and the headers ``X-IEPD-Kind``,
``X-IEPD-Request`` and ``Auto-Submitted: auto-generated`` (RFC 3834), so that it is never
taken for the school's answer. Its template is ``reminder/<kind>.txt.j2``; besides the
variables every template sees (see ``iepd.letters.compose``), each kind needs these context keys:

| kind | required context keys (optional ones, with their default) |
|---|---|
| ``sent`` | ``sent_at``, ``recipients`` (plus the letter's bytes as ``attachment``) |
| ``answer`` | ``excerpt``, ``from_``, ``received_at``, ``subject`` |
| ``auto_reply`` | ``excerpt``, ``from_``, ``received_at``, ``subject`` |
| ``bounce`` | ``excerpt``, ``recipient`` |
| ``declined`` | ``excerpt``, ``from_``, ``received_at``, ``subject`` |
| ``informal`` | ``excerpt``, ``from_``, ``received_at``, ``subject`` |
| ``invite`` | ``meeting_start``, ``meeting_location`` ("" when unknown) |
| ``followup_sent`` | ``sent_at``, ``recipients`` |
| ``escalation_sent`` | ``sent_at``, ``recipients`` |
| ``no_response`` | ``sent_at`` (of the request), ``followup_dates`` |
| ``meeting_prep`` | ``meeting_start`` |
| ``after_meeting`` | ``meeting_start`` |
| ``deadline_passed`` | ``deadline`` |
| ``send_failed`` | ``error`` (``letter`` = "request for an IEP meeting") |
| ``send_uncertain`` | none (``letter`` = "request for an IEP meeting", ``attempted_at`` = None, |
| | ``letter_subject`` = None: the request's subject) |
| ``sent_copy_failed`` | ``sent_at``, ``folder``, ``error`` (``letter`` = "request for an IEP |
| | meeting", ``stored_as`` = None: the path of iepd's raw copy; plus the letter's bytes) |
| ``command_done`` | ``command`` (the parent's command, e.g. "SEND"), ``done`` (what was done) |
| ``command_refused`` | ``command`` (the first word as written), ``reason`` |
| ``help`` | none |

The reminders about a school message (``answer``, ``auto_reply``, ``declined``, ``informal``,
``invite``) also take ``unsure`` (False) and ``deciding`` (()): when ``unsure``, the reminder
says iepd is not sure what the school meant, quotes the ``deciding`` sentences and asks the
parent to read the message; otherwise its text is as without them.

Every reminder also sees ``kind`` and ``wait``, the configured delays in words ("7 days"):
``wait.followup``, ``wait.escalate``, ``wait.meeting_prep``, ``wait.after_meeting``.
Datetimes should carry a timezone (a naive one is taken as the parent's local time);
``recipients`` is a sequence of addresses, ``followup_dates`` a sequence of datetimes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from email.message import EmailMessage
from functools import partial

from iepd.config.model import Child, Config, Duration
from iepd.errors import TemplateError
from iepd.letters import words
from iepd.letters.compose import (
    address,
    finish,
    header_text,
    new_message,
    render_template,
    template_context,
)
from iepd.letters.done_words import done_in
from iepd.letters.localized import plural_form, weekday_and_day, zone_local
from iepd.letters.text_format import long_datetime, parent_zone

logger = logging.getLogger(__name__)

REMINDER_KINDS: tuple[str, ...] = (
    "sent",
    "answer",
    "auto_reply",
    "bounce",
    "declined",
    "informal",
    "invite",
    "followup_sent",
    "escalation_sent",
    "no_response",
    "meeting_prep",
    "after_meeting",
    "deadline_passed",
    "send_failed",
    "send_uncertain",
    "sent_copy_failed",
    # the answers to the parent's commands by email (v2)
    "command_done",
    "command_refused",
    "help",
    # the conversation until the meeting (v2)
    "draft_ready",
    "recap_due",
    "letter_sent",  # iepd's own: a drafted letter went out
)

_MESSAGE_KEYS = ("excerpt", "from_", "received_at", "subject")
REQUIRED_CONTEXT: Mapping[str, tuple[str, ...]] = {
    "sent": ("sent_at", "recipients"),
    "answer": _MESSAGE_KEYS,
    "auto_reply": _MESSAGE_KEYS,
    "bounce": ("excerpt", "recipient"),
    "declined": _MESSAGE_KEYS,
    "informal": _MESSAGE_KEYS,
    "invite": ("meeting_start", "meeting_location"),
    "followup_sent": ("sent_at", "recipients"),
    "escalation_sent": ("sent_at", "recipients"),
    "no_response": ("sent_at", "followup_dates"),
    "meeting_prep": ("meeting_start",),
    "after_meeting": ("meeting_start",),
    "deadline_passed": ("deadline",),
    "send_failed": ("error",),
    "send_uncertain": (),
    "sent_copy_failed": ("sent_at", "folder", "error"),
    "command_done": ("command", "done"),
    "command_refused": ("command", "reason"),
    "help": (),
    "draft_ready": ("draft_name", "letter", "to", "letter_subject"),
    "recap_due": ("meeting_start",),
    "letter_sent": ("letter", "sent_at", "recipients"),
}
# Said of a school message when the evidence is weak or conflicting (Classification.unsure);
# `deciding` holds the sentences the reading rests on, quoted for the parent.
_UNSURE: Mapping[str, object] = {"unsure": False, "deciding": ()}
UNSURE_KINDS = ("answer", "auto_reply", "declined", "informal", "invite")
_OPTIONAL_CONTEXT: Mapping[str, Mapping[str, object]] = {
    **{kind: _UNSURE for kind in UNSURE_KINDS},
    "send_failed": {"letter": "request for an IEP meeting"},
    "send_uncertain": {
        "letter": "request for an IEP meeting",
        "attempted_at": None,
        "letter_subject": None,
    },
    "sent_copy_failed": {"letter": "request for an IEP meeting", "stored_as": None},
    "draft_ready": {"cc": "", "auto_at": None, "why": ""},
}


def render_reminder(
    config: Config,
    kind: str,
    request_id: str,
    *,
    message_id: str,
    date: datetime,
    context: Mapping[str, object],
    attachment: bytes | None = None,
) -> EmailMessage:
    """Given a reminder kind, its request and context, return the reminder to the parent,
    with ``attachment`` (a letter's raw bytes) attached as message/rfc822. Raise ValueError
    for an unknown kind or an unsafe header value, TemplateError if a context key is missing
    or the template fails."""
    if kind not in REMINDER_KINDS:
        raise ValueError(f"unknown reminder kind {kind!r}")
    missing = [key for key in REQUIRED_CONTEXT[kind] if key not in context]
    if missing:
        raise TemplateError(f"reminder {kind}: the context lacks {', '.join(missing)}")
    request = config.request(request_id)
    child = config.child(request.child)
    language = config.parent.language
    variables: dict[str, object] = {**_OPTIONAL_CONTEXT.get(kind, {}), **context}
    variables.update(words.translated_context(variables, language))
    if isinstance(done := context.get("done"), str):
        variables["done"] = _done_in(done, language, parent_zone(config))
    # the shared variables win, so a context key can never change who the letter is about
    variables.update(
        template_context(config, request_id, language), kind=kind, wait=_waits(config, language)
    )
    within = config.assist.recap_correct_within
    variables.setdefault("correct_within", duration_words(within, False, language))
    variables["letter_in_your_language"] = _letter_in_parents_language(config, request_id, kind)
    variables["commands_by_email"] = config.assist.commands_by_email
    body = render_template(config, f"reminder/{kind}.txt.j2", variables, language)
    message = new_message(message_id, date, config)
    message["From"] = address("iepd", config.parent.email, "parent")
    message["To"] = address(config.parent.name, config.parent.remind_to, "parent.remind_to")
    subject = reminder_subject(kind, child, context, parent_zone(config), language)
    message["Subject"] = header_text(subject, "subject")
    message["X-IEPD-Kind"] = kind
    message["X-IEPD-Request"] = header_text(request.id, "request.id")
    message["Auto-Submitted"] = "auto-generated"
    finish(message, body)
    if attachment is not None:
        _attach_message(message, attachment, f"{request.id}.eml")
    return message


def reminder_subject(
    kind: str, child: Child, context: Mapping[str, object], zone: tzinfo, language: str = "en"
) -> str:
    """Given a reminder kind, the child, the context, the parent's timezone and language,
    return the reminder's subject."""
    named = words.translated_context(context, language)
    subject = words.REMINDER_SUBJECTS[language][kind].format(
        name=child.name,
        command=named.get("command", ""),
        draft_name=named.get("draft_name", words.LETTER[language]),
        letter=named.get("letter", words.LETTER[language]),
    )
    start = context.get("meeting_start")
    if kind in ("invite", "meeting_prep") and isinstance(start, datetime):
        day = weekday_and_day(zone_local(start, zone), language)  # "Monday, December 14"
        subject += words.SUBJECT_DAY[language].format(day=day)
    return f"[iepd] {subject}"


def sample_context(kind: str, now: datetime) -> dict[str, object]:
    """Given a reminder kind and a moment, return plausible context values (for `iepd check`
    and tests)."""
    message = {
        "excerpt": "Thank you for your letter. We will be in touch soon.",
        "from_": "Dana Alvarez <dalvarez@district.example>",
        "received_at": now,
        "subject": "Re: Request for an IEP meeting",
    }
    values: dict[str, dict[str, object]] = {
        "sent": {"sent_at": now, "recipients": ["dalvarez@district.example"]},
        "answer": message,
        "auto_reply": message,
        "bounce": {"excerpt": "550 5.1.1 User unknown", "recipient": "dalvarez@district.example"},
        "declined": message,
        "informal": message,
        "invite": {"meeting_start": now + timedelta(days=10), "meeting_location": "Room 12"},
        "followup_sent": {"sent_at": now, "recipients": ["dalvarez@district.example"]},
        "escalation_sent": {
            "sent_at": now,
            "recipients": ["dalvarez@district.example", "lchen@district.example"],
        },
        "no_response": {
            "sent_at": now - timedelta(days=21),
            "followup_dates": [now - timedelta(days=14), now - timedelta(days=7)],
        },
        "meeting_prep": {"meeting_start": now + timedelta(days=3)},
        "after_meeting": {"meeting_start": now - timedelta(days=1)},
        "deadline_passed": {"deadline": now},
        "send_failed": {"error": "550 5.7.1 Relaying denied"},
        "send_uncertain": {"attempted_at": now},
        "sent_copy_failed": {
            "sent_at": now,
            "folder": "Sent",
            "error": 'no Sent folder: "Sent" (mail.imap.sent_folder) does not exist',
        },
        "command_done": {
            "command": "SEND",
            "done": "Your letter asking for a meeting date is queued and goes out now.",
        },
        "command_refused": {
            "command": "SNED",
            "reason": '"SNED" is not one of iepd\'s commands',
        },
        "help": {},
        "draft_ready": {
            "draft_name": "letter asking for a meeting date",
            "letter": "Dear Ms. Alvarez,\n\nThank you for your reply.",
            "to": "Dana Alvarez <dalvarez@district.example>",
            "letter_subject": "Re: Request for an IEP meeting",
            "auto_at": now + timedelta(days=7),
        },
        "recap_due": {"meeting_start": now - timedelta(days=1)},
        "letter_sent": {
            "letter": "letter asking again for a formal IEP meeting",
            "sent_at": now,
            "recipients": ["dalvarez@district.example"],
        },
    }
    return dict(values[kind])


def _letter_in_parents_language(config: Config, request_id: str, kind: str) -> str:
    """SPEC "Spanish": the `sent` reminder may show an English request letter in the
    parent's language. Return that text, or "" (another kind, or the letter is already in
    the parent's language)."""
    language = config.parent.language
    if kind != "sent" or language == config.parent.letters_language:
        return ""
    reason = config.request(request_id).reason
    variables = template_context(config, request_id, language)
    return render_template(config, f"request/{reason}.txt.j2", variables, language)


def _done_in(done: str, language: str, zone: tzinfo) -> str:
    """What iepd did on the parent's command, in her language (``done_words``)."""
    return done_in(
        done,
        language,
        letter_in=partial(words.letter_name, language=language),
        when_in=partial(long_datetime, zone=zone, language=language),
        plural_in=partial(plural_form, language=language),
    )


def _waits(config: Config, language: str) -> dict[str, str]:
    business = config.timing.business_days
    timing = config.timing
    return {
        "followup": duration_words(timing.followup_after, business, language),
        "escalate": duration_words(timing.escalate_after, business, language),
        "meeting_prep": duration_words(timing.meeting_prep_before, False, language),
        "after_meeting": duration_words(timing.after_meeting, False, language),
    }


def duration_words(duration: Duration, business: bool, language: str = "en") -> str:
    """Given a Duration, return it in words: "7 days", "7 school days", "1 day and 12 hours"
    ("7 días escolares", "1 día y 12 horas")."""
    units = words.DURATION_UNITS[language]
    parts = []
    if duration.days:
        unit = units["school day" if business else "day"]
        parts.append(f"{duration.days} {unit[plural_form(duration.days, language)]}")
    remaining = duration.seconds
    for name, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if remaining >= size:
            count = remaining // size
            parts.append(f"{count} {units[name][plural_form(count, language)]}")
            remaining %= size
    return words.AND[language].join(parts) or words.NO_TIME[language]


def _attach_message(message: EmailMessage, raw: bytes, filename: str) -> None:
    """Attach ``raw`` as a message/rfc822 part, byte for byte but for line ends, which
    become CR LF as on the wire: it is the letter as sent."""
    message.make_mixed()
    part = EmailMessage(policy=message.policy)
    part["Content-Type"] = "message/rfc822"
    part["Content-Disposition"] = "attachment"
    part.set_param("filename", header_text(filename, "filename"), header="Content-Disposition")
    # RFC 2046 allows only 7bit, 8bit or binary for message/rfc822, never base64
    part["Content-Transfer-Encoding"] = "7bit" if raw.isascii() else "8bit"
    # The generator writes a str payload of a message/rfc822 part verbatim; surrogateescape
    # turns each byte into one character and the BytesGenerator turns it back.
    text = raw.replace(b"\r\n", b"\n").decode("ascii", "surrogateescape")
    part.set_payload(text.replace("\n", "\r\n"))
    message.attach(part)
