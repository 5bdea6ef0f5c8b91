"""Where a message fetched from the inbox goes (``decide.inbox_route``, pure): a reply to a
reminder iepd sent to ``ParentReplies`` (a command, or nobody's), a message From the
parent to ``ParentMessageRecorder`` (her own message to the school, copied to herself, when
it is in a request's thread), and anything else to ``MessageRecorder`` (the school's mail).

The parent's copy in the inbox is kept as the Sent folder's is, with the inbox's UID
ledger: the watcher records the UID only after the message was handed over and handled, so
a kill before the record commits reads it again, and after it finds it recorded.

A reply From the parent's address to a reminder iepd never sent (a made-up reference) is
dropped by the header check, before it is fetched, and logged there: the SPEC's "ignored and
logged". The check sees no UID, so the line names the Message-ID, once per run: a rescan or
a reconnect looks at the same headers again.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from iepd.decide.inbox_route import inbox_route
from iepd.decide.parent_messages import worth_fetching
from iepd.inbox.parent_messages import ParentMessageRecorder
from iepd.inbox.parse import parse_headers_only, parse_message
from iepd.inbox.record import MessageRecorder
from iepd.inbox.replies import ParentReplies

logger = logging.getLogger(__name__)

UNKNOWN_REMINDER_REPLY = (
    "a reply from the parent's address to an [iepd] reminder iepd did not send (its"
    " In-Reply-To and References name none): ignored, not answered"
)
SHOWN_ID_CHARACTERS = 200  # a Message-ID is the sender's to write: cut in the log


class InboxRouter:
    """Given the school's message recorder, the parent's replies and (else made from the
    recorder's config and store) the parent's own messages, send each fetched message to
    the one it concerns: a reply to a reminder never reaches matching, and the parent's own
    message is never the school's answer."""

    def __init__(
        self,
        recorder: MessageRecorder,
        replies: ParentReplies,
        parent_messages: ParentMessageRecorder | None = None,
    ) -> None:
        self.recorder = recorder
        self.replies = replies
        self.parent_messages = parent_messages or ParentMessageRecorder(
            recorder.config, recorder.store, recorder.clock
        )
        # The unknown reminder replies the header check logged (Message-ID, else a digest).
        self._logged: set[str] = set()

    def refresh(self) -> None:
        self.recorder.refresh()
        self.replies.refresh()
        self.parent_messages.refresh()

    def wants(self, header_bytes: bytes) -> bool:
        """Given a message's header block, return whether to fetch the whole message."""
        headers = parse_headers_only(header_bytes)
        answers = self.replies.answered_reminder(headers) is not None
        context = self.parent_messages.context
        route = inbox_route(headers, context, answers_reminder=answers)
        if route == "command":
            return True
        if route == "parent_message":
            return worth_fetching(headers, context)
        if route == "unknown_reminder_reply":
            # Fetched, it would only be logged and left: log it here and leave it unread.
            key = headers.message_id or hashlib.sha256(header_bytes).hexdigest()
            if key not in self._logged:
                self._logged.add(key)
                shown = (headers.message_id or "none")[:SHOWN_ID_CHARACTERS]
                logger.warning("Message-ID %s: %s", shown, UNKNOWN_REMINDER_REPLY)
            return False
        return self.recorder.wants(header_bytes)

    def handle(
        self, *, raw: bytes, mailbox: str, uidvalidity: int, uid: int, internaldate: datetime
    ) -> str | None:
        """Given one fetched message, record it where it belongs; return what it was (the
        school message's class, ``parent_message``, the command's outcome) or None."""
        message = parse_message(raw)
        reminder = self.replies.answered_reminder(message)
        route = inbox_route(
            message, self.parent_messages.context, answers_reminder=reminder is not None
        )
        if route == "command":
            assert reminder is not None
            return self.replies.handle(message, reminder, raw=raw, mailbox=mailbox,
                                       uidvalidity=uidvalidity, uid=uid,
                                       internaldate=internaldate)  # fmt: skip
        if route == "unknown_reminder_reply":
            shown = (message.message_id or "none")[:SHOWN_ID_CHARACTERS]
            logger.warning("uid %d, Message-ID %s: %s", uid, shown, UNKNOWN_REMINDER_REPLY)
            return None
        if route == "parent_message":
            found = self.parent_messages.handle(raw=raw, mailbox=mailbox, uidvalidity=uidvalidity,
                                                uid=uid, internaldate=internaldate,
                                                message=message)  # fmt: skip
            if found is None:
                return None
            # Its Message-ID is in the thread now: the school's reply to it belongs there.
            self.recorder.refresh()
            return "parent_message"
        return self.recorder.handle(raw=raw, mailbox=mailbox, uidvalidity=uidvalidity, uid=uid,
                                    internaldate=internaldate)  # fmt: skip
