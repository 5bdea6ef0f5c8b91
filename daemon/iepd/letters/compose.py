"""What every message iepd writes is built from: the templates' environment and variables,
the Message-ID, and headers that are safe.

Templates render bodies only (the school's letters are in ``school``, the parent's reminders
in ``reminders``). Every header is set through the ``EmailMessage`` API,
after refusing any value that holds a control character, so no configured value can add a
header or a recipient. A template problem (a syntax error, an undefined variable) becomes a
``TemplateError`` while the message is built, before anything could be sent.

Every template sees these variables (reminders add more, see ``iepd.letters.reminders``):

| name | value |
|---|---|
| ``parent``, ``child``, ``request`` | the ``Parent``, ``Child`` and ``RequestSettings`` |
| ``case_manager``, ``principal`` | the child's ``Contact`` entries |
| ``reason_label`` | the reason in a few words, e.g. "services not delivered as written" |
| ``urgent`` | ``request.urgent`` |
| ``child_first_name`` | the first word of the child's name |
| ``they``, ``them``, ``their``, ``They``, ``Their`` | the child's pronouns |
| ``verb(singular, plural)`` | the verb form that goes with ``they``: ``verb("is", "are")`` |
| ``request_subject`` | the subject of the request letter |
| ``child_noun``, ``o`` | Spanish: "hijo", "hija" or "hijo/a", and the agreeing ending ("o", "a") |
| ``language`` | the language the template writes in, "en" or "es" |
| ``number``, ``original_sent_at``, ``original_subject`` | follow-ups only |

Filters: ``longdate`` ("Tuesday, December 1, 2026"), ``longdatetime`` (with the time of day),
both in the parent's timezone and the template's language; ``quote`` (prefix every line with "> ");
``article`` (a school's name with its article in the template's language: "la Escuela ...").

Each line a template writes is a paragraph or a list item: lines longer than 72 columns are
wrapped, list items ("- ", "1. ") and quoted lines ("> ") with a hanging indent
(``text_format``).

A template in another language than English lives under ``templates/<language>/`` with
the same name (``es/reminder/sent.txt.j2``), and the parent's own folder wins per language.

The export's printable page (``iepd.trail.export_page``) is rendered here too, with
``render_page``: a second environment with the same two folders, which HTML-escapes every
value. This module stays the one that imports jinja2.
"""

from __future__ import annotations

import email.errors
import email.parser
import email.policy
import logging
import re
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from functools import lru_cache, partial
from pathlib import Path

import jinja2

from iepd.config.model import Child, Config, RequestSettings
from iepd.errors import TemplateError
from iepd.letters import words
from iepd.letters.mail_policy import MAIL_POLICY
from iepd.letters.text_format import (
    long_date,
    long_datetime,
    parent_zone,
    tidy,
    with_article,
    zone_named,
)

logger = logging.getLogger(__name__)

# the English labels, kept here for the importers that show them (the export page)
REASON_LABELS: Mapping[str, str] = words.REASON_LABELS["en"]
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")  # printable ASCII without "<" and ">"
_ENCODED_WORD = re.compile(r"=\?.*\?=", re.DOTALL)
_HEADER_BREAKOUT = re.compile(r"\r\n(?![ \t])|\r(?!\n)|(?<!\r)\n")


# The random part of every Message-ID iepd makes, in bits. A reply to a reminder is taken
# as the parent's command only when it quotes a reminder's Message-ID (SPEC: at least 128
# bits), so the id must be as hard to guess as a password; make_msgid has 64 bits from
# ``random``, which is neither enough nor unpredictable.
MESSAGE_ID_RANDOM_BITS = 128


def make_message_id(parent_email: str) -> str:
    """Given the parent's address, return a new Message-ID of the parent's domain, like
    ``<5f0c...e1.iepd@family.example>``: MESSAGE_ID_RANDOM_BITS bits from ``secrets``, in
    lower-case hex, before ".iepd@".

    Raise ValueError if the address has no usable (ASCII) domain.
    """
    local_part, at, domain = parent_email.strip().lower().rpartition("@")
    if (
        not (local_part and at and domain)
        or not domain.isascii()
        or not _MESSAGE_ID.fullmatch(f"<x@{domain}>")
    ):
        raise ValueError(f"cannot make a Message-ID from the address {parent_email!r}")
    return f"<{secrets.token_hex(MESSAGE_ID_RANDOM_BITS // 8)}.iepd@{domain}>"


