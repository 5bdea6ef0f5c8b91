"""PURE: what each sentence of a reply says about the meeting the parent asked for.

Given the sentences of the school's new text (``sentences.read_sentences``), return the
:class:`Cue` each one carries, if any:

- ``refusal``: a meeting negated or refused, clause by clause ("we do not believe an IEP
  meeting is warranted", "the team won't be reconvening", "no es necesario convocar una
  reunión", "the district refuses to convene");
- ``deferral``: the meeting made to wait, for the annual review, for data, for a signature
  ("we will revisit this at his annual review", "once you sign the consent the team will
  meet", "before we consider whether a meeting is needed");
- ``offer``: something smaller offered to the parent (a call, a chat, a check-in, a Zoom with
  one person, a student support team, a parent-teacher conference, "let's work through this
  by email"), but not an invitation to call with questions;
- ``affirm``: the meeting agreed to or dated ("the team will meet", "we will hold the IEP
  meeting", "la junta quedó para el lunes 14", "would Friday Dec 11 at 8:00 work?").

The refusal is read here; the deferral in ``deferrals``, the offer in ``offers``, the
agreement in ``agreement`` and the IEP found fine as it is (a weak refusal) in ``findings``.
``weighing`` decides the class from all the cues of a message.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from iepd.decide import cues
from iepd.decide.agreement import affirm
from iepd.decide.clauses import (
    BE,
    COUNTER,
    DETERMINERS,
    NO_DETERMINERS,
    NOUN_MODIFIERS,
    Cue,
    annual,
    find,
    has,
    has_day_or_time,
    idiom,
    is_meet_verb,
    is_meeting_noun,
    meeting_object,
    mentions_meeting,
    names_day_or_time,
    negated,
    negation_before,
    negator,
    told_as_done,
    told_of_the_past,
)  # fmt: skip
from iepd.decide.deferrals import deferral
from iepd.decide.fewer import set_aside, small_meeting
from iepd.decide.findings import status_quo
from iepd.decide.offers import offer
from iepd.decide.sentences import Sentence, Token

# ---- refusal -------------------------------------------------------------------------------


# "If the district refuses your request, you will receive prior written notice": a
# procedure described, not a refusal made.
_HYPOTHETICAL = frozenset({
    "if", "should", "whether", "unless", "in_the_event", "when", "si", "cuando", "en_caso",
})  # fmt: skip


def _refusal_in(clause: Sequence[Token]) -> str | None:
    """Return what kind of refusal the clause holds, or None."""
    if clause and (clause[0].is_(_HYPOTHETICAL) or has(clause[:3], _HYPOTHETICAL)):
        if not any(token.is_(cues.HOLD) for token in clause[:2]):
            return None
    for index, token in enumerate(clause):
        negation = negation_before(clause, index)
        if token.is_(cues.HOLD) and negation >= 0 and not told_of_the_past(clause, negation):
            # "another IEP meeting will not be scheduled": the meeting before, passive
            passive = negation > 0 and any(
                is_meeting_noun(clause, at) for at in range(max(0, negation - 4), negation)
            )
            if (
                meeting_object(clause, index + 1, pronoun=True)
                or is_meet_verb(clause, index)
                or passive
            ):
                if has(clause[index + 1 :], _WITHOUT):
                    return "not that way"  # "we can't meet without the SLP"
                return "a meeting negated"
        if token.is_(cues.GRANT) and negated(clause, index):
            if has(clause, cues.REQUEST) or mentions_meeting(clause):
                return "the request not granted"
        if token.is_(cues.REFUSAL_NOUNS) and not (index > 0 and clause[index - 1].low == "any"):
            after = clause[index + 1 : index + 5]
            if any(t.is_(cues.HOLD) or t.is_(cues.REQUEST) or t.is_(cues.MEETING) for t in after):
                return "refused"
        generic = any(
            t.low in ("any", "cualquier", "or", "o") for t in clause[max(0, index - 6) : index]
        )
        if generic and token.is_(cues.REFUSE):
            continue  # "notice of any action the district proposes or refuses"
        if negated(clause, index, window=4) and (
            token.is_(cues.REFUSE) or token.is_(cues.DISAGREE)
        ):
            continue  # "nobody is refusing your request", "we're not declining"
        if token.is_(cues.REFUSE) and not (index > 0 and clause[index - 1].low in DETERMINERS):
            if any(other.is_(cues.REQUEST) for other in clause) or mentions_meeting(clause):
                return "refused"
        if token.is_(cues.NECESSITY) and mentions_meeting(clause):
            if _needs_something_else(clause, index):
                continue  # "no need to worry", "not necessary to bring anything"
            if has(clause[max(0, index - 8) : index], cues.DISAGREE):
                return "no need for a meeting"  # "I disagree that a meeting is needed"
            negation = negation_before(clause, index, window=12)
            if (negation >= 0 and not told_of_the_past(clause, negation)) or (
                index > 0 and clause[index - 1].low in NO_DETERMINERS
            ):
                return "no need for a meeting"
        if token.is_(cues.NEEDLESS) and mentions_meeting(clause):
            return "a meeting not needed"
        if token.low in ("nothing", "nada") and any(
            t.is_(cues.TEAM) or is_meeting_noun(clause, at)
            for at, t in enumerate(clause[index + 1 : index + 5], start=index + 1)
        ):
            return "nothing for the team to do"  # "there is nothing for the team to decide"
        if token.low == "no" and index > 0 and clause[index - 1].lemma in ("say", "decir"):
            if any(
                is_meeting_noun(clause, at) for at in range(index + 1, min(index + 5, len(clause)))
            ):
                return "no to the meeting"  # "I'm going to say no on the meeting for now"
        if negator(token) and not idiom(clause, index) and not told_of_the_past(clause, index):
            # "there will not be a meeting", "no habrá junta", "not another IEP meeting"
            for ahead in range(index + 1, min(index + 5, len(clause))):
                if is_meeting_noun(clause, ahead):
                    return "no meeting"
                if not (clause[ahead].is_(BE) or clause[ahead].is_(_THERE_BE)):
                    break
        if token.low in NO_DETERMINERS and not told_of_the_past(clause, index):
            for ahead in range(index + 1, min(index + 4, len(clause))):
                if is_meeting_noun(clause, ahead):
                    return "no meeting"
                if not clause[ahead].is_(NOUN_MODIFIERS):
                    break
    return None


def _needs_something_else(clause: Sequence[Token], index: int) -> bool:
    """True when what is (not) needed is another act: "no need to worry". Not when the
    meeting is what is (not) needed: "a meeting is not required to deliver the minutes"."""
    if index + 1 < len(clause) and clause[index + 1].low in ("you", "why", "usted", "por"):
        return True  # "no reason you can't bring an advocate to the meeting"
    if any(negator(token) for token in clause[index + 2 : index + 4]):
        return True  # "there's no reason we can't meet before break": two negations
    if index + 2 >= len(clause) or clause[index + 1].low not in ("to", "de"):
        return False
    before = clause[max(0, index - 5) : index]
    if any(token.is_(BE) for token in before) and any(
        is_meeting_noun(before, at) or before[at].is_(cues.TEAM) for at in range(len(before))
    ):
        return False
    verb = clause[index + 2]
    return not (
        verb.is_(cues.HOLD) or verb.is_(cues.TEAM) or verb.low in DETERMINERS
        or verb.low in ("otra", "otro", "another", "un", "el", "la", "los", "las")
        or is_meet_verb(clause, index + 2) or is_meeting_noun(clause, index + 2)
    )  # fmt: skip


# A form's field that gives the decision: "Action: Refused", "Action: Refusal - Parent
# request to convene IEP meeting", "Decisión: Rechazada".
_DECISION_FIELDS = frozenset({
    "action", "decision", "status", "outcome", "determination", "response", "result",
    "accion", "estado", "resultado", "respuesta", "determinacion",
})  # fmt: skip


def _form_decision(sentence: Sentence) -> bool:
    tokens = sentence.tokens
    return (
        len(tokens) > 1
        and tokens[0].low in _DECISION_FIELDS
        and any(token.is_(cues.REFUSE) or token.is_(cues.REFUSAL_NOUNS) for token in tokens[1:3])
    )


def refusal(sentence: Sentence) -> Cue | None:
    if _form_decision(sentence):
        return Cue("refusal", True, sentence.text, "a form's decision: refused")
    for clause in sentence.clauses:
        found = _refusal_in(clause)
        if found is None:
            continue
        tokens = sentence.tokens
        if found == "not that way":
            continue  # "we can't meet without the SLP": a condition of the meeting, not a no
        # "we won't be able to accommodate a meeting before the holidays": a time refused
        dated = not annual(tokens) and (
            found == "a meeting negated"
            or (found == "the request not granted" and not has(clause, cues.REQUEST))
        )
        # the day of a meeting that took place ("the team just met on October 27, so another
        # meeting will not be scheduled") is no day refused
        timed = _without_what_was_done(clause)
        day_here = (
            names_day_or_time(timed) or has(timed, _TIMES) or _that_time(timed)
            or _near_time(timed)
        )  # fmt: skip
        any_day = (
            has_day_or_time(sentence)
            if len(timed) == len(clause)
            else names_day_or_time(_without_what_was_done(tokens))
        )
        if dated and (day_here or any_day):
            other_clauses = day_here and len(sentence.clauses) > 1
            # "another" in "we won't hold another meeting" is the meeting refused
            elsewhere = tokens if day_here else [t for t in tokens if t not in clause]
            if sentence.question or has(elsewhere, COUNTER) or other_clauses:
                return Cue("affirm", True, sentence.text, "not that day, another offered")
            # "We cannot hold the meeting on the 9th." A day refused, maybe not the meeting:
            # weak, and outweighed by any date proposed elsewhere in the reply. A day named
            # only in another clause is not the one refused: "we won't be holding a separate
            # meeting; his sessions are already scheduled (Tues 2:10)".
            if day_here:
                return Cue("refusal", False, sentence.text, "not on that day")
        if dated and _later(clause):
            return Cue("affirm", False, sentence.text, "the meeting later, not refused")
        if has(clause, _HABIT):
            # "we don't usually reconvene mid-year, but...": a habit, which may be broken
            return Cue("refusal", False, sentence.text, "not usually")
        return Cue("refusal", True, sentence.text, found)
    return None


_THERE_BE = frozenset({
    "haber", "habra", "hay", "a", "an", "any", "another", "una", "un", "otra", "otro",
    "iep", "ard", "formal", "full", "additional", "further", "team", "new", "going", "to",
    "will",
})  # fmt: skip
_WITHOUT = frozenset({"without", "sin"})
# "We can't meet at the times you listed": the times refused, not the meeting.
_TIMES = frozenset({
    "times", "days", "dates", "availability", "horarios", "dias", "fechas", "disponibilidad",
    "slots", "window", "that_time", "that_day", "that_date", "esa_hora", "ese_dia",
})  # fmt: skip
_UNTIL = frozenset({"until", "till", "hasta", "before", "antes"})
_LATER = re.compile(
    r"\b(?:after (?:the )?(?:\w+ )?(?:break|holidays?|vacation|new year)|january|february"
    r"|this (?:week|month)|before (?:the )?(?:\w+ )?(?:break|holidays?|vacation)|december"
    r"|within \w+ (?:school |calendar )?days|in \w+ weeks?|esta semana|este mes|diciembre"
    r"|march|april|may|june|august|september|next (?:week|month|semester)|the new year"
    r"|enero|febrero|marzo|abril|mayo|junio|agosto|septiembre|(?:despu[eé]s de )?las vacaciones"
    r"|la pr[oó]xima semana|el pr[oó]ximo mes)\b",
    re.IGNORECASE,
)


_HABIT = frozenset({
    "usually", "normally", "typically", "generally", "ordinarily", "often", "normalmente",
    "generalmente", "usualmente", "habitualmente",
})  # fmt: skip
_NEAR = frozenset({"today", "tomorrow", "tonight", "hoy", "manana"})


def _without_what_was_done(tokens: Sequence[Token]) -> list[Token]:
    """The tokens less a meeting told as done and the words of its time: "met on October 27"."""
    done = [at for at in range(len(tokens)) if told_as_done(tokens, at)]
    return [t for at, t in enumerate(tokens) if not any(0 <= at - d <= 5 for d in done)]


def _near_time(clause: Sequence[Token]) -> bool:
    """True for "we can't meet this week", "no podemos esta semana": a time near, refused."""
    pairs = {(a.low, b.low) for a, b in itertools.pairwise(clause)}
    weeks = {(this, span) for this in ("this", "that", "next", "esta", "la") for span in
             ("week", "month", "semana", "mes")}  # fmt: skip
    return bool(pairs & weeks) or any(token.low in _NEAR for token in clause)


def _that_time(clause: Sequence[Token]) -> bool:
    """True for "we can't meet at that time", "no podemos ese día": one time refused."""
    pairs = {(a.low, b.low) for a, b in itertools.pairwise(clause)}
    return bool(pairs & {("that", "time"), ("that", "day"), ("esa", "hora"), ("ese", "dia")})


def _later(clause: Sequence[Token]) -> bool:
    """True for "we can't meet until after the break": the meeting put later in time, not
    refused, when it waits for no data, evaluation or review."""
    at = find(clause, _UNTIL)
    if at < 0 or has(clause, cues.PREREQUISITE) or annual(clause):
        return False
    return bool(_LATER.search(" ".join(token.text for token in clause[at:])))


def _the_offered_one(cue: Cue | None, sentence: Sentence, before: Sequence[Cue]) -> Cue | None:
    """ "I'd suggest a meeting of the student support team. I have scheduled this meeting for
    the 15th": once a smaller meeting is offered, and no IEP meeting agreed to, a meeting
    that names neither the team nor the IEP is the smaller one, dated."""
    if cue is None or cue.kind != "affirm":
        return cue
    offers = [earlier for earlier in before if earlier.kind == "offer"]
    if not offers or any(earlier.kind == "affirm" for earlier in before):
        return cue
    tokens = sentence.tokens
    if has(tokens, cues.TEAM) or any(t.low in ("iep", "ard", "pei") for t in tokens):
        return cue
    strong = any(earlier.strong for earlier in offers)
    return Cue("offer", strong, sentence.text, "the smaller meeting offered, and set")


def read(sentences: Sequence[Sentence]) -> list[Cue]:
    """Given the sentences of a reply, return the cues they hold, in order (at most one of
    each kind per sentence)."""
    found: list[Cue] = []
    for sentence in sentences:
        readers = (refusal, deferral, offer, small_meeting, set_aside)
        cues_here = [reader(sentence) for reader in readers]
        if not any(cue is not None and cue.kind in ("refusal", "deferral") for cue in cues_here):
            cues_here.append(_the_offered_one(affirm(sentence), sentence, found))
        if not any(cue is not None for cue in cues_here):
            cues_here.append(status_quo(sentence))  # "his IEP continues to meet his needs"
        kinds = set()
        for cue in cues_here:
            if cue is not None and cue.kind not in kinds:
                kinds.add(cue.kind)
                found.append(cue)
    return found
