"""Every template a config can use renders with sample values: `iepd check` asks this, so a
broken override is found before the daemon would meet it half-way through a send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from functools import partial

from iepd.config.model import Config
from iepd.errors import TemplateError
from iepd.letters.compose import packaged_templates, request_subject
from iepd.letters.conversation import DraftFacts, ThreadTip, render_draft
from iepd.letters.reminders import REMINDER_KINDS, UNSURE_KINDS, render_reminder, sample_context
from iepd.letters.school import render_followup, render_request
from iepd.vocabulary import DRAFT_KINDS


def check_templates(config: Config) -> list[str]:
    """Given a config, render every request letter, both follow-ups, every drafted letter
    and every reminder with sample values; return one line per problem (none: the
    templates are usable)."""
    sent_at = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    message_id = "<sample.iepd@example.invalid>"  # rendered, never sent
    problems: list[str] = []
    for request in config.requests:
        renders: list[Callable[[], EmailMessage]] = [
            partial(render_request, config, request.id, message_id=message_id, date=sent_at)
        ]
        renders.extend(
            partial(
                render_followup,
                config,
                request.id,
                number=number,
                original_message_id=message_id,
                original_references=(),
                original_subject=request_subject(request, config.child(request.child)),
                original_sent_at=sent_at,
                message_id=message_id,
                date=sent_at,
            )
            for number in (1, 2)
        )
        tip = ThreadTip(
            "<sample.school@example.invalid>", (message_id,), message_id, "Re: your request",
            "Dana Alvarez", sent_at,
        )  # fmt: skip
        facts = DraftFacts(sent_at, sent_at, "Room 12", ("Sample item",))
        renders.extend(
            partial(
                render_draft,
                config,
                request.id,
                kind,
                tip=tip,
                facts=facts,
                message_id=message_id,
                date=sent_at,
            )
            for kind in DRAFT_KINDS
        )
        # The words for a message iepd is unsure of are a branch of their own in the
        # reminder: an override can break them and still render the sure case.
        unsure = {"unsure": True, "deciding": ("We will get back to you about a meeting.",)}
        reminders = [(kind, sample_context(kind, sent_at)) for kind in REMINDER_KINDS]
        reminders += [(kind, {**sample_context(kind, sent_at), **unsure}) for kind in UNSURE_KINDS]
        renders.extend(
            partial(
                render_reminder,
                config,
                kind,
                request.id,
                message_id=message_id,
                date=sent_at,
                context=context,
            )
            for kind, context in reminders
        )
        for render in renders:
            try:
                render()
            except (TemplateError, ValueError, KeyError) as exc:
                problem = f"request {request.id}: {exc}"
                if problem not in problems:  # a broken shared template fails every render
                    problems.append(problem)
    problems.extend(_stray_overrides(config))
    return problems


def _stray_overrides(config: Config) -> list[str]:
    """Return a problem for each override file that replaces none of our templates (a typo
    in its name would otherwise be silently ignored)."""
    folder = config.override_templates_dir
    if not folder.is_dir():
        return []
    ours = packaged_templates()
    return [
        f"{path}: overrides no template of iepd (names: templates/request/<reason>.txt.j2, "
        "templates/followup.txt.j2, templates/escalation.txt.j2, templates/draft/<kind>.txt.j2,"
        " templates/reminder/<kind>.txt.j2; in Spanish the same under templates/es/)"
        for path in sorted(folder.rglob("*.j2"))
        if path.relative_to(folder).as_posix() not in ours
    ]
