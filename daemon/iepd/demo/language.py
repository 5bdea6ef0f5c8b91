"""`iepd demo --language es`: the same family, reading iepd in Spanish (issue 16).

The demo's config is written in English by ``cast``; this adds the two language keys to its
[parent] table and, in Spanish, gives the parent's own words (the concerns and the times
that suit her) in Spanish too, so that everything iepd writes to her and for her is Spanish.
The school's staff still answer in English, as most schools do.
"""

from __future__ import annotations

from pathlib import Path

from iepd.config.model import LANGUAGES

# How the parent approves a draft: the command, and the reminder as her mail program quotes
# it below.
PARENT_REPLY = {
    "en": ("SEND", "On a weekday, iepd wrote:\n> iepd has drafted a letter."),
    "es": ("ENVIAR", "El martes, iepd escribió:\n> iepd preparó un borrador."),
}

# What the demo parent wrote in English, and what a Spanish-speaking parent would write
# (the school's name and the staff's are the school's own).
SPANISH_WORDS = {
    '"Mon or Wed after 3:30 pm", "Fri 8-10 am"': (
        '"lunes o miércoles después de las 3:30 p.m.", "viernes de 8 a 10 a.m."'
    ),
    "Since October Sam has received about half of his speech sessions.": (
        "Desde octubre, Sam ha recibido solo la mitad de sus sesiones de terapia del habla."
    ),
    "Maya's reading fluency has dropped since the fall benchmark.": (
        "La fluidez lectora de Maya ha bajado desde la evaluación de otoño."
    ),
    "Eli has been sent home early three times this month.": (
        "Este mes han mandado a Eli a casa temprano tres veces."
    ),
    "Noa's private evaluation found a written-expression disorder.": (
        "La evaluación privada de Noa encontró un trastorno de la expresión escrita."
    ),
    "Ava's occupational therapy stopped in November without notice.": (
        "La terapia ocupacional de Ava se suspendió en noviembre sin aviso."
    ),
    'service = "60 minutes per week of speech-language therapy in a small group"': (
        'service = "60 minutos por semana de terapia del habla en grupo pequeño"'
    ),
    'grade = "2nd grade"': 'grade = "2.º grado"',
    'grade = "3rd grade"': 'grade = "3.er grado"',
    'grade = "4th grade"': 'grade = "4.º grado"',
    'grade = "5th grade"': 'grade = "5.º grado"',
    'grade = "7th grade"': 'grade = "7.º grado"',
    'areas = "written expression"': 'areas = "expresión escrita"',
    'evaluator = "Dr. Morgan Patel, licensed psychologist"': (
        'evaluator = "la Dra. Morgan Patel, psicóloga con licencia"'
    ),
}


def set_language(config_path: Path, language: str) -> None:
    """Given the demo's config file and a language iepd writes, make the parent read iepd,
    and the school get its letters, in that language. Raise ValueError for another one."""
    if language not in LANGUAGES:
        raise ValueError(f"the demo speaks {', '.join(LANGUAGES)}, not {language!r}")
    if language == "en":
        return
    text = config_path.read_text(encoding="utf-8")
    keys = f'language = "{language}"\nletters_language = "{language}"\n'
    text = text.replace("[parent]\n", f"[parent]\n{keys}", 1)
    for english, spanish in SPANISH_WORDS.items():
        text = text.replace(english, spanish)
    config_path.write_text(text, encoding="utf-8")
