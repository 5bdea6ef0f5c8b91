"""PURE: reading one clause or sentence of a reply: negation, the meeting, its date.

The helpers ``reading`` and ``offers`` share: where a negation stands and what it governs
("we do not believe a meeting is warranted", but not "no problem" or "can't wait"), whether a
word is the meeting (the noun, "the team will meet", "la junta se reunirá"), whether the
meeting is held ("we will hold it", "a meeting will be scheduled"), and whether a sentence
names a day or a time that may be the meeting's rather than a letter's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from iepd.decide import cues
from iepd.decide.sentences import Sentence, Token

Kind = Literal["refusal", "deferral", "offer", "affirm", "contact"]

DAY_OR_TIME = re.compile(
    r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?s?\b"
    r"|\b(?:lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo)\b"
    r"|\b(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b"
    r"|\b\d{1,2}\s+de\s+(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre"
    r"|octubre|noviembre|diciembre)\b"
    r"|\bthe\s+\d{1,2}(?:st|nd|rd|th)\b|\b\d{1,2}/\d{1,2}\b|\b\d{1,2}:\d{2}\b"
    r"|\b\d{1,2}\s*(?:a\.?\s?m\.?|p\.?\s?m\.?)(?!\w)",
    re.IGNORECASE,
)
COUNTER = frozenset({
    "another", "different", "other", "instead", "reschedule", "how_about", "what_about",
    "otra", "otro", "cambiar", "alternative", "backup", "work",
})  # fmt: skip
INTRANSITIVE_MEET = frozenset({
    "meet", "meets", "met", "reconvene", "convene", "reunir", "juntar", "sesionar",
})  # fmt: skip
BE = frozenset({
    "be", "are", "is", "am", "were", "was", "been", "we're", "they're", "estar", "ser", "es",
    "sea",
})  # fmt: skip
DETERMINERS = frozenset({"a", "an", "the", "any", "her", "his", "this", "that", "una", "un"})
NOUN_MODIFIERS = frozenset({
    "iep", "ard", "formal", "full", "team", "additional", "further", "another", "other",
    "new", "such", "separate", "committee", "de", "del", "otra", "otro", "more", "revision",
    "annual", "ard/iep", "iep/ard",
})  # fmt: skip
NO_DETERMINERS = frozenset({"no", "ningun", "ninguna", "ninguno"})
PROPOSES = frozenset({
    "propose", "option", "options", "available", "work", "works", "hold", "held", "backup",
    "open", "fit", "there", "scheduled", "proponer", "opcion", "opciones",
    "disponible", "funcionar", "quedar", "convenir", "programar", "meet", "meeting",
    "junta", "reunion", "mtg",
})  # fmt: skip
# Verbs that put the request off whatever their object: "we can revisit this in January".
DEFER_VERBS = frozenset({
    "revisit", "hold_off", "postpone", "defer", "put_on_hold", "retomar", "posponer",
    "aplazar", "wait_and_see",
})  # fmt: skip
CONSIDERED = frozenset({"option", "options", "opcion", "opciones", "considered", "consideradas"})


@dataclass(frozen=True)
class Cue:
    kind: Kind
    strong: bool  # weak cues decide only with others, and make the decision unsure
    sentence: str
    note: str  # what was read, in a parent's words


def find(tokens: Sequence[Token], words: frozenset[str], start: int = 0, end: int = 10**6) -> int:
    for index in range(max(start, 0), min(end, len(tokens))):
        if tokens[index].is_(words):
            return index
    return -1


def has(tokens: Sequence[Token], words: frozenset[str]) -> bool:
    return find(tokens, words) >= 0


def negator(token: Token) -> bool:
    return token.is_(cues.NEGATION) or token.low.endswith("n't") or token.low == "cant"


# "No problem", "can't wait", "why don't we", "no se preocupe": negations that deny nothing.
IDIOMS_AFTER = frozenset({
    "problem", "problems", "worries", "worry", "doubt", "question", "rush", "hurry", "wait",
    "hesitate", "preocupe", "preocupar", "problema", "only", "dude", "sure", "certain",
    "seguro", "segura", "know", "se", "sabemos", "yet",
})  # fmt: skip


def idiom(clause: Sequence[Token], position: int) -> bool:
    following = clause[position + 1].low if position + 1 < len(clause) else ""
    preceding = clause[position - 1].low if position > 0 else ""
    why = preceding == "why" or [t.low for t in clause[max(0, position - 2) : position]] == [
        "por", "que"
    ]  # fmt: skip
    if clause[position].low == "no" and position + 1 < len(clause):
        if clause[position + 1].after_comma:
            return True  # "No, you don't need to bring anything": an answer, not a negation
    if following == "se" and position + 2 < len(clause):
        # "no se preocupe", "no sé si...", but not "no se llevará a cabo una junta"
        after = clause[position + 2]
        return why or not (after.is_(cues.HOLD) or after.is_(INTRANSITIVE_MEET))
    if following in ("hay", "habra", "es", "there's", "is") and position + 2 < len(clause):
        following = clause[position + 2].low  # "no hay problema", "no es problema"
    return following in IDIOMS_AFTER or why


def negation_before(clause: Sequence[Token], index: int, window: int = 8) -> int:
    """Index of a negation before clause[index] within the window whose subject is not the
    parent ("you don't need to bring anything"), or -1."""
    for position in range(max(0, index - window), index):
        if negator(clause[position]) and not idiom(clause, position):
            before = clause[max(0, position - 2) : position]
            if any(token.is_(cues.PARENT_SUBJECT) for token in before):
                return -1
            if _new_subject(clause[position + 1 : index + 1]):
                continue
            return position
    return -1


# Subjects that start a new clause after a comma: "your request was not ignored, I did read it".
_SUBJECTS = frozenset({
    "i", "we", "he", "she", "they", "i'll", "we'll", "i've", "we've", "i'm", "we're", "she'll",
    "he'll", "they'll", "you", "you'll", "yo", "nosotros", "ella", "el", "ellos",
})  # fmt: skip
# Words that may stand between the comma and the new subject: ", so we'll hold it then".
_JOINING = frozenset({"so", "and", "then", "but", "y", "entonces", "asi", "pero"})


def _new_subject(tokens: Sequence[Token]) -> bool:
    """True when a comma and a new subject stand between a negation and what it would
    govern: the negation's clause has ended."""
    return any(
        token.low in _SUBJECTS
        and (token.after_comma or (at > 0 and tokens[at - 1].after_comma
                                   and tokens[at - 1].low in _JOINING))
        for at, token in enumerate(tokens)
    )  # fmt: skip