def template_context(config: Config, request_id: str, language: str = "en") -> dict[str, object]:
    """Given a config, a request id and the language of the text, return the variables
    every template sees."""
    request = config.request(request_id)
    child = config.child(request.child)
    pronouns = words.PRONOUNS[language]
    they, them, their = pronouns.get(child.pronouns, pronouns["they"])
    first_name = (child.name.split() or [child.name])[0]
    # Spanish names a child who uses "they" (and conjugates in the singular)
    they, them = (they or first_name), (them or first_name)
    plural = they == "they"
    child_noun, ending = words.CHILD_NOUN[language].get(child.pronouns, ("", ""))

    def verb(singular: str, plural_form: str) -> str:
        return plural_form if plural else singular

    return {
        "parent": config.parent,
        "child": child,
        "request": request,
        "case_manager": child.case_manager,
        "principal": child.principal,
        "reason_label": words.REASON_LABELS[language].get(request.reason, request.reason),
        "urgent": request.urgent,
        "child_first_name": first_name,
        "they": they,
        "them": them,
        "their": their,
        "They": they[:1].upper() + they[1:],
        "Their": their.capitalize(),
        "verb": verb,
        "request_subject": request_subject(request, child, language),
        "child_noun": child_noun,
        "o": ending,
        "language": language,
    }


def request_subject(request: RequestSettings, child: Child, language: str = "en") -> str:
    """Given a request, its child and a language, return the request letter's subject."""
    subject = words.REQUEST_SUBJECT[language].format(name=child.name)
    return f"{words.URGENT_PREFIX[language]}{subject}" if request.urgent else subject


def reply_subject(subject: str) -> str:
    """Given a subject, return it as a reply's subject, with one "Re: " only."""
    return subject if re.match(r"\s*re\s*:", subject, re.IGNORECASE) else f"Re: {subject}"


def header_text(value: str, what: str) -> str:
    """Given a value meant for a header, return it. Raise ValueError if it holds a control
    character, a line or paragraph separator (it could start a header of its own) or an
    RFC 2047 encoded word: the email package decodes "=?utf-8?q?=0D=0A...?=" when a header
    is set and then writes the decoded CR LF out raw (CPython before 3.11.10 and 3.12.5)."""
    for character in value:
        if unicodedata.category(character) in ("Cc", "Zl", "Zp"):
            raise ValueError(f"{what}: the character {character!r} is not allowed in a mail header")
    if _ENCODED_WORD.search(value):
        raise ValueError(f"{what}: text that looks like an encoded word (=?...?=) is not allowed")
    return value


def address(name: str, addr_spec: str, what: str) -> Address:
    """Given a display name and one plain address, return the header Address. Raise
    ValueError if either is unsafe or the address is not exactly one ASCII address."""
    header_text(name, f"{what}.name")
    header_text(addr_spec, f"{what}.email")
    problem = f"{what}.email: expected one plain address like name@example.org, got {addr_spec!r}"
    if not addr_spec.isascii():
        raise ValueError(problem)
    try:
        result = Address(display_name=name, addr_spec=addr_spec)
    except (ValueError, IndexError, email.errors.HeaderParseError) as exc:
        raise ValueError(problem) from exc
    if result.addr_spec != addr_spec or not result.username or "." not in result.domain:
        raise ValueError(problem)
    return result


def new_message(message_id: str, date: datetime, config: Config) -> EmailMessage:
    """Return an empty message with its Date (in the parent's timezone) and Message-ID set.
    Raise ValueError if ``date`` is naive or ``message_id`` malformed."""
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("the Date of a message needs a timezone")
    message = EmailMessage(policy=MAIL_POLICY)
    message["Date"] = date.astimezone(parent_zone(config))
    message["Message-ID"] = checked_message_id(message_id)
    return message


def finish(message: EmailMessage, body: str) -> None:
    """Check that every header folds to exactly one header, then set ``body`` as the
    message's UTF-8 plain text: 7bit when it is ASCII with short lines, quoted-printable
    otherwise, so that no relay has to convert it. Raise ValueError if a header would
    break out of its line."""
    _verify_headers(message)
    lines = body.split("\n")
    short = all(len(line) <= 78 for line in lines)
    encoding = "7bit" if body.isascii() and short else "quoted-printable"
    message.set_content(body, subtype="plain", charset="utf-8", cte=encoding)


