"""Queue, send and reconcile everything iepd mails: letters to the school and reminders.

Every outgoing message walks the outbox steps the store enforces:
``queued -> smtp -> data -> accepted -> filed -> done``. Each step is committed *before*
the action it names, so a process killed at any line leaves a row that says how far the
message got, and ``reconcile`` finishes the job without ever sending a letter twice:

- ``queued`` / ``smtp``: the server cannot have the message (an SMTP transaction that never
  reached the end of DATA is discarded), so it is sent again with the same Message-ID;
- ``data``: the outcome is unknown. A copy in the Sent folder (Gmail and Microsoft 365 file
  their own) proves it went out; otherwise the parent is told (``send_uncertain``) and
  nothing is resent blindly;
- ``accepted`` / ``filed``: the Sent copy and the follow-on records are (re)done; both are
  idempotent (the Sent folder is searched for the Message-ID before an APPEND).
"""

from __future__ import annotations

import email.policy
import email.utils
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage

from iepd import letters, reminders
from iepd.config_types import Config
from iepd.errors import (
    MailServerError,
    PermanentSendError,
    TransientSendError,
    UncertainSendError,
)
from iepd.faults import crashpoint
from iepd.store import OutgoingRow, Store
from iepd.transport import MailTransport

logger = logging.getLogger(__name__)

LETTER_PURPOSES = frozenset({"request", "followup", "escalation"})
FOLLOWUP_PURPOSES = {1: "followup", 2: "escalation"}
LETTER_NAMES = {
    "request": "request for an IEP meeting",
    "followup": "follow-up letter",
    "escalation": "second follow-up letter",
}
WAITING_STATES = frozenset({"queued", "uncertain", "sent", "followed_up", "escalated"})
MAX_RETRY_DELAY = timedelta(hours=1)

Clock = Callable[[], datetime]


def retry_delay(attempts: int) -> timedelta:
    """Given how many attempts failed, return how long to wait before the next one."""
    delay: timedelta = timedelta(minutes=1) * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_RETRY_DELAY)


def _message_id(row: OutgoingRow) -> str:
    # Every outgoing row is created with the Message-ID of its rendered message.
    assert row.message_id is not None
    return row.message_id


def _headers(message: EmailMessage) -> dict[str, str]:
    return {name: str(value) for name, value in message.items()}


