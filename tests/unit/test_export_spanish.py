"""The export's printable page in the parent's language (issue 16): with `language = "es"`
its words, the events' and messages' labels, the weekdays and the plurals are Spanish."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from test_export_page import T0, Page, cover, event_row, trail
from test_spanish import english_words_in, spanish_config

from iepd.trail.export_page import plural, render_index

SPANISH = {
    "language": "es",
    "child": "Sam Rivera, 4.º grado, Escuela Primaria Lincoln",
    "reason": "servicios que no se han dado como dice el IEP",
    "concern": "Faltaron la mitad de las sesiones de habla.",
}
KNOWN = (
    "sam-1", "Sam Rivera", "Dana Alvarez", "Lee Chen", "jordan@family.example",
    "dalvarez@district.example", "lchen@district.example", "America/Chicago",
    "Jordan Rivera", "Request for an IEP meeting",
)  # fmt: skip


def spanish_page(events: list[object]) -> str:
    return render_index(cover(**SPANISH), trail(events), {})  # type: ignore[arg-type]


def test_the_page_is_in_spanish() -> None:
    meeting = (T0 + timedelta(days=9)).isoformat()
    events = [
        event_row(1, "request_queued", message_id=None),
        event_row(2, "request_sent"),
        event_row(3, "meeting_scheduled", message_id=None, detail=meeting),
    ]
    page = Page(spanish_page(events))
    text = " ".join(page.text.split())
    assert page.title == "Registro: sam-1 (Sam Rivera, 4.º grado, Escuela Primaria Lincoln)"
    assert "Solicitud de una reunión del IEP: el registro por escrito" in text
    assert "A continuación, 3 eventos y 1 carta o respuesta de esta solicitud" in text
    assert "Solicitud enviada" in text and "Fecha de la reunión anotada" in text
    assert "reunión el mié 2026-11-25" in text  # the weekday in Spanish, from CLDR
    assert "Carta: la solicitud de una reunión del IEP" in text
    assert "iepd da información, no asesoría legal" in text
    # the event kinds in brackets are identifiers, and the CSS is no text a parent reads
    prose = text.replace("(request_queued)", "").replace("(request_sent)", "")
    prose = prose.replace("(meeting_scheduled)", "")
    assert english_words_in(prose, *KNOWN) == set()


def test_plural_in_spanish_follows_cldr() -> None:
    assert plural(1, "evento", "eventos", language="es") == "1 evento"
    assert plural(0, "evento", "eventos", language="es") == "0 eventos"
    assert plural(2, "evento", "eventos", language="es") == "2 eventos"


def test_the_english_page_is_as_before() -> None:
    text = " ".join(
        Page(render_index(cover(), trail([event_row(1, "request_sent")]), {})).text.split()
    )
    assert "1 event and 1 letter and answer of this request follow" in text
    assert "Mon 2026-11-16" in text


def test_a_request_gone_from_the_config_is_said_in_spanish(tmp_path: Path) -> None:
    from iepd.trail.export import cover_for

    config = spanish_config(tmp_path)  # its request is "sam-request", the trail's "sam-1"
    made = cover_for(config, trail([event_row(1, "request_sent")]), T0)
    assert made.concern == "(esta solicitud ya no está en la configuración)"
    assert made.language == "es"
    assert made.reason == "servicios que no se han dado como dice el IEP"
