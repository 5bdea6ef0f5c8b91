"""A family's year with iepd, recorded by iepd's own code, for the `iepd status` benchmark.

Ten requests go out on their days, spread over the last twelve months. The school answers
some within days, is away for one, declines one, offers a call instead of a meeting, and
stays silent on others until the follow-up or the escalation; the parent writes the agreed
meeting dates into the config, gets iepd's reminders before and after each meeting, and
closes the requests whose meetings are long past. The planner, the sender's queue, the
reminders and the message recorder are iepd's; only the wire is left out: each message is
moved through the outbox steps as a server that accepts everything would move it (as
``common.seed_sent`` does), and each school reply is handed to the recorder as the watcher
would hand it over. Sent copies are not filed (``sent_folder = ""``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import email.utils
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import common  # noqa: F401 - puts tests/ on the path, for support.family

from iepd.config.load import load_config
from iepd.inbox.record import MessageRecorder
from iepd.letters.mail_policy import MAIL_POLICY
from iepd.mail.credentials import Secret
from iepd.mail.transport import MailTransport
from iepd.run.one_pass import OnePass
from iepd.store.database import Store
from support.family import Family, offline_family, speech_request

DAY = dt.timedelta(days=1)
ZONE = ZoneInfo("America/Chicago")  # the family's parent.timezone
# What the school does with each request, in turn: (after which letter, how long after it
# was sent, the class of the school's reply). An empty script is a school that never answers.
SCRIPTS: tuple[tuple[tuple[str, dt.timedelta, str], ...], ...] = (
    (("request", 3 * DAY, "answer"),),
    (("request", dt.timedelta(hours=1), "auto_reply"), ("followup", 2 * DAY, "answer")),
    (("escalation", DAY, "answer"),),
    (("request", 4 * DAY, "declined"),),
    (("request", 2 * DAY, "informal"),),
    (("followup", 3 * DAY, "answer"),),
    (),
)
BODIES = {
    "answer": "Thank you for your letter; I have received your request. We will hold an IEP "
    "team meeting for Sam, and I will send you two or three proposed dates by Friday.",
    "auto_reply": "I am out of the office until Monday with limited access to email. For "
    "urgent matters please call the front office.",
    "declined": "We do not believe a meeting is necessary at this time.",
    "informal": "I'd be happy to set up a quick call to go over your concerns.",
}
MEETING_AFTER_ANSWER = 14 * DAY
CLOSED_AFTER_MEETING = 30 * DAY


@dataclasses.dataclass
class Request:
    """One request of the family's config as the year goes on: what the parent wrote."""

    id: str
    send_at: dt.datetime  # local, naive
    script: tuple[tuple[str, dt.timedelta, str], ...]
    replies_made: int = 0
    meeting_at: dt.datetime | None = None  # local, naive
    closed: bool = False

    def table(self) -> str:
        extra = f"send_at = {self.send_at.isoformat()}\n"
        if self.meeting_at is not None:
            extra += f"meeting_at = {self.meeting_at.isoformat()}\n"
        if self.closed:
            extra += "closed = true\n"
        return speech_request(self.id, extra=extra)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def year_of_mail(root: Path, requests: int = 10, end: dt.datetime | None = None) -> Family:
    """Given a folder, write a family whose store holds a year of iepd's work on `requests`
    requests sent over the twelve months before `end` (default: now); return the family."""
    end = end or dt.datetime.now(dt.UTC)
    first = end - 365 * DAY
    spacing = (end - first - 30 * DAY) / max(requests - 1, 1)
    year = [
        Request(
            f"sam-speech-{number + 1}",
            (first + number * spacing)
            .astimezone(ZONE)
            .replace(hour=8, minute=30, second=0, microsecond=0, tzinfo=None),
            SCRIPTS[number % len(SCRIPTS)],
        )
        for number in range(requests)
    ]
    family = offline_family(root, [request.table() for request in year])
    family.sent_folder = ""  # no Sent copies: nothing contacts a server
    family.write()
    start = year[0].send_at.replace(tzinfo=ZONE) - DAY
    asyncio.run(_live(family, year, Clock(start.astimezone(dt.UTC)), end))
    return family


