"""Why iepd did not act on the parent's reply, in the parent's language (issue 16).

The rules that refuse a command (``decide.commands``), the moves (``run.parent_moves``) and
the reading of a meeting's date (``decide.meeting_time``) say why in English sentences, and
the inbox hands that sentence to the ``command_refused`` reminder. Here each sentence's
shape is paired with its Spanish: a Spanish reminder reads the English back and says it in
Spanish, keeping what the parent wrote and the request's id. A sentence with no pair here
is not shown in Spanish (the reminder then lists what can go wrong). Data only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_EXAMPLE_EN = 'write it like "MEETING Dec 8 3:30 pm" or "MEETING 12/8 15:30"'
# No numeric date in Spanish: "12/8" is December 8 to iepd and August 12 to many families.
_EXAMPLE_ES = 'escríbala así: "REUNIÓN 8 dic 3:30 p.m.", con el mes en letras'

# English shape ({field}: any text, kept) -> Spanish.
REFUSALS: Mapping[str, Mapping[str, str]] = {
    "es": {
        '"{word}" is not one of iepd\'s commands': '"{word}" no es una de las palabras que iepd'
        " entiende",
        "the reminder you answered is more than {days} days old, so iepd does not act on a"
        " reply to it; please answer a newer reminder, or use the iepd command on your"
        " computer": "el recordatorio que contestó tiene más de {days} días, así que iepd no"
        " hace caso a una respuesta a él; por favor, conteste un recordatorio más reciente, o"
        " use iepd en su computadora",
        "request {id} is closed: nothing more is sent": "la solicitud {id} está cerrada: no se"
        " envía nada más",
        "there is no draft waiting to be sent for {id}": "no hay ningún borrador esperando para"
        " enviarse en {id}",
        "SEND sends the draft shown in a reminder, and the reminder you answered shows none;"
        " please answer the reminder that shows the draft": "ENVIAR envía el borrador que"
        " aparece en un recordatorio, y el que usted contestó no tiene ninguno; por favor,"
        " conteste el recordatorio que muestra el borrador",
        "the draft in the reminder you answered is no longer the one waiting: a newer one"
        " replaced it; please answer the reminder that shows the newer draft": "el borrador de"
        " ese recordatorio ya no es el que espera: lo reemplazó uno más nuevo; por favor,"
        " conteste el recordatorio que muestra el borrador nuevo",
        "{name} corrects iepd's reading of a message from the school, and the reminder you"
        " answered is not about one": "esa palabra corrige cómo leyó iepd un mensaje de la"
        " escuela, y el recordatorio que contestó no trata de ninguno",
        "the school has written again since that reminder; please answer the reminder about"
        " its newest message": "la escuela volvió a escribir después de ese recordatorio; por"
        " favor, conteste el recordatorio sobre su mensaje más reciente",
        'MEETING needs the date and time, like "MEETING Dec 8 3:30 pm"': "REUNIÓN necesita la"
        ' fecha y la hora, por ejemplo "REUNIÓN 8 dic 3:30 p.m."',
        "AGREED needs what was agreed, one item per line below the word AGREED": "ACORDADO"
        " necesita lo que se acordó, un punto por línea debajo de la palabra ACORDADO",
        "the school wrote again after this draft for {id} was made, so it was not sent; iepd"
        " will show you what it suggests now": "la escuela volvió a escribir después de que se"
        " preparó este borrador para {id}, así que no se envió; iepd le dirá lo que sugiere"
        " ahora",
        "{id} is already closed": "{id} ya está cerrada",
        "no agreements were listed: write AGREED, then one agreement per line": "no se anotó"
        " ningún acuerdo: escriba ACORDADO y, debajo, un acuerdo por línea",
        "iepd knows of no meeting for {id}; reply MEETING and its date and time first": "iepd"
        " no sabe de ninguna reunión para {id}; primero conteste REUNIÓN con la fecha y la hora",
        "there is no message from the school for {id} yet": "todavía no hay ningún mensaje de"
        " la escuela para {id}",
        "iepd already reads the school's newest message as {klass}": "iepd ya lee así el"
        " mensaje más reciente de la escuela",
        "there is no request {id}": "no existe la solicitud {id}",
        f"no date and time were given: {_EXAMPLE_EN}": "no puso la fecha ni la hora:"
        f" {_EXAMPLE_ES}",
        f"that is too long to be a date and time: {_EXAMPLE_EN}": "es demasiado largo para ser"
        f" una fecha y una hora: {_EXAMPLE_ES}",
        f'iepd could not find a date in "{{text}}": {_EXAMPLE_EN}': "iepd no encontró una"
        f' fecha en "{{text}}": {_EXAMPLE_ES}',
        f'iepd could not find a time of day in "{{text}}": {_EXAMPLE_EN}': "iepd no encontró"
        f' una hora en "{{text}}": {_EXAMPLE_ES}',
        "two different weekdays were given: please give one": "puso dos días de la semana"
        " distintos: por favor, ponga uno solo",
        "{date} is not a date on the calendar": "{date} no es una fecha del calendario",
        'iepd cannot tell the month from the day in "{date}": write the month in letters, like'
        ' "MEETING 8 Dec 3:30 pm"': 'iepd no sabe cuál es el día y cuál el mes en "{date}":'
        ' escriba el mes con letras, por ejemplo "REUNIÓN 8 dic 3:30 p.m."',
    },
}


def _pattern(shape: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", shape)
    return re.compile(
        "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
            for index, part in enumerate(parts)
        )
    )


# The inbox puts this before why a MEETING's date could not be read (inbox.replies).
_DATE_UNREAD = "the date could not be read: "


def refusal_in(reason: str, language: str) -> str:
    """Given the English reason iepd gave for not acting on a reply and a language, return
    it in that language; "" when there are no words for it there (English: unchanged)."""
    if language == "en":
        return reason
    if reason.startswith(_DATE_UNREAD):
        return refusal_in(reason.removeprefix(_DATE_UNREAD), language)
    for english, translated in REFUSALS.get(language, {}).items():
        found = _pattern(english).fullmatch(reason.strip().rstrip("."))
        if found is not None:
            return translated.format(**found.groupdict())
    return ""
