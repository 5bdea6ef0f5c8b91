"""The parent's command in a reply to a reminder, and the rules that accept it
(decide/commands: pure, table-driven)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iepd.decide.commands import (
    Reading,
    RequestFacts,
    SentReminder,
    judge,
    message_key,
    parent_sent,
    read_command,
    referenced_reminder,
)

NOW = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
PARENT = frozenset({"jordan@family.example", "Jordan.Rivera@Mail.Example"})
SCHOOL_MESSAGE = "<reply-1@district.example>"
DRAFT_ID = "<draft-1.iepd@family.example>"


def reminder(kind: str = "draft_ready", about: str = DRAFT_ID, age: timedelta = timedelta(days=1)):
    return SentReminder(
        message_id="<r1.iepd@family.example>",
        request_id="sam-speech-2026-12",
        kind=kind,
        sent_at=NOW - age,
        about=about,
    )


PENDING = RequestFacts(
    pending_draft=frozenset({"7", DRAFT_ID}), newest_school_message=SCHOOL_MESSAGE
)

QUOTED_REMINDER = """
On Sat, Dec 5, 2026 at 9:00 AM iepd <jordan@family.example> wrote:
> Hello Jordan,
> SEND
> Reply SEND to send it.
"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("SEND", Reading("command", "SEND", "SEND")),
        ("send\n" + QUOTED_REMINDER, Reading("command", "SEND", "send")),
        ("  \n\nSend.  \nThanks, Jordan", Reading("command", "SEND", "Send")),
        ("*SEND*", Reading("command", "SEND", "SEND")),
        ("close", Reading("command", "CLOSE", "close")),
        (
            "MEETING  Dec 8   3:30 pm\n\nsee you",
            Reading("command", "MEETING", "MEETING", "Dec 8 3:30 pm"),
        ),
        ("meeting: Dec 8 3:30 pm", Reading("command", "MEETING", "meeting", "Dec 8 3:30 pm")),
        ("Declined", Reading("command", "DECLINED", "Declined")),
        ("INFORMAL", Reading("command", "INFORMAL", "INFORMAL")),
        ("answer", Reading("command", "ANSWER", "answer")),
        ("AUTO", Reading("command", "AUTO", "AUTO")),
        ("help?", Reading("command", "HELP", "help")),
        ("ENVIAR", Reading("command", "SEND", "ENVIAR")),
        (
            "reunión 8 de diciembre 15:30",
            Reading("command", "MEETING", "reunión", "8 de diciembre 15:30"),
        ),
        ("AYUDA", Reading("command", "HELP", "AYUDA")),
        # a typo: capitals, but no command
        ("SNED", Reading("typo", word="SNED")),
        ("MEETNG Dec 8 3pm", Reading("typo", word="MEETNG", argument="Dec 8 3pm")),
        # no command at all
        ("Thanks!", Reading("none", word="Thanks")),
        ("OK thanks", Reading("none", word="OK")),
        ("I will call them", Reading("none", word="I")),
        ("", Reading("none")),
        # a command in quoted text is no command
        (QUOTED_REMINDER, Reading("none")),
        ("> SEND\n", Reading("none")),
        ("Thanks\n\n> SEND", Reading("none", word="Thanks")),
        # below the signature
        ("-- \nSEND", Reading("none")),
    ],
)
def test_read_command_takes_the_first_word_of_the_new_text(body: str, expected: Reading) -> None:
    assert read_command(body) == expected


def test_agreed_takes_each_following_line_as_an_item() -> None:
    body = (
        "AGREED:\n"
        "- 60 minutes of speech therapy per week, starting Dec 14\n"
        "* 6 compensatory sessions before March 1\n"
        "3. progress report every 4 weeks\n"
        "\n"
        "-- \nJordan\n" + QUOTED_REMINDER
    )

    reading = read_command(body)

    assert reading.name == "AGREED"
    assert reading.items == (
        "60 minutes of speech therapy per week, starting Dec 14",
        "6 compensatory sessions before March 1",
        "progress report every 4 weeks",
    )


def test_agreed_keeps_what_follows_on_its_own_line_as_the_first_item() -> None:
    assert read_command("agreed extended time on tests\nweekly log").items == (
        "extended time on tests",
        "weekly log",
    )


def test_a_hostile_reply_cannot_make_endless_items() -> None:
    reading = read_command("AGREED\n" + "\n".join("x" * 2000 for _ in range(500)))

    assert len(reading.items) == 50
    assert {len(item) for item in reading.items} == {500}


