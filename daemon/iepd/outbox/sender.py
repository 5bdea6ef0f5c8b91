"""Send and reconcile everything iepd mails: letters to the school and reminders.

Queueing (render, write the .eml, record the intent) is ``queueing.OutboxQueue``'s job,
which ``Sender`` extends. Every outgoing message walks the outbox steps the store enforces:
``queued -> smtp -> data -> accepted -> filed -> done``. Each step is committed *before*
the action it names, so a process killed at any line leaves a row that says how far the
message got, and ``reconcile`` finishes the job without ever sending a letter twice.

A letter the server accepted is sent: right after ``accepted`` its event, the request's
state and clock and the parent's reminder are recorded (once: the event's presence says
so). Filing its Sent copy is the next, separate step (``sent_copy.SentCopies``).

- ``queued`` / ``smtp``: the server cannot have the message (an SMTP transaction that never
  reached the end of DATA is discarded), so it is sent again with the same Message-ID;
- ``data``: the outcome is unknown. A copy in the Sent folder (Gmail and Microsoft 365 file
  their own) proves it went out; otherwise the parent is told (``send_uncertain``) and
  nothing is resent blindly;
- ``accepted`` / ``filed``: the records and the Sent copy are (re)done; both are idempotent
  (the Sent folder is searched for the Message-ID before an APPEND).
"""

from __future__ import annotations

import logging
from datetime import datetime

from iepd.config.model import Config
from iepd.errors import (
    MailServerError,
    PermanentSendError,
    TransientSendError,
    UncertainSendError,
)
from iepd.faults import crashpoint
from iepd.mail.transport import MailTransport
from iepd.outbox.enqueue import Clock, message_id_of
from iepd.outbox.sent_copy import SentCopies, retry_delay
from iepd.store.database import OutgoingRow, Store
from iepd.vocabulary import (
    BEFORE_ANSWER_STATES,
    DRAFT_KINDS,
    LETTER_NAMES,
    LETTER_PURPOSES,
    LETTER_SENT,
    SENT_EVENTS,
)

logger = logging.getLogger(__name__)

# The steps at which a row's next_try_at holds it back: queued (an SMTP retry) and accepted
# (a Sent copy to retry).
RETRY_STEPS = frozenset({"queued", "accepted"})


