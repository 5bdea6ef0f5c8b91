"""Snapshots of the requests for the planner, read from the store and the config.

The store is the source of truth for what happened (sent, answered, which reminders went
out); the config for what the parent wants (hold, closed, send_at, meeting_at). This module
joins the two into the planner's plain data, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from iepd.config.model import Config, RequestSettings
from iepd.decide.conversation import Conversation, waiting_for
from iepd.decide.plan import RequestSnapshot, TimingRules, request_next_step, timing_rules
from iepd.run.conversation_facts import conversations
from iepd.store.database import OutgoingRow, RequestRow, Store
from iepd.store.messages import OutgoingSummary
from iepd.trail.postal import request_deliveries
from iepd.vocabulary import LETTER_PURPOSES, SETTLED_STEPS

# A letter past these steps is no longer in flight: from `accepted` on it is sent and
# recorded, and only its Sent copy may still be owed, which holds up no follow-up.

RequestNextStep = tuple[str, datetime | None] | None


def local_to_utc(value: datetime | None, timezone: str) -> datetime | None:
    """Given a naive local date-time from the config, return it as an aware UTC instant."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def rules_for(config: Config) -> TimingRules:
    return timing_rules(config.timing, config.parent.timezone, config.assist.auto_send)


def delivery_times(config: Config, store: Store) -> dict[str, datetime]:
    """Given the config and the store, return per request the day the post delivered its
    printed request letter, as the start of that day in the parent's timezone."""
    return {
        request_id: datetime.combine(mailing.delivered_on, time(), ZoneInfo(config.parent.timezone))
        for request_id, mailing in request_deliveries(store).items()
        if mailing.delivered_on is not None
    }


def snapshot(
    config: Config,
    store: Store,
    row: RequestRow,
    outgoing: Sequence[OutgoingRow | OutgoingSummary] | None = None,
    settings_by_id: Mapping[str, RequestSettings] | None = None,
    parent_messages: Mapping[str, datetime] | None = None,
    deliveries: Mapping[str, datetime] | None = None,
    talks: Mapping[str, Conversation] | None = None,
) -> RequestSnapshot:
    """Given the config, the store and one request row (and, if already read, the request's
    outgoing messages, the config's requests by id, when the parent's newest message in
    each thread was sent and when the post delivered a request letter), return the
    planner's snapshot."""
    if settings_by_id is None:
        settings_by_id = config.requests_by_id()
    # None: removed from the config, so nothing more is done for it.
    settings = settings_by_id.get(row.id)
    if outgoing is None:
        outgoing = store.outgoing_summaries(row.id)
    if parent_messages is None:
        parent_messages = store.last_parent_message_times()
    if deliveries is None:
        deliveries = delivery_times(config, store)
    if talks is None:
        talks = conversations(store)
    # A follow-up whose fate a crash left unknown counts as sent when that was found out:
    # the parent has been told, and the escalation's clock must still run from somewhere.
    followups = sorted(
        when
        for out in outgoing
        # the request's own (a follow-up of the conversation names its round after the id)
        if out.purpose in ("followup", "escalation") and out.dedup_key.count(":") == 1
        for when in [out.accepted_at or (out.updated_at if out.step == "uncertain" else None)]
        if when is not None
    )
    reminders = frozenset(
        out.dedup_key.split(":", 3)[3]
        for out in outgoing
        if out.purpose == "reminder" and out.dedup_key.count(":") >= 3
    )
    busy = any(out.purpose in LETTER_PURPOSES and out.step not in SETTLED_STEPS for out in outgoing)
    timezone = config.parent.timezone
    return RequestSnapshot(
        id=row.id,
        state=row.state,
        urgent=row.urgent,
        hold=settings.hold if settings else True,
        closed=settings.closed if settings else True,
        send_at=local_to_utc(settings.send_at, timezone) if settings else None,
        sent_at=row.sent_at,
        followups_sent=tuple(followups),
        answered_at=row.answered_at,
        meeting_at=row.meeting_at,
        reminders_sent=reminders,
        outbox_busy=busy,
        last_parent_message_at=parent_messages.get(row.id),
        delivered_at=deliveries.get(row.id),
        conversation=talks.get(row.id) or Conversation(),
    )


def snapshots(
    config: Config, store: Store, requests: Sequence[RequestRow] | None = None
) -> list[RequestSnapshot]:
    """Given the config, the store and (if already read) its request rows, return every
    request's snapshot."""
    # One query for every request's messages, not one per request. Summaries, not whole
    # rows: the planner runs this on every pass and `iepd status` on every call.
    outgoing = store.outgoing_summaries()
    by_request: dict[str, list[OutgoingSummary]] = {}
    for out in outgoing:
        by_request.setdefault(out.request_id, []).append(out)
    settings_by_id = config.requests_by_id()
    parent_messages = store.last_parent_message_times()
    deliveries = delivery_times(config, store)
    talks = conversations(store, outgoing, parent_messages)
    return [
        snapshot(
            config,
            store,
            row,
            by_request.get(row.id, []),
            settings_by_id,
            parent_messages,
            deliveries,
            talks,
        )
        for row in (store.list_requests() if requests is None else requests)
    ]


def next_step_function(
    config: Config, store: Store, now: datetime, requests: Sequence[RequestRow] | None = None
) -> Callable[[str], RequestNextStep]:
    """Return a function giving a request's next step and when, for `iepd status`."""
    return status_functions(config, store, now, requests)[0]


def status_functions(
    config: Config, store: Store, now: datetime, requests: Sequence[RequestRow] | None = None
) -> tuple[Callable[[str], RequestNextStep], Callable[[str], str]]:
    """Return two functions for `iepd status`: a request's next step and when, and who owes
    the next written move ("school", "parent" or "nothing")."""
    rules = rules_for(config)
    # Every request's snapshot read at the first call, in a few queries: `iepd status`
    # asks for each request in turn, and a query or two per request would add up.
    taken: dict[str, RequestSnapshot] = {}

    def found(request_id: str) -> RequestSnapshot | None:
        if not taken:
            taken.update((item.id, item) for item in snapshots(config, store, requests))
        return taken.get(request_id)

    def next_step(request_id: str) -> RequestNextStep:
        snapshot = found(request_id)
        return None if snapshot is None else request_next_step(snapshot, rules, now)

    def waiting(request_id: str) -> str:
        snapshot = found(request_id)
        if snapshot is None:
            return "nothing"
        state = "closed" if snapshot.closed else snapshot.state
        meeting = snapshot.meeting_at
        return waiting_for(state, meeting, snapshot.conversation, now, rules.auto_send)

    return next_step, waiting
