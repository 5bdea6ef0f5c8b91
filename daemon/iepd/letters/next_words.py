"""What iepd will do next about a school's message, and how to stop it, in one paragraph for
the reminder about that message (issue 15: "every reminder about an answer says what iepd
will do next and when"). The planner (``decide.conversation``) decides the same from the
same rules; these words only tell the parent.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from iepd.config.model import Config
from iepd.decide.schooldays import next_window_instant, shift
from iepd.decide.when_named import names_a_time
from iepd.letters.text_format import long_date

# The paragraph's sentences per language (the reminder's: parent.language). {on_send} is the
# ON_SEND sentence, {shown} SHOWN, {how} either AT_ONCE or ON_SEND, {when} a date.
_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "shown": "A separate reminder shows you the letter.",
        "on_send": "It goes out only when you reply SEND to the reminder that shows it (or run:"
        " iepd send {id}).",
        "at_once": "iepd sends it at once",
        "answer_named": "What iepd will do next: the school's message seems to name a day or a"
        " time. If a meeting date is set, reply MEETING and the date (for example MEETING Dec 8"
        " 3:30 pm): iepd then drafts a letter confirming it. iepd has also drafted a letter"
        " asking for the date; it does not send it by itself. {on_send} To stop, reply CLOSE.",
        "answer_auto": "What iepd will do next: unless the school gives a date first, iepd will"
        " ask for one in writing on {when}, unless you reply MEETING and the date (if one is"
        " set) or CLOSE. {shown}",
        "answer": "What iepd will do next: it has drafted a letter asking the school when the"
        " meeting will be held. {on_send} Reply MEETING and the date if one is set, or CLOSE to"
        " stop.",
        "informal_auto": "What iepd will do next: it sends the school a letter that thanks it for"
        " the offer and asks again for a formal IEP meeting with the full team, then follows up"
        " if the school stays silent. {shown} Reply CLOSE to stop, or ANSWER if the school did"
        " agree to the meeting.",
        "informal": "What iepd will do next: it has drafted a letter that thanks the school for"
        " the offer and asks again for a formal IEP meeting with the full team. {on_send} Reply"
        " CLOSE to stop, or ANSWER if the school did agree to the meeting.",
        "declined": "What iepd will do next: unless the school sent prior written notice of its"
        " refusal, iepd drafts a letter asking for it (IDEA, 34 CFR 300.503). {how} Reply CLOSE"
        " to stop, or INFORMAL or ANSWER if iepd misread the message.",
        "invite": "What iepd will do next: it drafts a letter confirming the date, time and"
        " place, naming who you bring and asking for the papers beforehand. {how} After the"
        " meeting it asks you what was agreed, to send the school a recap. Reply CLOSE to stop.",
    },
    "es": {
        "shown": "Le mostrará la carta en otro correo.",
        "on_send": "Solo sale cuando usted conteste ENVIAR al correo que se la muestra (o"
        " escriba en su computadora: iepd send {id}).",
        "at_once": "iepd la envía enseguida.",
        "answer_named": "Lo que iepd hará después: parece que el mensaje de la escuela menciona un"
        " día o una hora. Si ya hay fecha para la reunión, conteste REUNIÓN y la fecha (por"
        " ejemplo, REUNIÓN 8 dic 3:30 p.m.): iepd preparará una carta para confirmarla. iepd"
        " también preparó una carta para pedir la fecha, pero no la enviará por su cuenta."
        " {on_send} Para parar, conteste CERRAR.",
        "answer_auto": "Lo que iepd hará después: si la escuela no da una fecha antes, iepd la"
        " pedirá por escrito el {when}, a menos que usted conteste REUNIÓN y la fecha (si ya hay"
        " una) o CERRAR. {shown}",
        "answer": "Lo que iepd hará después: preparó una carta para preguntarle a la escuela"
        " cuándo será la reunión. {on_send} Conteste REUNIÓN y la fecha si ya hay una, o CERRAR"
        " para parar.",
        "informal_auto": "Lo que iepd hará después: le envía a la escuela una carta que agradece"
        " la oferta y vuelve a pedir una reunión formal del IEP con todo el equipo, y después"
        " enviará una carta de seguimiento si la escuela no contesta. {shown} Para parar,"
        " conteste CERRAR; si la escuela sí aceptó la reunión, conteste RESPUESTA.",
        "informal": "Lo que iepd hará después: preparó una carta que agradece la oferta y vuelve a"
        " pedir una reunión formal del IEP con todo el equipo. {on_send} Para parar, conteste"
        " CERRAR; si la escuela sí aceptó la reunión, conteste RESPUESTA.",
        "declined": "Lo que iepd hará después: si la escuela no le envió el aviso previo por"
        " escrito de su negativa, iepd prepara una carta para pedirlo (IDEA, 34 CFR 300.503)."
        " {how} Para parar, conteste CERRAR. Si iepd entendió mal el mensaje, conteste INFORMAL"
        " (si solo le ofrecieron una plática) o RESPUESTA (si la escuela sí respondió a su"
        " solicitud).",
        "invite": "Lo que iepd hará después: prepara una carta que confirma la fecha, la hora y el"
        " lugar, dice quién irá con usted y pide los documentos con anticipación. {how} Después"
        " de la reunión le preguntará qué se acordó, para enviarle un resumen a la escuela. Para"
        " parar, conteste CERRAR.",
    },
}


def next_step_words(config: Config, request_id: str, klass: str, at: datetime, text: str) -> str:
    """Given the config, a request, the class of the school's message, when iepd read it and
    its new text, return the paragraph saying what iepd does next, when, and how to stop it,
    in the parent's language ("" for a class that starts nothing)."""
    auto = config.assist.auto_send
    said = _WORDS[config.parent.language]
    on_send = said["on_send"].format(id=request_id)
    shown = said["shown"]
    if klass == "answer":
        if names_a_time(text):
            return said["answer_named"].format(on_send=on_send)
        if "ask_for_date" in auto:
            return said["answer_auto"].format(when=_ask_date(config, at), shown=shown)
        return said["answer"].format(on_send=on_send)
    if klass == "informal":
        if "insist" in auto:
            return said["informal_auto"].format(shown=shown)
        return said["informal"].format(on_send=on_send)
    if klass == "declined":
        how = said["at_once"] if "pwn_request" in auto else on_send
        return said["declined"].format(how=how)
    if klass == "invite":
        how = said["at_once"] if "confirm" in auto else on_send
        return said["invite"].format(how=how)
    return ""


def _ask_date(config: Config, at: datetime) -> str:
    zone = ZoneInfo(config.parent.timezone)
    timing = config.timing
    due = shift(
        at, timing.followup_after, zone,
        business_days=timing.business_days, holidays=timing.holidays,
    )  # fmt: skip
    instant = next_window_instant(due, timing.send_window, zone)
    return long_date(instant, zone, config.parent.language)
