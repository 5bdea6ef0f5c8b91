"""PURE: whether a message in the parent's Sent folder is the parent's own message to the
school in a request's thread, which request's, and from when it counts.

The rules are matching's, seen from the other side: the parent's message to the school
belongs to the request that the school's message to the parent would belong to, were it
sent back from that recipient (in the thread by In-Reply-To or References, or to the
child's school naming the child, or asking about a meeting when that school has one open
request). A recipient counts only on the school's side of that request (its case manager,
principal, school domains, or someone who wrote in its thread): a forward to an advocate in
the same thread is not a message to the school. iepd's own letters and reminders found there
are already in the record, and a message that points at two requests belongs to neither.
A reply to one of iepd's reminders is the parent's answer to iepd (a command, read by the
inbox), never a message to the school, even when the school is copied.

The same rules read the parent's messages found in the inbox (a copy to herself), where only
a message From one of the parent's addresses can be hers; a message found in both folders
(one Message-ID) is recorded once, from the folder read first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

from iepd.decide.matching import Match, MatchContext, OpenRequest, match
from iepd.inbox.parse import IncomingMessage


@dataclass(frozen=True)
class SentContext:
    """What deciding needs: addresses lower-case, Message-IDs with their angle brackets.

    ``threads`` are the open requests as matching knows them, except that each one's
    ``sent_message_ids`` holds every message of its thread (iepd's letters, the school's
    messages, the parent's own); ``correspondents`` maps a request id to the addresses
    other than the parent's that wrote in its thread."""

    parent_addresses: frozenset[str]
    own_message_ids: frozenset[str]  # every message iepd sent, as message_key gives it
    threads: tuple[OpenRequest, ...]
    correspondents: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    reminder_ids: frozenset[str] = frozenset()  # iepd's reminders, as message_key gives them


def message_key(message_id: str) -> str:
    """Given a Message-ID, return the form it is compared in (angle brackets, case folded)."""
    inner = message_id.strip().strip("<>").strip()
    return f"<{inner}>".casefold()


def is_own_message(message: IncomingMessage, ctx: SentContext) -> bool:
    """Given a message, return whether iepd sent it (a letter or a reminder)."""
    if "x-iepd-kind" in message.headers:
        return True
    return message.message_id is not None and message_key(message.message_id) in ctx.own_message_ids


def answers_iepd(message: IncomingMessage, ctx: SentContext) -> bool:
    """Given a message, return whether it replies to one of iepd's reminders (its
    In-Reply-To or References name one) or looks like such a reply ("[iepd]" in its
    subject, and a reply): the parent's word to iepd, never her message to the school."""
    named = (*message.in_reply_to, *message.references)
    if any(message_key(item) in ctx.reminder_ids for item in named):
        return True
    return bool(named) and "[iepd]" in message.subject.casefold()


def from_parent(message: IncomingMessage, ctx: SentContext) -> bool:
    """Given a message (or its headers), return whether one of the parent's addresses sent
    it: in the inbox, only such a message can be the parent's own."""
    sender = (message.from_addr or "").strip().lower()
    return bool(sender) and sender in {address.lower() for address in ctx.parent_addresses}


def recorded_before(message: IncomingMessage, recorded: Iterable[str]) -> bool:
    """Given a message and the Message-IDs of the parent's messages already recorded, return
    whether it is one of them: the copy in Sent and the copy in the inbox differ in their
    bytes (delivery adds headers) but are one message."""
    if message.message_id is None:
        return False
    return message_key(message.message_id) in {message_key(item) for item in recorded}


def worth_fetching(headers_only: IncomingMessage, ctx: SentContext) -> bool:
    """Given a Sent message's headers (``parse_headers_only``), return whether to fetch it
    whole: it is not iepd's and goes to someone on the school's side of an open request."""
    if not ctx.threads or is_own_message(headers_only, ctx) or answers_iepd(headers_only, ctx):
        return False
    return any(_school_side(recipient, ctx) for recipient in _recipients(headers_only, ctx))


def parent_message_request(message: IncomingMessage, ctx: SentContext) -> Match | None:
    """Given a whole message from the Sent folder, return the request whose thread it is the
    parent's message in, and why (matching's reason), or None."""
    if not ctx.threads or is_own_message(message, ctx) or answers_iepd(message, ctx):
        return None
    matching = MatchContext(parent_addresses=ctx.parent_addresses, requests=ctx.threads)
    found: dict[str, Match] = {}
    parent = (message.from_addr or min(ctx.parent_addresses, default=""),)
    for recipient in _recipients(message, ctx):
        if not _school_side(recipient, ctx):
            continue
        # Seen from the recipient: the school's message to the parent, as matching reads it.
        mirrored = replace(
            message,
            from_addr=recipient,
            to_addrs=parent,
            cc_addrs=(),
            subject=_as_the_school_says_it(message.subject),
            text=_as_the_school_says_it(message.text),
        )
        result = match(mirrored, matching)
        if result is None or result.reason == "bounce":
            continue
        request = next(item for item in ctx.threads if item.request_id == result.request_id)
        if _on_school_side(recipient, request, ctx):
            found.setdefault(result.request_id, result)
    if len(found) != 1:
        return None
    return next(iter(found.values()))


# The parent's own words for her letter, as the school would put them: "my letter about
# Sam's IEP" is the school's "your letter"; "I requested a meeting", "you requested".
_FIRST_PERSON = (
    (re.compile(r"\bmy\b", re.IGNORECASE), "your"),
    (re.compile(r"\bmis\b", re.IGNORECASE), "sus"),
    (re.compile(r"\bmi\b", re.IGNORECASE), "su"),
    (re.compile(r"\bI (requested|wrote|e-?mailed|reached out|asked for)\b"), r"you \1"),
)


def _as_the_school_says_it(text: str) -> str:
    for pattern, replacement in _FIRST_PERSON:
        text = pattern.sub(replacement, text)
    return text


def sent_moment(
    date_header: datetime | None, internaldate: datetime | None, detected_at: datetime
) -> datetime:
    """Given a Sent message's Date header, its INTERNALDATE and when iepd found it (all
    aware), return when the parent sent it: the INTERNALDATE, when the server filed the
    copy (a letter written offline is dated when it was written, but reached the school
    when it was sent); else the Date header; never later than when iepd found it (a wrong
    clock cannot push the school's deadline into the future)."""
    for claimed in (internaldate, date_header):
        if claimed is not None and claimed <= detected_at:
            return claimed
    return detected_at


def _recipients(message: IncomingMessage, ctx: SentContext) -> list[str]:
    parent = {address.lower() for address in ctx.parent_addresses}
    seen = dict.fromkeys(
        address.strip().lower() for address in (*message.to_addrs, *message.cc_addrs)
    )
    return [address for address in seen if address and address not in parent]


def _on_school_side(recipient: str, request: OpenRequest, ctx: SentContext) -> bool:
    """Whether recipient is the case manager, the principal, someone who wrote in the
    request's thread, or an address of one of its school domains (or their subdomains)."""
    people = {request.case_manager.lower(), request.principal.lower()}
    people |= {address.lower() for address in ctx.correspondents.get(request.request_id, ())}
    if recipient in people:
        return True
    domain = recipient.rpartition("@")[2]
    wanted = (item.strip().lower().lstrip("@") for item in request.school_domains)
    return any(item and (domain == item or domain.endswith("." + item)) for item in wanted)


def _school_side(recipient: str, ctx: SentContext) -> bool:
    return any(_on_school_side(recipient, request, ctx) for request in ctx.threads)
