"""PURE: whether a message from the school speaks of the parent's request itself, as a
careful parent reads it: the team or its meeting, her letter, a notice; not merely the IEP a
teacher follows, the child's area, another group's meeting or a form about something else.
:mod:`iepd.decide.matching` asks here once the sender and the child are known.
"""

from __future__ import annotations

import re

from iepd.decide import mentions
from iepd.decide.excerpt import new_text
from iepd.inbox.parse import IncomingMessage

TEXT_SCAN_LIMIT = 256 * 1024

# What a message about the request itself speaks of, in its subject or its new text: the
# team or its meeting, the parent's letter, request, e-mail or concerns, a notice. The IEP
# named counts beside a meeting, a talk, a notice or an invitation (_THE_IEP). A word of the
# request's area or a meeting of unknown kind is only a weak sign
# (mentions.weak_signs): a teacher's note about a field-trip slip, the speech teacher's
# practice calendar, the counselor's lunch group name the child and are from the school.
_ON_TOPIC = re.compile(
    # the parent's request, not any request ("available upon request", "the PTA committee")
    r"\b(?:(?:your|ur|yr|su|tu)(?: [\w,'-]+){0,3} (?:requests?|solicitud|petici[oó]n)"
    r"|you(?: have| had)? requested|usted (?:ha )?solicit\w*|(?:nos|me) solicit[oó]"
    r"|requested (?:an?|the) (?:iep |ard |team |arc )?(?:meeting|team|conference)"
    r"|(?:meeting|mtg|iep|ard) request"
    r"|request (?:for|of) (?:an?|the) (?:iep |ard )?(?:meeting|team)"
    r"|(?:iep|ard|arc|admission|case conference|eligibility|placement) committee"
    r"|committee on (?:preschool )?special education"
    r"|comit[eé] (?:del? )?(?:iep|pei|ard|admisi[oó]n)"
    # the parent's letter, not a nurse's referral letter going home in the backpack
    r"|(?:your|ur|yr)(?: [\w,'-]+){0,3} letter|letter (?:that )?you (?:sent|wrote|e-?mailed)"
    r"|(?:su|tu)(?: [\w,-]+){0,3} carta|carta que (?:nos |me )?(?:envi|mand|escribi)\w*"
    r"|prior written notice|notice of (?:meeting|ard)|aviso previo|notificaci[oó]n previa|pwn"
    r"|your concerns?|sus? preocupaci[oó]n(?:es)?|sst"
    # the parent's e-mail passed on by the case manager: "Dana showed me your email"
    r"|(?:showed|forwarded|passed(?: on| along)?|shared|sent|gave) (?:me|us) (?:your|ur)"
    r" (?:e-?mail|note|message|letter)"
    # the parent's e-mail about the child as a whole ("both of your emails about Sam."), not
    # about one thing of the child's ("your note about Sam's lunch account")
    r"|(?:your|ur) (?:e-?mails?|notes?|messages?) (?:about|regarding|concerning|re:?|on)"
    r" (?:him|her|them|[A-Z][\w-]+)(?=\s*(?:[.,;:!?)]|$|and\b))"
    # The parent's own contact, as the school tells it: "Dana mentioned you emailed about
    # Sam's speech", "you had some concerns about Maya's reading".
    r"|you (?:had |have )?(?:reached out|e-?mailed|wrote|written to|contacted)"
    r"|you(?: were| have been|'ve been|'re| are) (?:worried|concerned)"
    r"|you (?:had|raised|shared|expressed|mentioned) (?:some |a few |a )?concerns?"
    r"|(?:me|nos) escribi[oó])\b",
    re.IGNORECASE,
)
# A request or a committee of unknown kind: a weak sign ("available upon request").
_ANY_REQUEST = re.compile(
    r"\b(?:request\w*|solicit\w*|committee|comit[eé]|(?:your|ur) (?:e-?mails?|notes?|messages?)"
    r"|sus? (?:correos?|mensajes?))",
    re.IGNORECASE,
)
# The IEP (or Texas' ARD, Spanish PEI, a 504 plan) named: a sign of the request with another;
# so are other states' names for the team's meeting, in capitals only (an "arc" is a shape).
_THE_IEP = re.compile(r"\b(?:(?i:iep|ard|pei|504)|ARC|PPT|IEPT|CSE)\b")