def _verify_headers(message: EmailMessage) -> None:
    """Raise ValueError unless the headers, as they will be written, read back as the same
    headers with the same addresses. This catches what the email package gets wrong: on
    CPython 3.11.7 a long display name holding commas loses its quotes when folded, and
    each part after a comma reads back as an address of its own."""
    policy = message.policy
    written = b"".join(policy.fold_binary(name, value) for name, value in message.items())
    read_back = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(
        written + policy.linesep.encode("ascii")
    )
    for name, value in message.items():
        folded = policy.fold(name, value).removesuffix(policy.linesep)
        # a line break inside a header must be followed by whitespace (a continuation line)
        if _HEADER_BREAKOUT.search(folded):
            raise ValueError(f"the {name} header would start a header of its own")
    if [name.lower() for name in read_back.keys()] != [name.lower() for name in message.keys()]:
        raise ValueError("the headers would not read back as written")
    for name, value in message.items():
        intended = [item.addr_spec for item in getattr(value, "addresses", ())]
        found = [item.addr_spec for item in getattr(read_back[name], "addresses", ())]
        if intended != found:
            raise ValueError(
                f"the {name} header would not read back as {', '.join(intended)}; "
                "a name with commas or quotes may be the cause: shorten or simplify it"
            )


def render_template(
    config: Config, name: str, variables: Mapping[str, object], language: str = "en"
) -> str:
    """Given a template name, its variables and the language to write in, return the
    tidied, wrapped text. A language other than English reads ``<language>/<name>`` and
    never falls back to the English one: a parent who reads Spanish must get Spanish. Raise
    TemplateError naming the template (and the file and line, when known) if it fails."""
    environment = _environment(config.override_templates_dir, config.parent.timezone, language)
    return tidy(_render(environment, template_path(name, language), variables))


def template_path(name: str, language: str) -> str:
    """Given a template's English name and a language, return the name of its template in
    that language ("reminder/sent.txt.j2" -> "es/reminder/sent.txt.j2")."""
    return name if language == "en" else f"{language}/{name}"


def render_page(override_dir: Path | None, name: str, variables: Mapping[str, object]) -> str:
    """Given the parent's templates folder (None: iepd's own templates only), an HTML
    template's name and its variables, return the page, with every value HTML-escaped
    unless the template marks it safe. Raise TemplateError as ``render_template`` does."""
    return _render(_html_environment(override_dir), name, variables)


def _render(environment: jinja2.Environment, name: str, variables: Mapping[str, object]) -> str:
    try:
        template = environment.get_template(name)
        logger.debug("rendering %s from %s", name, template.filename)
        return template.render(variables)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {name}: not found ({exc.name})") from exc
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name or name}, line {exc.lineno}"
        raise TemplateError(f"template {name}: {where}: {exc.message}") from exc
    except (jinja2.TemplateError, TypeError, ValueError, LookupError, ArithmeticError) as exc:
        # a parent's override may fail in any way; the message must still name the file
        where = _template_frame(exc) or name
        raise TemplateError(f"template {name}: {where}: {exc}") from exc


def _template_frame(exc: BaseException) -> str | None:
    """Return "file, line N" of the innermost template frame of ``exc``'s traceback: Jinja
    rewrites tracebacks so that template code shows with its own file name and line."""
    found = None
    traceback = exc.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = f"{filename}, line {traceback.tb_lineno}"
        traceback = traceback.tb_next
    return found


def checked_message_id(message_id: str) -> str:
    if not _MESSAGE_ID.fullmatch(message_id):
        raise ValueError(f"not a Message-ID: {message_id!r}")
    return message_id


def packaged_templates() -> frozenset[str]:
    """Return the names of the templates iepd ships ("request/general.txt.j2", ...)."""
    return frozenset(jinja2.PackageLoader("iepd", "templates").list_templates())


def _loader(override_dir: Path | None) -> jinja2.BaseLoader:
    """The parent's templates folder first, so that a file of the same name wins."""
    packaged = jinja2.PackageLoader("iepd", "templates")
    if override_dir is None:
        return packaged
    return jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(override_dir)), packaged])


@lru_cache(maxsize=8)
def _environment(override_dir: Path, timezone: str, language: str = "en") -> jinja2.Environment:
    zone = zone_named(timezone)

    def quote(text: str) -> str:
        return "\n".join(f"> {line}".rstrip() for line in str(text).splitlines())

    environment = jinja2.Environment(
        loader=_loader(override_dir),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - plain-text mail: HTML escaping would corrupt it
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        longdate=partial(long_date, zone=zone, language=language),
        longdatetime=partial(long_datetime, zone=zone, language=language),
        quote=quote,
        article=partial(with_article, language=language),
    )
    return environment


@lru_cache(maxsize=4)
def _html_environment(override_dir: Path | None) -> jinja2.Environment:
    # A second environment, not a flag on the first: the letters are plain text, where
    # escaping would corrupt them, and a page is HTML, where not escaping is the danger.
    return jinja2.Environment(
        loader=_loader(override_dir),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
