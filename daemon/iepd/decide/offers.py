"""PURE: something smaller than the meeting, offered to the parent.

A call, a chat, a check-in, a Zoom with one person, a talk at pickup, a student support team,
a parent-teacher conference, "let's work through this by email": each is an offer when the
school proposes it to the parent ("could we", "I'd be happy to", "¿le puedo llamar?", "let's"),
and not when the parent is only asked to get in touch ("please call me with any questions"),
when the call is to set the meeting's date, or when it is told of the past ("we talked it
over with the team").
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from iepd.decide import cues
from iepd.decide.clauses import (
    DETERMINERS,
    Cue,
    find,
    has,
    idiom,
    is_meeting_noun,
    names_day_or_time,
    negator,
)  # fmt: skip
from iepd.decide.fewer import meeting_of_few, smaller
from iepd.decide.not_offered import named_not_offered, part_of_the_meeting, passed_over
from iepd.decide.sentences import Sentence, Token

_NOT_A_CONFERENCE_BEFORE = frozenset({
    "de", "state", "video", "training", "estatal", "national", "annual", "regional",
})  # fmt: skip
# Words that make the meeting after them a smaller one: "an MTSS mtg", "a 504 meeting".
_LESSER_KINDS = frozenset({
    "mtss", "rti", "sst", "504", "data", "tier", "intervention", "problem-solving",
    "problem_solving", "grade-level", "grade_level", "parent-teacher", "counseling", "pst",
})  # fmt: skip


_RECEIVED = frozenset({"su", "sus", "la", "el", "los", "las", "un", "una", "carta", "solicitud"})
_PLACES = frozenset({"oficina", "escuela", "salon", "direccion", "biblioteca", "aula", "office"})
_OBSERVE = frozenset({"observe", "observar", "observation", "observacion"})
# An IEP amended in writing, which needs the parent's agreement: always an offer.
_AMEND = frozenset({"amend", "amendment", "amending", "enmienda", "enmendar"})


def _at_the_annual(tokens: Sequence[Token]) -> bool:
    at = next((i for i, token in enumerate(tokens) if token.is_(cues.ANNUAL)), -1)
    if at < 0:
        return False
    before = {token.low for token in tokens[max(0, at - 4) : at]}
    if before & {"at", "during", "in", "until", "en", "durante", "hasta"}:
        return True
    # "his annual review is coming up on March 9 ... address it at that meeting"
    after = {(a.low, b.low) for a, b in itertools.pairwise(tokens[at:])}
    return bool(after & {("that", "meeting"), ("esa", "reunion"), ("esa", "junta")})


def _items(tokens: Sequence[Token]) -> list[int]:
    """Indexes of the smaller things a sentence may offer (a call, a chat, a check-in...)."""
    if _at_the_annual(tokens):
        return []  # "let's talk more at her annual review": the talk is left to the annual
    found = []
    for index, token in enumerate(tokens):
        following = tokens[index + 1].low if index + 1 < len(tokens) else ""
        preceding = tokens[index - 1].low if index > 0 else ""
        if token.is_(cues.LESSER_MEETING):
            if following in ("room", "rm", "call", "center", "centre") or (
                preceding in _NOT_A_CONFERENCE_BEFORE
            ):
                continue  # a room, a conference call, a training conference
            found.append(index)
        elif is_meeting_noun(tokens, index) and preceding in _LESSER_KINDS:
            found.append(index)  # "can we do an MTSS mtg Friday instead?"
        elif meeting_of_few(tokens, index):
            found.append(index)
        elif (
            token.lemma == "time_with"
            and not has(tokens[index + 1 : index + 4], cues.TEAM)
            and following not in ("you", "usted")  # "Dana will confirm the time with you"
        ):
            found.append(index)  # "please schedule a time with Ms. Okafor"
        elif (
            token.low.startswith("recib")
            and _to_parent(tokens, index)
            and not has(tokens[index + 1 : index + 3], _RECEIVED)
            and (has(tokens[index + 1 : index + 6], _PLACES) or names_day_or_time(tokens[index:]))
        ):
            found.append(index)  # "con gusto la recibo en mi oficina el jueves"
        elif token.low in _OBSERVE and has(tokens[max(0, index - 3) : index], cues.TO_PARENT):
            found.append(index)  # "a time for you to observe her reading group"
        elif token.is_(_AMEND) and (has(tokens, cues.SET_ASIDE) or has(tokens, cues.INSTEAD)):
            found.append(index)  # "we can amend his IEP without a meeting"
        elif token.is_(cues.BY_EMAIL) and _a_notice_sent(tokens, index):
            continue  # "you will receive the Notice of Meeting by email": how it comes
        elif token.is_(cues.TALK) or token.is_(cues.BY_EMAIL) or token.is_(cues.VISIT):
            if following not in ("room", "rm", "line", "number", "numero"):
                found.append(index)
    return found


_SENT_THINGS = frozenset({
    "notice", "notice_of_meeting", "invitation", "invite", "copy", "form", "forms", "packet",
    "notificacion", "aviso", "invitacion", "copia", "formulario", "documento", "document",
    "receive", "recibir",
})  # fmt: skip


def _a_notice_sent(tokens: Sequence[Token], index: int) -> bool:
    """True when the e-mail is how a notice or a form reaches the parent."""
    return any(token.lemma in _SENT_THINGS for token in tokens[max(0, index - 8) : index])


def _item(tokens: Sequence[Token]) -> int:
    """Index of the first smaller thing a sentence may offer, or -1."""
    found = _items(tokens)
    return found[0] if found else -1


def offers_in(sentence: Sentence) -> bool:
    return _item(sentence.tokens) >= 0


# After "you", these make it the subject: "you can call the front office" (the parent calls).
_SUBJECT_OF = frozenset({
    "can", "could", "may", "might", "should", "will", "would", "need", "want", "are", "puede",
    "podria", "quiere",
})  # fmt: skip


def _subject(tokens: Sequence[Token], at: int) -> bool:
    return at + 1 < len(tokens) and tokens[at + 1].low in _SUBJECT_OF


def _to_parent(tokens: Sequence[Token], item: int) -> bool:
    """True for "call you", "give you a call", "le llamo", "llamarle": the school calls."""
    start = max(0, item - 2)
    near = tokens[start : item + 3]
    if tokens[item].low.endswith("you") or any(
        token.is_(cues.TO_PARENT) and not _subject(tokens, start + at)
        for at, token in enumerate(near)
    ):
        return True
    noun = tokens[item].low.endswith(("ada", "adas", "cion", "cia", "ica", "la"))
    if noun:
        return False
    # "le llamo", "le voy a marcar", "la puedo llamar": the pronoun before the verb phrase
    for back in range(item - 1, max(-1, item - 4), -1):
        if tokens[back].low in cues.CLITIC_TO_PARENT:
            return True
        if tokens[back].low not in _AUXILIARIES:
            return False
    return False


_AUXILIARIES = frozenset({
    "voy", "vamos", "va", "van", "a", "puedo", "podemos", "podria", "podriamos", "quiero",
    "queremos", "gustaria", "pienso", "quisiera",
})  # fmt: skip


def _with_someone_else(tokens: Sequence[Token], item: int) -> bool:
    """True for "touch base with her teachers", "after talking with Dana": a talk that is
    not with the parent. A thing offered ("a quick check-in with Maya's teachers") is not."""
    if item + 2 >= len(tokens) or tokens[item + 1].low not in ("with", "con"):
        return False
    if any(token.low in DETERMINERS for token in tokens[max(0, item - 3) : item]):
        return False
    if any(token.is_(cues.TO_PARENT) for token in tokens[max(0, item - 3) : item]):
        return False  # "I'd like for you to sit down with her ELA teacher": the parent's talk
    company = tokens[item + 2 : item + 10]
    return not any(
        other.is_(cues.TO_PARENT) or other.is_(cues.FEW_PEOPLE)
        or other.low in ("me", "us", "usted", "ustedes", "nosotros", "both", "conmigo")
        for other in company
    )  # fmt: skip


_CALLS = frozenset({"call", "phone", "phone_call", "telephone", "llamar", "llamada", "telefono",
                    "marcar", "email", "correo"})  # fmt: skip
_PURPOSE = frozenset({"talk", "discuss", "go_over", "walk", "explain", "platicar", "explicar",
                      "hablar", "conversar", "revisar", "chat", "review",
                      "talk_through"})  # fmt: skip
# "I propose a phone call with the SLP ... and answer your questions": proposed, an offer.
_PROPOSE = frozenset({"propose", "suggest", "offer", "recommend", "proponer", "sugerir",
                      "ofrecer"})  # fmt: skip


def _contact_only(tokens: Sequence[Token], item: int) -> bool:
    """True for "please call me with any questions": the parent is asked to get in touch,
    nothing is offered. A visit ("stop by my office to talk") and a call the school makes
    ("I'll call you") are offers."""
    if not tokens[item].is_(_CALLS) or not has(tokens, cues.CONTACT):
        return False
    purpose = any(token.is_(_PURPOSE) for token in tokens[item + 1 :])
    proposed = any(token.is_(_PROPOSE) for token in tokens[max(0, item - 4) : item])
    return not purpose and not proposed and not _to_parent(tokens, item)


_BEFORE_IMPERATIVE = frozenset({
    "please", "just", "por", "favor", "feel_free", "so", "then", "ok", "okay", "honestly",
    "give", "me", "a", "us", "hi", "hello", "jordan",
})  # fmt: skip


# "You may join by phone", "puede participar por Zoom": how the parent attends the meeting.
_JOIN = frozenset({
    "join", "joining", "joins", "attend", "attending", "participate", "participating", "dial",
    "call_in", "unirse", "participar", "asistir",
    "conectarse",
})  # fmt: skip
_MEDIA = frozenset({
    "phone", "telephone", "zoom", "video_call", "google_meet", "teams_call", "telefono",
    "videollamada",
})  # fmt: skip
_ARRANGE = frozenset({
    "schedule", "find", "set_up", "pick", "confirm", "coordinate", "arrange", "agendar",
    "programar", "coordinar", "confirmar", "buscar", "acordar",
})  # fmt: skip


def _held_by(tokens: Sequence[Token], item: int) -> bool:
    """True for "we can do the meeting by Zoom", "la junta puede ser por teléfono": the
    meeting's own medium."""
    if item == 0 or tokens[item - 1].low not in ("by", "via", "over", "on", "por", "through"):
        return False
    return any(is_meeting_noun(tokens, at) for at in range(max(0, item - 6), item - 1))