def negated(clause: Sequence[Token], index: int, window: int = 8) -> bool:
    return negation_before(clause, index, window) >= 0


def told_of_the_past(clause: Sequence[Token], negation: int) -> bool:
    """True for "Sam's group did not meet as often" or "not scheduled yet": what happened so
    far, not what the school will do."""
    around = clause[max(0, negation - 1) : negation + 1]
    return any(token.low in cues.PAST for token in around) or any(
        token.low in ("yet", "todavia", "aun") for token in clause
    )


def is_meeting_noun(clause: Sequence[Token], index: int) -> bool:
    token = clause[index]
    if token.low in ("meeting", "meetings", "mtg", "junta", "juntas", "reunion", "reuniones"):
        return True
    return token.low == "ard" or token.lemma in _TEAM_MEETINGS


# Words for the team that also name its meeting: "the PPT", "a case conference".
_TEAM_MEETINGS = frozenset({"iep_team", "ard_committee", "case_conference", "ppt"})


# What is met that is no meeting: "meets her needs", "met the deadline".
_MET_THINGS = frozenset({
    "need", "needs", "expectations", "criteria", "requirements", "standards", "goal", "goals",
    "deadline", "deadlines", "benchmark", "benchmarks", "eligibility", "necesidades",
})  # fmt: skip


def is_meet_verb(clause: Sequence[Token], index: int) -> bool:
    token = clause[index]
    if token.text == "MET":
        return False  # Michigan's multidisciplinary evaluation team, a noun
    if token.low in ("meeting",):
        return index > 0 and clause[index - 1].is_(BE)
    if token.low in ("junta", "juntas", "reunion", "reuniones"):
        return False
    if any(other.low in _MET_THINGS for other in clause[index + 1 : index + 4]):
        return False  # "the IEP still meets her needs"
    return token.is_(INTRANSITIVE_MEET)


def meeting_object(clause: Sequence[Token], start: int, *, pronoun: bool) -> bool:
    for index in range(start, min(start + 8, len(clause))):
        token = clause[index]
        if is_meeting_noun(clause, index) or token.is_(cues.TEAM):
            return True
        if pronoun and token.is_(cues.ONE) and index <= start + 2:
            return True
        if pronoun and index == start and _stands_for_the_request(clause, index):
            return True
        if token.is_(cues.REQUEST) and index <= start + 3:
            return True
    return False


# "We won't be scheduling that right now": "that" alone, the thing asked for.
_DEMONSTRATIVES = frozenset({"that", "this", "eso", "esto"})
_AFTER_A_PRONOUN = frozenset({
    "right", "now", "at", "for", "until", "yet", "either", "soon", "today", "again", "ahora",
    "por_ahora", "todavia",
})  # fmt: skip


def _stands_for_the_request(clause: Sequence[Token], index: int) -> bool:
    if clause[index].low not in _DEMONSTRATIVES:
        return False
    return index + 1 == len(clause) or clause[index + 1].low in _AFTER_A_PRONOUN


def mentions_meeting(tokens: Sequence[Token]) -> bool:
    return any(
        is_meeting_noun(tokens, index) or tokens[index].is_(cues.TEAM)
        or tokens[index].is_(cues.HOLD)
        for index in range(len(tokens))
    )  # fmt: skip


