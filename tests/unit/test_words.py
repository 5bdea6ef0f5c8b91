"""Every language iepd writes has its words in every table (letters/words.py and the export
page's, trail/export_words.py): a key in English and not in Spanish would reach a Spanish
parent as a KeyError, or as English."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from iepd.config.model import LANGUAGES, REASONS
from iepd.letters import words
from iepd.letters.reminders import REMINDER_KINDS
from iepd.trail import export_words

TABLES_BY_LANGUAGE: dict[str, Mapping[str, Mapping[str, object]]] = {
    "REASON_LABELS": words.REASON_LABELS,
    "PRONOUNS": words.PRONOUNS,
    "CHILD_NOUN": words.CHILD_NOUN,
    "REMINDER_SUBJECTS": words.REMINDER_SUBJECTS,
    "LETTER_NAMES_BY_LANGUAGE": words.LETTER_NAMES_BY_LANGUAGE,
    "DURATION_UNITS": words.DURATION_UNITS,
    "AT_TIME": words.AT_TIME,
    "PRINTED": words.PRINTED,
    "SMTP_FAILURES": words.SMTP_FAILURES,
    "SMTP_WHAT": words.SMTP_WHAT,
    "EVENT_LABELS": export_words.EVENT_LABELS,
    "MESSAGE_LABELS": export_words.MESSAGE_LABELS,
    "STEP_NOTES": export_words.STEP_NOTES,
    "PAGE_WORDS": export_words.PAGE_WORDS,
}
WORDS_BY_LANGUAGE: dict[str, Mapping[str, str]] = {
    "REQUEST_SUBJECT": words.REQUEST_SUBJECT,
    "URGENT_PREFIX": words.URGENT_PREFIX,
    "THREAD_SUBJECT": words.THREAD_SUBJECT,
    "SUBJECT_DAY": words.SUBJECT_DAY,
    "LETTER": words.LETTER,
    "AND": words.AND,
    "NO_TIME": words.NO_TIME,
}


@pytest.mark.parametrize("name", sorted(TABLES_BY_LANGUAGE))
def test_every_language_has_every_key(name: str) -> None:
    table = TABLES_BY_LANGUAGE[name]
    assert set(table) == set(LANGUAGES)
    english = set(table["en"])
    for language in LANGUAGES:
        assert set(table[language]) == english, (name, language)


@pytest.mark.parametrize("name", sorted(WORDS_BY_LANGUAGE))
def test_every_language_has_its_word(name: str) -> None:
    assert set(WORDS_BY_LANGUAGE[name]) == set(LANGUAGES)


def test_the_tables_cover_every_reason_and_reminder_kind() -> None:
    assert set(words.REASON_LABELS["en"]) == set(REASONS)
    assert set(words.REMINDER_SUBJECTS["en"]) == set(REMINDER_KINDS)