def _to_set_up(tokens: Sequence[Token], item: int) -> bool:
    """True for "I'll call you to find a time that works": a call whose purpose is the
    meeting's date."""
    for index in range(item + 1, min(item + 8, len(tokens))):
        if tokens[index].low in ("to", "para") and has(tokens[index + 1 : index + 4], _ARRANGE):
            return True
    return False


def _before_the_meeting(tokens: Sequence[Token]) -> bool:
    """True for "a quick call before the meeting", "antes de la junta": something more than
    the meeting, not instead of it."""
    for index in range(len(tokens) - 2):
        if tokens[index].low in ("before", "prior", "ahead", "antes_de", "antes"):
            ahead = tokens[index + 1 : index + 4]
            if any(t.low in DETERMINERS or t.low in ("to", "of", "our", "la", "el") for t in ahead):
                if any(is_meeting_noun(ahead, at) for at in range(len(ahead))):
                    return True
    return False


_TEMPORAL = frozenset({
    "before", "until", "once", "after", "antes_de_que", "hasta_que", "una_vez_que", "despues",
})  # fmt: skip


def _waited_for(tokens: Sequence[Token], item: int) -> bool:
    """True for "we need eight data points before the problem-solving team can decide": the
    smaller team is what the meeting waits for, not what is offered."""
    for back in range(item - 1, max(-1, item - 4), -1):
        if tokens[back].is_(_TEMPORAL):
            return True
        if tokens[back].low not in DETERMINERS and tokens[back].low not in ("our", "el", "la"):
            return False
    return False


