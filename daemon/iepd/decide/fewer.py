"""PURE: a meeting of fewer people than the team, offered to the parent.

"A quick Zoom", "a brief meeting", "just you and me", "the two of us", "with you and Ms.
Park", "Ms. Lee and I can meet with you Thursday", "una reunión con la maestra": a meeting
that names neither the team nor the IEP is something smaller than the meeting asked for (weak
alone, an offer beside a refusal). The team named only as what is set aside ("instead of
convening the full team") does not make it the IEP meeting. And "rather than convening the
team", "sin tener que convocar al equipo completo": the meeting put aside, weakly.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from iepd.decide import cues
from iepd.decide.clauses import Cue, annual, has, holds_meeting, is_meeting_noun
from iepd.decide.sentences import Sentence, Token

# "a meeting with her teachers", "una reunión con la maestra": a meeting of fewer people.
_FEW = frozenset({
    "teacher", "teachers", "counselor", "counsellor", "therapist", "slp", "specialist",
    "interventionist", "principal", "coach", "me", "you", "maestra", "maestro", "maestros",
    "consejera", "consejero", "terapeuta", "terapista", "usted", "conmigo", "director",
    "directora",
})  # fmt: skip


_TITLES = frozenset({"mr", "mrs", "ms", "mx", "dr", "miss", "sr", "sra", "srta", "coach"})


def meeting_of_few(tokens: Sequence[Token], index: int) -> bool:
    appointment = tokens[index].low in ("cita", "appointment")  # "una cita con la consejera"
    if not (is_meeting_noun(tokens, index) or appointment) or tokens[index].low == "ard":
        return False
    before = tokens[max(0, index - 3) : index]
    if any(t.is_(cues.TEAM) or t.low in ("iep", "ard", "pei", "annual", "anual") for t in before):
        return False
    if any(t.is_(cues.SMALL) for t in before):
        return True  # "an informal meeting", "a brief meeting"
    after = tokens[index + 1 : index + 6]
    if not after or after[0].low not in ("with", "con") or has(after, cues.TEAM):
        return False
    titled = len(after) > 1 and after[1].low in _TITLES  # "a meeting with Mrs. Pfeiffer"
    return titled or any(token.low in _FEW for token in after[1:])


def smaller(tokens: Sequence[Token]) -> bool:
    """True for "a quick Zoom", "a brief meeting", "just you and me", "the two of us", "with
    you and Ms. Park"."""
    if has(tokens, cues.FEW_PEOPLE):
        return True
    for index in range(len(tokens) - 1):
        if [t.low for t in tokens[index : index + 2]] in (["and", "me"], ["y", "yo"]):
            return True  # "meet with Mr. Haas and me"
    for index in range(len(tokens) - 3):
        if [t.low for t in tokens[index : index + 3]] == ["with", "you", "and"]:
            named = tokens[index + 3]
            if named.text[:1].isupper() and not named.is_(cues.TEAM):
                return True
    for index, token in enumerate(tokens):
        if token.is_(cues.SMALL):
            ahead = tokens[index + 1 : index + 4]
            if any(t.low in ("room", "rm", "sala", "office") for t in ahead):
                continue  # "the small conference room"
            if any(t.is_(cues.TALK) or t.is_(cues.MEETING) or t.is_(cues.LESSER_MEETING)
                   for t in ahead):  # fmt: skip
                return True
    return False


def small_meeting(sentence: Sentence) -> Cue | None:
    """An offer to meet that names neither the team nor the IEP: weak alone, an offer beside
    a refusal ("I'd be happy to meet with you Friday in my office")."""
    tokens = sentence.tokens
    index = holds_meeting(tokens)
    # The team named as what is set aside is not the meeting offered: "the SLP and I would
    # like to meet with you instead of convening the full team"
    aside = next((at for at, t in enumerate(tokens) if t.is_(cues.INSTEAD)), len(tokens))
    offered = tokens[:aside] if index < aside else tokens
    if index < 0 or has(offered, cues.TEAM) or annual(tokens):
        return None
    if any(token.low in ("iep", "ard", "pei") for token in offered):
        return None
    if smaller(tokens) or _someone_and_i(offered):
        return Cue("offer", True, sentence.text, "a meeting with fewer people offered")
    if has(tokens, cues.OFFER) and _with_the_parent(tokens):
        return Cue("offer", False, sentence.text, "a smaller meeting offered")
    return None


def _someone_and_i(tokens: Sequence[Token]) -> bool:
    """True for "Ms. Lee and I can meet with you", "la maestra y yo": two people meet her."""
    return any([a.low, b.low] in (["and", "i"], ["y", "yo"]) for a, b in itertools.pairwise(tokens))


def _with_the_parent(tokens: Sequence[Token]) -> bool:
    """True for "meet with you", "meet you", "reunirme con usted"; not "if that is easier for
    you"."""
    return any(
        token.is_(cues.TO_PARENT) and index > 0
        and (tokens[index - 1].low in ("with", "con") or tokens[index - 1].is_(cues.HOLD))
        for index, token in enumerate(tokens)
    )  # fmt: skip


def set_aside(sentence: Sentence) -> Cue | None:
    """ "Rather than convening the team", "sin tener que convocar al equipo completo": the
    meeting put aside for something else; weak alone."""
    tokens = sentence.tokens
    for index, token in enumerate(tokens):
        if token.is_(cues.SET_ASIDE):
            ahead = list(tokens[index + 1 : index + 8])
            # only what is passed over: "rather than a phone call, and it will be scheduled"
            ahead = ahead[: next((at for at, t in enumerate(ahead) if t.after_comma), None)]
            if any(t.is_(cues.HOLD) or t.is_(cues.TEAM) or t.is_(cues.MEETING) for t in ahead):
                return Cue("deferral", False, sentence.text, "the meeting set aside")
    return None
