"""What iepd did on the parent's command, in the parent's language (issue 16).

The moves (``run.parent_moves``) say what they did in an English sentence, which the inbox
hands to the ``command_done`` reminder. Here each sentence's shape is paired with its
Spanish: a Spanish reminder reads the English back and says it in Spanish, with the
request's id, the letter's name and the meeting's time in Spanish. A sentence with no pair
is not shown in Spanish (the reminder then says what the command does). Data only, but for
reading the English meeting time back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime

from iepd.letters.words import ZONE_WORDS
from iepd.vocabulary import LETTER_NAMES

# English shape ({field}: kept, {letter}: a letter's English name, {when}: an English date
# and time, {count}: a number) -> Spanish, by the CLDR plural category of {count}.
DONE: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "es": {
        "Your {letter} for {id} is queued and goes out now, exactly as shown": {
            "other": "Su {letter} para {id} ya está lista y se envía ahora, tal como se la"
            " mostramos",
        },
        "{id} is closed: iepd sends nothing more about it": {
            "other": "{id} quedó cerrada: iepd no enviará nada más sobre ella",
        },
        "The meeting for {id} is set for {when}. iepd drafts a letter confirming it, reminds"
        " you before it, and asks you afterwards what was agreed": {
            "other": "La reunión de {id} quedó fijada para el {when}. iepd prepara una carta"
            " para confirmarla, le avisará antes y después le preguntará qué se acordó",
        },
        "iepd drafted the recap of the meeting for {id} with {count} item{s}; it is sent only"
        " when you reply SEND to the reminder that shows it (or run: iepd send {cli})": {
            "one": "iepd preparó el resumen de la reunión de {id} con {count} punto; solo se"
            " envía cuando usted conteste ENVIAR al correo que lo muestra (o escriba en su"
            " computadora: iepd send {cli})",
            "other": "iepd preparó el resumen de la reunión de {id} con {count} puntos; solo se"
            " envía cuando usted conteste ENVIAR al correo que lo muestra (o escriba en su"
            " computadora: iepd send {cli})",
        },
        "iepd now reads the school's message of {id} as {klass}, and plans the next steps"
        " from that": {
            "other": "iepd ahora lee el mensaje de la escuela de {id} como {klass}, y planea los"
            " siguientes pasos según eso",
        },
    },
}
# parent_moves' words for a class, in Spanish
CLASS_WORDS: Mapping[str, Mapping[str, str]] = {
    "es": {
        "an answer": "una respuesta",
        "a refusal": "una negativa",
        "an offer of less than an IEP meeting": "una oferta de algo menos que una reunión del IEP",
        "an automatic reply (not an answer)": "una respuesta automática (no es una respuesta)",
    },
}
_ENGLISH_WHEN = re.compile(
    r"(?P<day>\w+, \w+ \d{1,2}, \d{4}) at (?P<hour>\d{1,2}):(?P<minute>\d\d) (?P<half>am|pm)"
    r"(?: (?P<zone>\S+))?"
)


def done_in(
    text: str,
    language: str,
    *,
    letter_in: Callable[[str], str],
    when_in: Callable[[datetime], str],
    plural_in: Callable[[int], str],
) -> str:
    """Given iepd's English sentence of what it did and a language, return it in that
    language ("" when there are no words for it there; English: unchanged). ``letter_in``
    names a letter, ``when_in`` writes a local time, ``plural_in`` gives a count's CLDR
    plural category, each in the language."""
    if language == "en":
        return text
    for english, forms in DONE.get(language, {}).items():
        found = _pattern(english).fullmatch(text.strip().rstrip("."))
        if found is None:
            continue
        fields = found.groupdict()
        if "letter" in fields:
            fields["letter"] = letter_in(fields["letter"])
        if "when" in fields:
            fields["when"] = _when(fields["when"], when_in, language)
        if "klass" in fields:
            fields["klass"] = CLASS_WORDS[language].get(fields["klass"], fields["klass"])
        form = plural_in(int(fields["count"])) if "count" in fields else "other"
        return forms.get(form, forms["other"]).format(**fields)
    return ""


def _when(english: str, when_in: Callable[[datetime], str], language: str) -> str:
    found = _ENGLISH_WHEN.fullmatch(english)
    if found is None:
        return english
    day = datetime.strptime(found["day"], "%A, %B %d, %Y")
    hour = int(found["hour"]) % 12 + (12 if found["half"] == "pm" else 0)
    local = day.replace(hour=hour, minute=int(found["minute"]))
    said = ZONE_WORDS.get(language, {}).get(found["zone"] or "")
    zone = f" ({said})" if said else f" {found['zone']}" if found["zone"] else ""
    return f"{when_in(local)}{zone}"


# What each field can be: a request's id is one word, a letter one of iepd's names for it.
_FIELDS = {
    "id": r"\S+",
    "cli": r"\S+",
    "count": r"\d+",
    "s": "s?",
    "letter": "|".join(re.escape(name) for name in LETTER_NAMES.values()),
}


def _pattern(shape: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", shape)
    return re.compile(
        "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>{_FIELDS.get(part, '.+?')})"
            for index, part in enumerate(parts)
        )
    )