class Sender:
    """Given a config, the store and a transport, queue and deliver outgoing mail."""

    def __init__(
        self, config: Config, store: Store, transport: MailTransport, clock: Clock
    ) -> None:
        self.config = config
        self.store = store
        self.transport = transport
        self.clock = clock

    # -- queueing: render, write the .eml and record the intent, nothing leaves yet

    def queue_letter(self, request_id: str) -> OutgoingRow:
        """Queue the request letter once; return its outbox row."""
        existing = self.store.get_outgoing(f"request:{request_id}")
        if existing is not None:
            return existing
        now = self.clock()
        message = letters.render_request(
            self.config,
            request_id,
            message_id=letters.make_message_id(self.config.parent.email),
            date=now,
        )
        with self.store.transaction():
            row = self._queue(request_id, "request", None, f"request:{request_id}", message, now)
            self.store.update_request(
                request_id, now=now, message_id=_message_id(row), subject=str(message["Subject"])
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
        if original is None or request is None or request.sent_at is None:
            raise ValueError(f"request {request_id} has not been sent; nothing to follow up")
        now = self.clock()
        message = letters.render_followup(
            self.config,
            request_id,
            number=number,
            original_message_id=_message_id(original),
            original_references=(),
            original_subject=original.subject or request.subject or "",
            original_sent_at=request.sent_at,
            message_id=letters.make_message_id(self.config.parent.email),
            date=now,
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
            message_id=letters.make_message_id(self.config.parent.email),
            date=now,
            context=context,
            attachment=attachment,
        )
        return self._queue(request_id, "reminder", kind, dedup_key, message, now)

    def _queue(
        self,
        request_id: str,
        purpose: str,
        reminder_kind: str | None,
        dedup_key: str,
        message: EmailMessage,
        now: datetime,
    ) -> OutgoingRow:
        raw = message.as_bytes(policy=email.policy.SMTP)
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

    def _envelope_recipients(
        self, request_id: str, purpose: str, message: EmailMessage
    ) -> list[str]:
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

    # -- delivering: walk a row forward as far as it can go now

    async def flush(self) -> None:
        """Deliver every pending outgoing message that is due; raise on a login/TLS error."""
        tried: set[int] = set()
        while True:
            # Delivering one message may queue another (the `sent` reminder), so look again
            # until a pass finds nothing new; each row is tried at most once per flush.
            due = [
                row
                for row in self.store.pending_outgoing()
                if row.message_row not in tried
                and not (
                    row.step == "queued" and row.next_try_at and row.next_try_at > self.clock()
                )
            ]
            if not due:
                return
            for row in due:
                tried.add(row.message_row)
                await self.deliver(row)

    async def deliver(self, row: OutgoingRow) -> OutgoingRow:
        """Move one outbox row forward; return it as it stands afterwards."""
        if row.step in ("queued", "smtp"):
            row = await self._transmit(row)
        if row.step == "data":
            row = await self._resolve_unknown_outcome(row)
        if row.step == "accepted":
            row = await self._file_copy(row)
        if row.step == "filed":
            row = self._finish(row)
        return row

    async def _transmit(self, row: OutgoingRow) -> OutgoingRow:
        if row.step == "smtp":
            # Killed while connecting or before DATA: the server kept nothing.
            row = self.store.set_step(row.message_row, "queued", now=self.clock())
        raw = row.read_raw()

        def record(step: str) -> None:
            self.store.set_step(row.message_row, step, now=self.clock())
            crashpoint(step)

        try:
            result = await self.transport.send(
                envelope_from=row.envelope_from,
                recipients=row.recipients,
                raw=raw,
                on_step=record,
            )
        except TransientSendError as error:
            return self._retry_later(row, str(error))
        except PermanentSendError as error:
            return self._fail(row, str(error))
        except UncertainSendError as error:
            logger.warning("%s: %s", row.dedup_key, error)
            return self._current(row)
        except MailServerError as error:
            # TLS or login trouble: no message can have gone out; keep it queued and let
            # the caller show the person what to fix.
            self._retry_later(row, str(error))
            raise
        crashpoint("data-accepted")
        now = self.clock()
        if result.refused:
            refused = ", ".join(
                f"{rcpt} ({reply.code} {reply.message})" for rcpt, reply in result.refused.items()
            )
            self._tell_refused(row, refused, now)
        row = self.store.set_step(row.message_row, "accepted", now=now)
        crashpoint("accepted")
        return row

    def _current(self, row: OutgoingRow) -> OutgoingRow:
        current = self.store.get_outgoing(row.dedup_key)
        assert current is not None
        return current

    def _retry_later(self, row: OutgoingRow, error: str) -> OutgoingRow:
        now = self.clock()
        delay = retry_delay(self._current(row).attempts + 1)
        logger.warning("%s: will retry in %s: %s", row.dedup_key, delay, error)
        return self.store.set_step(
            row.message_row, "queued", now=now, error=error, next_try_at=now + delay
        )

    def _fail(self, row: OutgoingRow, error: str) -> OutgoingRow:
        now = self.clock()
        logger.error("%s: refused for good: %s", row.dedup_key, error)
        with self.store.transaction():
            failed = self.store.set_step(row.message_row, "failed", now=now, error=error)
            self.store.append_event(
                request_id=row.request_id,
                kind="send_failed",
                at=now,
                message_id=_message_id(row),
                subject=row.subject,
                detail=error,
            )
            if row.purpose == "request":
                self.store.update_request(row.request_id, now=now, state="failed")
            if row.purpose in LETTER_PURPOSES:
                self.queue_reminder(
                    row.request_id,
                    "send_failed",
                    _message_id(row),
                    {"error": error, "letter": LETTER_NAMES[row.purpose]},
                )
        return failed

    def _tell_refused(self, row: OutgoingRow, refused: str, now: datetime) -> None:
        with self.store.transaction():
            self.store.append_event(
                request_id=row.request_id,
                kind="send_failed",
                at=now,
                message_id=_message_id(row),
                subject=row.subject,
                detail=f"refused recipients: {refused}",
            )
            if row.purpose in LETTER_PURPOSES:
                self.queue_reminder(
                    row.request_id,
                    "send_failed",
                    _message_id(row),
                    {
                        "error": f"the server refused some recipients: {refused}",
                        "letter": LETTER_NAMES[row.purpose],
                    },
                )

    async def _resolve_unknown_outcome(self, row: OutgoingRow) -> OutgoingRow:
        """The end of DATA may have reached the server: look for proof, else tell the parent."""
        if row.purpose not in LETTER_PURPOSES:
            return await self._resolve_reminder(row)
        try:
            found = await self.transport.sent_copy_exists(_message_id(row))
        except MailServerError as error:
            # Without the mailbox we cannot decide; deciding wrong means a second letter.
            logger.warning("%s: outcome unknown and IMAP unreachable: %s", row.dedup_key, error)
            return row
        now = self.clock()
        if found:
            logger.info("%s: found in the mailbox after an interrupted send", row.dedup_key)
            return self.store.set_step(row.message_row, "accepted", now=now)
        logger.warning("%s: the outcome of the send is unknown; not resending", row.dedup_key)
        with self.store.transaction():
            uncertain = self.store.set_step(
                row.message_row, "uncertain", now=now, error="interrupted after DATA"
            )
            self.store.append_event(
                request_id=row.request_id,
                kind="send_uncertain",
                at=now,
                message_id=_message_id(row),
                subject=row.subject,
                detail="the connection ended after the message was handed over; "
                "no copy was found, so it was not resent",
            )
            if row.purpose == "request":
                self.store.update_request(row.request_id, now=now, state="uncertain")
            self.queue_reminder(
                row.request_id,
                "send_uncertain",
                _message_id(row),
                {
                    "letter": LETTER_NAMES[row.purpose],
                    "attempted_at": row.updated_at,
                    "letter_subject": row.subject,
                },
                attachment=row.read_raw(),
            )
        return uncertain

    async def _resolve_reminder(self, row: OutgoingRow) -> OutgoingRow:
        """A reminder whose send was interrupted: a lost reminder is worse than a second
        one, so unless it is found in the parent's inbox it is sent again."""
        found = False
        if self.config.parent.remind_to == self.config.mail.username:
            try:
                found = await self.transport.inbox_has(_message_id(row))
            except MailServerError as error:
                logger.warning("%s: cannot look in the inbox: %s", row.dedup_key, error)
        now = self.clock()
        if found:
            return self.store.set_step(row.message_row, "accepted", now=now)
        logger.info("%s: interrupted and not found in the inbox; sending again", row.dedup_key)
        return self.store.set_step(
            row.message_row, "queued", now=now, error="interrupted after DATA; not found"
        )

    async def _file_copy(self, row: OutgoingRow) -> OutgoingRow:
        if row.purpose in LETTER_PURPOSES and self.transport.files_sent_copies:
            try:
                appended = await self.transport.file_sent_copy(row.read_raw(), _message_id(row))
            except MailServerError as error:
                # The letter is out; the copy can wait for the next pass.
                logger.warning("%s: could not file the Sent copy yet: %s", row.dedup_key, error)
                return row
            logger.info("%s: Sent copy %s", row.dedup_key, "filed" if appended else "was there")
        row = self.store.set_step(row.message_row, "filed", now=self.clock())
        crashpoint("filed")
        return row

    def _finish(self, row: OutgoingRow) -> OutgoingRow:
        """Record what the acceptance means for the request, once, in one transaction."""
        now = self.clock()
        sent_at = row.accepted_at or now
        with self.store.transaction():
            if row.purpose == "reminder":
                self.store.append_event(
                    request_id=row.request_id,
                    kind="reminder_sent",
                    at=now,
                    message_id=_message_id(row),
                    subject=row.subject,
                    detail=row.reminder_kind,
                )
            else:
                self._finish_letter(row, sent_at, now)
            done = self.store.set_step(row.message_row, "done", now=now)
        crashpoint("done")
        return done

    def _finish_letter(self, row: OutgoingRow, sent_at: datetime, now: datetime) -> None:
        event_kind = {
            "request": "request_sent",
            "followup": "followup_sent",
            "escalation": "escalation_sent",
        }[row.purpose]
        self.store.append_event(
            request_id=row.request_id,
            kind=event_kind,
            at=sent_at,
            message_id=_message_id(row),
            from_addr=row.envelope_from,
            subject=row.subject,
            detail="to " + ", ".join(row.recipients),
        )
        request = self.store.get_request(row.request_id)
        # An answer or a bounce may have been recorded while this letter was in flight;
        # the letter going out does not undo it.
        final = request is None or request.state not in WAITING_STATES
        context = {"sent_at": sent_at, "recipients": row.recipients, "subject": row.subject}
        raw = row.read_raw()
        if row.purpose == "request":
            if not final:
                self.store.update_request(row.request_id, now=now, state="sent", sent_at=sent_at)
            self.queue_reminder(row.request_id, "sent", _message_id(row), context, attachment=raw)
        else:
            number = 1 if row.purpose == "followup" else 2
            fields: dict[str, object] = {"followup_count": number, "last_followup_at": sent_at}
            if not final:
                fields["state"] = "followed_up" if number == 1 else "escalated"
            self.store.update_request(row.request_id, now=now, **fields)
            kind = "followup_sent" if number == 1 else "escalation_sent"
            self.queue_reminder(row.request_id, kind, _message_id(row), context, attachment=raw)

    # -- after a crash

    async def reconcile(self) -> None:
        """Carry every row a previous run left mid-way to a safe resting step."""
        for row in self.store.pending_outgoing():
            if row.step == "queued":
                continue
            logger.info("%s: reconciling a send left at step %s", row.dedup_key, row.step)
            if row.step == "smtp":
                self.store.set_step(row.message_row, "queued", now=self.clock())
                continue
            await self.deliver(row)
