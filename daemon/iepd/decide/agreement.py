"""PURE: the meeting agreed to or dated, read sentence by sentence.

"The team will meet", "we will hold the IEP meeting", "la junta quedó para el lunes 14", a
date proposed ("would Friday Dec 11 at 8:00 work?"), a day asked for ("pick a day", "what
days work?"), dates to follow. Not when the sentence offers something smaller (unless one of
its clauses plainly holds the IEP meeting), is conditional, refuses, lists the options a
notice considered, quotes the parent's own request, names the annual review, or names the
meeting as the bigger thing ("less paperwork than reconvening the whole team").
"""

from __future__ import annotations

from collections.abc import Sequence

from iepd.decide import cues
from iepd.decide.clauses import (
    CONSIDERED,
    PROPOSES,
    Cue,
    annual,
    conditional,
    find,
    has,
    has_day_or_time,
    holds_meeting,
    is_meeting_noun,
    meeting_named,
    negated,
    negator,
    only_if,
)  # fmt: skip
from iepd.decide.fewer import smaller
from iepd.decide.offers import offers_in
from iepd.decide.sentences import Sentence, Token

_ASK = frozenset({"request", "requesting", "ask", "asking", "solicitar", "pedir"})


def _asked_for(tokens: Sequence[Token]) -> bool:
    """True for "I ask that the meeting be held promptly", "let me know when the meeting
    will be held": a meeting asked for, not agreed to."""
    for index, token in enumerate(tokens):
        if token.low in ("i", "yo") and has(tokens[index + 1 : index + 4], _ASK):
            return True
        if token.low in ("know", "tell") and has(tokens[index + 1 : index + 3], _WHEN):
            return True
    return False


_WHEN = frozenset({"when", "whether", "if", "cuando", "si"})


def _compared(before: Sequence[Token]) -> bool:
    """True for "far less paperwork than reconvening the team", "más fácil que juntar a todo
    el equipo": the meeting named as the bigger thing, not agreed to. Not "more than happy
    to schedule it"."""
    at = next((i for i in range(len(before) - 1, -1, -1) if _than(before, i)), -1)
    return at >= 0 and not any(t.is_(cues.OFFER) or t.is_(cues.AFFIRM) for t in before[at + 1 :])


def _than(tokens: Sequence[Token], index: int) -> bool:
    """ "than", or the "que" of "más fácil así que juntar al equipo"."""
    if tokens[index].low == "than":
        return True
    more = tokens[max(0, index - 4) : index]
    return tokens[index].low == "que" and any(
        t.low in ("mas", "menos", "mejor", "peor") or t.low.startswith(("mas_", "menos_"))
        for t in more
    )


_DAY_WORDS = frozenset({"day", "days", "time", "times", "date", "dates", "dia", "dias", "fecha"})


def _day_asked(tokens: Sequence[Token]) -> bool:
    """True for "pick a day", "what days work for you?", "¿qué día le queda mejor?": the
    school asks the parent for a day (a smaller thing offered is read before)."""
    for index, token in enumerate(tokens[:-1]):
        after = tokens[index + 1 : index + 3]
        if token.low in ("pick", "choose", "name", "escoja", "elija") and has(after, _DAY_WORDS):
            return True
        if token.low in ("what", "which", "que", "cual") and has(after, _DAY_WORDS):
            return has(tokens[index + 2 : index + 6], frozenset({
                "work", "works", "good", "best", "better", "convenient", "quedar", "convenir",
                "funcionar", "mejor",
            }))  # fmt: skip
    return False


def _part(sentence: Sentence, clause: tuple[Token, ...]) -> Sentence:
    return Sentence(sentence.text, sentence.language, clause, (clause,), sentence.question)


def _team_meets(clause: tuple[Token, ...]) -> bool:
    """True for a clause that holds the IEP meeting plainly: "the IEP team will meet Dec 14"."""
    named = any(t.low in ("iep", "ard", "pei") or t.lemma in ("iep_team", "ard_committee")
                for t in clause)  # fmt: skip
    return (
        named and holds_meeting(clause) >= 0 and not conditional(clause)
        and not any(negator(t) for t in clause) and not annual(clause)
    )  # fmt: skip


def affirm(sentence: Sentence) -> Cue | None:
    tokens = sentence.tokens
    if offers_in(sentence) and len(sentence.clauses) > 1:
        # "The IEP team will meet Dec 14; the SST will also meet the week after": the clause
        # that holds the IEP meeting agrees to it, whatever the other offers.
        for clause in sentence.clauses:
            if not offers_in(_part(sentence, clause)) and _team_meets(clause):
                return Cue("affirm", True, sentence.text, "the meeting agreed to")
    if annual(tokens) or offers_in(sentence) or conditional(tokens) or only_if(tokens):
        return None
    if has(tokens, cues.REFUSE) or has(tokens, cues.REFUSAL_NOUNS) or has(tokens, CONSIDERED):
        return None  # "Other options considered: convening the team (rejected)"
    if _asked_for(tokens):
        return None  # the parent's own letter, quoted without a marker
    held = holds_meeting(tokens)
    before = tokens[max(0, held - 6) : max(0, held)]
    set_aside = any(t.is_(cues.SET_ASIDE) or t.is_(cues.REQUEST) for t in before) or (
        _compared(before)
    )
    named = has(tokens, cues.TEAM) or meeting_named(tokens)
    with_parent = [t.low for t in tokens[held + 1 : held + 3]] in (
        ["with", "you"],
        ["con", "usted"],
    )
    team_named = has(tokens, cues.TEAM) or any(t.low in ("iep", "ard", "pei") for t in tokens)
    if with_parent and not team_named:
        named = False  # "Ms. Okafor would like to meet with you": see offers.small_meeting
    if held >= 0 and not set_aside and named and not smaller(tokens):
        return Cue("affirm", True, sentence.text, "the meeting agreed to")
    for index, _ in enumerate(tokens):
        if is_meeting_noun(tokens, index):
            later = find(tokens, cues.SCHEDULED, index + 1, index + 8)
            if later >= 0 and not negated(tokens, later, window=4):
                return Cue("affirm", True, sentence.text, "the meeting is set")
    if has_day_or_time(sentence) and (sentence.question or has(tokens, PROPOSES)):
        return Cue("affirm", False, sentence.text, "a date for the meeting")
    if _day_asked(tokens):
        return Cue("affirm", False, sentence.text, "a day asked for")
    dates = find(tokens, cues.DATES_TO_FOLLOW)
    if dates >= 0 and has(tokens, cues.SEND) and not any(negator(t) for t in tokens):
        return Cue("affirm", False, sentence.text, "dates to follow")
    return None
