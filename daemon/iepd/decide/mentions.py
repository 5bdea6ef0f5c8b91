"""PURE: whether a message from the school names a child, and speaks of the request, as a
careful parent would read it.

Staff who are not the case manager write fresh messages from a phone, in lowercase, without
the apostrophes ("does fri 8am still work for sams mtg?"), with the child named only in an
attached file ("PWN_Rivera_S_121426.pdf"), and speak of the request in the team's words
("the team won't be reconvening", "juntar a todo el equipo") rather than the letter's.
:mod:`iepd.decide.matching` asks here; a message outside the school's domains never gets
this far, and neither does mail to many or from a system (:mod:`iepd.decide.bulk`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from iepd.decide.excerpt import new_text
from iepd.inbox.parse import IncomingMessage

# First names that are also ordinary words: "I will call" must not name a child called Will.
# For these only a capitalised occurrence (or the full name) counts.
WORD_NAMES = frozenset(
    {"will", "hope", "grace", "may", "june", "april", "august", "max", "mark", "bill", "rose",
     "faith", "joy", "summer", "dawn", "sky", "river", "page", "chase", "hunter", "art", "pat",
     "sue", "drew", "rich", "gene", "miles", "lane", "reed", "wade", "dean", "jack", "frank",
     "penny", "ruby", "amber", "autumn", "star", "sunny", "angel", "honor", "justice"}
)  # fmt: skip
# What the team says of the request that the letter's words do not: reconvening, the whole
# team (which the parent asked for), the parent's letter or request in text-message spelling.
_TEAM_WORDS = re.compile(
    r"\b(?:re-?conven\w*|convene|convening"
    r"|(?:whole|full|entire|complete) (?:(?:iep |ard |sped )?team|arc|ard|ppt|committee)"
    r"|todo el equipo|(?:el )?equipo (?:completo|entero|del pei)"
    r"|(?:ur|yr) (?:e-?mail|note|message|letter|request)"
    # Michigan's IEP Team meeting: "Sam Rivera IEPT".
    r"|iept"
    # Other states' words for the team, its notices and its forms.
    r"|written notice|norep|notice of recommended|case conference|permission to evaluate"
    r"|procedural safeguards|parent(?:al|s')? rights|garant[ií]as procesales"
    r"|derechos de (?:los )?padres|amend(?:ment|ed|ing)?|enmienda)\b",
    re.IGNORECASE,
)
# The same, in capitals only: "ist" and "pte" are word endings, "the team" is any team.
_TEAM_NAMES = re.compile(r"\b(?:CSE|PPT|IST|PTE|NOREP|SELPA)\b|\bthe Team\b")
_SAID_OF_THE_TEAM = (_TEAM_WORDS, _TEAM_NAMES)
# A file attached by the school that is a notice, a plan or a form of the request.
# "Rivera_Sam_IEP_Progress_Q2.pdf" is the quarter's report on the goals, no document of it.
_DOCUMENT_WORDS = re.compile(
    r"(?<![a-z])(?:pwn|iep(?! progress)|pei|ard|norep|pwe|prior written|notice of|evaluation"
    # not consent to bill Medicaid, to a photo or a trip: "Public_Benefits_Consent_Rivera.pdf"
    r"|(?<!benefits )(?<!medicaid )(?<!insurance )(?<!media )(?<!photo )(?<!trip )consent"
    r"|aviso previo|notificacion previa)(?![a-z])",
    re.IGNORECASE,
)
_FILE_SEPARATORS = re.compile(r"[_.\-+]+")
# A portal's line above the message it relays as a quotation: "Dana Alvarez sent you a message:".
_RELAY_LINE = re.compile(
    r"(?:sent you a (?:new |private |direct )?message|le envi[oó] un (?:nuevo )?mensaje)"
    r"\b[^\n]{0,80}:\s*$",
    re.IGNORECASE,
)
# What a request is about, found in the parent's own words (her concern, the service, the
# evaluation's areas) and in the school's, English and Spanish. Bare "read" is left out ("I'll
# read the questions aloud" is an accommodation), and so is "lee" (a name as often as "reads").
AREAS: dict[str, re.Pattern[str]] = {
    area: re.compile(rf"\b(?:{words})\b", re.IGNORECASE)
    for area, words in {
        "reading": r"reading|readers?|fluency|fluent|decoding|phonics|dyslexi\w*|comprehension"
        r"|wcpm|lectura|leer|fluidez|dislexia|comprensi[oó]n lectora",
        "speech": r"speech|language|articulation|stutter\w*|slp|habla|lenguaje|logopeda",
        "writing": r"writing|written expression|handwriting|dysgraphi\w*|spelling|escritura"
        r"|escribir|ortograf[ií]a|expresi[oó]n escrita",
        "math": r"math\w*|dyscalculi\w*|arithmetic|matem[aá]tic\w*",
        "behavior": r"behaviou?r\w*|bip|fba|suspen\w*|discipline|conducta|comportamiento"
        r"|suspensi[oó]n",
        "motor": r"occupational|fine motor|gross motor|physical therapy|sensory"
        r"|terapia (?:ocupacional|f[ií]sica)|motricidad",
        "feelings": r"anxiety|anxious|counsel\w*|social[- ]emotional|self-regulation|ansiedad"
        r"|consejer\w*|emocional",
        "services": r"compensatory|make-?up (?:sessions|minutes|services|plan)"
        r"|missed (?:sessions|minutes|services)|servicios compensatorios|sesiones perdidas",
    }.items()
}  # fmt: skip


# Words that speak of the request only beside a word of another kind: "speech" alone is the
# speech teacher's practice calendar, a "meeting" alone the peer mediators' orientation,
# "special education" alone a signature's title, an "evaluación" alone the yearly English
# test. The meeting to discuss the speech, a notice from the special-education office: two.
_WEAK_SIGNS: dict[str, re.Pattern[str]] = {
    kind: re.compile(rf"\b(?:{words})\b", re.IGNORECASE)
    for kind, words in {
        "meeting": r"meetings?|meet|mtg|juntas?|reuni[oó]n|reunir\w*|conferences?|conferencia"
        # not pupils' talk in class: "talk about it with a small group"
        r"|discuss\w*|talk (?:with you )?about(?![^.\n]{0,30}\bwith (?:a|the|their|his|her)"
        r" (?:small )?(?:groups?|class|partners?|classmates?|peers?)\b)"
        r"|call (?:me|you)(?: [\w'-]+){0,3}? about|talk (?:this|it|that|things) (?:through|over)"
        # "hablar" with someone, not a skill tested: "escuchar, hablar, leer y escribir"
        r"|give you a call|sit down with you|catch you|phone call|call with you|llamada"
        r"|hablar (?:con|sobre|de)|hablarl[aeo]s?"
        r"|hablemos"
        r"|(?:podemos|podr[ií]amos|quisiera|quiero|me gustar[ií]a) hablar|platicar|llamarl[aeo]",
        "service": r"speech|habla|therap\w+|terapia\w*|evaluations?|evaluaci[oó]n|assessments?",
        "office": r"special education|educaci[oó]n especial|sped|special ed"
        r"|exceptional (?:student|children)|(?:student|pupil|special) services|case manager",
        # "el aviso", not the verb: "le aviso que la terapia cambia de horario"
        "document": r"notices?|correspondence|(?:el|un|este|ese|su|del|al) aviso"
        r"|aviso (?:de|previo|por escrito)|notificaci[oó]n",
    }.items()
}  # fmt: skip
# Another group's meeting ("a short band parent meeting on Thursday", "the PTA meeting") is
# not the one the parent asked for; matching and :func:`offers_to_talk` leave them out.
OTHER_MEETINGS = re.compile(
    r"\b(?:band|choir|orchestra|booster|boosters|pta|pto|ptsa|ptc|board|faculty|club|athletic"
    r"|sports?|team parent|coach(?:es)?|field trip|scout)(?: parents?)?(?: club)?"
    r" (?:meetings?|mtg)\b"
    # a club's or a group's own meetings ("Sam's speech group will meet in the library",
    # "We meet during lunch on Tuesdays and Thursdays"): a recurring time is never the one
    # meeting asked for
    r"|\b(?:club|group|class(?:es)?|sessions?)(?: will| would| also)? meets?\b"
    r"|\bmeets?\b(?=[^.\n]{0,40}\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)days"
    r"|every (?:week|day|morning|afternoon)|each week|weekly|during lunch|at lunch))"
    # a class's own talk and the school's conference nights: "our book discussions", "see you
    # at conferences in January" (the meeting asked for is one, and the team's)
    r"|\b(?:book|class|classroom|literature|literary|group|small[- ]group|partner)"
    r" discussions?\b"
    r"|(?<!iep )(?<!ard )(?<!arc )(?<!ppt )(?<!case )\bconferences\b"
    r"|\bconference (?:night|nights|week|day|days)\b"
    # and "meet" in another sense: "on track to meet that goal by his annual"
    r"|\bmeet(?:s|ing)? (?:(?:all|each|both|that|this|these|those|the|his|her|their|its|our"
    r"|your) ){1,2}(?:[\w-]+ )?(?:goals?|objectives?|benchmarks?|standards?|expectations?"
    r"|criteria|needs|requirements?|deadlines?|targets?)\b"
    r"|\b(?:junta|reuni[oó]n) (?:de (?:la |el |los )?)?"
    r"(?:banda|pta|pto|mesa directiva|padres de la banda)\b",
    re.IGNORECASE,
)
# Exceptional Student Education, only in capitals: "ese" is Spanish for "that".
_ESE = re.compile(r"\bESE\b")
_TALK = re.compile(
    r"\b(?:call|talk|chat|meet|discuss|touch base|check[- ]in|sit(?:ting)? down|catch up"
    r"|hablar|hablamos|llam[ae]\w*|platic\w*)\b",
    re.IGNORECASE,
)
_MEETING = r"(?i:meetings?|mtg|juntas?|reuni[oó]n|conferences?|conferencia)"
_ABOUT = r"(?i:for|about|on|regarding|de|para|sobre)"


@lru_cache(maxsize=128)
def _name_patterns(child_name: str) -> tuple[re.Pattern[str], ...]:
    words = child_name.split()
    if not words:
        return ()
    full = r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)"
    first = words[0]
    patterns = [re.compile(full, re.IGNORECASE)]
    if first.lower() in WORD_NAMES:
        capitalised = first[:1].upper() + first[1:].lower()
        patterns.append(
            re.compile(rf"(?<!\w)(?:{re.escape(capitalised)}|{re.escape(first.upper())})(?!\w)")
        )
    else:
        # "sams mtg", "mayas reading": a possessive typed without its apostrophe.
        patterns.append(re.compile(rf"(?<!\w){re.escape(first)}s?(?!\w)", re.IGNORECASE))
    if len(words) > 1:
        # "Student: S. Rivera" on a form; "Ms. Rivera" is the parent (the "s" follows a letter).
        initial = re.escape(first[:1].upper())
        patterns.append(re.compile(rf"(?<!\w){initial}\.\s*{re.escape(words[-1])}(?!\w)"))
    return tuple(patterns)


@lru_cache(maxsize=128)
def _file_patterns(child_name: str) -> tuple[re.Pattern[str], ...]:
    # A file is named by the family name and the first initial: "PWN_Rivera_S_121426.pdf",
    # "Rivera_Maya_Notice.pdf"; two siblings of one initial are both named, so neither wins.
    words = child_name.split()
    if len(words) < 2:
        return ()
    first, last = re.escape(words[0][:1]), re.escape(words[-1])
    return (re.compile(rf"(?<!\w)(?:{last} {first}|{first} {last})(?!\w)", re.IGNORECASE),)


def names(child_name: str, text: str) -> bool:
    """Given a child's full name and a text, return True when the text names the child: the
    full name, the first name (with or without a possessive's apostrophe; a first name that
    is an ordinary word only capitalised), or the initial and the family name ("S. Rivera")."""
    return any(pattern.search(text) for pattern in _name_patterns(child_name))


def names_in_files(child_name: str, message: IncomingMessage) -> bool:
    """Given a child's full name and a message, return True when a file attached to it
    names the child ("PWN_Rivera_S.pdf", "Rivera_Maya_Notice.pdf")."""
    for attachment in message.parts.attachments:
        spaced = _FILE_SEPARATORS.sub(" ", attachment)
        if names(child_name, spaced) or any(p.search(spaced) for p in _file_patterns(child_name)):
            return True
    return False


def speaks_of_the_team(message: IncomingMessage, scan_limit: int) -> bool:
    """Given a message and how much of its text to read, return True when its subject or new
    text speaks of the team meeting in words the letter did not use, or a file attached to
    it is a document of the request (a notice, the IEP, an evaluation, a consent form)."""
    fresh = new_text(message.text[:scan_limit])
    if any(words.search(message.subject) or words.search(fresh) for words in _SAID_OF_THE_TEAM):
        return True
    return any(
        _DOCUMENT_WORDS.search(_FILE_SEPARATORS.sub(" ", attachment))
        for attachment in message.parts.attachments
    )


@lru_cache(maxsize=128)
def _meeting_of_patterns(child_name: str) -> tuple[re.Pattern[str], ...]:
    words = child_name.split()
    if not words:
        return ()
    first = words[0]
    name = re.escape(first) + (rf"(?:\s+{re.escape(words[-1])})?" if len(words) > 1 else "")
    flags = 0 if first.lower() in WORD_NAMES else re.IGNORECASE
    return (
        re.compile(rf"(?<!\w){name}(?:['’]?s)?\s+(?:[\w-]+\s+){{0,2}}?{_MEETING}(?!\w)", flags),
        re.compile(rf"(?<!\w){_MEETING}\s+(?:[\w-]+\s+){{0,2}}?{_ABOUT}\s+{name}(?!\w)", flags),
    )


def names_the_meeting_of(child_name: str, text: str) -> bool:
    """Given a child's full name and a text, return True when the text speaks of the child's
    own meeting ("sams mtg", "Maya CSC mtg", "the meeting for Sam", "la reunión de COMPU de
    Sam"), not merely of a meeting and of the child ("an orientation meeting... Maya")."""
    return any(pattern.search(text) for pattern in _meeting_of_patterns(child_name))


def weak_signs(text: str, areas: tuple[str, ...] = ()) -> frozenset[str]:
    """Given a text and the areas of a request, return the kinds of weak sign it bears:
    "meeting" (a meeting of unknown kind, a talk about), "service" (speech, therapy, an
    evaluation, one of the request's areas), "office" (special education, a case manager,
    counted only beside a document) and "document" (a notice, correspondence)."""
    found = {kind for kind, words in _WEAK_SIGNS.items() if words.search(text)}
    if _ESE.search(text):
        found.add("office")
    if any(AREAS[area].search(text) for area in areas if area in AREAS):
        found.add("service")
    if "document" not in found:
        # The office is most often the title under a teacher's name ("Special Education
        # Teacher" below a progress report): it counts only for the office's own notice.
        found.discard("office")
    return frozenset(found)


def offers_to_talk(message: IncomingMessage, scan_limit: int) -> bool:
    """Given a message and how much of its text to read, return True when its subject or new
    text asks for a call or a talk ("call me tonight? easier to talk thru mayas reading")."""
    fresh = OTHER_MEETINGS.sub(" ", new_text(message.text[:scan_limit]))
    return bool(_TALK.search(OTHER_MEETINGS.sub(" ", message.subject)) or _TALK.search(fresh))


def areas_of(*texts: str) -> tuple[str, ...]:
    """Given the parent's own words about a request (her concern, the details), return the
    areas it is about, in :data:`AREAS` order: ("reading",), ("speech", "services")."""
    return tuple(area for area, words in AREAS.items() if any(words.search(t) for t in texts))


def speaks_of_the_areas(message: IncomingMessage, areas: tuple[str, ...], scan_limit: int) -> bool:
    """Given a message, the areas its request is about and how much text to read, return
    True when its subject or new text speaks of one of them ("talk thru mayas reading")."""
    fresh = new_text(message.text[:scan_limit])
    return any(
        AREAS[area].search(message.subject) or AREAS[area].search(fresh)
        for area in areas
        if area in AREAS
    )


def relayed_text(message: IncomingMessage, scan_limit: int) -> str:
    """Given a message and how much of its text to read, return the quoted lines right under
    a portal's "Dana Alvarez sent you a message:", unquoted, or "". A portal shows the message
    it relays as a quotation, which :func:`~iepd.decide.excerpt.new_text` drops as history."""
    lines = message.text[:scan_limit].splitlines()
    for index, line in enumerate(lines):
        if not _RELAY_LINE.search(line):
            continue
        quoted: list[str] = []
        for following in lines[index + 1 :]:
            stripped = following.strip()
            if stripped.startswith(">"):
                quoted.append(stripped[1:].strip())
            elif stripped or quoted:
                break
        return "\n".join(quoted)
    return ""
