"""The parent's replies to iepd's reminders, and the attacks on them (issue 15, item 4):
InboxRouter and ParentReplies against a real config, a real store and the sender's queue.

The request is sent and the school has answered, so the parent holds an `answer` reminder;
the reminder is walked through the outbox steps as the daemon would send it. Then replies
built as a mail program writes them are handed to the inbox, and the record is read back.
No mail server is contacted: queueing a reminder does no I/O.
"""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from iepd.cli.explain import as_text, explain
from iepd.config.model import Config
from iepd.inbox.record import MessageRecorder
from iepd.inbox.replies import ParentReplies
from iepd.inbox.router import InboxRouter
from iepd.outbox.sender import Sender
from iepd.run.parent_moves import ParentMoves
from iepd.store.database import Store
from iepd.store.rows import OutgoingRow
from support.family import CASE_MANAGER, PARENT
from support.offline import REQUEST, Clock, queued_request

RECEIVED = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
SCHOOL_REPLY = "<reply-1@mail.example.test>"


@dataclass
class World:
    config: Config
    store: Store
    sender: Sender
    inbox: InboxRouter
    clock: Clock
    letter_id: str
    uids: int = 0

    def handle(self, message: EmailMessage, uid: int | None = None) -> str | None:
        if uid is None:
            self.uids += 1
            uid = self.uids
        return self.inbox.handle(
            raw=message.as_bytes(), mailbox="INBOX", uidvalidity=1, uid=uid, internaldate=RECEIVED
        )

    def deliver(self) -> None:
        """Walk every queued message through the outbox steps, as a flush would."""
        for row in self.store.pending_outgoing():
            for step in ("smtp", "data", "accepted", "filed"):
                row = self.store.set_step(row.message_row, step, now=self.clock())
            self.sender._finish(row)
        self.inbox.refresh()

    def reminders(self, kind: str | None = None) -> list[OutgoingRow]:
        return [
            row
            for row in self.store.list_outgoing(REQUEST)
            if row.purpose == "reminder" and (kind is None or row.reminder_kind == kind)
        ]

    def reminder_id(self, kind: str) -> str:
        (row,) = self.reminders(kind)
        assert row.message_id is not None
        return row.message_id

    def event_kinds(self) -> list[str]:
        return [event.kind for event in self.store.events(REQUEST)]

    def incoming_ids(self) -> list[str | None]:
        return [row.message_id for row in self.store.messages_for(REQUEST) if row.direction == "in"]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    offline = queued_request(tmp_path)
    config, store, sender, clock = offline.config, offline.store, offline.sender, offline.clock
    moves = ParentMoves(config, store, sender, clock)
    router = InboxRouter(
        MessageRecorder(config, store, sender, clock),
        ParentReplies(config, store, sender, clock, moves),
    )
    assert offline.letter.message_id is not None
    world = World(config, store, sender, router, clock, offline.letter.message_id)
    world.deliver()  # the request, then its `sent` reminder
    clock.now += timedelta(days=4)
    assert world.handle(school_answer(world)) == "answer"
    world.deliver()  # the `answer` reminder
    clock.now += timedelta(hours=2)
    yield world
    store.close()


def text_of(row: OutgoingRow) -> str:
    """A reminder's body with its lines joined: the wrapping does not matter here."""
    message = email.message_from_bytes(row.read_raw(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).split())


def school_answer(world: World) -> EmailMessage:
    message = mail(f"Dana Alvarez <{CASE_MANAGER}>", SCHOOL_REPLY, "Re: Request for an IEP meeting")
    message["In-Reply-To"] = world.letter_id
    message["References"] = world.letter_id
    message.set_content("Thank you, we received your letter about Sam and will be in touch.")
    return message


def mail(sender: str, message_id: str, subject: str) -> EmailMessage:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = f"Jordan Rivera <{PARENT}>"
    message["Subject"] = subject
    message["Date"] = "Fri, 20 Nov 2026 12:00:00 -0600"
    message["Message-ID"] = message_id
    return message


def reply_to(
    reminder_id: str,
    body: str,
    *,
    sender: str = f"Jordan Rivera <{PARENT}>",
    number: int = 1,
    references: str | None = None,
) -> EmailMessage:
    """A reply as a mail program writes it: the command on top, the reminder quoted below."""
    message = mail(sender, f"<command-{number}@family.example>", "Re: [iepd] The school answered")
    message["In-Reply-To"] = reminder_id
    message["References"] = references or reminder_id
    message.set_content(
        f"{body}\n\nOn Fri, Nov 20, 2026 at 9:00 AM iepd <{PARENT}> wrote:\n"
        "> Hello Jordan Rivera,\n> The school has answered your request.\n"
    )
    return message


