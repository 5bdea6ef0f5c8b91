"""The record keeps the evidence of every classified message, sure or not, and the parent's
reminder says when iepd is not sure what the school meant.

A real config, store and sender's queue, as in test_inbox_record; no mail server. The
classifier decides the class and says ``unsure`` where the evidence is weak or conflicting;
its own tests say when. Here the real classification of a real message has its class,
``unsure`` and ``deciding`` set, so that what the record does with each is tested whatever
the classifier's wording.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from iepd.decide.classify import Classification
from iepd.decide.classify import classify as real_classify
from iepd.inbox import record
from iepd.inbox.parse import IncomingMessage, parse_message
from iepd.inbox.record import MessageRecorder, evidence, quoted_sentences
from iepd.store.database import Store
from iepd.store.rows import EventRow
from support.family import CASE_MANAGER, PARENT
from support.offline import REQUEST, Clock, queued_request

DECIDING = (
    "We are not able to schedule a meeting at this time.",
    "I could give you a call\nnext week to talk it over.",
)
REFUSAL = "We have reviewed his file. We will not be holding a meeting at this time."


class Inbox:
    """A sent request and the recorder the daemon would hand the school's mail to."""

    def __init__(self, root: Path) -> None:
        offline = queued_request(root)
        self.store: Store = offline.store
        self.clock: Clock = offline.clock
        row = offline.letter
        for step in ("smtp", "data", "accepted", "filed"):
            row = self.store.set_step(row.message_row, step, now=self.clock())
        offline.sender._finish(row)
        assert row.message_id is not None
        self.letter_id = row.message_id
        self.subject = row.subject or ""
        self.clock.now += timedelta(days=4)
        self.recorder = MessageRecorder(offline.config, self.store, offline.sender, self.clock)
        self.uid = 0

    def reply(self, body: str, **headers: str) -> bytes:
        message = EmailMessage(policy=email.policy.SMTP)
        message["From"] = f"Dana Alvarez <{CASE_MANAGER}>"
        message["To"] = PARENT
        message["Subject"] = f"Re: {self.subject}"
        message["Date"] = "Fri, 20 Nov 2026 09:00:00 -0600"
        self.uid += 1
        message["Message-ID"] = f"<evidence-{self.uid}@mail.example.test>"
        message["In-Reply-To"] = self.letter_id
        message["References"] = self.letter_id
        for name, value in headers.items():
            message[name.replace("_", "-")] = value
        message.set_content(body)
        return message.as_bytes(policy=email.policy.SMTP)

    def handle(self, raw: bytes) -> str | None:
        return self.recorder.handle(
            raw=raw, mailbox="INBOX", uidvalidity=1, uid=self.uid, internaldate=self.clock.now
        )

    def event(self, kind: str) -> EventRow:
        [found] = [event for event in self.store.events(REQUEST) if event.kind == kind]
        return found

    def reminder_text(self, kind: str) -> str:
        [row] = [
            row
            for row in self.store.list_outgoing(REQUEST)
            if row.purpose == "reminder" and row.reminder_kind == kind
        ]
        message = email.message_from_bytes(row.read_raw(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        return " ".join(str(body.get_content()).split())


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[Inbox]:
    world = Inbox(tmp_path)
    yield world
    world.store.close()


@pytest.fixture
def classified_as(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Make the recorder see the real classification of each message with some fields
    replaced (the class, unsure, the deciding sentences): the record's wiring is under test
    here, not the classifier's reading."""

    def replace(**fields: object) -> None:
        def classify(message: IncomingMessage) -> Classification:
            return dataclasses.replace(real_classify(message), **fields)  # type: ignore[arg-type]

        monkeypatch.setattr(record, "classify", classify)

    return replace


def test_every_recorded_message_keeps_the_classifiers_evidence_in_its_event(
    inbox: Inbox,
) -> None:
    raw = inbox.reply(REFUSAL)
    expected = real_classify(parse_message(raw))

    klass = inbox.handle(raw)

    assert klass == expected.klass
    kind = "auto_reply_received" if klass == "auto_reply" else "reply_received"
    assert inbox.event(kind).detail == f"{klass}; {evidence(expected)}"
    for signal in expected.signals:
        assert " ".join(signal.split())[:300] in evidence(expected)


def test_a_sure_message_says_nothing_of_being_unsure(
    inbox: Inbox, classified_as: Callable[..., None]
) -> None:
    classified_as(klass="declined", signals=("declines: We will not be holding a meeting.",))

    assert inbox.handle(inbox.reply(REFUSAL)) == "declined"

    assert inbox.event("reply_received").detail == (
        "declined; evidence: declines: We will not be holding a meeting."
    )
    assert "not sure" not in inbox.reminder_text("declined")


def test_a_message_with_no_signal_records_that_nothing_made_it_another_class(
    inbox: Inbox, classified_as: Callable[..., None]
) -> None:
    classified_as(klass="answer", signals=(), unsure=False)

    assert inbox.handle(inbox.reply("Thank you, we can meet on December 10 at 3:30.")) == "answer"

    assert inbox.event("reply_received").detail == "answer; evidence: no sign of another class"


def test_an_auto_reply_keeps_its_excerpt_and_adds_the_evidence(
    inbox: Inbox, classified_as: Callable[..., None]
) -> None:
    classified_as(klass="auto_reply", signals=("Auto-Submitted: auto-replied",), unsure=False)
    raw = inbox.reply("I am out of the office until Monday.", Auto_Submitted="auto-replied")

    assert inbox.handle(raw) == "auto_reply"

    assert inbox.event("auto_reply_received").detail == (
        "I am out of the office until Monday.; evidence: Auto-Submitted: auto-replied"
    )


def test_an_unsure_message_records_that_iepd_is_not_sure_and_the_deciding_sentences(
    inbox: Inbox, classified_as: Callable[..., None]
) -> None:
    classified_as(
        klass="declined", signals=("declines: one", "offers: two"), unsure=True, deciding=DECIDING
    )

    assert inbox.handle(inbox.reply(REFUSAL)) == "declined"

    assert inbox.event("reply_received").detail == (
        "declined; iepd is not sure; evidence: declines: one | offers: two; deciding:"
        ' "We are not able to schedule a meeting at this time."'
        ' "I could give you a call next week to talk it over."'
    )


@pytest.mark.parametrize("kind", ["answer", "declined", "informal", "auto_reply", "invite"])
def test_an_unsure_message_tells_the_parent_and_quotes_the_deciding_sentences(
    inbox: Inbox, classified_as: Callable[..., None], kind: str
) -> None:
    start = datetime(2026, 12, 10, 21, 30, tzinfo=UTC) if kind == "invite" else None
    classified_as(klass=kind, unsure=True, deciding=DECIDING, meeting_start=start)

    assert inbox.handle(inbox.reply(REFUSAL)) == kind

    text = inbox.reminder_text(kind)
    assert "iepd is not sure what the school meant" in text
    assert '"We are not able to schedule a meeting at this time."' in text
    assert '"I could give you a call next week to talk it over."' in text
    assert "read the school's whole message in your inbox yourself" in text


def test_evidence_of_a_classification_without_signals_or_sentences() -> None:
    result = Classification("answer", "", unsure=True)

    assert evidence(result) == "iepd is not sure; evidence: no sign of another class"


def test_deciding_sentences_are_quoted_on_one_line_each_and_bounded() -> None:
    many = tuple(f"Sentence {number}\twith   space." for number in range(9))
    long = "word " * 200
    result = Classification("declined", "", unsure=True, deciding=("", long, *many))

    quoted = quoted_sentences(result)

    assert len(quoted) == record.QUOTED_SENTENCES
    assert len(quoted[0]) == record.QUOTED_SENTENCE_CHARACTERS
    assert quoted[0].endswith("...")
    assert quoted[1] == "Sentence 0 with space."


def test_the_recorded_evidence_is_bounded_whatever_the_signals() -> None:
    huge = "Auto-Submitted: " + "x" * 20_000
    result = Classification("auto_reply", "", signals=(huge,) * 100)

    line = evidence(result)

    assert line.count(" | ") == record.RECORDED_SIGNALS - 1
    assert len(line) < record.RECORDED_SIGNALS * (record.QUOTED_SENTENCE_CHARACTERS + 3) + 20