class Sender(SentCopies):
    """Given a config, the store and a transport, queue (see OutboxQueue) and send
    outgoing mail (filing Sent copies as SentCopies does)."""

    def __init__(
        self, config: Config, store: Store, transport: MailTransport, clock: Clock
    ) -> None:
        super().__init__(config, store, clock)
        self.transport = transport

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
                if row.message_row not in tried and not self._held_back(row)
            ]
            if not due:
                return
            for row in due:
                tried.add(row.message_row)
                await self.advance(row)

    def _held_back(self, row: OutgoingRow) -> bool:
        return row.step in RETRY_STEPS and bool(row.next_try_at and row.next_try_at > self.clock())

    def next_retry(self) -> datetime | None:
        """Return when the earliest message held back for a retry is due, if any."""
        waiting = [
            row.next_try_at
            for row in self.store.pending_outgoing()
            if row.step in RETRY_STEPS and row.next_try_at is not None
        ]
        return min(waiting, default=None)

    async def advance(self, row: OutgoingRow) -> OutgoingRow:
        """Move one outbox row forward; return it as it stands afterwards."""
        if row.step in ("queued", "smtp"):
            row = await self._transmit(row)
        if row.step == "data":
            row = await self._resolve_unknown_outcome(row)
        if row.step in ("accepted", "filed") and row.purpose in LETTER_PURPOSES:
            self._record_sent(row)
        if row.step == "accepted":
            row = await self.file_copy(row)
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
                message_id=message_id_of(row),
                subject=row.subject,
                detail=error,
            )
            if row.purpose == "request":
                self.store.update_request(row.request_id, now=now, state="failed")
            if row.purpose in LETTER_PURPOSES:
                self.queue_reminder(
                    row.request_id,
                    "send_failed",
                    message_id_of(row),
                    {"error": error, "letter": LETTER_NAMES[row.purpose]},
                )
        return failed

    def _tell_refused(self, row: OutgoingRow, refused: str, now: datetime) -> None:
        with self.store.transaction():
            self.store.append_event(
                request_id=row.request_id,
                kind="send_failed",
                at=now,
                message_id=message_id_of(row),
                subject=row.subject,
                detail=f"refused recipients: {refused}",
            )
            if row.purpose in LETTER_PURPOSES:
                self.queue_reminder(
                    row.request_id,
                    "send_failed",
                    message_id_of(row),
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
            found = await self.transport.sent_copy_exists(message_id_of(row))
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
                message_id=message_id_of(row),
                subject=row.subject,
                detail="the connection ended after the message was handed over; "
                "no copy was found, so it was not resent",
            )
            if row.purpose == "request":
                self.store.update_request(row.request_id, now=now, state="uncertain")
            self.queue_reminder(
                row.request_id,
                "send_uncertain",
                message_id_of(row),
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
                found = await self.transport.inbox_has(message_id_of(row))
            except MailServerError as error:
                logger.warning("%s: cannot look in the inbox: %s", row.dedup_key, error)
        now = self.clock()
        if found:
            return self.store.set_step(row.message_row, "accepted", now=now)
        logger.info("%s: interrupted and not found in the inbox; sending again", row.dedup_key)
        return self.store.set_step(
            row.message_row, "queued", now=now, error="interrupted after DATA; not found"
        )

    def _record_sent(self, row: OutgoingRow) -> None:
        """The server accepted the letter, so it is sent: record what that means for the
        request (event, state, clock, the parent's reminder) in one transaction, once,
        whatever becomes of its Sent copy."""
        now = self.clock()
        with self.store.transaction():
            if self.store.has_event(row.request_id, SENT_EVENTS[row.purpose], message_id_of(row)):
                return
            self._record_letter(row, row.accepted_at or now, now)
        crashpoint("recorded")

    def _finish(self, row: OutgoingRow) -> OutgoingRow:
        """End the row, recording (once) what its acceptance means, in one transaction."""
        now = self.clock()
        with self.store.transaction():
            if row.purpose in LETTER_PURPOSES:
                self._record_sent(row)  # done already, unless a step was skipped
            else:
                self.store.append_event(
                    request_id=row.request_id,
                    kind="reminder_sent",
                    at=now,
                    message_id=message_id_of(row),
                    subject=row.subject,
                    detail=row.reminder_kind,
                )
            done = self.store.set_step(row.message_row, "done", now=now)
        crashpoint("done")
        return done

    def _record_letter(self, row: OutgoingRow, sent_at: datetime, now: datetime) -> None:
        self.store.append_event(
            request_id=row.request_id,
            kind=SENT_EVENTS[row.purpose],
            at=sent_at,
            message_id=message_id_of(row),
            from_addr=row.envelope_from,
            subject=row.subject,
            detail=(f"{row.purpose}: " if row.purpose in DRAFT_KINDS else "")
            + "to "
            + ", ".join(row.recipients),
        )
        request = self.store.get_request(row.request_id)
        # An answer or a bounce may have been recorded while this letter was in flight;
        # the letter going out does not undo it.
        final = request is None or request.state not in BEFORE_ANSWER_STATES
        context = {"sent_at": sent_at, "recipients": row.recipients, "subject": row.subject}
        raw = row.read_raw()
        if row.purpose == "request":
            if not final:
                self.store.update_request(row.request_id, now=now, state="sent", sent_at=sent_at)
            self.queue_reminder(row.request_id, "sent", message_id_of(row), context, attachment=raw)
        elif row.purpose in DRAFT_KINDS:
            # A drafted letter of the conversation: the recap ends the request.
            if row.purpose == "recap" and request is not None and request.state != "closed":
                self.store.update_request(row.request_id, now=now, state="recap_sent")
            context["letter"] = LETTER_NAMES[row.purpose]
            self.queue_reminder(
                row.request_id, LETTER_SENT, message_id_of(row), context, attachment=raw
            )
        else:
            number = 1 if row.purpose == "followup" else 2
            fields: dict[str, object] = {"followup_count": number, "last_followup_at": sent_at}
            if not final:
                fields["state"] = "followed_up" if number == 1 else "escalated"
            self.store.update_request(row.request_id, now=now, **fields)
            kind = "followup_sent" if number == 1 else "escalation_sent"
            self.queue_reminder(row.request_id, kind, message_id_of(row), context, attachment=raw)

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
            await self.advance(row)
