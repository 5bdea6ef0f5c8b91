"""Raw bytes of an incoming message -> a plain, frozen :class:`IncomingMessage`.

This is the one place that reads MIME. Everything the pure ``matching`` and ``classify``
modules need is extracted here into plain data, and nothing here ever raises: a message that
cannot be read well is still returned, with ``problems`` saying why it was flagged, because
the raw bytes are stored and the watcher must never stall on one bad message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from types import MappingProxyType

from iepd.decide.excerpt import html_to_text
from iepd.inbox.addresses import sender
from iepd.inbox.bounces import Failures, find_failures
from iepd.inbox.invites import Invite, read_invites

logger = logging.getLogger(__name__)

__all__ = ["IncomingMessage", "MessageParts", "is_mail_system", "message_ids",
           "normalize_message_id", "parse_headers_only", "parse_message"]  # fmt: skip

TEXT_LIMIT = 256 * 1024  # characters of body text kept for matching and classifying
ADDRESS_HEADER_LIMIT = 16 * 1024
MAX_PARTS = 1000
MAX_DEPTH = 30

_MAIL_SYSTEM_LOCALS = frozenset(
    {"mailer-daemon", "mailer_daemon", "maildaemon", "mail-daemon", "postmaster"}
)
_MAIL_SYSTEM_NAMES = frozenset(
    {"mail delivery system", "mail delivery subsystem", "mail delivery service"}
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery status notification|returned mail|failure notice"
    r"|mail delivery failed|delivery failure|delivery has failed|could not be delivered"
    r"|delayed mail|delivery delayed|warning: message",
    re.IGNORECASE,
)
_QUOTED_MESSAGE_ID = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\r\n]{1,998}>)", re.I | re.M)
HEADER_VALUE_LIMIT = 16 * 1024  # a 1 MB header is kept in the raw copy, not decoded whole
_ID_IN_BRACKETS = re.compile(r"<([^<>]{1,998})>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_FOLDING = re.compile(r"[\r\n\t ]+")
MAX_IDS = 200


def normalize_message_id(value: str) -> str | None:
    """Given a Message-ID header value (or one token of References), return the id as
    ``<local@domain>`` without whitespace, or None when there is none."""
    match = _ID_IN_BRACKETS.search(value)
    if match:
        inner = "".join(match.group(1).split())
    else:
        tokens = [token.strip("<>") for token in value.split() if "@" in token]
        inner = tokens[0] if tokens else ""
    return f"<{inner}>" if inner else None


def message_ids(value: str) -> tuple[str, ...]:
    """Given an In-Reply-To or References value, return the Message-IDs it holds, in order,
    without duplicates; bare ``local@domain`` tokens are accepted where brackets are missing."""
    found = ["".join(inner.split()) for inner in _ID_IN_BRACKETS.findall(value)]
    if not found:
        found = [token.strip("<>") for token in value.split() if "@" in token]
    ids = (f"<{inner}>" for inner in found if inner)
    return tuple(dict.fromkeys(ids))[:MAX_IDS]


def decode_bytes(data: bytes, charset: str | None, problems: list[str]) -> str:
    """Given bytes and their declared charset, return text. An unknown charset or bytes that
    do not fit it are decoded as UTF-8, else Windows-1252, and named in ``problems``."""
    if charset and charset.lower() not in ("unknown-8bit", "x-unknown-8bit"):
        try:
            return data.decode(charset)
        except LookupError:
            problems.append(f"unknown charset {charset[:40]!r}")
        except (UnicodeDecodeError, ValueError):
            problems.append(f"bytes that are not {charset[:40]!r}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if charset is None and not data.isascii():
            problems.append("8-bit text without a charset")
        return data.decode("cp1252", "replace")


def decode_header_value(name: str, value: str, problems: list[str]) -> tuple[str, str]:
    """Given a header's raw value (8-bit bytes as surrogate escapes, as the compat32 parser
    leaves them), return (the raw value with 8-bit bytes decoded, the value with RFC 2047
    words decoded, unfolded and without control characters)."""
    if len(value) > HEADER_VALUE_LIMIT:
        problems.append(f"header {name[:40]} longer than {HEADER_VALUE_LIMIT} characters")
        value = value[:HEADER_VALUE_LIMIT]
    if any("\udc80" <= char <= "\udcff" for char in value):
        problems.append(f"8-bit bytes in header {name[:40]}")
        value = decode_bytes(value.encode("utf-8", "surrogateescape"), None, [])
    try:
        chunks = decode_header(value)
        text = "".join(
            decode_bytes(chunk, charset, problems) if isinstance(chunk, bytes) else chunk
            for chunk, charset in chunks
        )
    except Exception:  # decode_header has raised on hostile input in several CPythons
        problems.append(f"undecodable encoded words in header {name[:40]}")
        text = value
    text = _CONTROL.sub("", _FOLDING.sub(" ", text)).strip()
    return value, text


@dataclass(frozen=True)
class MessageParts:
    """What classification needs from the MIME structure, as plain data."""

    content_types: tuple[str, ...] = ()  # every part's type, in order, top level first
    report_type: str = ""  # the report-type of a multipart/report, lower-case
    delivery_status: str = ""  # the text of message/delivery-status parts
    returned_message_ids: tuple[str, ...] = ()  # of a returned original (bounces)
    calendars: tuple[bytes, ...] = ()  # text/calendar (or .ics) part bytes
    invites: tuple[Invite, ...] = ()  # the calendars read by ``invites.read_invites``
    failures: Failures = field(default_factory=Failures)  # from ``bounces.find_failures``
    html_only: bool = False  # the text was converted from HTML
    attachments: tuple[str, ...] = ()  # names of attached files ("PWN_Sam_Rivera.pdf")


@dataclass(frozen=True)
class IncomingMessage:
    """One incoming message as plain data. Addresses are lower-cased addr-specs; Message-IDs
    keep their angle brackets and their case."""

    message_id: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    from_addr: str | None = None
    from_name: str = ""
    to_addrs: tuple[str, ...] = ()
    cc_addrs: tuple[str, ...] = ()
    subject: str = ""
    date_header: datetime | None = None  # aware; a zone-less Date is taken as UTC
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    text: str = ""  # the best plain-text body (HTML converted), at most TEXT_LIMIT characters
    parts: MessageParts = field(default_factory=MessageParts)
    problems: tuple[str, ...] = ()  # why the message was flagged
    headers_only: bool = False


def is_mail_system(message: IncomingMessage) -> bool:
    """Given a message, return True when its sender is a mail system (MAILER-DAEMON,
    postmaster, an Exchange system mailbox) rather than a person."""
    address = message.from_addr or ""
    local = address.split("@", 1)[0]
    if local in _MAIL_SYSTEM_LOCALS or local.startswith("microsoftexchange"):
        return True
    return message.from_name.strip().lower() in _MAIL_SYSTEM_NAMES


def parse_message(raw: bytes) -> IncomingMessage:
    """Given the raw bytes of a whole message, return it as an :class:`IncomingMessage`.
    Never raises: what could not be read is named in ``problems``."""
    return _parse(raw, headers_only=False)


def parse_headers_only(raw_headers: bytes) -> IncomingMessage:
    """Given the raw header block of a message (IMAP ``BODY.PEEK[HEADER]``), return an
    :class:`IncomingMessage` with empty text and parts, for the header-first pass. Never
    raises."""
    return _parse(raw_headers, headers_only=True)


def _parse(raw: bytes, *, headers_only: bool) -> IncomingMessage:
    try:
        parser = BytesParser(policy=policy.compat32)
        parsed = parser.parsebytes(bytes(raw), headersonly=headers_only)
        return _build(parsed, bytes(raw), headers_only=headers_only)
    except Exception as error:  # the last line of defence: never let one message crash us
        logger.warning("message could not be parsed (%d bytes): %r", len(raw), error)
        return IncomingMessage(
            problems=(f"unparseable message: {type(error).__name__}",),
            headers_only=headers_only,
        )


def _build(parsed: Message, raw: bytes, *, headers_only: bool) -> IncomingMessage:
    problems: list[str] = []
    headers, raw_headers = _read_headers(parsed, problems)
    from_name, from_addr = _read_from(raw_headers.get("from"), problems)
    message = IncomingMessage(
        message_id=normalize_message_id(headers.get("message-id", "")),
        in_reply_to=message_ids(headers.get("in-reply-to", "")),
        references=message_ids(headers.get("references", "")),
        from_addr=from_addr,
        from_name=from_name,
        to_addrs=_read_addresses(raw_headers.get("to"), problems),
        cc_addrs=_read_addresses(raw_headers.get("cc"), problems),
        subject=headers.get("subject", ""),
        date_header=_read_date(headers.get("date"), problems),
        headers=MappingProxyType(headers),
        headers_only=headers_only,
    )
    if message.message_id is None:
        problems.append("no Message-ID")
    if from_addr is None:
        problems.append("no usable From address")
    if headers_only:
        return _with(message, problems=tuple(problems))
    text, parts = _read_body(parsed, raw, message, problems)
    return _with(message, text=text, parts=parts, problems=tuple(dict.fromkeys(problems)))


def _with(message: IncomingMessage, **changes: object) -> IncomingMessage:
    return replace(message, **changes)  # type: ignore[arg-type]


def _read_headers(parsed: Message, problems: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Return (decoded first values, raw first values with 8-bit bytes decoded), by name."""
    decoded: dict[str, str] = {}
    raw: dict[str, str] = {}
    for name, value in parsed.raw_items():
        key = str(name).strip().lower()
        if key in decoded:
            continue
        raw_value, decoded_value = decode_header_value(key, str(value), problems)
        raw[key] = raw_value
        decoded[key] = decoded_value
    return decoded, raw