async def _live(family: Family, year: list[Request], clock: Clock, end: dt.datetime) -> None:
    config = load_config(family.config_path, family.environ({"HOME": str(family.root)}))
    uid = 0
    with Store.open(config.state_dir) as store:
        while True:
            one_pass = OnePass(config, store, MailTransport(config, Secret("unused")), clock)
            recorder = MessageRecorder(config, store, one_pass.sender, clock)
            one_pass.sync_requests()
            plan = one_pass.plan()
            one_pass.queue(plan)
            await _accept_everything(one_pass, store, clock)
            for request, (klass, letter_id) in _replies_due(store, year, clock()):
                uid += 1
                recorder.refresh()
                found = recorder.handle(
                    raw=_reply(family, klass, letter_id, clock(), uid),
                    mailbox="INBOX",
                    uidvalidity=1,
                    uid=uid,
                    internaldate=clock(),
                )
                if found != klass:
                    raise RuntimeError(f"{request.id}: a {klass} reply was read as {found}")
                request.replies_made += 1
                await _accept_everything(one_pass, store, clock)
                if klass in ("answer", "informal") and request.meeting_at is None:
                    meeting = (clock() + MEETING_AFTER_ANSWER).astimezone(ZONE)
                    request.meeting_at = meeting.replace(
                        hour=15, minute=30, second=0, microsecond=0, tzinfo=None
                    )
            for request in year:
                meeting_at = request.meeting_at
                if meeting_at and meeting_at.replace(tzinfo=ZONE) + CLOSED_AFTER_MEETING < clock():
                    request.closed = True
            if _config_changed(family, year):
                config = load_config(family.config_path, family.environ({"HOME": str(family.root)}))
                continue  # copy the parent's edit into the store before the clock moves
            # What was just sent starts new clocks (a follow-up is due a week after the letter).
            plan = one_pass.plan()
            if plan.actions:
                continue
            upcoming = [when for when in (plan.next_wake, _next_reply(store, year)) if when]
            upcoming += [
                request.meeting_at.replace(tzinfo=ZONE) + CLOSED_AFTER_MEETING
                for request in year
                if request.meeting_at and not request.closed
            ]
            following = min((when for when in upcoming if when > clock()), default=end)
            if clock() >= end:
                return
            clock.now = min(following, end)


async def _accept_everything(one_pass: OnePass, store: Store, clock: Clock) -> None:
    """Move every queued message as far as a server that accepts everything would, and let
    the sender record what that means (the letter sent, the parent's reminder)."""
    while queued := [row for row in store.pending_outgoing() if row.step == "queued"]:
        for row in queued:
            for step in ("smtp", "data", "accepted"):
                row = store.set_step(row.message_row, step, now=clock())
            await one_pass.sender.advance(row)


def _sent_letters(store: Store, request_id: str) -> dict[str, tuple[dt.datetime, str]]:
    """Given a request, return its letters the server accepted: purpose -> (when, Message-ID)."""
    return {
        row.purpose: (row.accepted_at, row.message_id)
        for row in store.list_outgoing(request_id)
        if row.purpose != "reminder" and row.accepted_at is not None
    }


def _next_step(store: Store, request: Request) -> tuple[dt.datetime, tuple[str, str]] | None:
    """Given a request, return when the school's next reply is due and its (class, the
    Message-ID it answers), or None while the letter it answers is not sent."""
    if request.replies_made >= len(request.script):
        return None
    after, delay, klass = request.script[request.replies_made]
    letter = _sent_letters(store, request.id).get(after)
    if letter is None:
        return None
    return letter[0] + delay, (klass, letter[1])


def _replies_due(
    store: Store, year: list[Request], now: dt.datetime
) -> list[tuple[Request, tuple[str, str]]]:
    due = []
    for request in year:
        step = _next_step(store, request)
        if step is not None and step[0] <= now:
            due.append((request, step[1]))
    return due


def _next_reply(store: Store, year: list[Request]) -> dt.datetime | None:
    times = [step[0] for step in (_next_step(store, request) for request in year) if step]
    return min(times, default=None)


def _config_changed(family: Family, year: list[Request]) -> bool:
    tables = [request.table() for request in year]
    if tables == family.requests:
        return False
    family.requests = tables
    family.write()
    return True


def _reply(family: Family, klass: str, letter_id: str, when: dt.datetime, uid: int) -> bytes:
    """The case manager's reply of class `klass` to the letter `letter_id`."""
    reply = EmailMessage(policy=MAIL_POLICY)
    reply["From"] = f"Dana Alvarez <{family.case_manager}>"
    reply["To"] = family.parent
    subject = "Request for an IEP meeting"
    if klass == "auto_reply":
        reply["Subject"] = f"Automatic reply: {subject}"
        reply["Auto-Submitted"] = "auto-replied"
    else:
        reply["Subject"] = f"Re: {subject}"
    reply["Date"] = email.utils.format_datetime(when)
    reply["Message-ID"] = f"<reply-{uid}@example.test>"
    reply["In-Reply-To"] = letter_id
    reply["References"] = letter_id
    reply.set_content(f"Dear Jordan Rivera,\n\n{BODIES[klass]}\n\nDana Alvarez\n")
    return reply.as_bytes()
