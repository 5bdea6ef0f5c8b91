"""`iepd explain FILE.eml [--json]`: what iepd makes of one message, and why.

The message is read as the daemon reads what it fetches: parsed (which never raises),
matched against the context the daemon builds from the config and the store, and
classified. Nothing is written: the store is opened read-only, or, before `iepd run` has
recorded anything, the config's requests stand in for sent ones (no Message-IDs yet, so no
reply can match by its thread). The reasons a message matches no request are read from the
SPEC's rules ("Watching"), in the order the matcher applies them.
"""

from __future__ import annotations

import json
import textwrap
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from iepd.config.model import Config
from iepd.decide.classify import Classification, classify
from iepd.decide.commands import referenced_reminder
from iepd.decide.matching import Match, MatchContext, OpenRequest, is_candidate, match
from iepd.decide.parent_messages import from_parent, parent_message_request
from iepd.errors import IepdError
from iepd.inbox.parent_messages import sent_context
from iepd.inbox.parse import IncomingMessage, is_mail_system, parse_headers_only, parse_message
from iepd.inbox.record import (
    config_match_context,
    match_context,
    quoted_sentences,
    recorded_class,
)
from iepd.letters.text_format import long_date, parent_zone
from iepd.store.database import Store
from iepd.vocabulary import LETTER_NAMES, LETTER_PURPOSES

WIDTH = 78
EX_NOINPUT = 66  # sysexits.h: an input file did not exist or was not readable

CLASS_WORDS = {
    "answer": "an answer from the school (the follow-ups stop)",
    "auto_reply": "an automatic reply, such as an out-of-office notice (not an answer)",
    "bounce": "a report that a letter was not delivered",
    "declined": "the school declines the meeting",
    "informal": "the school offers something less than an IEP meeting instead",
    "invite": "an invitation to the meeting",
}
# Why a message belongs to no request: a code for --json and the words for a person.
WHY_NONE = {
    "no_open_request": "there is no open request that iepd has sent",
    "headers_skip": "the daemon reads a message's headers first and fetches the rest only when"
    " they look like an answer or a bounce, and these do not",
    "iepd_reminder": "it is one of iepd's own reminders to you",
    "reminder_reply": "it replies to one of iepd's reminders, so it is never the school's"
    " answer; from you, iepd reads it as a command (see the commands by email)",
    "parent_mail": "it is from you (an address of yours in the config)",
    "parent_message": "it is your own message to the school in the thread of {request}: iepd"
    " records it there as yours (parent_message, from the inbox or the Sent folder), never as"
    " the school's answer, and the school's clock restarts from it",
    "iepd_letter": "it is a letter iepd sent",
    "list_mail": "it is mailing-list mail (List-Id or List-Unsubscribe)",
    "unmatched_delivery_report": "it is a delivery report, but it returns none of iepd's letters",
    "bulk_mail": "it is bulk mail (Precedence: bulk, list or junk)",
    "not_from_school": "it is not in the thread of a letter iepd sent, and its sender is"
    " neither a case manager, a principal nor at a school domain of the config",
    "no_single_request": "it is from the school but not in the thread of a letter iepd sent,"
    " and it does not point at one request: it names no child, or several, and does not ask"
    " about an IEP meeting of a sender with exactly one open request",
}
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})


class InputMissing(IepdError):
    """The message file cannot be read."""

    exit_code = EX_NOINPUT


@dataclass(frozen=True)
class Explanation:
    message: IncomingMessage
    found: Match | None
    reason: str  # the Match's reason, or a key of WHY_NONE
    words: str  # the reason, for a person
    result: Classification
    has_store: bool


def read_message(path: str) -> bytes:
    """Given the path of a message file, return its bytes. Raise InputMissing, naming the
    file, if it cannot be read."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputMissing(f"cannot read {path}: no such file") from None
    except IsADirectoryError:
        raise InputMissing(f"cannot read {path}: it is a folder, not a message file") from None
    except OSError as error:
        raise InputMissing(f"cannot read {path}: {error.strerror or error}") from None


def explain(config: Config, store: Store | None, raw: bytes) -> Explanation:
    """Given the config, the store (None before `iepd run` has recorded anything) and a
    message's bytes, return the request it would match and why, and its class."""
    context = match_context(config, store) if store is not None else config_match_context(config)
    message = parse_message(raw)
    if store is not None and _replies_to_reminder(store, message):
        reason = "reminder_reply"
        return Explanation(message, None, reason, WHY_NONE[reason], classify(message), True)
    if store is not None and (mine := _parent_message(config, store, message)) is not None:
        words = WHY_NONE["parent_message"].format(request=mine)
        return Explanation(message, None, "parent_message", words, classify(message), True)
    found = match(message, context)
    if found is not None and not is_candidate(parse_headers_only(_header_block(raw)), context):
        found = None  # never fetched: the watcher looks at the headers first
        reason, words = "headers_skip", WHY_NONE["headers_skip"]
    elif found is None:
        reason = why_none(message, context)
        words = WHY_NONE[reason]
    else:
        reason = found.reason
        words = why_matched(config, store, message, found, context)
    # Classified even when unmatched: the daemon would ignore it, but how it reads is what
    # a parent (or a test) asking about a message wants to see.
    result = classify(message)
    return Explanation(message, found, reason, words, result, store is not None)