def _named_lesser(tokens: Sequence[Token], item: int) -> bool:
    """True for an SST, a conference or an MTSS meeting named as what comes next; not for
    one that is to decide first: "before the problem-solving team can decide whether..."."""
    kind = tokens[item - 1].low if item > 0 else ""
    lesser = tokens[item].is_(cues.LESSER_MEETING) or (
        is_meeting_noun(tokens, item) and kind in _LESSER_KINDS
    )
    return lesser and not has(tokens[max(0, item - 4) : item], cues.CONDITION)


_IF = frozenset({"if", "whenever", "si", "cuando"})
_WISH = frozenset({
    "want", "like", "like_to", "love_to", "wish", "prefer", "querer", "gustar", "desear",
    "preferir",
})  # fmt: skip


def _if_the_parent_wishes(tokens: Sequence[Token], item: int) -> bool:
    """True for "if you ever want to chat, I'm out at pickup", "si gusta platicar": the
    smaller thing offered on the parent's wish."""
    before = tokens[max(0, item - 7) : item]
    condition = find(before, _IF)
    if condition < 0:
        return False
    rest = before[condition + 1 :]
    parent = any(
        token.is_(cues.PARENT_SUBJECT) or token.low in ("you'd", "you're") for token in rest
    )
    return parent and has(rest, _WISH)


