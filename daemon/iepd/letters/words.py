"""The words iepd writes from Python rather than from a template, per language: the reminder
subjects, the reason labels, the pronouns, the request's subject, the names of the letters
and the units of a delay. Data only: a translation is a new column, never a new code path.

The templates hold everything else; a language iepd writes has one entry in every table
here (tests/unit/test_words.py checks that).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from iepd.decide.conversation import NAMED_A_TIME
from iepd.letters.refusals import refusal_in
from iepd.vocabulary import LETTER_NAMES

# "Re:" and "URGENT:" prefixes, the subject of the request letter ({name}: the child's).
REQUEST_SUBJECT: Mapping[str, str] = {
    "en": "Request for an IEP meeting for {name}",
    "es": "Solicitud de una reunión del IEP para {name}",
}
URGENT_PREFIX: Mapping[str, str] = {"en": "URGENT: ", "es": "URGENTE: "}
# A drafted letter's subject when the message it answers had none ("Re: IEP meeting").
THREAD_SUBJECT: Mapping[str, str] = {"en": "IEP meeting", "es": "Reunión del IEP"}

REASON_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "general": "a concern that has come up during the school year",
        "services_not_delivered": "services not delivered as written in the IEP",
        "outside_evaluation": "a new outside evaluation",
        "regression": "a loss of progress or of skills",
        "change_in_functioning": "a significant change in functioning",
        "placement_change": "a change of placement or program",
        "behavior": "behavior incidents and discipline",
        "transition": "an upcoming transition",
        "new_data": "new information and data",
    },
    "es": {
        "general": "una preocupación que ha surgido durante el año escolar",
        "services_not_delivered": "servicios que no se han dado como dice el IEP",
        "outside_evaluation": "una evaluación externa nueva",
        "regression": "una pérdida de progreso o de habilidades",
        "change_in_functioning": "un cambio importante en su desempeño",
        "placement_change": "un cambio de ubicación o de programa",
        "behavior": "incidentes de conducta y medidas disciplinarias",
        "transition": "una transición que se acerca",
        "new_data": "información y datos nuevos",
    },
}

# (they, them, their) by the child's configured pronouns. Spanish templates say "su" for
# "their", and for a child who uses "they" name the child instead of a pronoun, as Spanish
# speakers usually do: (they) is then the child's first name, filled in by ``compose``.
PRONOUNS: Mapping[str, Mapping[str, tuple[str, str, str]]] = {
    "en": {
        "he": ("he", "him", "his"),
        "she": ("she", "her", "her"),
        "they": ("they", "them", "their"),
    },
    "es": {
        "he": ("él", "lo", "su"),
        "she": ("ella", "la", "su"),
        "they": ("", "", "su"),
    },
}
# The noun for the child and the ending of an adjective that agrees with the child, for the
# Spanish templates ("mi hijo", "inscrito"); "they" takes both forms, as forms do.
CHILD_NOUN: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "en": {"he": ("son", ""), "she": ("daughter", ""), "they": ("child", "")},
    "es": {"he": ("hijo", "o"), "she": ("hija", "a"), "they": ("hijo/a", "o/a")},
}

# The subject of each reminder, after "[iepd] ". {name}: the child's name; {command},
# {draft_name} and {letter} come from the reminder's context.
REMINDER_SUBJECTS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "sent": "Sent: your request for an IEP meeting for {name}",
        "answer": "The school answered about {name}'s IEP meeting",
        "auto_reply": "Auto-reply (not an answer) about {name}'s IEP meeting",
        "bounce": "Not delivered: your request for an IEP meeting for {name}",
        "declined": "School declined {name}'s IEP meeting: your options",
        "informal": "School offered a talk instead of {name}'s IEP meeting",
        "invite": "Invitation to {name}'s IEP meeting",
        "followup_sent": "Follow-up sent: no answer yet about {name}'s IEP meeting",
        "escalation_sent": "Second follow-up sent for {name}'s IEP meeting",
        "no_response": "Still no answer about {name}'s IEP meeting: your options",
        "meeting_prep": "Prepare for {name}'s IEP meeting",
        "after_meeting": "After {name}'s IEP meeting: get it in writing",
        "deadline_passed": "The deadline for {name}'s IEP meeting has passed",
        "send_failed": "Not sent: your letter about {name}'s IEP meeting",
        "send_uncertain": "Please check whether your letter about {name} was sent",
        "sent_copy_failed": "Sent, but not copied to your Sent folder: your letter about {name}",
        "command_done": "Done: {command} for {name}'s IEP meeting request",
        "command_refused": "Not done: your reply about {name}'s IEP meeting request",
        "help": "The commands you can reply with about {name}'s IEP meeting request",
        "draft_ready": "Draft to approve: your {draft_name} about {name}'s IEP meeting",
        "recap_due": "After {name}'s IEP meeting: what was agreed?",
        "letter_sent": "Sent: your {letter} about {name}'s IEP meeting",
    },
    "es": {
        "sent": "Enviada: su solicitud de una reunión del IEP para {name}",
        "answer": "La escuela respondió sobre la reunión del IEP de {name}",
        "auto_reply": "Respuesta automática (no es una respuesta de la escuela) sobre {name}",
        "bounce": "No se entregó: su solicitud de reunión del IEP para {name}",
        "declined": "La escuela negó la reunión del IEP de {name}: sus opciones",
        "informal": "La escuela ofreció una plática en vez de la reunión del IEP de {name}",
        "invite": "Invitación a la reunión del IEP de {name}",
        "followup_sent": "iepd envió una carta de seguimiento: aún sin respuesta sobre {name}",
        "escalation_sent": "iepd envió una segunda carta de seguimiento sobre {name}",
        "no_response": "Sigue sin respuesta su solicitud de reunión del IEP de {name}: sus"
        " opciones",
        "meeting_prep": "Prepárese para la reunión del IEP de {name}",
        "after_meeting": "Después de la reunión del IEP de {name}: pídalo por escrito",
        "deadline_passed": "Ya pasó el plazo para la reunión del IEP de {name}",
        "send_failed": "No se envió: su carta sobre la reunión del IEP de {name}",
        "send_uncertain": "Por favor, revise si se envió su carta sobre {name}",
        "sent_copy_failed": "Enviada, pero sin copia en su carpeta de enviados: carta sobre {name}",
        "command_done": "Hecho: {command} para la solicitud de reunión de {name}",
        "command_refused": "No se hizo: su respuesta sobre la reunión del IEP de {name}",
        "help": "Cómo contestarle a iepd sobre la reunión del IEP de {name}",
        "draft_ready": "Borrador para aprobar ({name}): {draft_name}",
        "recap_due": "Después de la reunión del IEP de {name}: ¿qué se acordó?",
        "letter_sent": "Enviada ({name}): su {letter}",
    },
}
# After the subject of an invitation or a meeting reminder: the day of the meeting.
SUBJECT_DAY: Mapping[str, str] = {"en": " on {day}", "es": ": {day}"}

# The letters by purpose, as a reminder names them ("your {letter}").
LETTER_NAMES_BY_LANGUAGE: Mapping[str, Mapping[str, str]] = {
    "en": LETTER_NAMES,
    "es": {
        "request": "solicitud de una reunión del IEP",
        "followup": "carta de seguimiento",
        "escalation": "segunda carta de seguimiento",
        "ask_for_date": "carta para pedir una fecha de reunión",
        "insist": "carta para volver a pedir una reunión formal del IEP",
        "pwn_request": "carta para pedir el aviso previo por escrito",
        "confirm": "carta para confirmar la reunión",
        "recap": "carta de resumen de la reunión",
    },
}
LETTER: Mapping[str, str] = {"en": "letter", "es": "carta"}

# The commands by email as a reminder names them (the inbox passes the English name of the
# command the parent gave, whichever language it was written in).
COMMAND_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {},
    "es": {
        "SEND": "ENVIAR", "CLOSE": "CERRAR", "MEETING": "REUNIÓN", "AGREED": "ACORDADO",
        "HELP": "AYUDA", "DECLINED": "NEGADA", "INFORMAL": "INFORMAL", "ANSWER": "RESPUESTA",
        "AUTO": "AUTOMÁTICA",
    },
}  # fmt: skip

# The printed letter's words (`iepd print`), in the letter's language.
PRINTED: Mapping[str, Mapping[str, str]] = {
    "en": {
        "case_manager": "case manager",
        "principal": "principal",
        "copy": "Copy: {line}",
        "page": "Page {number} of {total}",
    },
    "es": {
        "case_manager": "administrador/a de caso",
        "principal": "director/a",
        "copy": "Copia: {line}",
        "page": "Página {number} de {total}",
    },
}

# The units of a delay, by CLDR plural category (Babel says which category a number takes).
DURATION_UNITS: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "en": {
        "day": {"one": "day", "other": "days"},
        "school day": {"one": "school day", "other": "school days"},
        "hour": {"one": "hour", "other": "hours"},
        "minute": {"one": "minute", "other": "minutes"},
        "second": {"one": "second", "other": "seconds"},
    },
    "es": {
        "day": {"one": "día", "other": "días"},
        "school day": {"one": "día escolar", "other": "días escolares"},
        "hour": {"one": "hora", "other": "horas"},
        "minute": {"one": "minuto", "other": "minutos"},
        "second": {"one": "segundo", "other": "segundos"},
    },
}
AND: Mapping[str, str] = {"en": " and ", "es": " y "}
NO_TIME: Mapping[str, str] = {"en": "no time", "es": "nada de tiempo"}
# Between a date and its time of day: "at 3:30 pm", "a las 3:30 p.m." ("a la 1:00 p.m.").
AT_TIME: Mapping[str, Mapping[str, str]] = {
    "en": {"one": " at ", "other": " at "},
    "es": {"one": " a la ", "other": " a las "},
}
# The US zones' abbreviations said in words after a time ("3:30 p.m. (hora del Centro)"): an
# English abbreviation means nothing to a Spanish reader. A zone not here keeps its own.
ZONE_WORDS: Mapping[str, Mapping[str, str]] = {
    "es": {
        "EST": "hora del Este", "EDT": "hora del Este",
        "CST": "hora del Centro", "CDT": "hora del Centro",
        "MST": "hora de la Montaña", "MDT": "hora de la Montaña",
        "PST": "hora del Pacífico", "PDT": "hora del Pacífico",
        "AKST": "hora de Alaska", "AKDT": "hora de Alaska",
        "HST": "hora de Hawái",
    },
}  # fmt: skip


def letter_name(english_name: str, language: str) -> str:
    """Given a letter's English name (as the outbox and the planner pass it in a reminder's
    context) and a language, return its name in that language; an unknown name unchanged."""
    for purpose, name in LETTER_NAMES.items():
        if name == english_name:
            return LETTER_NAMES_BY_LANGUAGE[language][purpose]
    return english_name


def translated_context(context: Mapping[str, object], language: str) -> dict[str, object]:
    """Given a reminder's context, return the letter names it holds ("letter", "draft_name")
    and the command it answers ("command") in ``language``: the outbox, the planner and the
    inbox name them in English."""
    found: dict[str, object] = {
        key: letter_name(value, language)
        for key in ("letter", "draft_name")
        if isinstance(value := context.get(key), str)
    }
    command = context.get("command")
    if isinstance(command, str):
        found["command"] = COMMAND_WORDS[language].get(command, command)
    error = context.get("error")
    if isinstance(error, str):
        found["error"] = translated_failure(error, language)
    reason = context.get("reason")
    if isinstance(reason, str):
        found["reason"] = refusal_in(reason, language)
    why = context.get("why")
    if isinstance(why, str) and why and language != "en":
        # an English reason iepd has no words for is left out rather than shown in English
        found["why"] = WHY_DRAFT_WAITS.get(why, {}).get(language, "")
    return found


# Why a draft waits for the parent although its kind is in auto_send (draft_ready's "why").
WHY_DRAFT_WAITS: Mapping[str, Mapping[str, str]] = {
    NAMED_A_TIME: {
        "es": "Parece que el mensaje de la escuela menciona un día o una hora para la reunión,"
        " así que iepd no enviará esta carta por su cuenta. Si ya hay fecha, conteste mejor"
        " REUNIÓN y la fecha (por ejemplo, REUNIÓN 8 dic 3:30 p.m.): iepd la confirmará por"
        " escrito.",
    },
}

# The mail server's permanent refusals, the failures that reach the parent in a reminder
# (send_failed): {where} is "SMTP host:port", {what} one of SMTP_WHAT, {reply} the server's
# own words, which stay as it wrote them. mail/smtp_failures.py writes the English ones;
# ``translated_failure`` reads them back into another language.
SMTP_FAILURES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "refused": "{where} refused {what} for good (permanent failure, it answered {reply})",
        "refused_all": "{where} refused every recipient for good (permanent failure: {reply})",
        # outbox/sender.py, when the letter went to some recipients only
        "refused_some": "the server refused some recipients: {reply}",
    },
    "es": {
        "refused": "el servidor de correo ({where}) rechazó {what} de forma definitiva"
        " (error permanente; respondió: {reply})",
        "refused_all": "el servidor de correo ({where}) rechazó a todos los destinatarios de"
        " forma definitiva (error permanente: {reply})",
        "refused_some": "el servidor de correo rechazó a algunos destinatarios: {reply}",
    },
}
SMTP_WHAT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "sender": "the sender {address}",
        "recipient": "the recipient {address}",
        "message": "the message",
        "connection": "the connection",
    },
    "es": {
        "sender": "el remitente {address}",
        "recipient": "el destinatario {address}",
        "message": "el mensaje",
        "connection": "la conexión",
    },
}


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile(
        "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
            for index, part in enumerate(parts)
        )
    )


def translated_failure(text: str, language: str) -> str:
    """Given a failure sentence iepd wrote in English (SMTP_FAILURES), return it in
    ``language``, the server's own reply unchanged; any other text unchanged."""
    if language == "en":
        return text
    for key, english in SMTP_FAILURES["en"].items():
        found = _pattern(english).fullmatch(text)
        if found is None:
            continue
        fields = found.groupdict()
        if "what" in fields:
            fields["what"] = _translated_what(fields["what"], language)
        return SMTP_FAILURES[language][key].format(**fields)
    return text


def _translated_what(text: str, language: str) -> str:
    for key, english in SMTP_WHAT["en"].items():
        found = _pattern(english).fullmatch(text)
        if found is not None:
            return SMTP_WHAT[language][key].format(**found.groupdict())
    return text