def _replies_to_reminder(store: Store, message: IncomingMessage) -> bool:
    """Whether the daemon would route the message to the parent's commands (inbox.replies)."""
    from iepd.inbox.replies import sent_reminders  # here: only a reply needs the reminders

    if not (message.in_reply_to or message.references):
        return False
    found = referenced_reminder(message.in_reply_to, message.references, sent_reminders(store))
    return found is not None


def _parent_message(config: Config, store: Store, message: IncomingMessage) -> str | None:
    """The request in whose thread the daemon would record the message as the parent's own
    (inbox.router, from either folder), or None."""
    context = sent_context(config, store)
    if not from_parent(message, context):
        return None
    found = parent_message_request(message, context)
    return found.request_id if found else None


def why_none(message: IncomingMessage, context: MatchContext) -> str:
    """Given a message that matches no request and the context, return why (a WHY_NONE key)."""
    headers = message.headers
    sent = {_key(item) for request in context.requests for item in request.sent_message_ids}
    if not context.requests:
        return "no_open_request"
    if "x-iepd-kind" in headers:
        return "iepd_reminder"
    if message.from_addr and message.from_addr.lower() in context.parent_addresses:
        return "parent_mail"
    if message.message_id and _key(message.message_id) in sent:
        return "iepd_letter"
    if "list-id" in headers or "list-unsubscribe" in headers:
        return "list_mail"
    failures = message.parts.failures
    if (
        is_mail_system(message)
        or "x-failed-recipients" in headers
        or message.parts.report_type == "delivery-status"
        or failures.permanent
        or failures.temporary
    ):
        return "unmatched_delivery_report"
    if headers.get("precedence", "").strip().lower() in _BULK_PRECEDENCE:
        return "bulk_mail"
    if not any(_role(message.from_addr, request) for request in context.requests):
        return "not_from_school"
    return "no_single_request"


def why_matched(
    config: Config,
    store: Store | None,
    message: IncomingMessage,
    found: Match,
    context: MatchContext,
) -> str:
    """Given a match, return why in words: "in the thread of the request for an IEP meeting
    iepd sent on Tuesday, December 1, 2026", "from the case manager and names Sam"."""
    [request] = [item for item in context.requests if item.request_id == found.request_id]
    if found.reason in ("thread", "bounce"):
        ids = (
            *(message.parts.returned_message_ids if found.reason == "bounce" else ()),
            *message.in_reply_to,
            *reversed(message.references),
        )
        letter = _letter_words(config, store, request, ids)
        if found.reason == "bounce":
            return f"it is a delivery report that returns {letter}"
        return f"it is in the thread of {letter}"
    role = _role(message.from_addr, request) or "the school"
    first_name = request.child_name.split()[0] if request.child_name else "the child"
    if found.reason == "sender_names_child":
        return f"it is from {role} and names {first_name}"
    return (
        f"it is from {role}, names no child, asks about an IEP meeting, and {request.request_id}"
        " is the one open request of that sender"
    )


def as_json(explanation: Explanation) -> str:
    """Given an explanation, return the SPEC's JSON object (and ``unsure``)."""
    result = explanation.result
    return json.dumps(
        {
            "request": explanation.found.request_id if explanation.found else None,
            "match_reason": explanation.reason,
            "class": result.klass,
            "signals": list(result.signals),
            "excerpt": result.excerpt,
            "unsure": result.unsure,
        },
        indent=2,
        ensure_ascii=False,
    )


