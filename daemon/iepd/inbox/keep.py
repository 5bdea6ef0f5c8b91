"""Keep one incoming message in the store: its row, from what the parser read, and its raw
copy. Shared by the school's answers, the parent's own messages and the parent's replies to
reminders, which differ only in their class and excerpt."""

from __future__ import annotations

from datetime import datetime

from iepd.inbox.parse import IncomingMessage
from iepd.store.database import Store
from iepd.store.rows import MessageRow


def keep_incoming(
    store: Store,
    request_id: str,
    message: IncomingMessage,
    raw: bytes,
    *,
    mailbox: str,
    uidvalidity: int,
    uid: int,
    internaldate: datetime | None,
    detected_at: datetime,
    klass: str | None,
    excerpt: str | None,
) -> MessageRow | None:
    """Store the message for ``request_id`` (within the caller's transaction); return its
    row, or None when it is already recorded (see ``Store.add_incoming``)."""
    return store.add_incoming(
        request_id=request_id,
        message_id=message.message_id,
        in_reply_to=" ".join(message.in_reply_to) or None,
        references=list(message.references),
        from_addr=message.from_addr,
        to_addrs=list(message.to_addrs),
        cc_addrs=list(message.cc_addrs),
        subject=message.subject,
        date_header=message.date_header,
        internaldate=internaldate,
        detected_at=detected_at,
        mailbox=mailbox,
        uidvalidity=uidvalidity,
        uid=uid,
        raw=raw,
        klass=klass,
        excerpt=excerpt,
        problems="; ".join(message.problems) or None,
    )