def _read_from(value: str | None, problems: list[str]) -> tuple[str, str | None]:
    if not value:
        return "", None
    name, address = sender(value[:2000])
    _, clean_name = decode_header_value("from", name, problems)
    return clean_name, address


def _read_addresses(value: str | None, problems: list[str]) -> tuple[str, ...]:
    if not value:
        return ()
    if len(value) > ADDRESS_HEADER_LIMIT:
        problems.append("address header truncated")
    pairs = getaddresses([value[:ADDRESS_HEADER_LIMIT]])
    addresses = ("".join(address.split()).lower() for _, address in pairs)
    return tuple(dict.fromkeys(address for address in addresses if address))


def _read_date(value: str | None, problems: list[str]) -> datetime | None:
    if not value:
        problems.append("no Date header")
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        problems.append("unreadable Date header")
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _walk(top: Message, problems: list[str]) -> list[Message]:
    """Return the parts of ``top`` in order, not descending into attached messages (a
    returned original's text and invitations are not this message's)."""
    found: list[Message] = []
    stack: list[tuple[Message, int]] = [(top, 0)]
    while stack and len(found) < MAX_PARTS:
        part, depth = stack.pop()
        found.append(part)
        for defect in getattr(part, "defects", ()):
            problems.append(f"MIME defect: {type(defect).__name__}")
        if not part.is_multipart() or part.get_content_maintype() == "message":
            continue
        if depth >= MAX_DEPTH:
            problems.append("MIME nesting too deep")
            continue
        children = [child for child in part.get_payload() if isinstance(child, Message)]
        stack.extend((child, depth + 1) for child in reversed(children))
    if stack:
        problems.append("too many MIME parts")
    return found


