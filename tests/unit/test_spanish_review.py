"""What the bilingual review of the Spanish texts asked for (issue 16): the school's name
with its article, a meaning beside each correcting word, no numeric date in the help, and the
review's other corrections, as the parent or the school reads them."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from test_spanish import MESSAGE_ID, NOW, spanish_config

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