# -- what the parent asks


def test_help_is_answered_once_with_the_list_of_commands(world: World) -> None:
    answer = world.reminder_id("answer")

    assert world.handle(reply_to(answer, "help")) == "help"

    assert len(world.reminders("help")) == 1
    assert world.event_kinds().count("command_received") == 1
    assert world.incoming_ids().count("<command-1@family.example>") == 1


def test_a_typo_in_capitals_is_refused_with_the_list_of_commands(world: World) -> None:
    assert world.handle(reply_to(world.reminder_id("answer"), "SNED")) == "refuse"

    (refused,) = world.reminders("command_refused")
    text = text_of(refused)
    assert '"SNED" is not one of iepd' in text
    assert "MEETING" in text and "AGREED" in text


def test_a_reply_with_no_command_is_recorded_and_otherwise_ignored(world: World) -> None:
    queued = len(world.reminders())

    assert world.handle(reply_to(world.reminder_id("answer"), "Thanks!")) == "no_command"

    assert "<command-1@family.example>" in world.incoming_ids()
    assert len(world.reminders()) == queued
    assert "command_received" not in world.event_kinds()


def test_send_with_no_draft_pending_is_refused_with_the_reason(world: World) -> None:
    assert world.handle(reply_to(world.reminder_id("answer"), "SEND")) == "refuse"

    (refused,) = world.reminders("command_refused")
    assert "no draft waiting to be sent" in text_of(refused)


def test_a_meeting_date_that_cannot_be_read_is_refused(world: World) -> None:
    assert world.handle(reply_to(world.reminder_id("answer"), "MEETING next week")) == "refuse"

    (refused,) = world.reminders("command_refused")
    assert "could not find a date" in text_of(refused)


# -- the attacks of the issue


def test_a_strangers_send_with_the_right_in_reply_to_is_ignored_and_not_answered(
    world: World,
) -> None:
    queued, events = len(world.reminders()), world.event_kinds()
    answer = world.reminder_id("answer")

    for number, stranger in enumerate(
        ("Mallory <mallory@evil.example>", f"Dana Alvarez <{CASE_MANAGER}>"), start=1
    ):
        assert world.handle(reply_to(answer, "SEND", sender=stranger, number=number)) == "ignored"

    # nothing answered, nothing recorded, and never taken for the school's answer
    assert len(world.reminders()) == queued
    assert world.event_kinds() == events
    assert world.incoming_ids() == [SCHOOL_REPLY]