def as_text(config: Config, explanation: Explanation) -> str:
    """Given an explanation, return it in a few plain lines."""
    message, result = explanation.message, explanation.result
    lines = [
        f"message: {message.message_id or '(no Message-ID)'} from"
        f" {message.from_addr or '(no sender)'},"
        f" subject {json.dumps(message.subject, ensure_ascii=False)}"
    ]
    if message.problems:
        lines.append(f"  malformed, read as far as it goes: {'; '.join(message.problems)}")
    if not explanation.has_store:
        lines.append(
            f"no store yet: `iepd run` has recorded nothing in {config.state_dir}, so no letter"
            " has gone out and no reply can match by its thread; matched against the config's"
            " requests as if each had been sent"
        )
    if explanation.found is None:
        lines.append(f"request: none, because {explanation.words}")
        if explanation.reason not in ("reminder_reply", "parent_message"):
            lines.append(
                "  iepd would leave this message alone: it records only mail about a request"
            )
    else:
        lines.append(f"request: {explanation.found.request_id}, because {explanation.words}")
    label = "class" if explanation.found else "class, were it about a request"
    lines.append(f"{label}: {result.klass}: {_class_words(config, result)}")
    lines.append("evidence:")
    lines += [f"  - {signal}" for signal in result.signals] or ["  - no sign of another class"]
    if result.unsure:
        lines.append("unsure: iepd is not sure what the school meant; it went by:")
        quoted = quoted_sentences(result)
        lines += [f'    "{sentence}"' for sentence in quoted] or ["    (no sentence settles it)"]
    else:
        lines.append("unsure: no")
    wrapped = [_wrap(line) for line in lines]
    excerpt = textwrap.wrap(result.excerpt, width=WIDTH - 4, break_on_hyphens=False) or ["(none)"]
    text = "\n".join([*wrapped, "excerpt:", *(f"  > {line}" for line in excerpt)])
    # the school's words, and a hostile sender's, must not drive the parent's terminal
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")


def _wrap(line: str) -> str:
    """Given one line of the report, return it wrapped, its later lines indented below its
    first word (a signal, a quoted sentence)."""
    stripped = line.lstrip()
    marker = stripped[:2] if stripped.startswith(("- ", '"')) else ""
    indent = " " * (len(line) - len(stripped) + (2 if marker == "- " else 1 if marker else 2))
    return textwrap.fill(line, width=WIDTH, subsequent_indent=indent, break_on_hyphens=False)


def _class_words(config: Config, result: Classification) -> str:
    words = CLASS_WORDS.get(result.klass, result.klass)
    if result.klass == "invite":
        if result.meeting_start is None:
            return f"{words}, with no start time, so recorded as {recorded_class(result)}"
        where = f", {result.meeting_location}" if result.meeting_location else ""
        return f"{words} on {long_date(result.meeting_start, parent_zone(config))}{where}"
    if result.klass == "bounce" and result.bounced_recipient:
        return f"{words} (to {result.bounced_recipient})"
    return words


def _role(sender: str | None, request: OpenRequest) -> str | None:
    """Given a sender and a request, return who the sender is to it, or None."""
    if not sender or "@" not in sender:
        return None
    sender = sender.lower()
    if sender == request.case_manager:
        return "the case manager"
    if sender == request.principal:
        return "the principal"
    domain = sender.rpartition("@")[2]
    for item in request.school_domains:
        school = item.lower().lstrip("@")
        if school and (domain == school or domain.endswith("." + school)):
            return f"an address at {school}, a school domain"
    return None


def _letter_words(
    config: Config, store: Store | None, request: OpenRequest, ids: tuple[str, ...]
) -> str:
    """Given the Message-IDs a message refers to, return the first letter of ``request``
    among them in words: "the request for an IEP meeting iepd sent on ..."."""
    letters = {}
    if store is not None:
        letters = {
            _key(row.message_id): row
            for row in store.list_outgoing(request.request_id)
            if row.purpose in LETTER_PURPOSES and row.message_id
        }
    for message_id in ids:
        row = letters.get(_key(message_id))
        if row is not None:
            when = long_date(row.accepted_at or row.created_at, parent_zone(config))
            name = LETTER_NAMES.get(row.purpose, row.purpose)
            # a letter the server has not accepted (queued, uncertain) still has its id
            verb = "sent" if row.accepted_at else "recorded"
            return f"the {name} iepd {verb} on {when} ({row.message_id})"
    return f"a letter iepd sent for {request.request_id}"


def _header_block(raw: bytes) -> bytes:
    """Given a message's bytes, return its header block, as the watcher fetches it first."""
    ends = [(raw.find(separator), separator) for separator in (b"\r\n\r\n", b"\n\n")]
    found = [(index, separator) for index, separator in ends if index >= 0]
    if not found:
        return raw
    index, separator = min(found)
    return raw[:index] + separator


def _key(message_id: str) -> str:
    return f"<{message_id.strip().strip('<>').strip()}>".casefold()
