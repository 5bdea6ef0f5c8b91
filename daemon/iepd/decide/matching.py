"""PURE: which open request an incoming message belongs to, if any.

Given plain data (an :class:`~iepd.inbox.parse.IncomingMessage` and a :class:`MatchContext`),
return plain data; nothing here reads a clock, a database or the network. The rules
(SPEC "Watching"): a message in a request's thread belongs to it; a bounce belongs to the
request whose Message-ID its returned original carries; otherwise mail from the school that
names the child, or that asks about an IEP meeting when its sender has exactly one open
request. List and bulk mail, the parent's own mail and iepd's reminders never match (a
school system's copy of one staff member's message to the parent is hers, if it names the
child and speaks of the request: ``bulk.relays_a_person``). When the evidence points at two
requests, the answer is None: a wrong match would stop the follow-ups of a request the
school never answered.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from iepd.decide import bulk, mentions
from iepd.decide.lemmas import plain
from iepd.decide.topic import TEXT_SCAN_LIMIT, on_topic, on_topic_text
from iepd.inbox.parse import IncomingMessage, is_mail_system

logger = logging.getLogger(__name__)

Reason = Literal["thread", "bounce", "sender_names_child", "sole_open_request"]

_ASKS_ABOUT_MEETING = re.compile(r"\b(IEP|ARD|meeting|junta|reuni[oó]n)\b", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|returned mail|failure notice|mail delivery"
    r"|delivery (has )?failed|could not be delivered|delayed mail|delivery delayed",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class OpenRequest:
    """A request that was sent and is not final, as matching needs it. Addresses are
    lower-case; ``sent_message_ids`` are the request's and its follow-ups' Message-IDs."""

    request_id: str
    child_id: str
    child_name: str  # full name, e.g. "Sam Rivera"
    sent_message_ids: frozenset[str]
    case_manager: str
    principal: str
    school_domains: tuple[str, ...] = ()
    # The case manager's and the principal's names as the config gives them: a messaging
    # platform outside the school's domains relays their messages under their names.
    staff_names: tuple[str, ...] = ()
    # What the parent's letter is about ("reading", "speech"): mentions.areas_of her concern.
    areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class MatchContext:
    parent_addresses: frozenset[str]  # parent.email, remind_to, mail.username (lower-case)
    requests: tuple[OpenRequest, ...]  # only requests that are sent and not final


@dataclass(frozen=True)
class Match:
    request_id: str
    reason: Reason


def is_candidate(headers_only: IncomingMessage, ctx: MatchContext) -> bool:
    """Given a message's headers (``parse_headers_only``) and the open requests, return True
    when the whole message is worth fetching: it may be an answer or a bounce. It is False
    for a message :func:`match` would take only in one case that headers cannot show: a
    delivery report nested deep inside a message whose sender and subject look personal."""
    if not ctx.requests or _excluded(headers_only, ctx) is not None:
        return False
    if _thread_request(headers_only, ctx) is not None:
        return True
    if _looks_like_bounce(headers_only) or _bounce_subject(headers_only):
        return True
    # The signs of mass or system mail (bulk.reason) are read only once the whole message is
    # here: a meeting-notice system sends its invitation from a no-reply address marked
    # Precedence: bulk, and only the body shows the invitation.
    return bool(
        _school_requests(headers_only, ctx)
        or _relayed_staff_requests(headers_only, ctx)
        or _staff_named_sender(headers_only, ctx)
    )


def match(message: IncomingMessage, ctx: MatchContext) -> Match | None:
    """Given a whole message and the open requests, return the request it belongs to and
    why, or None when it belongs to none or the evidence is ambiguous."""
    excluded = _excluded(message, ctx)
    if excluded is not None:
        logger.debug("message %s not matched: %s", message.message_id, excluded)
        return None
    if _looks_like_bounce(message):
        request = _returned_request(message, ctx) or _thread_request(message, ctx)
        return Match(request.request_id, "bounce") if request else None
    request = _thread_request(message, ctx)
    if request is not None:
        return Match(request.request_id, "thread")
    set_aside = bulk.reason(message, ctx.parent_addresses)
    if set_aside is None:
        return _sender_match(message, ctx)
    relayed = bulk.relays_a_person(message, ctx.parent_addresses)
    found = _sender_match(message, ctx, relayed=True) if relayed else None
    if found is not None:
        logger.info("message %s is a system's mail (%s) that %s", message.message_id, set_aside,
                    relayed)  # fmt: skip
        return found
    logger.info("message %s not matched, mass or system mail: %s", message.message_id,
                set_aside)  # fmt: skip
    return None


def _excluded(message: IncomingMessage, ctx: MatchContext) -> str | None:
    if "x-iepd-kind" in message.headers:
        return "an iepd reminder"
    if message.from_addr is not None and message.from_addr in _lower(ctx.parent_addresses):
        return "the parent's own mail"
    if message.message_id is not None and any(
        _key(message.message_id) in _sent_keys(request) for request in ctx.requests
    ):
        return "a letter iepd sent"
    if "list-id" in message.headers or "list-unsubscribe" in message.headers:
        # A group mailbox's auto-reply carries the group's List-Id, and still answers the
        # parent's own letter; a post to a list never marks itself an auto-reply. A portal
        # puts List-Unsubscribe on its copy of one person's message too: bulk.reason and
        # the sender rule judge that once the whole message is here.
        relayed = "list-id" not in message.headers and bulk.relays_a_person(
            message, ctx.parent_addresses
        )
        if not bulk.is_auto_reply(message) and not relayed:
            return "list mail"
    return None


def _looks_like_bounce(message: IncomingMessage) -> bool:
    content_type = message.headers.get("content-type", "").lower()
    return (
        is_mail_system(message)
        or "x-failed-recipients" in message.headers
        or message.parts.report_type == "delivery-status"
        or ("multipart/report" in content_type and "delivery-status" in content_type)
        or bool(message.parts.failures.permanent or message.parts.failures.temporary)
    )


def _bounce_subject(message: IncomingMessage) -> bool:
    return bool(_BOUNCE_SUBJECT.search(message.subject))


def _key(message_id: str) -> str:
    return message_id.strip().casefold()


def _sent_keys(request: OpenRequest) -> frozenset[str]:
    return _keys_of(request.sent_message_ids)


@lru_cache(maxsize=256)
def _keys_of(message_ids: frozenset[str]) -> frozenset[str]:
    keys = set()
    for message_id in message_ids:
        inner = message_id.strip().strip("<>").strip()
        if inner:
            keys.add(f"<{inner}>".casefold())
    return frozenset(keys)


@lru_cache(maxsize=64)
def _lower(addresses: frozenset[str]) -> frozenset[str]:
    return frozenset(address.strip().lower() for address in addresses)


def _request_by_id(ids: tuple[str, ...], ctx: MatchContext) -> OpenRequest | None:
    for message_id in ids:
        key = _key(message_id)
        for request in ctx.requests:
            if key in _sent_keys(request):
                return request
    return None


def _thread_request(message: IncomingMessage, ctx: MatchContext) -> OpenRequest | None:
    # In-Reply-To names the message answered; the end of References is the most recent.
    return _request_by_id(message.in_reply_to, ctx) or _request_by_id(
        tuple(reversed(message.references)), ctx
    )


def _returned_request(message: IncomingMessage, ctx: MatchContext) -> OpenRequest | None:
    return _request_by_id(message.parts.returned_message_ids, ctx)


def _school_requests(message: IncomingMessage, ctx: MatchContext) -> list[OpenRequest]:
    sender = message.from_addr
    if not sender or "@" not in sender:
        return []
    domain = sender.rpartition("@")[2]
    found = []
    for request in ctx.requests:
        people = (request.case_manager.lower(), request.principal.lower())
        domains = tuple(item.lower().lstrip("@") for item in request.school_domains)
        if sender in people or any(
            domain == item or domain.endswith("." + item) for item in domains if item
        ):
            found.append(request)
    return found


def _relayed_staff_requests(message: IncomingMessage, ctx: MatchContext) -> list[OpenRequest]:
    """The requests whose case manager or principal a messaging platform relays by name
    ("New message from Dana Alvarez" from ParentSquare, Remind or Schoology): the platform's
    own domain vouches for nobody, the name of the very person the letter went to does, as
    far as a From line ever does."""
    return _staff_requests(bulk.relayed_person(message, ctx.parent_addresses), ctx)


def _staff_requests(name: str, ctx: MatchContext) -> list[OpenRequest]:
    """The requests whose case manager or principal goes by ``name``."""
    person = _folded(name)
    if not person:
        return []
    return [
        request
        for request in ctx.requests
        if any(_same_person(person, _folded(staff)) for staff in request.staff_names)
    ]


_TITLE = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr|sr|sra|srta)\.? ")


def _same_person(relayed: str, staff: str) -> bool:
    """ "dana alvarez" is "dana alvarez", and "mrs. alvarez" too, as a platform shows a
    teacher by her title and surname."""
    if not relayed or not staff:
        return False
    titled = _TITLE.match(relayed)
    if titled:
        return relayed[titled.end() :] == staff.split()[-1]
    return relayed == staff


def _staff_named_sender(message: IncomingMessage, ctx: MatchContext) -> bool:
    """True when the From name is the case manager's or the principal's from a platform's
    address (Canvas: "Dana Alvarez" <notifications@instructure.com>): worth fetching, since
    only its text shows whether it relays her message (``match`` decides)."""
    return bool(_staff_requests(message.from_name, ctx))


def _folded(name: str) -> str:
    """A name compared as people write it: "Benavídez" and "Benavidez", any case, any spaces."""
    return " ".join(plain(name).casefold().split())


def _names(child_name: str, message: IncomingMessage, text: str) -> bool:
    return (
        mentions.names(child_name, message.subject)
        or mentions.names(child_name, text)
        or mentions.names_in_files(child_name, message)
    )


def _sender_match(
    message: IncomingMessage, ctx: MatchContext, *, relayed: bool = False
) -> Match | None:
    """``relayed``: a school system's copy of one staff member's message (bulk.relays_a_person),
    which must name the child: a broadcast copied to every parent names none."""
    candidates = _school_requests(message, ctx)
    if relayed:
        candidates += [
            request
            for request in _relayed_staff_requests(message, ctx)
            if request not in candidates
        ]
    if not candidates:
        return None
    text = message.text[:TEXT_SCAN_LIMIT]
    names = {request.child_id: request.child_name for request in ctx.requests}
    named = {child for child, name in names.items() if _names(name, message, text)}
    if len(named) > 1:
        # Two children named: the subject usually says which one the message is about.
        in_subject = {child for child in named if mentions.names(names[child], message.subject)}
        if len(in_subject) != 1:
            logger.info("message %s names several children; not matched", message.message_id)
            return None
        named = in_subject
    if named:
        (child,) = named
        chosen = [request for request in candidates if request.child_id == child]
        if len(chosen) == 1 and _speaks_of(message, chosen[0], relayed=relayed):
            return Match(chosen[0].request_id, "sender_names_child")
        return None
    if relayed:
        return None
    asks = _ASKS_ABOUT_MEETING.search(message.subject) or _ASKS_ABOUT_MEETING.search(text)
    # and of the request's meeting, not the PTA's or the band's on Thursday
    if asks and len(candidates) == 1 and on_topic(message, "", candidates[0].areas):
        return Match(candidates[0].request_id, "sole_open_request")
    return None


def _speaks_of(message: IncomingMessage, request: OpenRequest, *, relayed: bool = False) -> bool:
    named, areas = request.child_name, request.areas
    if on_topic(message, named, areas) or mentions.speaks_of_the_team(message, TEXT_SCAN_LIMIT):
        return True
    relayed_text = mentions.relayed_text(message, TEXT_SCAN_LIMIT) if relayed else ""
    if relayed_text and on_topic_text(relayed_text, named, areas):
        return True
    if bulk.is_auto_reply(message):
        return True
    # The very people the letter went to, asking to talk of what it was about ("call me
    # tonight? easier to talk thru mayas reading"); from anyone else at the school, "Maya's
    # reading log" is a teacher's note, and from them too the quarter's progress report.
    addressees = (request.case_manager.lower(), request.principal.lower())
    return (
        message.from_addr in addressees
        and mentions.speaks_of_the_areas(message, request.areas, TEXT_SCAN_LIMIT)
        and mentions.offers_to_talk(message, TEXT_SCAN_LIMIT)
    )
