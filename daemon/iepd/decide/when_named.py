"""PURE: whether a school's new text names a day or a time for the meeting (issue 15).

SPEC: "a day or time means a weekday, a calendar date or a clock time ("Tuesday", "Dec 8",
"3:30"); "next week" is none". An answer that names one never sends ``ask_for_date`` on its
own: the school may have offered a date, and the parent decides. English and Spanish.
"""

from __future__ import annotations

import re

_WEEKDAYS = (
    r"mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?|sat(?:urday)?"
    r"|sun(?:day)?|lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo"
)
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?"
    r"|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril"
    r"|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
)
_NAMED = re.compile(
    rf"\b(?:{_WEEKDAYS})\b\.?"  # a weekday
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"  # Dec 8, December 8th
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+|de\s+)?(?:{_MONTHS})\b"  # 8 Dec, 8 de diciembre
    r"|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"  # 12/8, 12/8/2026
    r"|\b\d{4}-\d{2}-\d{2}\b"  # 2026-12-08
    r"|\b\d{1,2}:\d{2}\b"  # 3:30, 15:30
    r"|\b\d{1,2}\s*(?:a\.?m\.?|p\.?m\.?)(?![a-z])"  # 3 pm, 10am
    r"|\b(?:noon|mediod[ií]a)\b",
    re.IGNORECASE,
)
# Words that look like a weekday or a month but are not one here.
_FALSE_FRIENDS = re.compile(r"\b(?:may|mar|sat|sun|wed)\b", re.IGNORECASE)


def names_a_time(text: str) -> bool:
    """Given the new text of a school's message, return whether it names a weekday, a
    calendar date or a clock time."""
    for found in _NAMED.finditer(text):
        word = found.group(0)
        # "may" alone is a verb ("we may meet"); as a month it comes with a day (May 4).
        if _FALSE_FRIENDS.fullmatch(word.rstrip(".")):
            continue
        return True
    return False
