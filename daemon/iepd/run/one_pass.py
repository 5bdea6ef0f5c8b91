"""The work of one pass over every request, shared by `iepd run` and `iepd run --once`.

The one sentence: the config's requests are copied into the store, the store is reconciled
after any crash, the planner decides what is due from the store alone, and the sender
carries each action out, writing the store before every step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from iepd.config.model import Config, RequestSettings
from iepd.decide.plan import Plan, Remind, SendFollowUp, SendLetter, next_actions
from iepd.mail.transport import MailTransport
from iepd.outbox.sender import Sender
from iepd.run.drafting import Drafting
from iepd.run.snapshots import local_to_utc, rules_for, snapshots
from iepd.store.database import RequestRow, Store

logger = logging.getLogger(__name__)

def utc_now() -> datetime:
    return datetime.now(UTC)


def _moment(text: str) -> datetime | str:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text


def reminder_context(action: Remind) -> dict[str, object]:
    """Given a planner Remind (times as ISO text), return what its reminder template needs."""
    context: dict[str, object] = {
        key: _moment(value) for key, value in action.context.items() if value
    }
    if "meeting_at" in context:
        context["meeting_start"] = context["meeting_at"]
    if action.kind == "no_response":
        context["followup_dates"] = [
            context[key] for key in ("followup_at", "escalation_at") if key in context
        ]
    return context


class OnePass:
    """Given a config and a store, keep the store in step with the config and act on it."""

    def __init__(
        self,
        config: Config,
        store: Store,
        transport: MailTransport,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.sender = Sender(config, store, transport, clock)
        self.drafting = Drafting(config, store, self.sender, clock)

    # -- the config is the parent's word; copy it into the store

    def sync_requests(self) -> None:
        """Create store rows for new requests and apply hold, closed and meeting_at."""
        now = self.clock()
        for settings in self.config.requests:
            row = self.store.upsert_request(
                id=settings.id,
                child=settings.child,
                reason=settings.reason,
                urgent=settings.urgent,
                state_if_new="draft" if settings.hold else "queued",
                subject="",
                now=now,
            )
            self._apply_settings(settings, row, now)

    def _apply_settings(self, settings: RequestSettings, row: RequestRow, now: datetime) -> None:
        if settings.closed and row.state != "closed":
            with self.store.transaction():
                self.store.update_request(row.id, now=now, state="closed")
                self.store.append_event(
                    request_id=row.id, kind="closed", at=now, detail="closed by the parent"
                )
            return
        if row.state == "draft" and not settings.hold:
            self._change_state(row, "queued", now, "taken off hold")
        elif row.state == "queued" and settings.hold and row.message_id is None:
            self._change_state(row, "draft", now, "put on hold")
        meeting_at = local_to_utc(settings.meeting_at, self.config.parent.timezone)
        # The config's date is applied once: a date the parent set since (MEETING, `iepd
        # meeting`) wins until the config names another.
        if meeting_at is not None and meeting_at != row.meeting_at and not any(
            event.kind == "meeting_scheduled" and event.detail == meeting_at.isoformat()
            for event in self.store.events(row.id)
        ):
            with self.store.transaction():
                self.store.update_request(row.id, now=now, meeting_at=meeting_at)
                self.store.append_event(
                    request_id=row.id,
                    kind="meeting_scheduled",
                    at=now,
                    detail=meeting_at.isoformat(),
                )

    def _change_state(self, row: RequestRow, state: str, now: datetime, why: str) -> None:
        with self.store.transaction():
            self.store.update_request(row.id, now=now, state=state)
            self.store.append_event(
                request_id=row.id, kind="state_changed", at=now, detail=f"{state}: {why}"
            )

    # -- what is due, decided by the planner from the store alone

    def plan(self) -> Plan:
        """Ask the planner what is due now, from the store alone."""
        return next_actions(
            snapshots(self.config, self.store), rules_for(self.config), self.clock()
        )

    async def carry_out(self, plan: Plan) -> None:
        """Queue every action of the plan, then send whatever waits in the outbox."""
        self.queue(plan)
        await self.sender.flush()

    def queue(self, plan: Plan) -> None:
        """Record every action of the plan as intent (queued letters and reminders, drafts);
        nothing leaves the machine here."""
        for action in plan.actions:
            if isinstance(action, SendLetter):
                logger.info("%s: sending the meeting request", action.request_id)
                self.sender.queue_letter(action.request_id)
            elif isinstance(action, SendFollowUp):
                logger.info("%s: sending follow-up %d", action.request_id, action.number)
                self.sender.queue_followup(action.request_id, action.number)
            elif isinstance(action, Remind):
                self.sender.queue_reminder(
                    action.request_id, action.kind, action.key, reminder_context(action)
                )
            else:
                self.drafting.carry_out(action)

    def next_retry(self) -> datetime | None:
        """Return when the earliest message waiting to be retried (a send, or a letter's Sent
        copy) is due, if any."""
        return self.sender.next_retry()
