"""The reminders about a school message when iepd is not sure what the school meant: they say
so, quote the sentences the reading rests on and ask the parent to read the message itself;
when iepd is sure, their text is exactly what it was."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_letters import flat, make_config
from test_reminders import NOW, body_of, reminder

from iepd.letters.reminders import sample_context

UNSURE_KINDS = ("answer", "auto_reply", "declined", "informal", "invite")
DECIDING = (
    "We are not able to schedule a meeting at this time.",
    "Dana can give you a call next week to talk it over.",
)
NOT_SURE = "iepd is not sure what the school meant"
READ_IT = "Please read the school's whole message in your inbox yourself"
MISREAD = "If iepd misread it, reply to this reminder with one word"


def context(kind: str, **unsure: object) -> dict[str, object]:
    return {**sample_context(kind, NOW), **unsure}


@pytest.mark.parametrize("kind", UNSURE_KINDS)
def test_an_unsure_reminder_says_so_quotes_the_deciding_sentences_and_asks_to_read_it(
    tmp_path: Path, kind: str
) -> None:
    body = body_of(
        reminder(make_config(tmp_path), kind, context(kind, unsure=True, deciding=DECIDING))
    )

    assert NOT_SURE in flat(body)
    assert READ_IT in flat(body)
    for sentence in DECIDING:
        assert f'    "{sentence}"\n' in body
    assert "going by these sentences:" in flat(body)


@pytest.mark.parametrize(
    ("kind", "reading"),
    [
        ("answer", "an answer to your request"),
        ("auto_reply", "an automatic reply, not an answer from a person"),
        ("declined", "a refusal of the meeting"),
        ("informal", "an offer of an informal talk instead of the meeting"),
        ("invite", "an invitation to the meeting"),
    ],
)
def test_an_unsure_reminder_names_how_iepd_read_the_message(
    tmp_path: Path, kind: str, reading: str
) -> None:
    body = body_of(
        reminder(make_config(tmp_path), kind, context(kind, unsure=True, deciding=DECIDING[:1]))
    )

    assert f"It read the message as {reading}, going by this sentence:" in flat(body)


@pytest.mark.parametrize("kind", UNSURE_KINDS)
def test_an_unsure_reminder_without_deciding_sentences_says_none_settles_it(
    tmp_path: Path, kind: str
) -> None:
    body = flat(body_of(reminder(make_config(tmp_path), kind, context(kind, unsure=True))))

    assert NOT_SURE in body
    assert "no sentence in it settles the question" in body
    assert READ_IT in body


@pytest.mark.parametrize("kind", UNSURE_KINDS)
def test_a_sure_reminder_is_the_same_with_or_without_the_unsure_keys(
    tmp_path: Path, kind: str
) -> None:
    config = make_config(tmp_path)

    plain = body_of(reminder(config, kind, context(kind)))
    sure = body_of(reminder(config, kind, context(kind, unsure=False, deciding=DECIDING)))

    assert sure == plain
    assert NOT_SURE not in plain
    assert DECIDING[0] not in plain


@pytest.mark.parametrize("kind", ["answer", "declined", "informal", "invite"])
def test_an_unsure_reminder_is_the_sure_one_with_the_note_added(tmp_path: Path, kind: str) -> None:
    config = make_config(tmp_path)

    sure = body_of(reminder(config, kind, context(kind)))
    unsure = body_of(reminder(config, kind, context(kind, unsure=True, deciding=DECIDING)))

    start = unsure.index(NOT_SURE)
    end = unsure.index("\n\n", unsure.index(MISREAD)) + 2
    assert unsure[:start] + unsure[end:] == sure


def test_an_unsure_auto_reply_does_not_say_for_certain_that_no_person_wrote_it(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path)

    sure = flat(body_of(reminder(config, "auto_reply", context("auto_reply"))))
    unsure = flat(
        body_of(
            reminder(config, "auto_reply", context("auto_reply", unsure=True, deciding=DECIDING))
        )
    )

    assert "This is not an answer from a person, so iepd keeps waiting" in sure
    assert "This is not an answer from a person" not in unsure
    assert "Going by that reading, iepd keeps waiting and will still follow up as planned" in unsure


@pytest.mark.parametrize("kind", UNSURE_KINDS)
def test_an_unsure_reminder_says_how_to_correct_the_reading(tmp_path: Path, kind: str) -> None:
    body = flat(body_of(reminder(make_config(tmp_path), kind, context(kind, unsure=True))))

    assert MISREAD in body
    assert "DECLINED (a refusal), INFORMAL" in body and "AUTO (an automatic reply)" in body
    assert "iepd reclassify sam-request followed by declined, informal, answer or auto" in body


def test_without_commands_by_email_an_unsure_reminder_offers_no_reply_to_correct_it(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path)
    config = replace(config, assist=replace(config.assist, commands_by_email=False))

    body = flat(body_of(reminder(config, "declined", context("declined", unsure=True))))

    assert NOT_SURE in body
    assert "DECLINED" not in body and "reclassify" not in body
    assert "iepd export" in body  # the one command this reminder named before
