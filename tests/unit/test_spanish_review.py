"""What the bilingual review of the Spanish texts asked for (issue 16): the school's name
with its article, a meaning beside each correcting word, no numeric date in the help, and the
review's other corrections, as the parent or the school reads them."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from test_spanish import MESSAGE_ID, NOW, spanish_config, spanish_context

from iepd.letters.conversation import DraftFacts, ThreadTip, render_draft
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


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("answer", "Si el mensaje propone una fecha, contéstele a la escuela para confirmarla"),
        ("auto_reply", "(no es una respuesta de la escuela)"),
        ("bounce", "con un nuevo nombre (id)."),
        ("bounce", "enviar la carta usted mismo/a:"),
        ("send_failed", "enviar la carta usted mismo/a:"),
        ("send_uncertain", "Para evitar que la escuela la reciba dos veces"),
        ("declined", "(PTI, por sus siglas en inglés)"),
        ("no_response", "Sigue sin respuesta su solicitud de reunión del IEP de Sam Rivera"),
        ("no_response", "ni a las cartas de seguimiento enviadas el"),
        ("informal", "Sigo pidiendo la reunión formal del IEP que solicité en mi carta"),
        ("invite", "para que los resultados queden por escrito"),
        ("after_meeting", "entre corchetes [ ] por"),
        ("command_done", "Su carta ya está lista y se envía ahora."),
        ("draft_ready", "), dirigido a Dana Alvarez, sobre la reunión del IEP de Sam Rivera"),
    ],
)
def test_the_reviews_wording_in_the_reminders(tmp_path: Path, kind: str, said: str) -> None:
    config = spanish_config(tmp_path)
    context = {**spanish_context(kind), "command": "ENVIAR", "reason": ""}
    message = render_reminder(
        config, kind, "sam-request", message_id=MESSAGE_ID, date=NOW, context=context
    )
    assert said in f"{message['Subject']} {_text(message)}"


def test_the_sent_copy_names_a_folder_a_parent_knows(tmp_path: Path) -> None:
    text = _reminder(tmp_path, "sent_copy_failed", stored_as="")
    assert "en la carpeta donde iepd guarda sus datos" in text


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("pwn_request", "la escuela no llevará a cabo la reunión del IEP que solicité el martes"),
        ("pwn_request", "obliga a la escuela a dar a los padres un aviso previo por escrito"),
        ("pwn_request", "Debe incluir:"),
        ("pwn_request", "que sea pertinente a la decisión"),
        ("insist", "las debe tomar el equipo del IEP, y deben quedar por escrito en el IEP"),
        ("recap", "haya propuesto o rechazado"),
    ],
)
def test_the_reviews_wording_in_the_drafts(tmp_path: Path, kind: str, said: str) -> None:
    config = spanish_config(tmp_path)
    tip = ThreadTip("<s2@district.example>", (), None, "Re: Solicitud", "Dana Alvarez", NOW)
    facts = DraftFacts(NOW, NOW, "Salón 12", ("60 minutos de terapia del habla por semana",))
    message = render_draft(
        config, "sam-request", kind, tip=tip, facts=facts, message_id=MESSAGE_ID, date=NOW
    )
    assert said in _text(message)


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("general", "el equipo del IEP debe tratar en conjunto"),
        ("placement_change", "quiero que esta decisión se hable y se tome en conjunto"),
    ],
)
def test_the_reviews_wording_in_the_requests(tmp_path: Path, reason: str, said: str) -> None:
    config = spanish_config(tmp_path, reason=reason)
    assert said in _text(render_request(config, "sam-request", message_id=MESSAGE_ID, date=NOW))


def test_the_escalation_prefers_the_school_politely(tmp_path: Path) -> None:
    config = spanish_config(tmp_path)
    text = _text(
        render_followup(
            config, "sam-request", number=2, original_message_id=MESSAGE_ID,
            original_references=(), original_subject="Solicitud", original_sent_at=NOW,
            message_id="<f.iepd@family.example>", date=NOW,
        )
    )  # fmt: skip
    assert "Preferiría, con mucho, resolver esto directamente con la escuela" in text


def test_a_time_says_its_us_zone_in_words_in_spanish_only() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from iepd.letters.text_format import long_datetime

    eastern, madrid = ZoneInfo("America/New_York"), ZoneInfo("Europe/Madrid")
    moment = datetime(2026, 12, 8, 15, 30, tzinfo=eastern)

    assert long_datetime(moment, eastern, "es").endswith("3:30 p.m. (hora del Este)")
    assert long_datetime(moment, eastern).endswith("3:30 pm EST")
    # a zone iepd has no words for keeps its abbreviation
    assert long_datetime(moment, madrid, "es").endswith(" CET")
