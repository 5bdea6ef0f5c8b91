"""The drafts table: the letters iepd wrote in the school's thread, waiting for the parent.

A draft is rendered once, with its Message-ID and Date, and its exact bytes are kept in the
mail folder; approving it queues those bytes in the outbox, so the letter that goes out is
the one the parent was shown. Mixed into ``store.Store``.
"""

# No `from __future__ import annotations`: typing.NamedTuple would compile every field's
# annotation text again at import.

from datetime import datetime
from pathlib import Path
from typing import NamedTuple


class DraftRow(NamedTuple):
    """One drafted letter and where it stands; ``raw_path`` is absolute."""

    id: int
    request_id: str
    kind: str  # one of vocabulary.DRAFT_KINDS
    status: str  # pending | approved | withdrawn
    replies_to: str | None  # the Message-ID of the school's message it answers
    message_id: str
    subject: str
    created_at: datetime
    sha256: str
    eml_path: str
    raw_path: Path
    decided_at: datetime | None  # approved or withdrawn
    decided_by: str | None  # approved: the via ("cli", "email:<id>", "auto"); withdrawn: why
    outbox_key: str | None  # the outbox dedup key once approved

    def read_raw(self) -> bytes:
        """Return the exact bytes the parent was shown, and that SEND sends."""
        return self.raw_path.read_bytes()
