"""A request in a real store brought to a state the way `iepd run` brings it there, with no
mail server: queued, sent, answered.

Queueing renders and records a message without any I/O; only the transport talks to a
server. So "sent" here is what follows when the server accepts everything: each queued
message is walked through the outbox steps (smtp, data, accepted, filed) and the real
Sender records what that means (the letter's event and state, the parent's reminder, which
is walked through in turn). The school's mail is handed to the real MessageRecorder as the
watcher hands it over.
"""

from __future__ import annotations

import asyncio
import email.policy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from iepd.config.load import load_config
from iepd.config.model import Config
from iepd.inbox.record import MessageRecorder
from iepd.mail.credentials import Secret
from iepd.mail.transport import MailTransport
from iepd.outbox.sender import Sender
from iepd.run.one_pass import OnePass
from iepd.store.database import Store
from iepd.store.rows import MessageRow, OutgoingRow
from support.family import CASE_MANAGER, PARENT, Family, offline_family, speech_request

REQUEST = "sam-speech"
ANSWER = "Thank you for your letter. We will hold an IEP meeting; I will send dates this week."


class Clock:
    """A clock a test moves by hand (``clock.now += timedelta(days=7)``)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 11, 16, 14, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def accept_everything_async(sender: Sender) -> None:
    """Move every queued message as far as a server that accepts everything would, and let
    the sender record what that means; what that queues (a reminder) goes through too."""
    store = sender.store
    while queued := [row for row in store.pending_outgoing() if row.step == "queued"]:
        for row in queued:
            for step in ("smtp", "data", "accepted", "filed"):
                row = store.set_step(row.message_row, step, now=sender.clock())
            await sender.advance(row)  # at `filed`: records, then `done`; no I/O


def accept_everything(sender: Sender) -> None:
    """accept_everything_async, for callers outside an event loop."""
    asyncio.run(accept_everything_async(sender))


def send_requests(config: Config, store: Store, clock: Callable[[], datetime]) -> dict[str, str]:
    """Given a config, its store and a clock, do what `iepd run` does for a new config when
    every server accepts everything: copy the requests into the store, queue each letter
    not on hold, send it and its `sent` reminder. No server is contacted. Return each sent
    request's letter Message-ID."""
    # The transport is never used: nothing here reaches the network.
    one_pass = OnePass(config, store, MailTransport(config, Secret("unused")), clock)
    one_pass.sync_requests()
    queued = [row.id for row in store.list_requests() if row.state == "queued"]
    letters = {request_id: one_pass.sender.queue_letter(request_id) for request_id in queued}
    accept_everything(one_pass.sender)
    return {request_id: str(row.message_id) for request_id, row in letters.items()}


@dataclass
class Offline:
    """A family with one request (REQUEST), its store, sender, recorder and clock."""

    family: Family
    config: Config
    store: Store
    sender: Sender
    recorder: MessageRecorder
    clock: Clock
    letter: OutgoingRow  # the request letter, as it was queued
    uids: int = 0  # the last UID handed to the recorder

    @property
    def letter_id(self) -> str:
        return str(self.letter.message_id)

    @property
    def letter_subject(self) -> str:
        return self.letter.subject or ""

    def accept_everything(self) -> None:
        accept_everything(self.sender)

    def receive(
        self,
        raw: bytes,
        *,
        uid: int | None = None,
        uidvalidity: int = 1,
        internaldate: datetime | None = None,
    ) -> str | None:
        """Hand a message in INBOX to the recorder as the watcher does (the next UID unless
        given; INTERNALDATE the clock's now unless given); return the class it recorded,
        or None. What it queues stays queued: accept_everything() sends it."""
        if uid is None:
            self.uids += 1
            uid = self.uids
        self.recorder.refresh()  # what was sent since the last message counts
        return self.recorder.handle(
            raw=raw,
            mailbox="INBOX",
            uidvalidity=uidvalidity,
            uid=uid,
            internaldate=internaldate or self.clock(),
        )

    def incoming(self) -> list[MessageRow]:
        return [row for row in self.store.messages_for(REQUEST) if row.direction == "in"]

    def reminders(self, kind: str | None = None) -> list[OutgoingRow]:
        return [
            row
            for row in self.store.list_outgoing(REQUEST)
            if row.purpose == "reminder" and (kind is None or row.reminder_kind == kind)
        ]

    def event_kinds(self) -> list[str]:
        return [event.kind for event in self.store.events(REQUEST)]


def school_reply(
    offline: Offline,
    body: str,
    *,
    sender: str = f"Dana Alvarez <{CASE_MANAGER}>",
    number: int = 1,
    in_thread: bool = True,
    **headers: str,
) -> EmailMessage:
    """The school's reply to the request letter, as its mail program writes one: in the
    letter's thread unless in_thread is false, with headers (List_Id=...) added as named,
    "-" for "_". Message-ID <reply-NUMBER@mail.example.test>."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = f"Jordan Rivera <{PARENT}>"
    message["Subject"] = f"Re: {offline.letter_subject}"
    message["Date"] = "Fri, 20 Nov 2026 09:00:00 -0600"
    message["Message-ID"] = f"<reply-{number}@mail.example.test>"
    if in_thread:
        message["In-Reply-To"] = offline.letter_id
        message["References"] = offline.letter_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def queued_request(root: Path) -> Offline:
    """Given a folder, return a family whose one request letter is queued, nothing sent."""
    family = offline_family(root, [speech_request(REQUEST)])
    config = load_config(family.config_path, family.environ())
    store = Store.open(config.state_dir)
    clock = Clock()
    one_pass = OnePass(config, store, MailTransport(config, Secret("unused")), clock)
    one_pass.sync_requests()
    sender = one_pass.sender
    letter = sender.queue_letter(REQUEST)
    recorder = MessageRecorder(config, store, sender, clock)
    return Offline(family, config, store, sender, recorder, clock, letter)


def sent_request(root: Path) -> Offline:
    """Given a folder, return a family whose request is sent: its letter and the `sent`
    reminder accepted by the server, recorded, done; the clock where it was sent."""
    offline = queued_request(root)
    offline.accept_everything()
    return offline


def answered_request(root: Path, body: str = ANSWER) -> Offline:
    """Given a folder, return a family whose request the case manager answered in its
    thread with body, an hour after it was sent; the `answer` reminder sent too."""
    offline = sent_request(root)
    offline.clock.now += timedelta(hours=1)
    klass = offline.receive(school_reply(offline, body).as_bytes(policy=email.policy.SMTP))
    assert klass == "answer", f"the answer was read as {klass}"
    offline.accept_everything()
    return offline
