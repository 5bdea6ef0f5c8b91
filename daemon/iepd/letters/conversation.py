"""The letters iepd drafts in the school's thread after the first answer (issue 15):
``ask_for_date``, ``insist``, ``pwn_request``, ``confirm`` and ``recap``.

Each is a reply to the school's newest message: In-Reply-To its Message-ID, References its
References (or In-Reply-To) and its Message-ID, the subject with one "Re: ". It goes To the
case manager, with the principal copied when the request is urgent, like every letter, and
its body comes from ``templates/draft/<kind>.txt.j2`` (the parent's copy wins).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from iepd.config.model import Config
from iepd.letters import words
from iepd.letters.compose import (
    address,
    checked_message_id,
    finish,
    header_text,
    new_message,
    render_template,
    reply_subject,
    template_context,
)
from iepd.letters.reminders import duration_words
from iepd.vocabulary import DRAFT_KINDS

_LIST_MARK = re.compile(r"^(?:\d{1,3}[.)]|[-*\u2022])\s*")


@dataclass(frozen=True)
class ThreadTip:
    """The message a draft answers: the school's newest (or, before any, iepd's request)."""

    message_id: str | None
    references: tuple[str, ...] = ()
    in_reply_to: str | None = None
    subject: str = ""
    sender: str = ""  # who wrote it, for the letter's thanks
    sent_at: datetime | None = None


@dataclass(frozen=True)
class DraftFacts:
    """What a draft says beyond the config: the meeting (confirm, recap), the parent's list
    of agreements (recap), the request's date."""

    request_sent_at: datetime | None = None
    meeting_start: datetime | None = None
    meeting_location: str = ""
    items: tuple[str, ...] = ()


def thread_references(tip: ThreadTip) -> list[str]:
    """Given the message answered, return the References of a reply to it (RFC 5322 3.6.4:
    its References, else its In-Reply-To, then its own Message-ID), each checked."""
    earlier = list(tip.references) or ([tip.in_reply_to] if tip.in_reply_to else [])
    chain = [*earlier, *([tip.message_id] if tip.message_id else [])]
    safe = []
    for item in chain:
        try:
            safe.append(checked_message_id(item))
        except ValueError:
            continue  # a malformed id from the school's header is left out, not copied
    return list(dict.fromkeys(safe))


def render_draft(
    config: Config,
    request_id: str,
    kind: str,
    *,
    tip: ThreadTip,
    facts: DraftFacts,
    message_id: str,
    date: datetime,
) -> EmailMessage:
    """Given a request, a draft kind, the message it answers and the facts it needs, return
    the letter. Raise ValueError if the kind is unknown, a fact it needs is missing (a
    confirm or recap without the meeting, a recap without items) or a header is unsafe;
    TemplateError if the template fails."""
    if kind not in DRAFT_KINDS:
        raise ValueError(f"unknown draft kind {kind!r}")
    if kind in ("confirm", "recap") and facts.meeting_start is None:
        raise ValueError(f"a {kind} letter needs the meeting's date")
    if kind == "recap" and not facts.items:
        raise ValueError("a recap needs at least one agreed item")
    request = config.request(request_id)
    child = config.child(request.child)
    language = config.parent.letters_language
    variables = template_context(config, request_id, language)
    within = config.assist.recap_correct_within
    variables.update(
        kind=kind,
        school_from=tip.sender,
        school_sent_at=tip.sent_at,
        school_subject=tip.subject,
        request_sent_at=facts.request_sent_at,
        meeting_start=facts.meeting_start,
        meeting_location=facts.meeting_location,
        attendees=list(request.attendees),
        prep_days=duration_words(config.timing.meeting_prep_before, False, language),
        items=list(_items(facts.items)),
        correct_within=duration_words(within, False, language),
        correct_by=date + timedelta(days=within.days, seconds=within.seconds),
    )
    body = render_template(config, f"draft/{kind}.txt.j2", variables, language)
    message = new_message(message_id, date, config)
    message["From"] = address(config.parent.name, config.parent.email, "parent")
    message["To"] = address(child.case_manager.name, child.case_manager.email, "case_manager")
    if request.urgent:
        message["Cc"] = address(child.principal.name, child.principal.email, "principal")
    subject = tip.subject or words.THREAD_SUBJECT[language]
    message["Subject"] = header_text(reply_subject(subject), "subject")
    thread = thread_references(tip)
    if thread:
        message["In-Reply-To"] = thread[-1]
        message["References"] = " ".join(thread)
    finish(message, body)
    return message


def _items(items: Sequence[str]) -> list[str]:
    """The parent's items, one line each, without list marks they typed themselves."""
    cleaned = (_LIST_MARK.sub("", " ".join(item.split())) for item in items)
    return [text for text in cleaned if text]
