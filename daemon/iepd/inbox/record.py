"""What happens when the watcher hands over a message from the parent's inbox.

Parse (never raises), match to a request (pure), classify (pure), then record the message,
its events, the request's new state and the parent's reminder in ONE transaction, so a
crash either keeps all of it or none of it and the next catch-up redoes it. Messages that
belong to no request are not stored: they are the parent's private mail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from iepd.config.model import Child, Config, RequestSettings
from iepd.decide.classify import Classification, classify
from iepd.decide.matching import Match, MatchContext, OpenRequest, is_candidate, match
from iepd.decide.mentions import areas_of
from iepd.inbox.keep import keep_incoming
from iepd.inbox.parse import IncomingMessage, parse_headers_only, parse_message
from iepd.letters.next_words import next_step_words
from iepd.outbox.sender import Sender
from iepd.store.database import RequestRow, Store
from iepd.trail.postal import request_deliveries
from iepd.vocabulary import ANSWERABLE_STATES

logger = logging.getLogger(__name__)

ANSWER_STATE = {
    "answer": "answered",
    "informal": "answered",
    "declined": "declined",
    "invite": "meeting_scheduled",
}
EVENT_KIND = {"bounce": "bounce_received", "auto_reply": "auto_reply_received"}
# Bounds on the sentences quoted to the parent when iepd is not sure: hostile mail must not
# turn a reminder into a copy of itself.
QUOTED_SENTENCES = 5
QUOTED_SENTENCE_CHARACTERS = 400
# The same for the signals kept in the event: a signal may quote a header of any length.
RECORDED_SIGNALS = 20


def match_context(config: Config, store: Store) -> MatchContext:
    """Given the config and the store, return what matching needs: every sent request, and
    every request the post delivered (with no Message-ID of its own unless emailed too)."""
    letters_by_request: dict[str, set[str]] = {}
    for message_id, request_id in store.sent_message_ids().items():
        letters_by_request.setdefault(request_id, set()).add(message_id)
    # The parent's own messages in a thread (from the Sent folder): a reply to one is in it.
    for message_id, request_id in store.parent_message_ids().items():
        if request_id in letters_by_request:
            letters_by_request[request_id].add(message_id)
    for request_id in request_deliveries(store):
        letters_by_request.setdefault(request_id, set())
    children = {child.id: child for child in config.children}
    settings = config.requests_by_id()
    requests = []
    for row in store.list_requests():
        child = children.get(row.child)
        if child is None or row.id not in letters_by_request or row.state == "closed":
            continue
        letters = frozenset(letters_by_request[row.id])
        requests.append(_open_request(row.id, child, letters, settings.get(row.id)))
    return MatchContext(parent_addresses=_parent_addresses(config), requests=tuple(requests))


def config_match_context(config: Config) -> MatchContext:
    """Given the config alone (no store: `iepd run` has recorded nothing yet), return the
    context matching would have if every request iepd is to send had gone out, with no
    Message-IDs: a reply can match by its sender and wording, never by its thread."""
    requests = tuple(
        _open_request(request.id, config.child(request.child), frozenset(), request)
        for request in config.requests
        if not (request.hold or request.closed)
    )
    return MatchContext(parent_addresses=_parent_addresses(config), requests=requests)


def _open_request(
    request_id: str,
    child: Child,
    message_ids: frozenset[str],
    settings: RequestSettings | None,
) -> OpenRequest:
    # A request no longer in the config is matched as before, by the child and the meeting.
    about = (settings.concern, *settings.details.values()) if settings is not None else ()
    return OpenRequest(
        request_id=request_id,
        child_id=child.id,
        child_name=child.name,
        sent_message_ids=message_ids,
        case_manager=child.case_manager.email.lower(),
        principal=child.principal.email.lower(),
        school_domains=child.school_domains,
        staff_names=(child.case_manager.name, child.principal.name),
        areas=areas_of(*about),
    )


def _parent_addresses(config: Config) -> frozenset[str]:
    parent = config.parent
    return frozenset({parent.email.lower(), parent.remind_to.lower(), config.mail.username.lower()})


def recorded_class(result: Classification) -> str:
    """Given a classification, return the class the record acts on: an invitation without a
    start time schedules nothing, so it is recorded as an answer."""
    if result.klass == "invite" and result.meeting_start is None:
        return "answer"
    return result.klass


def evidence(result: Classification) -> str:
    """Given a classification, return its evidence in one line for the paper trail: the
    signals that decided it and, when iepd is not sure, that it is not and the sentences its
    reading rests on."""
    signals = " | ".join(_bounded(signal) for signal in result.signals[:RECORDED_SIGNALS])
    parts = [f"evidence: {signals or 'no sign of another class'}"]
    if result.unsure:
        quoted = " ".join(f'"{sentence}"' for sentence in quoted_sentences(result))
        parts.insert(0, "iepd is not sure")
        if quoted:
            parts.append(f"deciding: {quoted}")
    return "; ".join(parts)


def quoted_sentences(result: Classification) -> tuple[str, ...]:
    """Given a classification, return the deciding sentences as the parent is shown them:
    on one line each, at most QUOTED_SENTENCES of them, each cut at
    QUOTED_SENTENCE_CHARACTERS."""
    sentences = (_bounded(sentence) for sentence in result.deciding)
    return tuple([sentence for sentence in sentences if sentence][:QUOTED_SENTENCES])


def _bounded(text: str) -> str:
    """Given a signal or a sentence, return it on one line, cut at
    QUOTED_SENTENCE_CHARACTERS."""
    line = " ".join(text.split())
    if len(line) <= QUOTED_SENTENCE_CHARACTERS:
        return line
    return line[: QUOTED_SENTENCE_CHARACTERS - 3].rstrip() + "..."


class MessageRecorder:
    """Given the config, the store and the sender, turn fetched messages into the record."""

    def __init__(
        self, config: Config, store: Store, sender: Sender, clock: Callable[[], datetime]
    ) -> None:
        self.config = config
        self.store = store
        self.sender = sender
        self.clock = clock
        self._context: MatchContext | None = None

    def refresh(self) -> None:
        """Forget the cached match context (a letter went out, a request closed)."""
        self._context = None

    @property
    def context(self) -> MatchContext:
        # One read of the field: the watcher thread asks while the main thread refreshes.
        context = self._context
        if context is None:
            context = self._context = match_context(self.config, self.store)
        return context

    def wants(self, header_bytes: bytes) -> bool:
        """Given a message's header block, return whether to fetch the whole message."""
        return bool(self.context.requests) and is_candidate(
            parse_headers_only(header_bytes), self.context
        )

    def handle(
        self, *, raw: bytes, mailbox: str, uidvalidity: int, uid: int, internaldate: datetime
    ) -> str | None:
        """Given one fetched message, record it if it belongs to a request; return its class."""
        message = parse_message(raw)
        found = match(message, self.context)
        if found is None:
            logger.debug("uid %d: not about any request", uid)
            return None
        result = classify(message)
        if message.problems:
            logger.warning(
                "uid %d: malformed message kept as is: %s", uid, "; ".join(message.problems)
            )
        now = self.clock()
        with self.store.transaction():
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
                klass=result.klass,
                excerpt=result.excerpt,
            )
            if row is None:
                logger.debug("uid %d: already recorded", uid)
                return None
            self._record(found, message, result, internaldate, now)
        logger.info(
            "%s: %s from %s%s",
            found.request_id,
            result.klass,
            message.from_addr,
            " (iepd is not sure)" if result.unsure else "",
        )
        return result.klass

    def _record(
        self,
        found: Match,
        message: IncomingMessage,
        result: Classification,
        received_at: datetime,
        now: datetime,
    ) -> None:
        request = self.store.get_request(found.request_id)
        assert request is not None  # match() only returns requests from the store
        klass = recorded_class(result)
        # The evidence goes with the class into the hash-chained event, for every message:
        # the paper trail says why iepd read it so, whether it was sure or not.
        head = klass if klass not in EVENT_KIND else result.excerpt[:200]
        self.store.append_event(
            request_id=request.id,
            kind=EVENT_KIND.get(klass, "reply_received"),
            at=now,
            message_id=message.message_id,
            from_addr=message.from_addr,
            subject=message.subject,
            detail="; ".join(part for part in (head, evidence(result)) if part),
        )
        key = message.message_id or f"{request.id}:{now.isoformat()}"
        context: dict[str, object] = {
            "excerpt": result.excerpt,
            "from_": message.from_name or message.from_addr or "",
            "received_at": received_at,
            "subject": message.subject,
        }
        unsure: dict[str, object] = {
            "unsure": result.unsure,
            "deciding": quoted_sentences(result),
            # what iepd does next about it, and how to stop it (issue 15)
            "next_step": next_step_words(self.config, request.id, klass, now, result.excerpt),
        }
        context.update(unsure)
        if klass == "bounce":
            self._bounced(request, result, key, now)
            return
        if klass == "auto_reply":
            self.sender.queue_reminder(request.id, "auto_reply", key, context)
            return
        fields: dict[str, object] = {}
        if request.answered_at is None:
            fields["answered_at"] = now
        if klass == "invite" and result.meeting_start is not None:
            fields["meeting_at"] = result.meeting_start
            fields["meeting_location"] = result.meeting_location
            self.store.append_event(
                request_id=request.id,
                kind="meeting_scheduled",
                at=now,
                message_id=message.message_id,
                from_addr=message.from_addr,
                subject=message.subject,
                detail=result.meeting_start.isoformat(),
            )
            context = {
                "meeting_start": result.meeting_start,
                "meeting_location": result.meeting_location or "",
                **unsure,
            }
        new_state = ANSWER_STATE[klass]
        # A request only delivered by post, never emailed, is answerable like a sent one.
        posted = request.sent_at is None and request.id in request_deliveries(self.store)
        if (
            request.state in ANSWERABLE_STATES
            or posted
            or new_state in ("declined", "meeting_scheduled")
        ):
            if request.state != "closed":
                fields["state"] = new_state
        if fields:
            self.store.update_request(request.id, now=now, **fields)
        self.sender.queue_reminder(request.id, klass, key, context)

    def _bounced(
        self, request: RequestRow, result: Classification, key: str, now: datetime
    ) -> None:
        recipient = result.bounced_recipient or ""
        child = self.config.child(request.child)
        # Only the case manager's address failing leaves the request without a reader; a
        # bounce from the principal alone still leaves the case manager with the letter.
        # A late bounce (of a follow-up, say) does not undo an answer already recorded.
        from_principal_alone = recipient.lower() == child.principal.email.lower()
        if not from_principal_alone and request.state in ANSWERABLE_STATES:
            self.store.update_request(request.id, now=now, state="undeliverable")
        self.sender.queue_reminder(
            request.id, "bounce", key, {"excerpt": result.excerpt, "recipient": recipient}
        )
