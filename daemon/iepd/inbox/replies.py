"""The parent's replies to iepd's reminders: routed away from the school's answers, checked,
recorded once, carried out once.

A message whose In-Reply-To or References holds the Message-ID of a reminder iepd sent is
never the school's answer, whoever sent it: ``InboxRouter`` (router.py) hands it to
``ParentReplies`` before matching ever sees it. There it is taken as the parent's command
only when it is From one of the parent's addresses (anything else is logged and ignored: an
answer would go to whoever forged the sender); the rules are ``decide.commands``'s.

Crash safety, one reply at a time: (1) the reply's raw copy and its ``command_received``
event, which holds the verdict, commit together; (2) the move runs (``ParentMoves`` does a
move once per ``via``, the reply's Message-ID); (3) the answer to the parent is queued under
the reply's Message-ID. A kill anywhere leaves the watcher's UID unrecorded, so the reply is
read again and picks up where it stopped, from the recorded verdict. Once the answer is
queued, the same reply seen again (same Message-ID) is a replay: nothing is done or sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from iepd.config.model import Config
from iepd.decide.commands import (
    RECLASSIFY,
    Reading,
    RequestFacts,
    SentReminder,
    Verdict,
    judge,
    message_key,
    parent_sent,
    read_command,
    referenced_reminder,
)
from iepd.decide.excerpt import make_excerpt
from iepd.decide.meeting_time import UnreadableMeetingTime, parse_meeting_time
from iepd.faults import crashpoint
from iepd.inbox.keep import keep_incoming
from iepd.inbox.parse import IncomingMessage
from iepd.letters.text_format import parent_zone
from iepd.outbox.enqueue import OutboxQueue
from iepd.run.parent_moves import MoveRefused, ParentMoves
from iepd.store.database import Store
from iepd.vocabulary import COMMAND_DONE, COMMAND_RECEIVED, COMMAND_REFUSED, HELP, SETTLED_STEPS

logger = logging.getLogger(__name__)

ANSWERS = (COMMAND_DONE, COMMAND_REFUSED, HELP)
VERDICT_MARK = "; verdict: "
SHOWN_WORD_CHARACTERS = 40  # a typo is quoted back to the parent, cut to this


def sent_reminders(store: Store) -> dict[str, SentReminder]:
    """Given the store, return every reminder iepd sent (the server accepted it), by
    ``message_key`` of its Message-ID."""
    found = {}
    for row in store.list_outgoing():
        if row.purpose != "reminder" or row.message_id is None:
            continue
        if row.step not in SETTLED_STEPS or row.step in ("failed", "uncertain"):
            continue
        parts = row.dedup_key.split(":", 3)
        found[message_key(row.message_id)] = SentReminder(
            message_id=row.message_id,
            request_id=row.request_id,
            kind=row.reminder_kind or "",
            sent_at=row.accepted_at or row.created_at,
            about=parts[3] if len(parts) == 4 else "",
        )
    return found


class ParentReplies:
    """Given the config, the store, the outbox queue, a clock and the parent's moves, read
    the replies to iepd's reminders."""

    def __init__(
        self,
        config: Config,
        store: Store,
        sender: OutboxQueue,
        clock: Callable[[], datetime],
        moves: ParentMoves,
    ) -> None:
        self.config = config
        self.store = store
        self.sender = sender
        self.clock = clock
        self.moves = moves
        parent = config.parent
        self.parent_addresses = frozenset(
            {parent.email.lower(), parent.remind_to.lower(), config.mail.username.lower()}
        )
        self._reminders: dict[str, SentReminder] | None = None

    def refresh(self) -> None:
        """Forget the reminders read from the store (one was sent since)."""
        self._reminders = None

    @property
    def reminders(self) -> dict[str, SentReminder]:
        """Every reminder iepd sent (the server accepted it), by ``message_key``."""
        # One read of the field: the watcher thread asks while the main thread refreshes.
        reminders = self._reminders
        if reminders is None:
            reminders = self._reminders = sent_reminders(self.store)
        return reminders

    def answered_reminder(self, message: IncomingMessage) -> SentReminder | None:
        """Given a message (or its headers), return the reminder of iepd's it replies to."""
        if not (message.in_reply_to or message.references):
            return None
        found = referenced_reminder(message.in_reply_to, message.references, self.reminders)
        if found is None and any(
            ".iepd@" in key for key in message.in_reply_to + message.references
        ):
            # One of iepd's Message-IDs the cache may not hold yet (it was read while that
            # reminder was being sent): a reply skipped now would never be read again.
            self.refresh()
            found = referenced_reminder(message.in_reply_to, message.references, self.reminders)
        return found

    def handle(
        self,
        message: IncomingMessage,
        reminder: SentReminder,
        *,
        raw: bytes,
        mailbox: str,
        uidvalidity: int,
        uid: int,
        internaldate: datetime,
    ) -> str:
        """Given a reply to ``reminder``, check it, record it and carry it out, each once;
        return what became of it ("ignored", "replay", "no_command", or the verdict)."""
        sender = message.from_addr or "no sender"
        if not parent_sent(message.from_addr, self.parent_addresses):
            logger.warning(
                "uid %d: a reply to reminder %s from %s, not one of the parent's addresses:"
                " ignored, not answered",
                uid,
                reminder.message_id,
                sender[:200],
            )
            return "ignored"
        if _automatic(message):
            # A responder on the parent's account must not talk with iepd: its "CLOSED until
            # Monday" would be a typo, refused, answered again, and so on.
            logger.info(
                "uid %d: an automatic reply to reminder %s: ignored", uid, reminder.message_id
            )
            return "ignored"
        reply_id = message.message_id
        if not self.config.assist.commands_by_email or reply_id is None:
            why = "it has no Message-ID" if reply_id is None else "commands_by_email is off"
            logger.warning(
                "uid %d: a reply to reminder %s ignored: %s", uid, reminder.message_id, why
            )
            return "ignored"
        request_id = reminder.request_id
        if any(self._answered(kind, request_id, reply_id) for kind in ANSWERS):
            logger.info(
                "%s: reply %s was answered already: a replay, ignored", request_id, reply_id
            )
            return "replay"
        reading = read_command(message.text)
        recorded = self._recorded_verdict(request_id, reply_id, reading)
        if recorded is None:
            verdict = self._judge(reading, reminder) if reading.kind != "none" else None
            self._record(message, reminder, reading, verdict, raw, mailbox, uidvalidity, uid,
                         internaldate)  # fmt: skip
            crashpoint("command.recorded")
        else:
            verdict = recorded
        if verdict is None or verdict.outcome == "no_command":
            logger.info("%s: a reply from the parent with no command, recorded", request_id)
            return "no_command"
        return self._answer(verdict, reminder, reply_id)

    def _answered(self, kind: str, request_id: str, reply_id: str) -> bool:
        return self.store.get_outgoing(f"reminder:{kind}:{request_id}:{reply_id}") is not None

    def _judge(self, reading: Reading, reminder: SentReminder) -> Verdict:
        now = self.clock()
        verdict = judge(reading, reminder, self._facts(reminder.request_id), now)
        if verdict.outcome == "carry_out" and reading.name == "MEETING":
            try:
                parse_meeting_time(
                    reading.argument, now, parent_zone(self.config), self.config.parent.language
                )
            except UnreadableMeetingTime as error:
                return Verdict("refuse", reading, f"the date could not be read: {error}")
        return verdict

    def _facts(self, request_id: str) -> RequestFacts:
        request = self.store.get_request(request_id)
        draft = self.moves.pending_draft(request_id)
        school = [
            row.message_id
            for row in self.store.messages_for(request_id)
            if row.direction == "in" and row.klass is not None and row.message_id
        ]
        return RequestFacts(
            closed=request is None or request.state == "closed",
            # a draft_ready reminder's outbox key ends with its draft's key
            pending_draft=frozenset() if draft is None else frozenset({draft.dedup_key,
                                                                       draft.message_id}),
            newest_school_message=school[-1] if school else None,
        )  # fmt: skip

    def _record(
        self,
        message: IncomingMessage,
        reminder: SentReminder,
        reading: Reading,
        verdict: Verdict | None,
        raw: bytes,
        mailbox: str,
        uidvalidity: int,
        uid: int,
        internaldate: datetime,
    ) -> None:
        """The raw copy and, for a command, ``command_received`` with the verdict: together."""
        now = self.clock()
        with self.store.transaction():
            if not self.store.has_message_id(message.message_id or "", "in"):
                keep_incoming(
                    self.store,
                    reminder.request_id,
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
            if verdict is None:
                return
            said = " ".join(part for part in (_shown(reading), reading.argument) if part)
            verdict_text = verdict.outcome + (f": {verdict.reason}" if verdict.reason else "")
            self.store.append_event(
                request_id=reminder.request_id,
                kind=COMMAND_RECEIVED,
                at=now,
                message_id=message.message_id,
                from_addr=message.from_addr,
                subject=message.subject,
                detail=f"{said} (in reply to the {reminder.kind} reminder {reminder.message_id})"
                f"{VERDICT_MARK}{verdict_text}",
            )

    def _recorded_verdict(self, request_id: str, reply_id: str, reading: Reading) -> Verdict | None:
        """The verdict a first reading of this reply recorded, or None."""
        for event in self.store.events(request_id):
            if event.kind == COMMAND_RECEIVED and event.message_id == reply_id:
                written = (event.detail or "").rpartition(VERDICT_MARK)[2]
                outcome, _, reason = written.partition(": ")
                if outcome == "carry_out":
                    return Verdict("carry_out", reading)
                if outcome == "help":
                    return Verdict("help", reading)
                return Verdict("refuse", reading, reason or "iepd could not read its own record")
        return None

    def _answer(self, verdict: Verdict, reminder: SentReminder, reply_id: str) -> str:
        """Carry out an accepted command and queue the parent's answer; return the outcome
        ("carry_out", "help", or "refuse": by the rules or by the move itself)."""
        request_id, reading = reminder.request_id, verdict.reading
        shown = _shown(reading)
        if verdict.outcome == "help":
            self.sender.queue_reminder(request_id, HELP, reply_id, {})
            return "help"
        if verdict.outcome == "carry_out":
            try:
                done = self._carry_out(reading, request_id, f"email:{reply_id}")
            except (MoveRefused, UnreadableMeetingTime) as error:
                logger.info("%s: %s refused: %s", request_id, shown, error)
                self._refuse(request_id, reply_id, shown, str(error))
                return "refuse"
            crashpoint("command.carried_out")
            logger.info("%s: %s by email: %s", request_id, shown, done)
            context = {"command": shown, "done": done}
            self.sender.queue_reminder(request_id, COMMAND_DONE, reply_id, context)
            return "carry_out"
        logger.info("%s: %s refused: %s", request_id, shown, verdict.reason)
        self._refuse(request_id, reply_id, shown, verdict.reason)
        return "refuse"

    def _refuse(self, request_id: str, reply_id: str, shown: str, reason: str) -> None:
        context = {"command": shown, "reason": reason.rstrip(".")}
        self.sender.queue_reminder(request_id, COMMAND_REFUSED, reply_id, context)

    def _carry_out(self, reading: Reading, request_id: str, via: str) -> str:
        moves, name = self.moves, reading.name
        if name == "SEND":
            return moves.send_draft(request_id, via=via)
        if name == "CLOSE":
            return moves.close(request_id, via=via)
        if name == "MEETING":
            when = parse_meeting_time(
                reading.argument,
                self.clock(),
                parent_zone(self.config),
                self.config.parent.language,
            )
            return moves.set_meeting(request_id, when, via=via)
        if name == "AGREED":
            return moves.agreed(request_id, list(reading.items), via=via)
        if name in RECLASSIFY:
            return moves.reclassify(request_id, RECLASSIFY[name], via=via)
        raise MoveRefused(f"{name} cannot be carried out")


def _automatic(message: IncomingMessage) -> bool:
    """Whether a program, not a person, wrote the message (RFC 3834 and common markers)."""
    headers = message.headers
    submitted = headers.get("auto-submitted", "no").strip().lower()
    precedence = headers.get("precedence", "").strip().lower()
    return (
        not submitted.startswith("no")
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or any(name in headers for name in ("x-autoreply", "x-autorespond"))
    )


def _shown(reading: Reading) -> str:
    """The command as the parent is shown it: its name, or the typo as written (cut)."""
    return reading.name or reading.word[:SHOWN_WORD_CHARACTERS]
