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
from datetime import UTC, datetime

from iepd.config.model import Config
from iepd.decide.conversation import DRAFT_FOR
from iepd.decide.corrections import state_after_correction
from iepd.errors import IepdError
from iepd.letters.text_format import long_datetime, parent_zone
from iepd.outbox.enqueue import OutboxQueue
from iepd.run.drafting import Drafting
from iepd.store.database import DraftRow, RequestRow, Store
from iepd.vocabulary import AGREED_RECORDED, LETTER_NAMES, RECLASSIFIED

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
        self.drafting = Drafting(config, store, sender, clock)

    def send_draft(self, request_id: str, *, via: str) -> str:
        """Approve the request's pending draft: its exact bytes are queued in the outbox."""

        def move() -> str:
            self._open_request(request_id)
            draft = self.store.pending_draft(request_id)
            if draft is None:
                raise MoveRefused(f"there is no draft waiting to be sent for {request_id}")
            newest = self.store.school_answers().get(request_id)
            if (
                newest is not None
                and newest.message_id != draft.replies_to
                and (newest.at > draft.created_at and draft.kind != "recap")
            ):
                # A refusal changes nothing, so the withdrawal is the planner's to record.
                raise MoveRefused(
                    f"the school wrote again after this draft for {request_id} was made,"
                    " so it was not sent; iepd will show you what it suggests now"
                )
            self.drafting.approve(draft, via=via)
            return (
                f"Your {LETTER_NAMES[draft.kind]} for {request_id} is queued and goes out now,"
                " exactly as shown."
            )

        return self._once(request_id, "send", via, move)

    def close(self, request_id: str, *, via: str) -> str:
        """Close the request: nothing more is sent for it; a pending draft is withdrawn."""

        def move() -> str:
            row = self._request(request_id)
            if row.state == "closed":
                raise MoveRefused(f"{request_id} is already closed")
            now = self.clock()
            draft = self.store.pending_draft(request_id)
            if draft is not None:
                self.drafting.withdraw(draft, "the parent closed the request")
            self.store.update_request(request_id, now=now, state="closed")
            self.store.append_event(
                request_id=request_id, kind="closed", at=now, detail=f"closed by the parent ({via})"
            )
            return f"{request_id} is closed: iepd sends nothing more about it."

        return self._once(request_id, "close", via, move)

    def set_meeting(self, request_id: str, when: datetime, *, via: str) -> str:
        """Record the meeting's start (aware); a confirm draft follows."""
        if when.tzinfo is None or when.utcoffset() is None:
            raise MoveRefused("the meeting's time needs a timezone")

        def move() -> str:
            row = self._open_request(request_id)
            now = self.clock()
            start = when.astimezone(UTC)
            fields: dict[str, object] = {"meeting_at": start}
            if row.state not in ("meeting_held", "recap_sent"):
                fields["state"] = "meeting_scheduled"
            if row.answered_at is None:
                fields["answered_at"] = now  # a date agreed is an answer: no more follow-ups
            self.store.update_request(request_id, now=now, **fields)
            self.store.append_event(
                request_id=request_id, kind="meeting_scheduled", at=now,
                detail=start.isoformat(),
            )  # fmt: skip
            draft = self.store.pending_draft(request_id)
            if draft is not None and draft.kind in ("ask_for_date", "insist", "pwn_request"):
                self.drafting.withdraw(draft, "the meeting is set")
            local = long_datetime(start, parent_zone(self.config))
            return (
                f"The meeting for {request_id} is set for {local}. iepd drafts a letter"
                " confirming it, reminds you before it, and asks you afterwards what was agreed."
            )

        return self._once(request_id, "meeting", via, move)

    def agreed(self, request_id: str, items: list[str], *, via: str) -> str:
        """Record what was agreed at the meeting and draft the recap for SEND."""
        kept = [" ".join(item.split()) for item in items if item.strip()]
        if not kept:
            raise MoveRefused(
                "no agreements were listed: write AGREED, then one agreement per line"
            )

        def move() -> str:
            row = self._open_request(request_id)
            if row.meeting_at is None:
                raise MoveRefused(
                    f"iepd knows of no meeting for {request_id}; reply MEETING and its date"
                    " and time first"
                )
            now = self.clock()
            self.store.append_event(
                request_id=request_id, kind=AGREED_RECORDED, at=now,
                detail="\n".join(kept),
            )  # fmt: skip
            draft = self.store.pending_draft(request_id)
            if draft is not None:
                self.drafting.withdraw(draft, "the parent listed the agreements again")
            answers = self.store.school_answers().get(request_id)
            # A CLI move has no id of its own: each listing makes a new recap.
            suffix = now.isoformat() if via == "cli" else via
            key = f"recap:{row.meeting_at.isoformat()}:{suffix}"
            self.drafting.make_draft(
                request_id, "recap", key, answers.message_id if answers else None, items=kept
            )
            return (
                f"iepd drafted the recap of the meeting for {request_id} with {len(kept)}"
                f" item{'s' if len(kept) != 1 else ''}; it is sent only when you reply SEND"
                f" to the reminder that shows it (or run: iepd send {request_id})."
            )

        return self._once(request_id, "agreed", via, move)

    def reclassify(self, request_id: str, klass: str, *, via: str) -> str:
        """Correct the class of the school's newest message; the next steps follow it."""
        if klass not in ("answer", "declined", "informal", "auto_reply"):
            raise MoveRefused(
                f"{klass} is not a class iepd can set: answer, declined, informal or auto_reply"
            )

        def move() -> str:
            self._open_request(request_id)
            newest = next(
                (
                    row for row in reversed(self.store.messages_for(request_id))
                    if row.direction == "in" and row.klass is not None
                ),
                None,
            )  # fmt: skip
            if newest is None:
                raise MoveRefused(f"there is no message from the school for {request_id} yet")
            was = self.store.school_answers(include_all=True).get(request_id)
            old = was.klass if was is not None and was.message_id == newest.message_id else None
            old = old or newest.klass
            if old == klass:
                raise MoveRefused(f"iepd already reads the school's newest message as {klass}")
            now = self.clock()
            self.store.append_event(
                request_id=request_id, kind=RECLASSIFIED, at=now, message_id=newest.message_id,
                from_addr=newest.from_addr, subject=newest.subject,
                detail=f"{klass}: was {old}, corrected by the parent ({via})",
            )  # fmt: skip
            self._replan(request_id, newest.message_id or f"<row-{request_id}>", klass, now)
            return (
                f"iepd now reads the school's message of {request_id} as {_CLASS_WORDS[klass]},"
                " and plans the next steps from that."
            )

        return self._once(request_id, "reclassify", via, move)

    def _replan(self, request_id: str, message_id: str, klass: str, now: datetime) -> None:
        """After a correction, in its transaction: the draft written to the old reading of
        the message is withdrawn (never sent), and the request goes to the state the new
        reading gives; read as an auto-reply, with no other answer, it waits for the
        school's answer again and its follow-up clocks run as before the message."""
        draft = self.store.pending_draft(request_id)
        if (
            draft is not None
            and draft.replies_to == message_id
            and draft.kind in DRAFT_FOR.values()
            and DRAFT_FOR.get(klass) != draft.kind
        ):
            self.drafting.withdraw(draft, f"the school's message is now read as {klass}")
        row = self._request(request_id)
        newest = self.store.school_answers().get(request_id)
        followups = [
            out for out in self.store.outgoing_summaries(request_id)
            if out.purpose in ("followup", "escalation") and out.dedup_key.count(":") == 1
            and (out.accepted_at is not None or out.step == "uncertain")
        ]  # fmt: skip
        state = state_after_correction(
            row.state, newest.klass if newest else None,
            with_notice=newest is not None and newest.with_notice,
            emailed=row.sent_at is not None, followups=len(followups),
        )  # fmt: skip
        fields: dict[str, object] = {}
        if state != row.state:
            fields["state"] = state
        if newest is None and row.meeting_at is None and row.answered_at is not None:
            fields["answered_at"] = None  # no answer came: the follow-ups run again
        elif newest is not None and row.answered_at is None:
            fields["answered_at"] = newest.at  # an answer after all, since it came
        if fields:
            self.store.update_request(request_id, now=now, **fields)
        if state != row.state:
            self.store.append_event(
                request_id=request_id, kind="state_changed", at=now,
                detail=f"{state}: the parent read the school's message as {klass}",
            )  # fmt: skip

    def pending_draft(self, request_id: str) -> DraftRow | None:
        """Return the request's draft waiting for SEND, if any."""
        return self.store.pending_draft(request_id)

    # -- helpers

    def _once(self, request_id: str, name: str, via: str, move: Callable[[], str]) -> str:
        """Run the move in one transaction, recorded under ``via`` (an email reply's), so a
        reply seen again does nothing and says what was said the first time."""
        with self.store.transaction():
            said = self.store.move_said(via) if via != "cli" else None
            if said is not None:
                return said
            said = move()
            if via != "cli":
                self.store.record_move(
                    via=via, request_id=request_id, move=name, said=said, now=self.clock()
                )
        logger.info("%s: %s (%s): %s", request_id, name, via, said)
        return said

    def _request(self, request_id: str) -> RequestRow:
        row = self.store.get_request(request_id)
        if row is None:
            raise MoveRefused(f"there is no request {request_id}")
        return row

    def _open_request(self, request_id: str) -> RequestRow:
        row = self._request(request_id)
        if row.state in ("closed", "recap_sent"):
            raise MoveRefused(
                f"{request_id} is {row.state.replace('_', ' ')}: nothing more is sent"
            )
        return row


_CLASS_WORDS = {
    "answer": "an answer",
    "declined": "a refusal",
    "informal": "an offer of less than an IEP meeting",
    "auto_reply": "an automatic reply (not an answer)",
}
