"""What the parent can do by hand, by email command or on the command line: approve the
pending draft, close a request, set the meeting, list what was agreed, correct iepd's reading
of the school's newest message.

Each move checks it can be carried out (or raises MoveRefused with the reason, in words for
the parent), records its events in one transaction, and returns one sentence saying what was
done. A move made twice with the same ``via`` ("email:<the reply's Message-ID>") is done
once: the second call returns the first one's sentence and changes nothing. Sending is the
outbox's job: an approved draft is queued there and goes out on the next flush, crash-safe
like every letter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from iepd.config.model import Config
from iepd.errors import IepdError
from iepd.outbox.enqueue import OutboxQueue
from iepd.store.database import Store
from iepd.store.drafts import DraftRow

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class MoveRefused(IepdError):
    """The move cannot be carried out; str() is the reason, in words for the parent ("there
    is no draft waiting to be sent for sam-speech-2026-12")."""


class ParentMoves:
    """Given the config, the store, the outbox queue (a Sender is one) and a clock, carry out
    the parent's moves on one request."""

    def __init__(self, config: Config, store: Store, sender: OutboxQueue, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.sender = sender
        self.clock = clock

    def send_draft(self, request_id: str, *, via: str) -> str:
        """Approve the request's pending draft: its exact bytes are queued in the outbox."""
        raise MoveRefused("not yet")

    def close(self, request_id: str, *, via: str) -> str:
        """Close the request: nothing more is sent for it; a pending draft is withdrawn."""
        raise MoveRefused("not yet")

    def set_meeting(self, request_id: str, when: datetime, *, via: str) -> str:
        """Record the meeting's start (aware); a confirm draft follows."""
        raise MoveRefused("not yet")

    def agreed(self, request_id: str, items: list[str], *, via: str) -> str:
        """Record what was agreed at the meeting and draft the recap for SEND."""
        raise MoveRefused("not yet")

    def reclassify(self, request_id: str, klass: str, *, via: str) -> str:
        """Correct the class of the school's newest message; the next steps follow it."""
        raise MoveRefused("not yet")

    def pending_draft(self, request_id: str) -> DraftRow | None:
        """Return the request's draft waiting for SEND, if any."""
        return None
