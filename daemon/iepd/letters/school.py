"""The letters to the school: the request, and its two follow-ups in the same thread (the
second, the escalation, copies the principal). Bodies come from the templates; every header
is set through ``compose``, which refuses any value that could add a header or a recipient."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from iepd.config.model import REASONS, Child, Config
from iepd.letters.compose import (
    address,
    checked_message_id,
    finish,
    header_text,
    new_message,
    render_template,
    reply_subject,
    request_subject,
    template_context,
)


def render_request(
    config: Config, request_id: str, *, message_id: str, date: datetime
) -> EmailMessage:
    """Given a configured request, return its letter to the case manager (Cc the principal
    when urgent). Raise TemplateError if the template fails, ValueError if a header value
    is unsafe, KeyError if the request is unknown."""
    request = config.request(request_id)
    child = config.child(request.child)
    if request.reason not in REASONS:
        raise ValueError(f"request {request.id}: unknown reason {request.reason!r}")
    language = config.parent.letters_language
    body = render_template(
        config,
        f"request/{request.reason}.txt.j2",
        template_context(config, request_id, language),
        language,
    )
    message = _letter(config, child, message_id, date, copy_principal=request.urgent)
    message["Subject"] = header_text(request_subject(request, child, language), "subject")
    finish(message, body)
    return message


def render_followup(
    config: Config,
    request_id: str,
    *,
    number: int,
    original_message_id: str | None,
    original_references: tuple[str, ...],
    original_subject: str,
    original_sent_at: datetime,
    message_id: str,
    date: datetime,
    posted: str = "",
) -> EmailMessage:
    """Given a sent request, return follow-up ``number`` (1: follow-up, 2: escalation, which
    always copies the principal) in the request's thread. A request that was never emailed,
    only delivered by post (``original_message_id`` None, ``original_sent_at`` the day of
    delivery, ``posted`` its tracking number), is followed up in a thread of its own. Raise
    TemplateError if the template fails, ValueError if ``number`` or a header value is bad."""
    if number not in (1, 2):
        raise ValueError(f"follow-up number must be 1 or 2, not {number!r}")
    request = config.request(request_id)
    child = config.child(request.child)
    thread = [
        checked_message_id(item)
        for item in (*original_references, original_message_id)
        if item is not None
    ]
    language = config.parent.letters_language
    variables = template_context(config, request_id, language)
    variables.update(
        number=number,
        original_sent_at=original_sent_at,
        original_subject=original_subject,
        posted=posted,
    )
    template_name = "followup.txt.j2" if number == 1 else "escalation.txt.j2"
    body = render_template(config, template_name, variables, language)
    message = _letter(config, child, message_id, date, copy_principal=number == 2 or request.urgent)
    message["Subject"] = header_text(reply_subject(original_subject), "subject")
    if thread:
        message["In-Reply-To"] = thread[-1]
        message["References"] = " ".join(thread)
    finish(message, body)
    return message


def _letter(
    config: Config, child: Child, message_id: str, date: datetime, *, copy_principal: bool
) -> EmailMessage:
    """Return a letter from the parent to the case manager, Cc the principal if asked."""
    message = new_message(message_id, date, config)
    message["From"] = address(config.parent.name, config.parent.email, "parent")
    message["To"] = address(child.case_manager.name, child.case_manager.email, "case_manager")
    if copy_principal:
        message["Cc"] = address(child.principal.name, child.principal.email, "principal")
    return message
