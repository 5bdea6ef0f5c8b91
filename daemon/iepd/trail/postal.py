"""Letters sent by post: the ``mailed`` and ``mail_delivered`` events of the paper trail.

`iepd mailed` records them in the hash-chained log, like every other step: the letter
(request, followup, escalation), the day it was mailed, its tracking number and, when the
parent names the PDF that `iepd print` wrote, that file's SHA-256; then the day the post
delivered it. Their ``detail`` is one line a person reads and this module reads back:

    letter: request; mailed: 2026-12-01; tracking: 9400 1118 9922 3197 4284 90; pdf sha256: 5e8…
    letter: request; delivered: 2026-12-03; tracking: 9400 1118 9922 3197 4284 90

``mailings`` (pure) folds the events into one ``Mailing`` per letter mailed; ``record_*``
write them, refusing what would make the record contradict itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from iepd.errors import IepdError
from iepd.store.database import EventRow, Store
from iepd.vocabulary import LETTER_NAMES

MAILED_EVENT = "mailed"  # a printed letter was mailed (detail: letter, date, tracking, PDF)
MAIL_DELIVERED_EVENT = "mail_delivered"  # the post delivered it (detail: letter, date)
POSTAL_EVENTS = (MAILED_EVENT, MAIL_DELIVERED_EVENT)
# Letters, digits, spaces and dashes: USPS (22 digits, often written in groups), UPS
# ("1Z..."), international registered mail ("RA123456789US").
_TRACKING = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 -]{2,48}[A-Za-z0-9])")


@dataclass(frozen=True)
class Mailing:
    """One printed letter mailed, as the trail records it."""

    request_id: str
    letter: str  # request | followup | escalation
    tracking: str
    mailed_on: date
    mailed_at: datetime  # when it was recorded
    pdf_sha256: str | None = None
    delivered_on: date | None = None
    delivered_at: datetime | None = None  # when the delivery was recorded


def checked_tracking(text: str) -> str:
    """Given a tracking number as typed, return it with runs of spaces made one. Raise
    IepdError if it holds anything but letters, digits, spaces and dashes."""
    tracking = " ".join(text.split())
    if not _TRACKING.fullmatch(tracking):
        raise IepdError(
            f"tracking number {text!r}: expected 4 to 50 letters, digits, spaces or dashes,"
            " as on the mailing receipt"
        )
    return tracking


def mailed_detail(letter: str, day: date, tracking: str, pdf_sha256: str | None) -> str:
    """Return the ``detail`` of a ``mailed`` event."""
    parts = [f"letter: {letter}", f"mailed: {day.isoformat()}", f"tracking: {tracking}"]
    if pdf_sha256:
        parts.append(f"pdf sha256: {pdf_sha256}")
    return "; ".join(parts)


def delivered_detail(letter: str, day: date, tracking: str) -> str:
    """Return the ``detail`` of a ``mail_delivered`` event."""
    return f"letter: {letter}; delivered: {day.isoformat()}; tracking: {tracking}"


def parse_detail(detail: str | None) -> dict[str, str]:
    """Given a postal event's ``detail``, return its fields by name."""
    fields = {}
    for part in (detail or "").split("; "):
        name, colon, value = part.partition(": ")
        if colon:
            fields[name] = value
    return fields


def mailings(events: Sequence[EventRow]) -> list[Mailing]:
    """Given events oldest first (any kinds, any requests), return the letters mailed, in
    the order they were recorded, each with its delivery when one was recorded. An event
    whose detail cannot be read is left out: it stays in the trail as written."""
    found: list[Mailing] = []
    for event in events:
        if event.kind not in POSTAL_EVENTS or event.request_id is None:
            continue
        fields = parse_detail(event.detail)
        try:
            day = date.fromisoformat(fields.get("mailed") or fields.get("delivered") or "")
        except ValueError:
            continue
        letter, tracking = fields.get("letter", ""), fields.get("tracking", "")
        if event.kind == MAILED_EVENT:
            found.append(
                Mailing(event.request_id, letter, tracking, day, event.at, fields.get("pdf sha256"))
            )
            continue
        for index in reversed(range(len(found))):
            mailing = found[index]
            if (mailing.request_id, mailing.letter, mailing.tracking) == (
                event.request_id,
                letter,
                tracking,
            ):
                found[index] = replace(mailing, delivered_on=day, delivered_at=event.at)
                break
    return found


