"""Commands by email in Spanish (issue 16): ENVIAR, CERRAR, REUNIÓN, ACORDADO, AYUDA and the
corrections NEGADA, INFORMAL, RESPUESTA, AUTOMÁTICA, in any case, accents optional."""

from __future__ import annotations

import pytest

from iepd.decide.commands import Reading, read_command


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ("ENVIAR", "SEND"),
        ("enviar", "SEND"),
        ("Cerrar.", "CLOSE"),
        ("REUNIÓN 8 dic 3:30 p.m.", "MEETING"),
        ("REUNION 8 dic 3:30 p.m.", "MEETING"),
        ("Reunion: 8 de diciembre 15:30", "MEETING"),
        ("AYUDA", "HELP"),
        ("ayuda?", "HELP"),
        ("NEGADA", "DECLINED"),
        ("Respuesta", "ANSWER"),
        ("AUTOMÁTICA", "AUTO"),
        ("automatica", "AUTO"),
        ("INFORMAL", "INFORMAL"),
    ],
)
def test_spanish_words_are_commands_with_or_without_accents(body: str, name: str) -> None:
    reading = read_command(body)
    assert (reading.kind, reading.name) == ("command", name)


def test_acordado_takes_the_items_below_it() -> None:
    reading = read_command("ACORDADO\n- terapia del habla 60 minutos\n- 8 sesiones de reposición")
    assert reading.name == "AGREED"
    assert reading.items == ("terapia del habla 60 minutos", "8 sesiones de reposición")


def test_the_word_is_kept_as_the_parent_wrote_it() -> None:
    assert read_command("Reunion 8 dic 3 pm") == Reading(
        "command", "MEETING", "Reunion", "8 dic 3 pm"
    )


@pytest.mark.parametrize("body", ["ENVIRA", "CERAR"])
def test_a_spanish_typo_is_refused_as_a_typo(body: str) -> None:
    assert read_command(body).kind == "typo"


def test_an_ordinary_spanish_reply_is_no_command() -> None:
    assert read_command("Gracias, ya lo leí").kind == "none"
