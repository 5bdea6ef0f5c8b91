"""Queue everything iepd mails: render it, write its .eml and record the intent in the store.

Nothing leaves here. Each ``queue_*`` call is idempotent by its dedup key (a second call
returns the row the first one made), and the envelope recipients come from the config,
never from the headers just rendered. ``outbox.sender.Sender`` builds on this to send.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Mapping
from datetime import datetime, time
from email.message import EmailMessage, Message

from iepd.config.model import Config
from iepd.faults import crashpoint
from iepd.letters import reminders, school
from iepd.letters.compose import make_message_id, template_context
from iepd.letters.mail_policy import MAIL_POLICY
from iepd.letters.text_format import parent_zone
from iepd.store.database import OutgoingRow, Store
from iepd.trail.postal import request_deliveries
from iepd.vocabulary import FOLLOWUP_PURPOSES

Clock = Callable[[], datetime]


def message_id_of(row: OutgoingRow) -> str:
    """Given an outbox row, return its Message-ID."""
    # Every outgoing row is created with the Message-ID of its rendered message.
    assert row.message_id is not None
    return row.message_id


def _headers(message: EmailMessage) -> dict[str, str]:
    return {name: str(value) for name, value in message.items()}


class OutboxQueue:
    """Given a config, the store and a clock, queue letters and reminders, once each."""

    def __init__(self, config: Config, store: Store, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.clock = clock

    def queue_letter(self, request_id: str) -> OutgoingRow:
        """Queue the request letter once; return its outbox row."""
        existing = self.store.get_outgoing(f"request:{request_id}")
        if existing is not None:
            return existing
        now = self.clock()
        message = school.render_request(
            self.config,
            request_id,
            message_id=make_message_id(self.config.parent.email),
            date=now,
        )
        with self.store.transaction():
            row = self._queue(request_id, "request", None, f"request:{request_id}", message, now)
            self.store.update_request(
                request_id, now=now, message_id=message_id_of(row), subject=str(message["Subject"])
            )
        crashpoint("queued")
        return row

    def queue_followup(self, request_id: str, number: int) -> OutgoingRow:
        """Queue follow-up ``number`` (1, or 2 = escalation) in the request's thread."""
        purpose = FOLLOWUP_PURPOSES[number]
        key = f"{purpose}:{request_id}"
        existing = self.store.get_outgoing(key)
        if existing is not None:
            return existing
        original = self.store.get_outgoing(f"request:{request_id}")
        request = self.store.get_request(request_id)
        posted = request_deliveries(self.store).get(request_id)
        if original is None and request is not None and request.sent_at is None and posted:
            # Never emailed, delivered by post: a thread of its own, recalling the delivery.
            assert posted.delivered_on is not None  # request_deliveries gives delivered ones
            context = template_context(self.config, request_id)
            sent_at = datetime.combine(posted.delivered_on, time(), parent_zone(self.config))
            message_id, subject, tracking = None, str(context["request_subject"]), posted.tracking
        elif original is None or request is None or request.sent_at is None:
            raise ValueError(f"request {request_id} has not been sent; nothing to follow up")
        else:
            message_id, sent_at, tracking = message_id_of(original), request.sent_at, ""
            subject = original.subject or request.subject or ""
        now = self.clock()
        message = school.render_followup(
            self.config,
            request_id,
            number=number,
            original_message_id=message_id,
            original_references=(),
            original_subject=subject,
            original_sent_at=sent_at,
            message_id=make_message_id(self.config.parent.email),
            date=now,
            posted=tracking,
        )
        row = self._queue(request_id, purpose, None, key, message, now)
        crashpoint("queued")
        return row

    def queue_reminder(
        self,
        request_id: str,
        kind: str,
        key: str,
        context: Mapping[str, object],
        attachment: bytes | None = None,
    ) -> OutgoingRow:
        """Queue one reminder to the parent, at most once per (kind, request, key)."""
        dedup_key = f"reminder:{kind}:{request_id}:{key}"
        existing = self.store.get_outgoing(dedup_key)
        if existing is not None:
            return existing
        now = self.clock()
        message = reminders.render_reminder(
            self.config,
            kind,
            request_id,
            message_id=make_message_id(self.config.parent.email),
            date=now,
            context=context,
            attachment=attachment,
        )
        return self._queue(request_id, "reminder", kind, dedup_key, message, now)

    def queue_message(
        self, request_id: str, purpose: str, dedup_key: str, message: EmailMessage, now: datetime
    ) -> OutgoingRow:
        """Queue a letter rendered elsewhere (a follow-up of the conversation) once."""
        existing = self.store.get_outgoing(dedup_key)
        if existing is not None:
            return existing
        row = self._queue(request_id, purpose, None, dedup_key, message, now)
        crashpoint("queued")
        return row

    def envelope_recipients(self, request_id: str, purpose: str, message: Message) -> list[str]:
        """The SMTP recipients of a letter (see ``_envelope_recipients``)."""
        return self._envelope_recipients(request_id, purpose, message)

    def _queue(
        self,
        request_id: str,
        purpose: str,
        reminder_kind: str | None,
        dedup_key: str,
        message: EmailMessage,
        now: datetime,
    ) -> OutgoingRow:
        raw = message.as_bytes(policy=MAIL_POLICY)
        return self.store.add_outgoing(
            request_id=request_id,
            purpose=purpose,
            reminder_kind=reminder_kind,
            dedup_key=dedup_key,
            message_id=str(message["Message-ID"]),
            envelope_from=self.config.parent.email,
            recipients=self._envelope_recipients(request_id, purpose, message),
            raw=raw,
            headers=_headers(message),
            now=now,
        )

    def _envelope_recipients(self, request_id: str, purpose: str, message: Message) -> list[str]:
        """The SMTP recipients, from the config, never from the headers just rendered; the
        headers must agree, or something has slipped into them and nothing is sent."""
        if purpose == "reminder":
            recipients = [self.config.parent.remind_to]
        else:
            child = self.config.child(self.config.request(request_id).child)
            recipients = [child.case_manager.email]
            if purpose == "escalation" or self.config.request(request_id).urgent:
                recipients.append(child.principal.email)
        named = email.utils.getaddresses(
            [str(v) for v in (message.get_all("To") or []) + (message.get_all("Cc") or [])]
        )
        if sorted(address.lower() for _, address in named) != sorted(
            address.lower() for address in recipients
        ):
            raise ValueError(f"{request_id}: the {purpose} headers name other recipients")
        return recipients
