"""A request that was only mailed, never emailed: once the post delivered it, the school's
clock runs from the day of delivery, the follow-ups go out by email in a thread of their
own recalling the delivery, and the school's emailed answer is matched and stops them.

A real config, store, sender and inbox recorder, with no mail server: letters are walked
through the outbox steps by hand, as tests/offline/test_export.py does.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from iepd.config.load import load_config
from iepd.config.model import Config
from iepd.decide.plan import SendFollowUp, next_actions
from iepd.inbox.record import MessageRecorder, match_context
from iepd.outbox.sender import Sender
from iepd.run.snapshots import rules_for, snapshots
from iepd.store.database import Store
from iepd.trail.postal import record_delivered, record_mailed

REQUEST_ID = "sam-speech"
TRACKING = "9400 1118 9922 3197 4284 90"
CASE_MANAGER = "dalvarez@district.example"
PRINCIPAL = "lchen@district.example"
CONFIG = f"""\
state_dir = "{{state}}"

[parent]
name = "Jordan Rivera"
email = "jordan@family.example"
timezone = "America/Chicago"

[mail]

[mail.password]
source = "credential"

[mail.imap]
host = "imap.family.example"

[mail.smtp]
host = "smtp.family.example"

[[child]]
id = "sam"
name = "Sam Rivera"
grade = "4th grade"
school = "Lincoln Elementary School"
pronouns = "he"
case_manager = {{{{ name = "Dana Alvarez", email = "{CASE_MANAGER}" }}}}
principal = {{{{ name = "Lee Chen", email = "{PRINCIPAL}" }}}}

[[request]]
id = "{REQUEST_ID}"
child = "sam"
reason = "general"
concern = "Sam has stopped reading aloud in class."
availability = ["Mon or Wed after 3:30 pm"]
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 12, 10, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Posted:
    config: Config
    store: Store
    sender: Sender
    clock: Clock


@pytest.fixture
def posted(tmp_path: Path) -> Iterator[Posted]:
    """A request copied into the store, never emailed, mailed on Dec 1 and delivered Dec 3."""
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(state=tmp_path / "state"), encoding="utf-8")
    config = load_config(path, {"HOME": str(tmp_path), "TZ": "UTC"})
    store = Store.open(config.state_dir)
    clock = Clock()
    store.upsert_request(
        id=REQUEST_ID, child="sam", reason="general", urgent=False, state_if_new="queued",
        subject="", now=clock(),
    )  # fmt: skip
    record_mailed(
        store, REQUEST_ID, "request", day=date(2025, 12, 1), tracking=TRACKING, pdf_sha256=None,
        now=clock(),
    )  # fmt: skip
    record_delivered(
        store, REQUEST_ID, "request", day=date(2025, 12, 3), tracking=None, now=clock()
    )
    yield Posted(config, store, Sender(config, store, None, clock), clock)  # type: ignore[arg-type]
    store.close()


def deliver_everything(store: Store, sender: Sender) -> None:
    """Walk every queued message through the outbox steps, as a successful send does."""
    while pending := store.pending_outgoing():
        for row in pending:
            for step in ("smtp", "data", "accepted", "filed"):
                row = store.set_step(row.message_row, step, now=sender.clock())
            sender._finish(row)


def as_message(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return " ".join(str(part.get_content()).split())


def test_the_follow_up_of_a_posted_request_recalls_the_delivery_in_a_thread_of_its_own(
    posted: Posted,
) -> None:
    row = posted.sender.queue_followup(REQUEST_ID, 1)

    message = as_message(row.read_raw())
    assert message["In-Reply-To"] is None and message["References"] is None
    assert message["Subject"] == "Re: Request for an IEP meeting for Sam Rivera"
    assert [str(a.addr_spec) for a in message["To"].addresses] == [CASE_MANAGER]
    assert message["Cc"] is None
    assert (
        "On Wednesday, December 3, 2025, my written request for an IEP meeting for my child,"
        " Sam Rivera, who is in 4th grade at Lincoln Elementary School, was delivered to you by"
        f" certified mail (tracking number {TRACKING})."
    ) in body(message)
    assert "Its subject was" not in body(message)


def test_the_escalation_of_a_posted_request_copies_the_principal(posted: Posted) -> None:
    posted.sender.queue_followup(REQUEST_ID, 1)
    deliver_everything(posted.store, posted.sender)
    assert posted.store.get_request(REQUEST_ID).state == "followed_up"  # type: ignore[union-attr]

    row = posted.sender.queue_followup(REQUEST_ID, 2)

    message = as_message(row.read_raw())
    assert [str(a.addr_spec) for a in message["Cc"].addresses] == [PRINCIPAL]
    assert "was delivered to the school by certified mail" in body(message)


def test_the_schools_emailed_answer_to_a_posted_request_is_matched_and_recorded(
    posted: Posted,
) -> None:
    [open_request] = match_context(posted.config, posted.store).requests
    assert open_request.request_id == REQUEST_ID and open_request.sent_message_ids == frozenset()
    answer = EmailMessage(policy=email.policy.SMTP)
    answer["From"] = f"Dana Alvarez <{CASE_MANAGER}>"
    answer["To"] = "Jordan Rivera <jordan@family.example>"
    answer["Subject"] = "Your letter about Sam"
    answer["Date"] = "Thu, 04 Dec 2025 09:00:00 -0600"
    answer["Message-ID"] = "<answer-1@district.example>"
    answer.set_content(
        "Dear Ms. Rivera,\n\nWe received your letter about Sam Rivera and will be in touch"
        " about his IEP.\n\nDana Alvarez"
    )
    recorder = MessageRecorder(posted.config, posted.store, posted.sender, posted.clock)

    klass = recorder.handle(
        raw=answer.as_bytes(),
        mailbox="INBOX",
        uidvalidity=7,
        uid=1,
        internaldate=posted.clock() - timedelta(hours=1),
    )

    assert klass is not None
    request = posted.store.get_request(REQUEST_ID)
    assert request is not None and request.answered_at is not None
    assert request.state not in ("queued", "draft")


def test_the_daemon_plans_the_follow_up_a_week_after_the_delivery_and_sends_no_request(
    posted: Posted,
) -> None:
    chicago = ZoneInfo("America/Chicago")
    delivered = datetime(2025, 12, 3, tzinfo=chicago)
    [snapshot] = snapshots(posted.config, posted.store)
    assert snapshot.delivered_at == delivered and snapshot.sent_at is None

    before = next_actions([snapshot], rules_for(posted.config), delivered + timedelta(days=6))
    due = next_actions([snapshot], rules_for(posted.config), delivered + timedelta(days=7))

    assert before.actions == () and before.next_wake == delivered + timedelta(days=7)
    assert due.actions == (SendFollowUp(REQUEST_ID, 1),)
