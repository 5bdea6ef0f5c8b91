"""PURE: the parent's command in a reply to a reminder, and whether iepd may carry it out.

Given plain data (the reply's sender, its In-Reply-To and References, its text; the
reminders iepd sent; the request as it stands), return plain data. Nothing here reads a
clock, a database or the network: the caller passes ``now``.

The rules (SPEC "Commands by email"):

- the command is the first word of the first non-empty line the parent wrote now (quoted
  history, ``>`` lines and the signature set aside: a command quoted from an older message
  is no command), in any case; the rest of that line is its argument, and for ``AGREED`` the
  lines that follow are the items;
- a first word written in capitals that is no command ("SNED") is a typo: it is refused with
  the list of commands; any other first word ("Thanks!") is no command at all;
- a reply is read only when it is From one of the parent's addresses and its In-Reply-To or
  References holds the Message-ID of a reminder iepd sent; anything else is ignored, never
  answered (the answer would go to whoever forged it);
- the reminder is at most ``COMMAND_WINDOW`` old, and the command fits it: ``SEND`` only in
  reply to the ``draft_ready`` reminder of the draft still pending, a new class only in reply
  to the reminder about the school's newest message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from iepd.decide.excerpt import new_text

COMMAND_WINDOW = timedelta(days=30)
COMMANDS = ("SEND", "CLOSE", "MEETING", "AGREED", "DECLINED", "INFORMAL", "ANSWER", "AUTO", "HELP")
# SPEC "Spanish": the commands are accepted in both languages, accents optional (the
# words are compared without them: REUNION is REUNIÓN, AUTOMATICA is AUTOMÁTICA).
ALIASES = {
    "ENVIAR": "SEND",
    "CERRAR": "CLOSE",
    "REUNION": "MEETING",
    "ACORDADO": "AGREED",
    "AYUDA": "HELP",
    # the corrections of iepd's reading, as the Spanish reminders name them
    "NEGADA": "DECLINED",
    "RESPUESTA": "ANSWER",
    "AUTOMATICA": "AUTO",
}
# The class a correcting command gives the school's message.
RECLASSIFY = {
    "DECLINED": "declined",
    "INFORMAL": "informal",
    "ANSWER": "answer",
    "AUTO": "auto_reply",
}
# The reminders about one message from the school: the ones a new class can correct.
ABOUT_A_SCHOOL_MESSAGE = frozenset({"answer", "auto_reply", "declined", "informal", "invite"})
DRAFT_REMINDER = "draft_ready"
# Bounds on what one reply can make iepd record: hostile mail must not fill the trail.
MAX_ITEMS = 50
MAX_ITEM_CHARACTERS = 500
MAX_ARGUMENT_CHARACTERS = 500
# A typo is a word of at least this many capitals: "I" and "OK" start ordinary replies.
TYPO_LETTERS = 3

_EDGE_PUNCTUATION = "*_:;,.!?\"'()[]<>"
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d{1,3}[.)])\s+")


@dataclass(frozen=True)
class Reading:
    """What the reply says. ``kind``: "command" (``name`` is one of COMMANDS), "typo"
    (``word`` looks like a command but is none) or "none" (no command)."""

    kind: Literal["command", "typo", "none"]
    name: str = ""
    word: str = ""  # the first word as written, without surrounding punctuation
    argument: str = ""  # the rest of the first line
    items: tuple[str, ...] = ()  # AGREED: the lines that follow, one item each


@dataclass(frozen=True)
class SentReminder:
    """A reminder iepd sent, as the rules need it. ``about``: what it is about, the last part
    of its outbox key (the school message's Message-ID, or the draft it carries)."""

    message_id: str
    request_id: str
    kind: str
    sent_at: datetime
    about: str = ""


@dataclass(frozen=True)
class RequestFacts:
    """The request a reminder belongs to, as it stands now."""

    closed: bool = False
    pending_draft: frozenset[str] = frozenset()  # the pending draft's keys (id, Message-ID)
    newest_school_message: str | None = None  # the Message-ID of the school's newest message


@dataclass(frozen=True)
class Verdict:
    """What to do with a reply to a reminder. ``outcome``: "carry_out" (``reading`` is an
    accepted command), "help", "refuse" (``reason`` for the parent), or "no_command"."""

    outcome: Literal["carry_out", "help", "refuse", "no_command"]
    reading: Reading
    reason: str = ""


def read_command(text: str) -> Reading:
    """Given a reply's plain-text body, return the command its new text starts with."""
    lines = [line.strip() for line in new_text(text).splitlines()]
    lines = [line for line in lines if line and not line.startswith(">")]
    if not lines:
        return Reading("none")
    first, *rest = lines
    word, _, argument = first.partition(" ")
    if not word.strip(_EDGE_PUNCTUATION):
        word, _, argument = argument.strip().partition(" ")
    word = word.strip(_EDGE_PUNCTUATION)
    argument = " ".join(argument.split())[:MAX_ARGUMENT_CHARACTERS]
    name = word.upper()
    name = ALIASES.get(_without_accents(name), name)
    if name in COMMANDS:
        items = _items(argument, rest) if name == "AGREED" else ()
        return Reading("command", name=name, word=word, argument=argument, items=items)
    letters = [character for character in word if character.isalpha()]
    if len(letters) >= TYPO_LETTERS and word.isupper() and word.isalpha():
        return Reading("typo", word=word, argument=argument)
    return Reading("none", word=word)


def _without_accents(word: str) -> str:
    """REUNIÓN -> REUNION: a parent on a phone may not find the accent."""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _items(argument: str, lines: list[str]) -> tuple[str, ...]:
    """The agreed items: what follows AGREED on its line (a lone ":" aside), then each line."""
    candidates = [argument.strip(" :-"), *lines]
    items = (_BULLET.sub("", line).strip() for line in candidates)
    return tuple(item[:MAX_ITEM_CHARACTERS] for item in items if item)[:MAX_ITEMS]


def parent_sent(from_addr: str | None, parent_addresses: frozenset[str]) -> bool:
    """Given the reply's From address and the parent's addresses, return whether it is one."""
    if not from_addr:
        return False
    return from_addr.strip().lower() in {address.strip().lower() for address in parent_addresses}


def referenced_reminder(
    in_reply_to: tuple[str, ...],
    references: tuple[str, ...],
    reminders: dict[str, SentReminder],
) -> SentReminder | None:
    """Given a reply's In-Reply-To and References and the reminders iepd sent (by
    ``message_key`` of their Message-ID), return the reminder it answers: the one in
    In-Reply-To, else the newest one in References."""
    for message_id in (*in_reply_to, *reversed(references)):
        found = reminders.get(message_key(message_id))
        if found is not None:
            return found
    return None


def message_key(message_id: str) -> str:
    """Given a Message-ID as written anywhere, return the key it is compared by: the part in
    angle brackets, without whitespace, case-folded."""
    inner = "".join(message_id.split()).strip("<>")
    return f"<{inner}>".casefold()


def judge(reading: Reading, reminder: SentReminder, facts: RequestFacts, now: datetime) -> Verdict:
    """Given what a reply from the parent says, the reminder it answers, that reminder's
    request as it stands and the present moment, return what to do with it. The sender and
    the reference are checked before (``parent_sent``, ``referenced_reminder``): a reply
    that fails them gets no verdict, only a line in the log."""
    if reading.kind == "none":
        return Verdict("no_command", reading)
    if reading.kind == "typo":
        return Verdict("refuse", reading, f'"{reading.word}" is not one of iepd\'s commands')
    if reading.name == "HELP":
        return Verdict("help", reading)
    if now - reminder.sent_at > COMMAND_WINDOW:
        days = COMMAND_WINDOW.days
        return Verdict(
            "refuse",
            reading,
            f"the reminder you answered is more than {days} days old, so iepd does not act on "
            "a reply to it; please answer a newer reminder, or use the iepd command on your "
            "computer",
        )
    if facts.closed:
        return Verdict(
            "refuse", reading, f"request {reminder.request_id} is closed: nothing more is sent"
        )
    problem = _misfit(reading, reminder, facts)
    if problem:
        return Verdict("refuse", reading, problem)
    return Verdict("carry_out", reading)


def _misfit(reading: Reading, reminder: SentReminder, facts: RequestFacts) -> str | None:
    """Why the command does not fit the reminder it answers, or None when it does."""
    name = reading.name
    if name == "SEND":
        if not facts.pending_draft:
            return f"there is no draft waiting to be sent for {reminder.request_id}"
        if reminder.kind != DRAFT_REMINDER:
            return (
                "SEND sends the draft shown in a reminder, and the reminder you answered "
                "shows none; please answer the reminder that shows the draft"
            )
        if reminder.about not in facts.pending_draft:
            return (
                "the draft in the reminder you answered is no longer the one waiting: a "
                "newer one replaced it; please answer the reminder that shows the newer draft"
            )
    if name in RECLASSIFY:
        if reminder.kind not in ABOUT_A_SCHOOL_MESSAGE:
            return (
                f"{name} corrects iepd's reading of a message from the school, and the "
                "reminder you answered is not about one"
            )
        newest = facts.newest_school_message
        if newest is not None and message_key(newest) != message_key(reminder.about):
            return (
                "the school has written again since that reminder; please answer the "
                "reminder about its newest message"
            )
    if name == "MEETING" and not reading.argument:
        return 'MEETING needs the date and time, like "MEETING Dec 8 3:30 pm"'
    if name == "AGREED" and not reading.items:
        return "AGREED needs what was agreed, one item per line below the word AGREED"
    return None