# The IEP named only as what a teacher follows every day ("per her IEP accommodations I'll
# read the questions aloud") is not the request spoken of.
_EVERYDAY_IEP = re.compile(
    r"\b(?:(?:per|under|according to|as (?:in|per)|following) (?:his|her|their|the|\w+['’]s)"
    r" iep"
    r"|iep (?:accommodations?|modifications?|supports?|testing|seating|goals?|progress)"
    r"(?: reports?)?"
    r"|(?:the|his|her|their) iep reports?"
    r"|(?:accommodations?|modifications?) (?:in|on|from) (?:his|her|their|the) iep"
    # what the IEP already says, followed in class or at a test ("provided as they are
    # listed in her IEP")
    r"|(?:listed|written|outlined|stated|included|noted|documented|spelled out) (?:in|on)"
    r" (?:his|her|their|the) iep(?! (?:meeting|team|conference|mtg)s?\b)"
    # what the child's IEP gives during a test or a trip ("her extended time from her IEP",
    # "anything she needs from her IEP on the trip", "una adaptación de su IEP")
    r"|from (?:his|her|their) iep(?! (?:meeting|team|conference|mtg)s?\b)"
    # "the same test every 7th grader takes, not part of the IEP", "no es parte del IEP"
    r"|(?:not|no es|no son|isn't) (?:a )?(?:part of|parte del?|related to|connected to"
    r"|relacionad[oa]s? con(?: el)?)(?: (?:the|his|her|their|el|la|su))? (?:iep|pei)"
    r"|(?:adaptaci[oó]n|adaptaciones|acomodos?|acomodaciones) (?:de|en|del) (?:su |el )?"
    r"(?:iep|pei))\b"
    r"(?: (?:accommodations?|modifications?))?",
    re.IGNORECASE,
)
# A signature's confidentiality or public-records notice ("... available to the public and
# media upon request") speaks of no request: its paragraph is left out.
_LEGAL_NOTICE = re.compile(
    r"(?:^|\n\s*\n)[^\n]*(?:public records|confidential(?:ity)?(?: notice)?|privileged"
    r"|intended (?:only|solely) for|ferpa|aviso de confidencialidad|registros p[uú]blicos)"
    r"[\s\S]*?(?=\n\s*\n|$)",
    re.IGNORECASE,
)


# A line break inside a paragraph of hard-wrapped plain text.
_WRAPPED = re.compile(r"(?<=\S)[ \t]*\n[ \t]*(?=\S)")
# Class work named after the area is no word of the concern: "the Chapter 9-12 reading log".
_CLASSWORK = re.compile(
    r"\breading (?:logs?|assignments?|homework|quiz(?:zes)?|grades?|minutes|challenge)\b",
    re.IGNORECASE,
)
# A notice about something else: "Aviso de conducta", "attendance notice", "notice of absence".
_OTHER_NOTICES = re.compile(
    r"\b(?:(?:aviso|notificaci[oó]n|notice|letter|carta) (?:de|of|del|sobre) (?:la |el )?"
    r"(?:conducta|comportamiento|behaviou?r|absences?|ausencias?|tardanzas?|tardies|attendance"
    r"|asistencia|discipline|disciplina|grades?|calificaciones|suspensi[oó]n|suspension"
    r"|detention|detenci[oó]n|lunch|almuerzo|fees?|cuotas?)"
    r"|(?:behaviou?r|conduct|attendance|absence|tardy|discipline|detention|grade|lunch|fee"
    r"|field trip|permission|vision|hearing|immunization) (?:notices?|letters?|notifications?))\b",
    re.IGNORECASE,
)
# The yearly notice about billing Medicaid or insurance for IEP services (34 CFR 300.154) is
# a form to sign, no notice of the request.
_BENEFITS_NOTICE = re.compile(
    r"\bnotice (?:and consent )?(?:to access|of (?:access to|intent to access)) (?:the )?"
    r"(?:public benefits|(?:public |private )?insurance|medicaid)\b[^\n.]*",
    re.IGNORECASE,
)


def on_topic(message: IncomingMessage, child_name: str = "", areas: tuple[str, ...] = ()) -> bool:
    """True when the subject or the new text speaks of the request (the meeting, the IEP,
    the letter, a notice), in English or Spanish: a word of the request itself, the child's
    own meeting, or weak signs of two kinds (mentions.weak_signs; ``areas`` are the
    request's, and count as a service)."""
    fresh = new_text(message.text[:TEXT_SCAN_LIMIT])
    text = f"{message.subject}\n\n{_LEGAL_NOTICE.sub(' ', fresh)}"
    return on_topic_text(text, child_name, areas, invited=bool(message.parts.invites))


def on_topic_text(
    text: str, child_name: str = "", areas: tuple[str, ...] = (), *, invited: bool = False
) -> bool:
    text = _WRAPPED.sub(" ", text)  # "regarding your\nconcerns" as written, one phrase
    text = _BENEFITS_NOTICE.sub(" ", _EVERYDAY_IEP.sub(" ", _CLASSWORK.sub(" ", text)))
    text = _OTHER_NOTICES.sub(" ", text)
    text = mentions.OTHER_MEETINGS.sub(" ", text)
    if _ON_TOPIC.search(text):
        return True
    if child_name and mentions.names_the_meeting_of(child_name, text):
        return True
    signs = set(mentions.weak_signs(text, areas)) | ({"meeting"} if invited else set())
    if _ANY_REQUEST.search(text):
        signs.add("request")
    # The IEP beside a meeting, a talk, a notice or an invitation is the request's; beside
    # only the child's area or a test it is the plan a teacher follows ("she'll test in a
    # small group per her IEP", "la prueba de lectura no es parte del IEP").
    if _THE_IEP.search(text) and signs - {"service"}:
        return True
    return len(signs) >= 2