def request_deliveries(store: Store) -> dict[str, Mailing]:
    """Given the store, return per request the mailing of its request letter that the post
    delivered first: where the school's clock starts when no email of it was sent."""
    delivered: dict[str, Mailing] = {}
    for mailing in mailings(store.events_of_kinds(POSTAL_EVENTS)):
        if mailing.letter != "request" or mailing.delivered_on is None:
            continue
        known = delivered.get(mailing.request_id)
        if known is None or (known.delivered_on or mailing.delivered_on) > mailing.delivered_on:
            delivered[mailing.request_id] = mailing
    return delivered


def summary(mailing: Mailing) -> dict[str, str | None]:
    """Return a mailing as `iepd status --json` shows it (dates as YYYY-MM-DD)."""
    delivered = mailing.delivered_on
    return {
        "letter": mailing.letter,
        "tracking": mailing.tracking,
        "mailed_on": mailing.mailed_on.isoformat(),
        "delivered_on": delivered.isoformat() if delivered is not None else None,
        "pdf_sha256": mailing.pdf_sha256,
    }


def summaries_by_request(store: Store) -> dict[str, list[dict[str, str | None]]]:
    """Given the store, return every request's mailings as ``summary`` gives them."""
    found: dict[str, list[dict[str, str | None]]] = {}
    for mailing in mailings(store.events_of_kinds(POSTAL_EVENTS)):
        found.setdefault(mailing.request_id, []).append(summary(mailing))
    return found


def describe(mailing: Mailing | dict[str, str | None]) -> str:
    """Given a mailing (or its ``summary``), return one line for a person: "request letter
    mailed 2026-12-01 (tracking 9400 ...), delivered 2026-12-03"."""
    fields = summary(mailing) if isinstance(mailing, Mailing) else mailing
    letter = fields["letter"] or ""
    name = "request letter" if letter == "request" else LETTER_NAMES.get(letter, letter)
    text = f"{name} mailed {fields['mailed_on']} (tracking {fields['tracking']})"
    if fields["delivered_on"] is not None:
        return f"{text}, delivered {fields['delivered_on']}"
    return f"{text}, not delivered yet"


def record_mailed(
    store: Store,
    request_id: str,
    letter: str,
    *,
    day: date,
    tracking: str,
    pdf_sha256: str | None,
    now: datetime,
) -> Mailing | None:
    """Record that ``letter`` of a request was mailed on ``day``; return the new Mailing,
    or None if that letter with that tracking number is already recorded (nothing is
    written twice)."""
    with store.transaction():
        for mailing in mailings(store.events(request_id)):
            if (mailing.letter, mailing.tracking) == (letter, tracking):
                return None
        event = store.append_event(
            request_id=request_id,
            kind=MAILED_EVENT,
            at=now,
            detail=mailed_detail(letter, day, tracking, pdf_sha256),
        )
    return Mailing(request_id, letter, tracking, day, event.at, pdf_sha256)


def record_delivered(
    store: Store,
    request_id: str,
    letter: str,
    *,
    day: date,
    tracking: str | None,
    now: datetime,
) -> Mailing:
    """Record that the letter mailed last (with ``tracking``, if given) was delivered on
    ``day``, and return it. Raise IepdError if no such letter was mailed, it was mailed
    after ``day``, or its delivery is already recorded."""
    name = "request letter" if letter == "request" else LETTER_NAMES.get(letter, letter)
    with store.transaction():
        mailed = [
            mailing
            for mailing in mailings(store.events(request_id))
            if mailing.letter == letter and tracking in (None, mailing.tracking)
        ]
        if not mailed:
            number = f" with tracking number {tracking}" if tracking else ""
            raise IepdError(
                f"no {name} of {request_id} was recorded as mailed{number}; record it first:"
                f" iepd mailed {request_id} --tracking NUMBER --date YYYY-MM-DD"
            )
        mailing = mailed[-1]
        if mailing.delivered_on is not None:
            raise IepdError(
                f"the {name} of {request_id} (tracking {mailing.tracking}) is already recorded"
                f" as delivered on {mailing.delivered_on}"
            )
        if day < mailing.mailed_on:
            raise IepdError(
                f"--delivered {day} is before the day the {name} was mailed ({mailing.mailed_on})"
            )
        event = store.append_event(
            request_id=request_id,
            kind=MAIL_DELIVERED_EVENT,
            at=now,
            detail=delivered_detail(letter, day, mailing.tracking),
        )
    return replace(mailing, delivered_on=day, delivered_at=event.at)
