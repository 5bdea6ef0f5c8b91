"""What happens when the watcher hands over a message from the parent's Sent folder, or one
the inbox router found From the parent in the inbox (a copy she sent herself).

Parse (never raises), decide whether it is the parent's own message to the school in a
request's thread (``decide.parent_messages``, pure), then store its raw copy and row and
append its ``parent_message`` event in ONE transaction: a crash keeps both or neither, and
the next catch-up redoes it. The same message found in the other folder (its Message-ID
already has its event) is not stored again. iepd's own letters and reminders are in the
record already, and a reply to a reminder is a command; every other message is the
parent's private mail and is not stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from types import MappingProxyType

from iepd.config.model import Config
from iepd.decide.excerpt import make_excerpt
from iepd.decide.matching import OpenRequest
from iepd.decide.parent_messages import (
    SentContext,
    message_key,
    parent_message_request,
    recorded_before,
    sent_moment,
    worth_fetching,
)
from iepd.faults import crashpoint
from iepd.inbox.keep import keep_incoming
from iepd.inbox.parse import IncomingMessage, parse_headers_only, parse_message
from iepd.store.database import Store
from iepd.trail.postal import request_deliveries

logger = logging.getLogger(__name__)


def parent_addresses(config: Config) -> frozenset[str]:
    """Given the config, return the parent's addresses, lower-case."""
    parent = config.parent
    return frozenset({parent.email.lower(), parent.remind_to.lower(), config.mail.username.lower()})


def sent_context(config: Config, store: Store) -> SentContext:
    """Given the config and the store, return what deciding needs: every request that went
    out (by email, or delivered by the post) and is not closed, with every Message-ID of its
    thread and who wrote in it."""
    parents = parent_addresses(config)
    children = {child.id: child for child in config.children}
    threads = store.thread_messages()
    # A request the post delivered has a thread too, though iepd never emailed it.
    posted = request_deliveries(store)
    requests = []
    correspondents: dict[str, frozenset[str]] = {}
    for row in store.list_requests():
        child = children.get(row.child)
        if child is None or row.state == "closed" or (row.sent_at is None and row.id not in posted):
            continue
        found = threads.get(row.id, [])
        requests.append(
            OpenRequest(
                request_id=row.id,
                child_id=child.id,
                child_name=child.name,
                sent_message_ids=frozenset(mid for mid, _ in found if mid),
                case_manager=child.case_manager.email.lower(),
                principal=child.principal.email.lower(),
                school_domains=child.school_domains,
            )
        )
        writers = {sender.lower() for _, sender in found if sender} - parents
        correspondents[row.id] = frozenset(writers)
    return SentContext(
        parent_addresses=parents,
        own_message_ids=frozenset(message_key(known) for known in store.own_message_ids()),
        threads=tuple(requests),
        correspondents=MappingProxyType(correspondents),
        reminder_ids=frozenset(message_key(known) for known in store.reminder_message_ids()),
    )


class ParentMessageRecorder:
    """Given the config and the store, record the parent's own messages in the threads."""

    def __init__(self, config: Config, store: Store, clock: Callable[[], datetime]) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self._context: SentContext | None = None

    def refresh(self) -> None:
        """Forget the cached context (a letter went out, a message was recorded)."""
        self._context = None

    @property
    def context(self) -> SentContext:
        # One read of the field: the watcher thread asks while the main thread refreshes.
        context = self._context
        if context is None:
            context = self._context = sent_context(self.config, self.store)
        return context

    def wants(self, header_bytes: bytes) -> bool:
        """Given a Sent message's header block, return whether to fetch the whole message."""
        return worth_fetching(parse_headers_only(header_bytes), self.context)

    def handle(
        self,
        *,
        raw: bytes,
        mailbox: str,
        uidvalidity: int,
        uid: int,
        internaldate: datetime,
        message: IncomingMessage | None = None,
    ) -> str | None:
        """Given one message fetched from the Sent folder (or, parsed already, from the
        inbox), record it if it is the parent's message in a request's thread and not
        recorded yet; return that request's id (None: not recorded now)."""
        if message is None:
            message = parse_message(raw)
        # Read afresh: a letter iepd sent a moment ago must be known as iepd's own.
        self.refresh()
        found = parent_message_request(message, self.context)
        if found is None:
            logger.debug("%s uid %d: not the parent's message in a request's thread", mailbox,
                         uid)  # fmt: skip
            return None
        now = self.clock()
        with self.store.transaction():
            if recorded_before(message, self.store.parent_message_ids()):
                logger.debug("%s uid %d: the parent's message is recorded already (from the"
                             " other folder)", mailbox, uid)  # fmt: skip
                return None
            row = keep_incoming(
                self.store,
                found.request_id,
                message,
                raw,
                mailbox=mailbox,
                uidvalidity=uidvalidity,
                uid=uid,
                internaldate=internaldate,
                detected_at=now,
                klass=None,
                excerpt=make_excerpt(message.text),
            )
            if row is None:
                logger.debug("%s uid %d: already recorded", mailbox, uid)
                return None
            # A kill here rolls the row back; only the raw copy stays, unnamed by any row.
            crashpoint("parent_message.stored")
            sent_at = sent_moment(message.date_header, internaldate, now)
            self.store.record_parent_message(stored=row, sent_at=sent_at, detected_at=now)
        # A kill here leaves the UID unrecorded: it is delivered again and not stored twice.
        crashpoint("parent_message.recorded")
        # Its Message-ID is now part of the thread: a reply to it is in the thread too.
        self.refresh()
        logger.info("%s: the parent's own message (%s) recorded", found.request_id, found.reason)
        return found.request_id
