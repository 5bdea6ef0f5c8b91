"""What the bilingual review of the Spanish texts asked for (issue 16): the school's name
with its article, a meaning beside each correcting word, no numeric date in the help, and the
review's other corrections, as the parent or the school reads them."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from test_spanish import MESSAGE_ID, NOW, spanish_config, spanish_context

from iepd.letters.next_words import next_step_words
from iepd.letters.reminders import render_reminder
from iepd.letters.school import render_followup, render_request
from iepd.letters.text_format import with_article


@pytest.mark.parametrize(
    ("name", "language", "expected"),
    [
        ("Escuela Primaria Lincoln", "es", "la Escuela Primaria Lincoln"),
        ("escuela primaria lincoln", "es", "la escuela primaria lincoln"),
        ("Academia Roosevelt", "es", "la Academia Roosevelt"),
        ("Secundaria Técnica 12", "es", "la Secundaria Técnica 12"),
        ("Preparatoria Central", "es", "la Preparatoria Central"),
        ("Primaria Benito Juárez", "es", "la Primaria Benito Juárez"),
        ("Colegio San José", "es", "el Colegio San José"),
        ("Centro Educativo Norte", "es", "el Centro Educativo Norte"),
        ("Instituto Cervantes", "es", "el Instituto Cervantes"),
        # a name that starts otherwise stays bare
        ("Lincoln Elementary School", "es", "Lincoln Elementary School"),
        ("La Escuela del Valle", "es", "La Escuela del Valle"),
        ("Escuelas Unidas", "es", "Escuelas Unidas"),
        ("", "es", ""),
        # English never takes one
        ("Escuela Primaria Lincoln", "en", "Escuela Primaria Lincoln"),
        ("Lincoln Elementary School", "en", "Lincoln Elementary School"),
    ],
)
def test_a_schools_name_takes_its_article_in_spanish(
    name: str, language: str, expected: str
) -> None:
    assert with_article(name, language) == expected


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return " ".join(part.get_content().split())


def test_the_letters_name_the_school_with_its_article(tmp_path: Path) -> None:
    config = spanish_config(tmp_path)
    request = _text(render_request(config, "sam-request", message_id=MESSAGE_ID, date=NOW))
    followups = [
        _text(
            render_followup(
                config, "sam-request", number=number, original_message_id=MESSAGE_ID,
                original_references=(), original_subject="Solicitud", original_sent_at=NOW,
                message_id="<f.iepd@family.example>", date=NOW,
            )
        )
        for number in (1, 2)
    ]  # fmt: skip

    for text in (request, *followups):
        assert "que cursa 4.º grado en la Escuela Primaria Lincoln" in text
    assert "quien dirige la Escuela Primaria Lincoln" in followups[1]


def _reminder(tmp_path: Path, kind: str, **extra: object) -> str:
    config = spanish_config(tmp_path)
    context = {**spanish_context(kind), **extra}
    message = render_reminder(
        config, kind, "sam-request", message_id=MESSAGE_ID, date=NOW, context=context
    )
    return _text(message)


@pytest.mark.parametrize("kind", ["help", "command_refused"])
def test_each_correcting_word_has_its_meaning_beside_it(tmp_path: Path, kind: str) -> None:
    text = _reminder(tmp_path, kind, command="ENVAR", reason="")

    for said in (
        "NEGADA (la escuela negó la reunión)",
        "INFORMAL (ofreció solo una plática o llamada)",
        "RESPUESTA (sí respondió a su solicitud)",
        "AUTOMÁTICA (fue una respuesta automática)",
        "Escriba el mes con letras (por ejemplo, 8 dic), no con números.",
    ):
        assert said in text
    assert "12/8" not in text


def test_the_declined_reminder_says_what_informal_and_answer_mean(tmp_path: Path) -> None:
    config = spanish_config(tmp_path)
    said = " ".join(next_step_words(config, "sam-request", "declined", NOW, "No.").split())

    assert said.startswith("Lo que iepd hará después:")
    assert (
        "conteste INFORMAL (si solo le ofrecieron una plática) o RESPUESTA (si la escuela sí"
        " respondió a su solicitud)."
    ) in said


def test_the_deadline_is_not_read_as_the_meeting_date(tmp_path: Path) -> None:
    text = _reminder(tmp_path, "deadline_passed")

    assert "El plazo para hacer la reunión del IEP de Sam Rivera vencía el martes" in text
    assert "y ya pasó; iepd no sabe de ninguna fecha de reunión." in text
    assert "para que iepd le pueda avisar" in text


def test_the_second_followup_is_a_letter_la_carta(tmp_path: Path) -> None:
    assert "Si tampoco hay respuesta a esta," in _reminder(tmp_path, "escalation_sent")


def test_the_behavior_letter_says_removals_and_agrees_with_the_child(tmp_path: Path) -> None:
    config = spanish_config(tmp_path, reason="behavior")
    text = _text(render_request(config, "sam-request", message_id=MESSAGE_ID, date=NOW))

    assert "cómo su IEP puede apoyarlo, y también si hace falta" in text
    assert "cualquier suspensión o retiro del salón de clases" in text
    assert "los informes de los incidentes" in text
