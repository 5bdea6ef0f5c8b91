"""The Sent copy of each letter the server accepted: a step of its own, after the letter is
recorded as sent (see ``sending``), so that no failure here can leave a letter that went
out without a record or a clock.

A failure is retried with the SMTP backoff; one that lasts (``copy_failure_is_lasting``)
ends the row at ``done``, records ``sent_copy_failed`` and tells the parent once, with the
letter attached: its raw copy stays in the state folder and the export. The Sent folder is
searched for the Message-ID before each APPEND, so it never holds two copies.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from iepd.errors import MailServerError
from iepd.faults import crashpoint
from iepd.mail.transport import MailTransport
from iepd.outbox.enqueue import OutboxQueue, message_id_of
from iepd.store.database import OutgoingRow
from iepd.vocabulary import LETTER_NAMES, LETTER_PURPOSES

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(hours=1)
# A Sent copy that failed this many times, over at least this long since the server accepted
# the letter, has failed for good (a missing folder, a full quota): long enough that a
# server's maintenance window or a night offline is not taken for it.
COPY_ATTEMPTS_BEFORE_GIVING_UP = 6
COPY_TRIED_FOR_AT_LEAST = timedelta(hours=6)


def retry_delay(attempts: int) -> timedelta:
    """Given how many attempts failed, return how long to wait before the next one."""
    delay: timedelta = timedelta(minutes=1) * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_RETRY_DELAY)


def copy_failure_is_lasting(attempts: int, accepted_at: datetime, now: datetime) -> bool:
    """Given how many attempts to file a letter's Sent copy failed, when the server accepted
    the letter and the time now, return whether to stop trying and tell the parent."""
    return (
        attempts >= COPY_ATTEMPTS_BEFORE_GIVING_UP and now - accepted_at >= COPY_TRIED_FOR_AT_LEAST
    )


class SentCopies(OutboxQueue):
    """The Sent-copy step of ``sending.Sender``, which sets ``transport``."""

    transport: MailTransport

    async def file_copy(self, row: OutgoingRow) -> OutgoingRow:
        """Given a row at step ``accepted``, file its Sent copy (a letter's, where iepd files
        them) and move it to ``filed``; or count the failure (see the module)."""
        if row.purpose in LETTER_PURPOSES and self.transport.files_sent_copies:
            try:
                appended = await self.transport.file_sent_copy(row.read_raw(), message_id_of(row))
            except MailServerError as error:
                return self._copy_failed(row, str(error))
            logger.info("%s: Sent copy %s", row.dedup_key, "filed" if appended else "was there")
        row = self.store.set_step(row.message_row, "filed", now=self.clock())
        crashpoint("filed")
        return row

    def _copy_failed(self, row: OutgoingRow, error: str) -> OutgoingRow:
        """The letter is sent; its Sent copy is not filed: try again later, or, once the
        failure is a lasting one, end the row and tell the parent once where it could not go."""
        now = self.clock()
        attempts = row.copy_attempts + 1
        retry_at = now + retry_delay(attempts)
        if not copy_failure_is_lasting(attempts, row.accepted_at or row.updated_at, now):
            logger.warning(
                "%s: sent, but its Sent copy is not filed yet (attempt %d; next at %s): %s",
                row.dedup_key,
                attempts,
                retry_at.isoformat(timespec="seconds"),
                error,
            )
            return self.store.postpone_copy(
                row.message_row, now=now, error=error, next_try_at=retry_at
            )
        folder = self.config.mail.imap.sent_folder
        logger.error(
            "%s: giving up the Sent copy after %d attempts: %s", row.dedup_key, attempts, error
        )
        with self.store.transaction():
            self.store.postpone_copy(row.message_row, now=now, error=error, next_try_at=retry_at)
            self.store.append_event(
                request_id=row.request_id,
                kind="sent_copy_failed",
                at=now,
                message_id=message_id_of(row),
                subject=row.subject,
                detail=f'not filed in "{folder}" after {attempts} attempts: {error}',
            )
            self.queue_reminder(
                row.request_id,
                "sent_copy_failed",
                message_id_of(row),
                {
                    "letter": LETTER_NAMES[row.purpose],
                    "sent_at": row.accepted_at or now,
                    "folder": folder,
                    "error": error,
                    "stored_as": str(row.raw_path),
                },
                attachment=row.read_raw(),
            )
            done = self.store.set_step(row.message_row, "done", now=now)
        crashpoint("done")
        return done