NOT_A_MEETING_DATE = re.compile(
    r"(?:letter|request|requested|email|e-mail|note|follow-up|notice|dated|received|sent|of"
    r"|carta|solicitud|correo|mensaje|recibid\w*|fecha|del)\W+(?:\w+\W+){0,2}$",
    re.IGNORECASE,
)


def has_day_or_time(sentence: Sentence) -> bool:
    """True when the sentence names a day or a time that may be the meeting's, not the date
    of a letter ("your request of December 1", "su carta del 1 de diciembre")."""
    text = sentence.text
    return any(
        not NOT_A_MEETING_DATE.search(text[max(0, found.start() - 40) : found.start()])
        for found in DAY_OR_TIME.finditer(text)
    )


# A clause's words without their punctuation: "3:30" is read as "3 30".
_SPLIT_TIME = re.compile(r"\b\d{1,2} [0-5]\d\b(?! ?(?:st|nd|rd|th)\b)")


def names_day_or_time(tokens: Sequence[Token]) -> bool:
    """True when these words (a clause) name a day or a clock time."""
    text = " ".join(token.text for token in tokens)
    return bool(DAY_OR_TIME.search(text) or _SPLIT_TIME.search(text))


def annual(tokens: Sequence[Token]) -> bool:
    return has(tokens, cues.ANNUAL)


# A holding told as done: "the team just met in October", "her IEP meeting was held in May".
_DONE_FORMS = frozenset({"held", "convened", "reconvened", "gathered"})
_DONE_BEFORE = frozenset({
    "was", "were", "has", "have", "had", "just", "already", "recently", "we've", "they've",
})  # fmt: skip


# A group's standing time: "the S-Team meets on Tuesday mornings", "se reúne cada martes".
_RECURRING = frozenset({
    "mondays", "tuesdays", "wednesdays", "thursdays", "fridays", "every", "each", "weekly",
    "monthly", "biweekly", "cada", "mornings", "afternoons",
})  # fmt: skip


def _standing(tokens: Sequence[Token], index: int) -> bool:
    """True when the meeting verb at ``index`` is a group's standing time, not one meeting."""
    return tokens[index].is_(INTRANSITIVE_MEET) and any(
        token.low in _RECURRING for token in tokens[index + 1 : index + 4]
    )


def told_as_done(tokens: Sequence[Token], index: int) -> bool:
    """True when the meeting verb at ``index`` tells of a meeting that took place, or of where
    something was said ("as I told you at pickup Friday")."""
    low = tokens[index].low
    if (low == "met" and tokens[index].text != "MET") or low in ("told", "said"):
        return True
    return low in _DONE_FORMS and index > 0 and tokens[index - 1].low in _DONE_BEFORE


def holds_meeting(tokens: Sequence[Token]) -> int:
    """Index of a holding of a meeting that is not negated, or -1 ("we will hold the
    meeting", "the team will meet", "a meeting will be scheduled", "la junta se programará");
    a meeting told as done ("the team just met") holds none."""
    for index, token in enumerate(tokens):
        if told_as_done(tokens, index) or _standing(tokens, index):
            continue
        if token.is_(cues.HOLD) and not negated(tokens, index, window=4):
            passive = any(
                is_meeting_noun(tokens, before) for before in range(max(0, index - 4), index)
            )
            if (
                passive
                or meeting_object(tokens, index + 1, pronoun=False)
                or is_meet_verb(tokens, index)
            ):
                return index
        if is_meet_verb(tokens, index) and not negated(tokens, index, window=4):
            return index
    return -1


def conditional(tokens: Sequence[Token]) -> bool:
    return has(tokens, cues.CONDITION) and has(tokens, cues.PREREQUISITE)


_IF = frozenset({"if", "unless", "si", "a_menos_que"})
# What a condition on the parent's convenience says: "if Tuesday works for you".
_CONVENIENT = frozenset({
    "work", "works", "okay", "ok", "fine", "convenient", "possible", "available", "easier",
    "prefer", "want", "like", "like_to", "schedule", "time", "funcionar", "conveniente",
    "posible", "disponible", "gustar", "preferir", "querer", "everyone", "todos",
})  # fmt: skip


def only_if(tokens: Sequence[Token]) -> bool:
    """True for "if her scores haven't improved by February, we'll convene the team then":
    a meeting promised only if things go a certain way, which is no meeting agreed to. Not
    for a condition on the parent's convenience: "if Tuesday works for you, we'll meet"."""
    if not tokens or not tokens[0].is_(_IF):
        return False
    end = next((at for at in range(1, len(tokens)) if tokens[at].after_comma), len(tokens))
    condition = tokens[1:end]
    if end == len(tokens) or not condition or names_day_or_time(condition):
        return False
    return not any(
        token.is_(cues.PARENT_SUBJECT) or token.low in ("your", "su", "you'd", "you're")
        or token.is_(_CONVENIENT)
        for token in condition
    )  # fmt: skip


def meeting_named(tokens: Sequence[Token]) -> bool:
    return any(is_meeting_noun(tokens, index) for index in range(len(tokens))) or any(
        is_meet_verb(tokens, index) for index in range(len(tokens))
    )