def _read_body(
    parsed: Message, raw: bytes, message: IncomingMessage, problems: list[str]
) -> tuple[str, MessageParts]:
    plain: list[str] = []
    html: list[str] = []
    calendars: list[tuple[bytes, str]] = []
    ics_attachments: list[tuple[bytes, str]] = []
    status: list[str] = []
    returned: list[str] = []
    content_types: list[str] = []
    attachments: list[str] = []
    report_type = ""
    for part in _walk(parsed, problems):
        content_type = part.get_content_type()
        content_types.append(content_type)
        attached = str(part.get("content-disposition", "")).strip().lower()
        is_attachment = attached.startswith("attachment")
        if is_attachment or content_type.startswith("application/"):
            attachments.append(_filename(part))
        if content_type == "multipart/report" and not report_type:
            report_type = str(part.get_param("report-type", "") or "").lower()
        elif content_type == "message/delivery-status":
            status.append(_delivery_status_text(part))
        elif content_type == "message/rfc822":
            returned.extend(_attached_message_ids(part))
        elif content_type == "text/rfc822-headers":
            headers_text = _part_text(part, problems)
            returned.extend(_attached_message_ids(HeaderParser().parsestr(headers_text)))
        elif content_type == "text/calendar":
            calendars.append((_part_bytes(part), str(part.get_param("method", "") or "")))
        elif content_type == "application/ics" or (
            content_type == "application/octet-stream"
            and str(part.get_filename("") or "").lower().endswith(".ics")
        ):
            ics_attachments.append((_part_bytes(part), ""))
        elif content_type == "text/plain" and not is_attachment:
            plain.append(_part_text(part, problems))
        elif content_type == "text/html" and not is_attachment:
            html.append(_part_text(part, problems))
    html_only = not plain and bool(html)
    text = "\n".join(plain) if plain else "\n".join(html_to_text(page) for page in html)
    if len(text) > TEXT_LIMIT:
        problems.append("body text truncated")
        text = text[:TEXT_LIMIT]
    message = _with(message, text=text)
    bounce_shaped = (
        is_mail_system(message)
        or report_type == "delivery-status"
        or "x-failed-recipients" in message.headers
        or bool(_BOUNCE_SUBJECT.search(message.subject))
    )
    if bounce_shaped and not returned:
        # Exim and some Exchange gateways return the original inline, as plain text.
        returned.extend(_QUOTED_MESSAGE_ID.findall(text))
    failures = find_failures(parsed, raw) if bounce_shaped else Failures()
    if failures.error:
        problems.append(f"bounce detectors failed: {failures.error}")
    chosen = calendars or ics_attachments
    parts = MessageParts(
        content_types=tuple(content_types),
        report_type=report_type,
        delivery_status="\n\n".join(status),
        returned_message_ids=tuple(
            dict.fromkeys(mid for mid in map(normalize_message_id, returned) if mid)
        ),
        calendars=tuple(data for data, _ in chosen),
        invites=tuple(invite for data, hint in chosen for invite in read_invites(data, hint)),
        failures=failures,
        html_only=html_only,
        attachments=tuple(name for name in attachments if name)[:MAX_IDS],
    )
    return text, parts


def _filename(part: Message) -> str:
    try:  # RFC 2231 and 2047 names are decoded; a hostile parameter must not stop the read
        return decode_header_value("filename", str(part.get_filename() or ""), [])[1][:200]
    except Exception:
        return ""


def _part_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _part_text(part: Message, problems: list[str]) -> str:
    charset = part.get_content_charset() or part.get_param("charset") or None
    return decode_bytes(_part_bytes(part), str(charset) if charset else None, problems)


def _delivery_status_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload
    blocks = []
    for block in payload:
        if isinstance(block, Message):
            blocks.append("\n".join(f"{name}: {value}" for name, value in block.items()))
    return "\n\n".join(blocks)


def _attached_message_ids(part: Message) -> list[str]:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            return []
        part = inner
    value = part.get("message-id")
    return [str(value)] if value is not None else []