def offer(sentence: Sentence) -> Cue | None:
    """The first smaller thing the sentence offers, or the invitation to get in touch it
    makes: "after consultation with the department, we suggest a meeting of the SST" offers
    the SST though the consultation was told of."""
    contact = None
    for item in _items(sentence.tokens):
        found = _offer_of(sentence, item)
        if found is not None and found.kind == "offer":
            return found
        contact = contact or found
    return contact


def _offer_of(sentence: Sentence, item: int) -> Cue | None:
    tokens = sentence.tokens
    if _contact_only(tokens, item):
        return Cue("contact", False, sentence.text, "an invitation to get in touch")
    meeting_noun = any(is_meeting_noun(tokens, index) for index in range(len(tokens)))
    plain_call = not has(tokens, cues.INSTEAD) and not smaller(tokens)
    named_meeting = tokens[item].is_(cues.LESSER_MEETING)  # "a Student Assistance Team meeting"
    if (
        plain_call
        and not named_meeting
        and has(tokens, cues.LOGISTICS)
        and (meeting_noun or _to_set_up(tokens, item))
    ):
        return None  # a call to set the meeting's date up
    if plain_call and tokens[item].is_(_MEDIA) and (has(tokens, _JOIN) or _held_by(tokens, item)):
        return None  # "you may join the meeting by phone": how to attend, not instead
    # "Call my office if you want to talk", and after a comma: "no need for the team, text me"
    start = max((at for at in range(item + 1) if tokens[at].after_comma), default=0)
    if any(
        negator(tokens[at]) and not idiom(tokens, at) for at in range(max(start, item - 4), item)
    ):
        return None  # "there's no need to call"
    if _with_someone_else(tokens, item) or _waited_for(tokens, item):
        return None
    if passed_over(tokens, item) or named_not_offered(tokens, item):
        return None
    if part_of_the_meeting(tokens, item):
        return None
    if tokens[item].low.endswith("ed") and tokens[item].low != tokens[item].lemma:
        return None  # "we talked it over this week": told, not offered
    thanked = any(token.low in ("thank", "thanks", "gracias") for token in tokens[:item])
    if thanked and not any(token.lemma in ("offer", "ofrecer") for token in tokens[:item]):
        return None  # "thank you for meeting with me": thanks for what was done
    if _before_the_meeting(tokens):
        return Cue("contact", False, sentence.text, "a call before the meeting, not instead")
    imperative = all(token.low in _BEFORE_IMPERATIVE for token in tokens[start:item])
    # "I'll have her set up a call", "I sent you a Teams link for a check-in"
    arranged = any(
        token.is_(cues.HOLD) or token.lemma == "video_link"
        for token in tokens[max(0, item - 5) : item]
    )
    framed = (
        sentence.question
        or imperative  # "Call my office if you want to talk", "Stop by after school"
        or arranged
        or has(tokens, cues.OFFER)
        or has(tokens, cues.TOGETHER)
        or _to_parent(tokens, item)
        or _if_the_parent_wishes(tokens, item)
        or _named_lesser(tokens, item)
        or tokens[item].is_(_AMEND)
    )
    if not framed:
        return None
    instead = has(tokens, cues.INSTEAD) or smaller(tokens)
    what = tokens[item].text
    return Cue("offer", True, sentence.text, f"{what} offered" + (" instead" if instead else ""))