@pytest.mark.parametrize(
    ("from_addr", "expected"),
    [
        ("jordan@family.example", True),
        ("JORDAN@family.example", True),
        ("jordan.rivera@mail.example", True),
        ("stranger@evil.example", False),
        ("jordan@family.example.evil.example", False),
        (None, False),
        ("", False),
    ],
)
def test_only_the_parents_addresses_may_command(from_addr: str | None, expected: bool) -> None:
    assert parent_sent(from_addr, PARENT) is expected


def test_the_reminder_answered_is_found_in_in_reply_to_or_references() -> None:
    sent = reminder()
    reminders = {message_key(sent.message_id): sent}

    assert referenced_reminder(("<R1.iepd@family.example>",), (), reminders) == sent
    assert referenced_reminder((), ("<x@y>", " <r1.iepd@family.example> "), reminders) == sent
    assert referenced_reminder(("<made-up.iepd@family.example>",), (), reminders) is None
    # a reply to the school's letter, not to a reminder
    assert referenced_reminder((SCHOOL_MESSAGE,), (SCHOOL_MESSAGE,), reminders) is None


SEND = Reading("command", "SEND", "SEND")
MEETING = Reading("command", "MEETING", "MEETING", "Dec 8 3:30 pm")
CLOSE = Reading("command", "CLOSE", "CLOSE")
DECLINED = Reading("command", "DECLINED", "DECLINED")
AGREED = Reading("command", "AGREED", "AGREED", items=("weekly log",))


@pytest.mark.parametrize(
    ("reading", "sent", "facts", "outcome", "reason"),
    [
        (SEND, reminder(), PENDING, "carry_out", ""),
        (SEND, reminder(about="7"), PENDING, "carry_out", ""),
        (SEND, reminder(), RequestFacts(), "refuse", "no draft waiting"),
        (SEND, reminder(about="<old-draft@family.example>"), PENDING, "refuse", "newer one"),
        (SEND, reminder("answer", SCHOOL_MESSAGE), PENDING, "refuse", "shows none"),
        (SEND, reminder(age=timedelta(days=31)), PENDING, "refuse", "more than 30 days"),
        (SEND, reminder(age=timedelta(days=30)), PENDING, "carry_out", ""),
        (SEND, reminder(), RequestFacts(closed=True), "refuse", "is closed"),
        (CLOSE, reminder("answer", SCHOOL_MESSAGE), PENDING, "carry_out", ""),
        (MEETING, reminder("answer", SCHOOL_MESSAGE), PENDING, "carry_out", ""),
        (Reading("command", "MEETING", "MEETING"), reminder(), PENDING, "refuse", "needs the date"),
        (AGREED, reminder("recap_due", ""), PENDING, "carry_out", ""),
        (Reading("command", "AGREED", "AGREED"), reminder(), PENDING, "refuse", "one item per"),
        (DECLINED, reminder("answer", SCHOOL_MESSAGE), PENDING, "carry_out", ""),
        (DECLINED, reminder("answer", "<REPLY-1@district.example>"), PENDING, "carry_out", ""),
        (
            DECLINED,
            reminder("answer", "<older@district.example>"),
            PENDING,
            "refuse",
            "written again",
        ),
        (
            DECLINED,
            reminder("sent", "<request.iepd@family.example>"),
            PENDING,
            "refuse",
            "not about one",
        ),
        (Reading("command", "HELP", "HELP"), reminder(age=timedelta(days=90)), PENDING, "help", ""),
        (Reading("typo", word="SNED"), reminder(), PENDING, "refuse", '"SNED" is not one'),
        (Reading("none", word="Thanks"), reminder(), PENDING, "no_command", ""),
    ],
)
def test_judge_carries_out_only_a_command_that_fits_its_reminder(
    reading: Reading, sent: SentReminder, facts: RequestFacts, outcome: str, reason: str
) -> None:
    verdict = judge(reading, sent, facts, NOW)

    assert verdict.outcome == outcome
    assert reason in verdict.reason
    assert bool(verdict.reason) is (outcome == "refuse")


@given(st.text(max_size=2000))
@settings(max_examples=300)
def test_read_command_reads_any_text_and_bounds_what_it_keeps(body: str) -> None:
    reading = read_command(body)

    assert reading.kind in ("command", "typo", "none")
    assert len(reading.argument) <= 500
    assert len(reading.items) <= 50
