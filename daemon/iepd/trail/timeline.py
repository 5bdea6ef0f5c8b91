"""The paper trail of one request, as a person reads it: every event of the hash-chained log,
each joined to the stored message it is about, with the times that matter.

A letter or an answer carries three times that can disagree, and each tells something: the
``Date`` header (what the sender's mail program claimed), the IMAP INTERNALDATE (when the
parent's mail server received it) and when iepd recorded it; an outgoing letter has, instead
of an INTERNALDATE, the moment the SMTP server accepted it. ``build_trail`` is pure: it is
handed the rows; ``load_trail`` reads them from the store.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from iepd.store.database import EventRow, MessageRow, RequestRow, Store
from iepd.vocabulary import LETTER_PURPOSES, PARENT_MESSAGE

logger = logging.getLogger(__name__)

# Events about a message that came in; every other event naming a Message-ID is about one
# iepd sent (a letter, a reminder, a failed or uncertain send).
INCOMING_EVENT_KINDS = frozenset(
    {"reply_received", "auto_reply_received", "bounce_received", "meeting_scheduled",
     PARENT_MESSAGE}
)  # fmt: skip
_UNSAFE_KIND = re.compile(r"[^a-z0-9_-]")


class TrailMessage(NamedTuple):
    """One stored message, numbered in time order, with its send progress if outgoing."""

    number: int
    kind: str  # request, followup, escalation, reminder-<kind>, answer, auto_reply, bounce...
    row: MessageRow
    sent_at: datetime | None  # outgoing: when the SMTP server accepted it
    step: str | None  # outgoing: the outbox step (done, failed, uncertain, queued...)

    @property
    def filename(self) -> str:
        """The name of its copy in an export: ``001-request.eml``."""
        return f"{self.number:03d}-{self.kind}.eml"

    @property
    def is_letter(self) -> bool:
        """A letter to the school (not a reminder to the parent)."""
        return self.row.direction == "out" and self.row.purpose in LETTER_PURPOSES

    @property
    def is_reminder(self) -> bool:
        return self.row.direction == "out" and self.row.purpose == "reminder"

    @property
    def recorded_at(self) -> datetime:
        """When iepd recorded it: detection for incoming mail, queueing for outgoing."""
        return self.row.detected_at or self.row.created_at

    @property
    def moment(self) -> datetime:
        """The time it is ordered by: when it went out, or when the mail server got it.

        The Date header is what the sender claims, so it never decides the order.
        """
        if self.row.direction == "out":
            return self.sent_at or self.row.created_at
        return self.row.internaldate or self.recorded_at


class TrailEntry(NamedTuple):
    """One event of the log, with the stored message it is about (None if it names none)."""

    event: EventRow
    message: TrailMessage | None


class Trail(NamedTuple):
    """The whole paper trail of one request, as of the chain head ``head``."""

    request: RequestRow
    entries: tuple[TrailEntry, ...]
    messages: tuple[TrailMessage, ...]
    head: str  # the hash of the newest event of the whole log when it was read
    event_count: int  # events in the whole log up to ``head``


def message_kind(row: MessageRow, parent_message_ids: frozenset[str] = frozenset()) -> str:
    """Given a stored message (and the Message-IDs of the parent's own messages, read from
    the Sent folder), return the word its exported file is named by."""
    if row.direction == "in" and row.klass is None and row.message_id in parent_message_ids:
        return PARENT_MESSAGE
    if row.direction == "out":
        kind = row.purpose
        if row.purpose == "reminder":
            kind = f"reminder-{row.reminder_kind or 'other'}"
    else:
        kind = row.klass or "incoming"
    return _UNSAFE_KIND.sub("_", kind.lower()) or "message"


def number_messages(
    rows: Sequence[MessageRow],
    outbox: Mapping[int, tuple[datetime | None, str]],
    parent_message_ids: frozenset[str] = frozenset(),
) -> list[TrailMessage]:
    """Given a request's stored messages, per outgoing message row id (accepted_at, step),
    and the Message-IDs of the parent's own messages, return them as TrailMessages numbered
    1.. in time order (ties: recording order).
    """
    unnumbered = [
        TrailMessage(
            number=0,
            kind=message_kind(row, parent_message_ids),
            row=row,
            sent_at=outbox.get(row.id, (None, ""))[0],
            step=outbox[row.id][1] if row.id in outbox else None,
        )
        for row in rows
    ]
    unnumbered.sort(key=lambda message: (message.moment, message.row.id))
    return [
        TrailMessage(
            number=index,
            kind=message.kind,
            row=message.row,
            sent_at=message.sent_at,
            step=message.step,
        )
        for index, message in enumerate(unnumbered, start=1)
    ]


def _message_for(event: EventRow, messages: Sequence[TrailMessage]) -> TrailMessage | None:
    incoming = event.kind in INCOMING_EVENT_KINDS
    direction = "in" if incoming else "out"
    if event.message_id is not None:
        same_id = [m for m in messages if m.row.message_id == event.message_id]
        preferred = [m for m in same_id if m.row.direction == direction]
        if preferred or same_id:
            return (preferred or same_id)[0]
        return None
    if incoming:
        # A message without a Message-ID: the inbox records it and its event in one
        # transaction at one instant, from one sender.
        for message in messages:
            row = message.row
            if (
                row.direction == "in"
                and row.detected_at == event.at
                and row.from_addr == event.from_addr
            ):
                return message
    return None


def build_trail(
    request: RequestRow,
    events: Sequence[EventRow],
    messages: Sequence[TrailMessage],
) -> Trail:
    """Given a request, the WHOLE event log oldest first and the request's numbered
    messages, return its trail: the request's events, each joined to its message.
    """
    own = [event for event in events if event.request_id == request.id]
    entries = tuple(TrailEntry(event, _message_for(event, messages)) for event in own)
    head = events[-1].hash if events else "0" * 64
    return Trail(
        request=request,
        entries=entries,
        messages=tuple(messages),
        head=head,
        event_count=len(events),
    )


def load_trail(store: Store, request_id: str) -> Trail | None:
    """Given the store and a request id, return its trail, or None if the store has no
    such request.
    """
    request = store.get_request(request_id)
    if request is None:
        return None
    events = store.events()
    outbox = {
        row.message_row: (row.accepted_at, row.step) for row in store.list_outgoing(request_id)
    }
    parents = frozenset(
        event.message_id
        for event in events
        if event.kind == PARENT_MESSAGE and event.request_id == request_id and event.message_id
    )
    messages = number_messages(store.messages_for(request_id), outbox, parents)
    logger.debug("trail of %s: %d events, %d messages", request_id, len(events), len(messages))
    return build_trail(request, events, messages)
