"""The conversation's shell (issue 15): the planner's conversation actions carried out on
the store and the outbox (``conversation_facts`` reads what the planner needs).

Every change is one transaction: a draft with its ``draft_created`` event and its
``draft_ready`` reminder; an approval with the letter queued in the outbox (its exact bytes,
its Message-ID) and the draft marked approved; a withdrawal with its event. A process killed
at any line leaves either all of it or none, so a draft is shown once and sent at most once
(the outbox, which sends it, never sends a row twice).
"""

from __future__ import annotations

import email.parser
import email.utils
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from iepd.config.model import Config
from iepd.decide.conversation import (
    ChangeState,
    ConversationAction,
    FollowUpRound,
    MakeDraft,
    SendDraft,
    WithdrawDraft,
)
from iepd.faults import crashpoint
from iepd.letters import school
from iepd.letters.compose import make_message_id
from iepd.letters.conversation import DraftFacts, ThreadTip, render_draft
from iepd.letters.mail_policy import MAIL_POLICY
from iepd.outbox.enqueue import OutboxQueue
from iepd.store.database import DraftRow, OutgoingRow, Store
from iepd.vocabulary import DRAFT_READY, FOLLOWUP_PURPOSES, LETTER_NAMES, MEETING_HELD

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class Drafting:
    """Given the config, the store, the outbox queue and a clock, carry out the
    conversation's actions: make, approve and withdraw drafts, change a request's state,
    queue the follow-ups of the school's silence."""

    def __init__(self, config: Config, store: Store, outbox: OutboxQueue, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.outbox = outbox
        self.clock = clock

    def carry_out(self, action: ConversationAction) -> None:
        """Carry out one of the planner's conversation actions."""
        if isinstance(action, MakeDraft):
            self.make_draft(
                action.request_id, action.kind, action.key, action.replies_to,
                sends_at=action.sends_at, why=action.why,
            )  # fmt: skip
        elif isinstance(action, SendDraft):
            draft = self.store.pending_draft(action.request_id)
            if draft is not None and draft.id == action.draft_id:
                self.approve(draft, via="auto")
        elif isinstance(action, WithdrawDraft):
            draft = self.store.pending_draft(action.request_id)
            if draft is not None and draft.id == action.draft_id:
                self.withdraw(draft, action.why)
        elif isinstance(action, ChangeState):
            self.change_state(action.request_id, action.state, action.why)
        elif isinstance(action, FollowUpRound):
            self.queue_round_followup(action)
        # A ReminderDue never comes here: the planner hands it over as a Remind.

    # -- drafts

    def make_draft(
        self,
        request_id: str,
        kind: str,
        key: str,
        replies_to: str | None,
        *,
        items: Sequence[str] = (),
        sends_at: datetime | None = None,
        why: str = "",
    ) -> DraftRow:
        """Render a draft, record it and queue the draft_ready reminder that shows it, in one
        transaction; made once per ``key``."""
        existing = self.store.draft_by_key(key)
        if existing is not None:
            return existing
        now = self.clock()
        request = self.store.get_request(request_id)
        assert request is not None
        facts = DraftFacts(
            request_sent_at=request.sent_at,
            meeting_start=request.meeting_at,
            meeting_location=request.meeting_location or "",
            items=tuple(items),
        )
        message = render_draft(
            self.config, request_id, kind, tip=self._tip(request_id, replies_to), facts=facts,
            message_id=make_message_id(self.config.parent.email), date=now,
        )  # fmt: skip
        raw = message.as_bytes(policy=MAIL_POLICY)
        body = message.get_content()
        with self.store.transaction():
            draft = self.store.add_draft(
                request_id=request_id, kind=kind, dedup_key=key, replies_to=replies_to,
                message_id=str(message["Message-ID"]), subject=str(message["Subject"]),
                raw=raw, now=now,
            )  # fmt: skip
            context: dict[str, object] = {
                "draft_name": LETTER_NAMES[kind],
                "letter": str(body).replace("\r\n", "\n").rstrip("\n"),
                "to": str(message["To"]),
                "cc": str(message["Cc"] or ""),
                "letter_subject": str(message["Subject"]),
                "auto_at": sends_at,
                "why": why,
            }
            self.outbox.queue_reminder(request_id, DRAFT_READY, key, context, attachment=raw)
        crashpoint("draft-created")
        logger.info("%s: drafted a %s", request_id, LETTER_NAMES[kind])
        return draft

    def _tip(self, request_id: str, replies_to: str | None) -> ThreadTip:
        """The message a draft answers: the school's (``replies_to``), else the newest
        message of the thread, else the request letter."""
        messages = self.store.messages_for(request_id)
        thread = [
            row for row in messages
            if (row.direction == "in" and row.klass is not None)
            or (row.direction == "out" and row.purpose != "reminder")
        ]  # fmt: skip
        chosen = next((row for row in thread if row.message_id == replies_to), None)
        if chosen is None and thread:
            chosen = thread[-1]
        if chosen is None:
            return ThreadTip(None, subject="IEP meeting")
        sender = email.utils.parseaddr(chosen.from_addr or "")[1]
        return ThreadTip(
            chosen.message_id, chosen.references, chosen.in_reply_to, chosen.subject or "",
            sender, chosen.detected_at or chosen.date_header or chosen.created_at,
        )  # fmt: skip

    def approve(self, draft: DraftRow, *, via: str) -> OutgoingRow:
        """Queue the draft's exact bytes in the outbox and mark it approved, in one
        transaction. Raise StoreError if it is no longer pending."""
        now = self.clock()
        raw = draft.read_raw()
        headers = email.parser.BytesHeaderParser(policy=MAIL_POLICY).parsebytes(raw)
        key = f"{draft.kind}:{draft.request_id}:{draft.id}"
        with self.store.transaction():
            row = self.store.add_outgoing(
                request_id=draft.request_id,
                purpose=draft.kind,
                reminder_kind=None,
                dedup_key=key,
                message_id=draft.message_id,
                envelope_from=self.config.parent.email,
                recipients=self.outbox.envelope_recipients(draft.request_id, draft.kind, headers),
                raw=raw,
                headers={name: str(value) for name, value in headers.items()},
                now=now,
            )
            self.store.decide_draft(draft.id, status="approved", by=via, now=now, outbox_key=key)
        crashpoint("draft-approved")
        logger.info("%s: %s approved (%s)", draft.request_id, LETTER_NAMES[draft.kind], via)
        return row

    def withdraw(self, draft: DraftRow, why: str) -> None:
        self.store.decide_draft(draft.id, status="withdrawn", by=why, now=self.clock())
        crashpoint("draft-withdrawn")
        logger.info("%s: %s withdrawn: %s", draft.request_id, LETTER_NAMES[draft.kind], why)

    # -- the request's state and the school's silence

    def change_state(self, request_id: str, state: str, why: str) -> None:
        now = self.clock()
        with self.store.transaction():
            self.store.update_request(request_id, now=now, state=state)
            self.store.append_event(
                request_id=request_id, kind="state_changed", at=now, detail=f"{state}: {why}"
            )
            if state == "meeting_held":
                request = self.store.get_request(request_id)
                meeting = request.meeting_at if request else None
                self.store.append_event(
                    request_id=request_id, kind=MEETING_HELD, at=now,
                    detail=meeting.isoformat() if meeting else None,
                )  # fmt: skip

    def queue_round_followup(self, action: FollowUpRound) -> OutgoingRow:
        """Queue a follow-up of the school's silence after the parent's move, in the thread
        of that move (a drafted letter) or of the request."""
        purpose = FOLLOWUP_PURPOSES[action.number]
        key = f"{purpose}:{action.request_id}:{action.round}"
        existing = self.store.get_outgoing(key)
        if existing is not None:
            return existing
        original = self.store.get_outgoing(f"request:{action.request_id}")
        request = self.store.get_request(action.request_id)
        assert request is not None
        thread = tuple(
            item for item in (original.message_id if original else None, action.after_message_id)
            if item
        )  # fmt: skip
        now = self.clock()
        message = school.render_followup(
            self.config,
            action.request_id,
            number=action.number,
            original_message_id=thread[-1] if thread else None,
            original_references=thread[:-1],
            original_subject=(original.subject if original else None) or request.subject or "",
            original_sent_at=action.after,
            message_id=make_message_id(self.config.parent.email),
            date=now,
        )
        return self.outbox.queue_message(action.request_id, purpose, key, message, now)
