"""The sentences iepd passes to a reminder in English, said in Spanish (issue 16): why a
draft waits, why a reply was refused, what a command did; and the printed Spanish letter and
the Spanish view of an English letter in the sent reminder."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from test_spanish import (
    MESSAGE_ID,
    NOW,
    english_words_in,
    known_values,
    spanish_config,
    spanish_context,
    words_of,
)

from iepd.decide.commands import RequestFacts, SentReminder, judge, read_command
from iepd.decide.conversation import NAMED_A_TIME
from iepd.decide.meeting_time import UnreadableMeetingTime, parse_meeting_time
from iepd.letters.conversation import DraftFacts, ThreadTip, render_draft
from iepd.letters.printed import is_page_number, layout, sheet_for
from iepd.letters.refusals import refusal_in
from iepd.letters.reminders import render_reminder
from iepd.letters.school import render_request
from iepd.letters.words import translated_failure


def test_why_a_draft_waits_is_said_in_spanish(tmp_path: Path) -> None:
    config = spanish_config(tmp_path)
    context = {**spanish_context("draft_ready"), "why": NAMED_A_TIME, "auto_at": None}
    message = render_reminder(
        config, "draft_ready", "sam-request", message_id=MESSAGE_ID, date=NOW, context=context
    )
    text = " ".join(words_of(message).split())
    assert "iepd no enviará esta carta por su cuenta" in text
    assert english_words_in(text, *known_values(config)) == set()


@pytest.mark.parametrize(
    ("reason", "spanish"),
    [
        ('"SNED" is not one of iepd\'s commands', '"SNED" no es una de las palabras que iepd'),
        ("there is no draft waiting to be sent for sam-request", "no hay ningún borrador"),
        ('MEETING needs the date and time, like "MEETING Dec 8 3:30 pm"', "REUNIÓN necesita"),
        (
            'iepd could not find a time of day in "8 dic": write it like "MEETING Dec 8 3:30 pm"'
            ' or "MEETING 12/8 15:30"',
            'iepd no encontró una hora en "8 dic": escríbala así: "REUNIÓN 8 dic 3:30 p.m."',
        ),
    ],
)
def test_why_a_reply_was_refused_is_said_in_spanish(
    tmp_path: Path, reason: str, spanish: str
) -> None:
    config = spanish_config(tmp_path)
    context = {"command": "REUNIÓN", "reason": reason}
    message = render_reminder(
        config, "command_refused", "sam-request", message_id=MESSAGE_ID, date=NOW,
        context=context,
    )  # fmt: skip
    text = " ".join(words_of(message).split())
    assert f"pero no hizo nada con ella, porque {spanish}" in text
    assert english_words_in(text, *known_values(config)) == set()


def test_a_refusal_without_spanish_words_lists_the_causes(tmp_path: Path) -> None:
    config = spanish_config(tmp_path)
    context = {"command": "ENVIAR", "reason": "something iepd never says"}
    message = render_reminder(
        config, "command_refused", "sam-request", message_id=MESSAGE_ID, date=NOW,
        context=context,
    )  # fmt: skip
    assert "o le falta algún dato" in " ".join(words_of(message).split())


def test_the_refusals_iepd_really_gives_have_spanish_words() -> None:
    """The table reads back the English of decide/commands.py and decide/meeting_time.py: a
    changed English sentence must change its pair too."""
    reminder = SentReminder("<r@x>", "sam-request", "answer", NOW)
    reasons = [
        judge(read_command("SNED"), reminder, RequestFacts(), NOW).reason,
        judge(read_command("MEETING"), reminder, RequestFacts(), NOW).reason,
        judge(read_command("SEND"), reminder, RequestFacts(), NOW).reason,
        judge(read_command("AGREED"), reminder, RequestFacts(), NOW).reason,
        judge(read_command("SEND"), reminder, RequestFacts(closed=True), NOW).reason,
        judge(read_command("SEND"), reminder, RequestFacts(), NOW + timedelta(days=40)).reason,
    ]
    for text in ("", "8 dic", "3:30 pm", "martes lunes 3 pm"):
        with pytest.raises(UnreadableMeetingTime) as caught:
            parse_meeting_time(text, NOW, UTC)
        reasons.append(str(caught.value))
    with pytest.raises(UnreadableMeetingTime) as caught:
        parse_meeting_time("8/12 3:30 pm", NOW, UTC, "es")
    reasons.append(str(caught.value))
    assert [reason for reason in reasons if not refusal_in(reason, "es")] == []


def test_a_meeting_date_the_inbox_could_not_read_is_said_in_spanish() -> None:
    # inbox.replies puts "the date could not be read: " before the reader's reason
    with pytest.raises(UnreadableMeetingTime) as caught:
        parse_meeting_time("8/12 3:30 pm", NOW, UTC, "es")
    said = refusal_in(f"the date could not be read: {caught.value}", "es")

    assert said == (
        'iepd no sabe cuál es el día y cuál el mes en "8/12": escriba el mes con letras, por'
        ' ejemplo "REUNIÓN 8 dic 3:30 p.m."'
    )


def test_an_english_letter_is_shown_in_spanish_in_the_sent_reminder(tmp_path: Path) -> None:
    config = spanish_config(tmp_path, parent_letters_language="en")
    message = render_reminder(
        config, "sent", "sam-request", message_id=MESSAGE_ID, date=NOW,
        context=spanish_context("sent"),
    )  # fmt: skip
    text = words_of(message)
    assert "La carta se envió en inglés" in text
    assert "> Estimado/a Dana Alvarez:" in text
    both = render_reminder(
        spanish_config(tmp_path), "sent", "sam-request", message_id=MESSAGE_ID, date=NOW,
        context=spanish_context("sent"),
    )  # fmt: skip
    assert "se envió en inglés" not in words_of(both)


@pytest.mark.parametrize(
    ("command", "done", "spanish"),
    [
        (
            "SEND",
            "Your letter asking for a meeting date for sam-request is queued and goes out now,"
            " exactly as shown.",
            "Su carta para pedir una fecha de reunión para sam-request ya está lista y se envía"
            " ahora",
        ),
        (
            "MEETING",
            "The meeting for sam-request is set for Tuesday, December 8, 2026 at 1:05 pm CST."
            " iepd drafts a letter confirming it, reminds you before it, and asks you afterwards"
            " what was agreed.",
            "La reunión de sam-request quedó fijada para el martes 8 de diciembre de 2026 a la"
            " 1:05 p.m. (hora del Centro).",
        ),
        (
            "AGREED",
            "iepd drafted the recap of the meeting for sam-request with 1 item; it is sent only"
            " when you reply SEND to the reminder that shows it (or run: iepd send sam-request).",
            "iepd preparó el resumen de la reunión de sam-request con 1 punto;",
        ),
        (
            "DECLINED",
            "iepd now reads the school's message of sam-request as a refusal, and plans the next"
            " steps from that.",
            "como una negativa, y planea los siguientes pasos",
        ),
    ],
)
def test_what_iepd_did_is_said_in_spanish(
    tmp_path: Path, command: str, done: str, spanish: str
) -> None:
    config = spanish_config(tmp_path)
    message = render_reminder(
        config, "command_done", "sam-request", message_id=MESSAGE_ID, date=NOW,
        context={"command": command, "done": done},
    )  # fmt: skip
    text = " ".join(words_of(message).split())
    assert spanish in text
    assert english_words_in(text, *known_values(config)) == set()


def test_the_printed_spanish_letter_is_worded_in_spanish(tmp_path: Path) -> None:
    config = spanish_config(tmp_path, request_urgent=True)
    message = render_request(config, "sam-request", message_id=MESSAGE_ID, date=NOW)
    printed = sheet_for(config, "sam-request", message, NOW.date())
    assert printed.date == "8 de diciembre de 2026"
    assert printed.recipients == (
        "Dana Alvarez, administrador/a de caso",
        "Escuela Primaria Lincoln",
        "Copia: Lee Chen, director/a",
    )
    long_letter = replace(printed, body=printed.body * 4)
    pages = layout(long_letter, "letter", lambda text: 6.0 * len(text))
    footers = [page.footer.text for page in pages if page.footer is not None]
    assert footers[0] == f"Página 1 de {len(pages)}" and is_page_number(footers[0])


def test_a_spanish_draft_answering_a_message_without_subject(tmp_path: Path) -> None:
    config = spanish_config(tmp_path)
    tip = ThreadTip("<s2@district.example>", (), None, "", "Dana Alvarez", NOW)
    facts = DraftFacts(NOW, NOW, "Salón 12", ("un punto",))
    message = render_draft(
        config, "sam-request", "ask_for_date", tip=tip, facts=facts, message_id=MESSAGE_ID,
        date=NOW,
    )  # fmt: skip
    assert message["Subject"] == "Re: Reunión del IEP"


def test_a_letter_refused_for_some_recipients_is_said_in_spanish() -> None:
    # the sentence outbox/sender.py writes when only some recipients were refused
    english = "the server refused some recipients: <lchen@district.example>: 550 5.1.1 unknown"
    assert translated_failure(english, "es") == (
        "el servidor de correo rechazó a algunos destinatarios: <lchen@district.example>: 550"
        " 5.1.1 unknown"
    )
    source = Path(__file__).parents[2] / "daemon" / "iepd" / "outbox" / "sender.py"
    assert '"the server refused some recipients: {refused}"' in source.read_text()
