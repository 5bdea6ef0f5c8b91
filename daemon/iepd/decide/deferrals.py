"""PURE: the meeting made to wait, read sentence by sentence.

Left to the annual review ("we will revisit this at his annual review in April"), made to
wait ("let's hold off", "let's see how the new schedule goes", "esperar a ver"), held only if
later decided ("before we consider whether a meeting is needed", "before we decide on a
meeting") or only on a condition ("once you sign the consent the team will meet", "if her
scores haven't improved by February, we'll convene the team then"). A wait reaches only its
own clause: "we have to wait for the SLP's schedule, but we will hold the meeting before
break" agrees to the meeting.
"""

from __future__ import annotations

from collections.abc import Sequence

from iepd.decide import cues
from iepd.decide.clauses import (
    DEFER_VERBS,
    Cue,
    annual,
    conditional,
    find,
    has,
    has_day_or_time,
    holds_meeting,
    is_meet_verb,
    is_meeting_noun,
    meeting_named,
    mentions_meeting,
    names_day_or_time,
    negator,
    only_if,
)  # fmt: skip
from iepd.decide.offers import offers_in
from iepd.decide.sentences import Sentence, Token

_DECIDE = frozenset({
    "determine", "decide", "consider", "see", "determinar", "decidir", "considerar", "ver",
    "evaluate",
})  # fmt: skip


def _clause_after(sentence: Sentence, index: int) -> tuple[Token, ...]:
    """The tokens after tokens[index] up to the end of its clause."""
    start = 0
    for clause in sentence.clauses:
        if start <= index < start + len(clause):
            return clause[index - start + 1 :]
        start += len(clause)
    return ()


def _annual_refused(tokens: Sequence[Token]) -> bool:
    """True for "we're not going to wait for the annual review", "no need to wait until the
    annual": waiting for the annual review is what is turned down."""
    at = find(tokens, cues.ANNUAL)
    return any(negator(token) for token in tokens[max(0, at - 6) : at]) and has(
        tokens[max(0, at - 6) : at], cues.WAIT
    )


def _until_a_day(tokens: Sequence[Token], wait: int) -> bool:
    return tokens[wait].low in ("until", "till", "hasta") and names_day_or_time(
        tokens[wait + 1 : wait + 4]
    )


# Annual reviews in the plural are the staff's workload, not the child's review: "your first
# email got buried under a stack of annual reviews".
_PLURAL_REVIEWS = frozenset({
    "reviews", "ieps", "meetings", "ards", "revisiones", "juntas", "reuniones",
})  # fmt: skip


def _the_childs_annual(tokens: Sequence[Token]) -> bool:
    return any(
        token.is_(cues.ANNUAL)
        and not (at + 1 < len(tokens) and tokens[at + 1].low in _PLURAL_REVIEWS)
        for at, token in enumerate(tokens)
    )


def deferral(sentence: Sentence) -> Cue | None:
    tokens = sentence.tokens
    if (
        annual(tokens)
        and _the_childs_annual(tokens)
        and not offers_in(sentence)
        and not _annual_refused(tokens)
    ):
        return Cue("deferral", True, sentence.text, "left to the annual review")
    condition = find(tokens, cues.CONDITION)
    if condition >= 0:
        later = tokens[condition + 1 : condition + 8]
        if any(is_meeting_noun(later, at) for at in range(len(later))) and has(
            later, cues.NECESSITY
        ):
            # "we will reach out if a meeting becomes necessary"
            return Cue("deferral", True, sentence.text, "a meeting only if needed later")
    wait = find(tokens, cues.WAIT)
    if wait >= 0 and _until_a_day(tokens, wait):
        wait = -1  # "the SLP is out until Dec 15, so we'll hold the meeting then": a date
    if wait >= 0 and not any(negator(token) for token in tokens[max(0, wait - 2) : wait]):
        # within the clause: "we have to wait for the SLP's schedule, but we will hold it"
        waited = _clause_after(sentence, wait)[:11]
        about_meeting = (
            any(is_meeting_noun(waited, at) or is_meet_verb(waited, at)
                for at in range(len(waited)))
            or has(waited, cues.TEAM) or has(waited, cues.REQUEST)
        )  # fmt: skip
        at_the_meeting = any(
            is_meeting_noun(waited, index) and waited[index - 1].low in ("the", "la", "el")
            and index > 1 and waited[index - 2].low in ("at", "in", "during", "en", "durante")
            for index in range(len(waited))
        )  # fmt: skip
        if (about_meeting or tokens[wait].is_(DEFER_VERBS)) and not at_the_meeting:
            return Cue("deferral", True, sentence.text, "the meeting made to wait")
    decide = find(tokens, _DECIDE)
    held = holds_meeting(tokens)
    if 0 <= held < decide and not conditional(tokens):
        decide = -1  # "we'll meet to see whether his goals are still appropriate"
    if decide >= 0 and find(tokens, frozenset({"whether", "if", "si"}), decide + 1) >= 0:
        if mentions_meeting(tokens[decide:]) or has(tokens[decide:], cues.NECESSITY):
            return Cue("deferral", True, sentence.text, "a meeting only if later decided")
    if decide >= 0 and [t.low for t in tokens[decide + 1 : decide + 2]] in (["on"], ["about"]):
        if meeting_named(tokens[decide + 2 : decide + 6]):
            return Cue("deferral", True, sentence.text, "a meeting only if later decided")
    if holds_meeting(tokens) >= 0 and not has_day_or_time(sentence):
        if conditional(tokens) or only_if(tokens):
            return Cue("deferral", True, sentence.text, "a meeting only on a condition")
    return None