def test_the_parents_address_with_a_made_up_reference_is_ignored(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    queued, events = len(world.reminders()), world.event_kinds()
    made_up = "<0123456789abcdef0123456789abcdef.iepd@family.example>"

    assert world.handle(reply_to(made_up, "CLOSE")) is None

    assert "reminder iepd did not send" in caplog.text

    assert len(world.reminders()) == queued
    assert world.event_kinds() == events
    request = world.store.get_request(REQUEST)
    assert request is not None and request.state != "closed"


def test_the_header_check_logs_a_made_up_reference_once_and_leaves_it_unread(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The daemon reads the inbox header first: a made-up reference never reaches handle,
    so the header check is where it is logged (the SPEC: "ignored and logged")."""
    made_up = "<0123456789abcdef0123456789abcdef.iepd@family.example>"
    headers = reply_to(made_up, "CLOSE my secret words").as_bytes().partition(b"\r\n\r\n")[0]

    assert world.inbox.wants(headers) is False
    assert world.inbox.wants(headers) is False  # a rescan looks at it again

    lines = [record for record in caplog.records if "reminder iepd did not send" in record.message]
    assert len(lines) == 1, caplog.text
    assert lines[0].levelname == "WARNING"
    assert "<command-1@family.example>" in lines[0].message
    assert "secret words" not in caplog.text


def test_a_replayed_command_is_neither_carried_out_nor_answered_again(world: World) -> None:
    command = reply_to(world.reminder_id("answer"), "SNED")
    assert world.handle(command, uid=100) == "refuse"
    world.deliver()

    # the same reply again: another copy (a new UID), then one a hop changed (new bytes)
    assert world.handle(command, uid=101) == "replay"
    command["X-Relayed"] = "yes"
    assert world.handle(command, uid=102) == "replay"

    assert len(world.reminders("command_refused")) == 1
    assert world.event_kinds().count("command_received") == 1
    assert world.incoming_ids().count("<command-1@family.example>") == 1


def test_a_command_to_a_reminder_31_days_old_is_refused(world: World) -> None:
    world.clock.now += timedelta(days=31)

    assert world.handle(reply_to(world.reminder_id("answer"), "CLOSE")) == "refuse"

    (refused,) = world.reminders("command_refused")
    assert "more than 30 days old" in text_of(refused)
    request = world.store.get_request(REQUEST)
    assert request is not None and request.state != "closed"


def test_a_command_hidden_in_quoted_text_is_no_command(world: World) -> None:
    answer = world.reminder_id("answer")

    assert world.handle(reply_to(answer, "Looks fine to me.\n\n> CLOSE")) == "no_command"

    assert "command_received" not in world.event_kinds()


def test_a_reply_to_the_schools_letter_is_not_a_command(world: World) -> None:
    # The parent answers the school's message itself (not a reminder), "CLOSE" on top:
    # it is the parent's own mail in the school's thread, never a command.
    message = reply_to(SCHOOL_REPLY, "CLOSE", references=f"{world.letter_id} {SCHOOL_REPLY}")

    assert world.handle(message) is None

    assert "command_received" not in world.event_kinds()
    request = world.store.get_request(REQUEST)
    assert request is not None and request.state != "closed"


def test_a_school_message_that_quotes_a_reminder_is_never_the_schools_answer(
    world: World,
) -> None:
    # The parent forwarded a reminder to the case manager, who replied to it.
    message = mail(f"Dana Alvarez <{CASE_MANAGER}>", "<reply-2@mail.example.test>", "Re: Fwd")
    message["References"] = f"{world.letter_id} {world.reminder_id('answer')}"
    message.set_content("We decline to hold a meeting for Sam.")

    assert world.handle(message) == "ignored"

    assert world.incoming_ids() == [SCHOOL_REPLY]


def test_an_automatic_reply_from_the_parents_account_is_never_read_as_a_command(
    world: World,
) -> None:
    # A vacation responder that ignores RFC 3834 and answers the reminder: "CLOSED" would be
    # a typo refused, which the responder would answer again, and so on.
    queued, events = len(world.reminders()), world.event_kinds()
    message = reply_to(world.reminder_id("answer"), "CLOSED until Monday, back then.")
    message["Auto-Submitted"] = "auto-replied"

    assert world.handle(message) == "ignored"

    assert len(world.reminders()) == queued
    assert world.event_kinds() == events


def test_a_reply_to_a_reminder_sent_after_the_reminders_were_read_is_still_a_command(
    world: World,
) -> None:
    assert world.handle(reply_to(world.reminder_id("answer"), "Thanks!")) == "no_command"
    # a reminder sent now, while the router still holds the reminders it read before
    world.sender.queue_reminder(REQUEST, "meeting_prep", "late", {"meeting_start": RECEIVED})
    for row in world.store.pending_outgoing():
        for step in ("smtp", "data", "accepted", "filed"):
            row = world.store.set_step(row.message_row, step, now=world.clock())
        world.sender._finish(row)

    late = reply_to(world.reminder_id("meeting_prep"), "HELP", number=2)
    assert world.inbox.wants(late.as_bytes())  # the watcher fetches it whole
    assert world.handle(late) == "help"


def test_explain_says_a_reply_to_a_reminder_is_never_the_schools_answer(world: World) -> None:
    message = mail(f"Dana Alvarez <{CASE_MANAGER}>", "<reply-3@mail.example.test>", "Re: Fwd")
    message["References"] = f"{world.letter_id} {world.reminder_id('answer')}"
    message.set_content("We decline to hold a meeting for Sam.")

    explanation = explain(world.config, world.store, message.as_bytes())

    assert explanation.found is None
    assert explanation.reason == "reminder_reply"
    assert "never the school's answer" in " ".join(as_text(world.config, explanation).split())


def test_explain_says_the_parents_copy_to_herself_is_her_own_message(world: World) -> None:
    message = mail(f"Jordan Rivera <{PARENT}>", "<mine-1@family.example>", "Re: Request")
    message.replace_header("To", f"Dana Alvarez <{CASE_MANAGER}>")
    message["Cc"] = PARENT
    message["In-Reply-To"] = SCHOOL_REPLY
    message.set_content("Could you tell me the date of Sam's meeting?")

    explanation = explain(world.config, world.store, message.as_bytes())

    assert explanation.found is None
    assert explanation.reason == "parent_message"
    text = " ".join(as_text(world.config, explanation).split())
    assert "your own message to the school in the thread of sam-speech" in text
    assert "leave this message alone" not in text
    # As the daemon does: it is recorded there, once, and is no answer.
    assert world.handle(message) == "parent_message"
    assert world.handle(message) is None
    assert world.event_kinds().count("parent_message") == 1
