"""Whether a school's answer names a day or a time (issue 15: it then never sends
ask_for_date by itself)."""

from __future__ import annotations

import pytest

from iepd.decide.when_named import names_a_time


@pytest.mark.parametrize(
    "text",
    [
        "Could we meet Tuesday after school?",
        "How about Dec 8?",
        "We can do December 8th at the school.",
        "Would 3:30 work for you?",
        "Let's meet at 3 pm in room 12.",
        "Is 12/8 good?",
        "¿Le parece bien el martes?",
        "Podemos reunirnos el 8 de diciembre.",
        "We could meet on May 4.",
    ],
)
def test_a_day_a_date_or_a_time_is_named(text: str) -> None:
    assert names_a_time(text)


@pytest.mark.parametrize(
    "text",
    [
        "We will schedule the meeting next week.",
        "Thank you, we received your letter and will be in touch soon.",
        "We may need more time to find a date.",
        "Gracias, le escribiremos pronto.",
        "The team will meet within 30 days.",
        "",
    ],
)
def test_next_week_or_no_date_names_none(text: str) -> None:
    assert not names_a_time(text)
