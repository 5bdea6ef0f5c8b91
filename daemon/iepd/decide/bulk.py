"""PURE: mail sent to many families or by a system, which is never the school's answer.

A weekly update that names the child, a report-card notice from the student-information
system, a lunch-balance alert, a district-wide closure: all come from the school's domain,
some from the case manager herself, many name the child. None answers the parent's letter.
Each sign below is enough alone, and the reason given names the header or the words.

Mail to many (a list, bulk or campaign header, ten or more recipients, the parent only in
Bcc, a greeting to families, a newsletter's footer) is set aside whatever it says. Mail from a
system (a no-reply address, a student-information system, ``Auto-Submitted:
auto-generated``, ``Precedence: bulk`` to the parent alone, "please do not reply") is set
aside unless it is about the request itself: a compliance office's system may send the prior
written notice, a notice system the notice of the meeting. Kept always: a calendar
invitation (a district's meeting-notice system sends the IEP meeting's date from a no-reply
address), an auto-reply (a vacation program marks its reply ``Precedence: bulk``) and a
reply ("Re: ..."), which no broadcast is; ``classify`` tells them apart. A system's copy of
one staff member's message to the parent alone (:func:`relays_a_person`: a portal's "New
message from Dana Alvarez", a help desk's "New response") is set aside here too, and
``matching`` takes it as her own email would be taken, naming the child.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from iepd.inbox.parse import IncomingMessage

_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
# Headers that mass-mailing services and school notification platforms add.
_CAMPAIGN_HEADER = re.compile(
    r"^(?:x-campaign|x-campaignid|x-mailgun-|x-sg-|x-sendgrid|x-mc-|x-mandrill|x-ses-|x-sfmc"
    r"|x-mailchimp|x-constantcontact|x-schoolmessenger|x-parentsquare|x-remind|x-bulk"
    r"|x-newsletter|x-marketing|feedback-id|x-report-abuse|x-csa-complaints)",
)
_NO_REPLY = re.compile(
    r"(?:^|[._+-])(?:no-?reply|do-?not-?reply|donotreply|notifications?|notify|alerts?"
    r"|automated|auto-?mailer|mailer|system|broadcast|announcements?|newsletter|bulletin"
    r"|info-?noreply)(?:$|[._+-])",
)
# Student-information systems and school messaging platforms, by name or domain.
_PLATFORM = re.compile(
    r"infinite\s?campus|campus parent|skyward|family access|powerschool|parentsquare"
    r"|schoolmessenger|\bremind\b|classdojo|seesaw|schoology|canvas|google classroom"
    r"|blackboard|aeries|synergy|parentvue|studentvue|edlio|finalsite|peachjar|schoolcafe"
    r"|myschoolbucks|schoolpay|bloomz|talkingpoints|smore|konstella|schoolstatus|apptegy"
    r"|rooms app|parentlink|k12 ?alerts|school ?reach|one ?call ?now|swiftk12|naviance"
    r"|parent portal|portal de padres",
    re.IGNORECASE,
)
# A greeting to many: "Dear Lincoln families", "Hello, Lion families!", "Estimadas familias".
_TO_MANY = re.compile(
    r"^\W*(?:dear|hello|hi|hey|greetings|good (?:morning|afternoon|evening)|attention|to all"
    r"|estimad[ao]s|querid[ao]s|hola|buen[oa]s (?:d[ií]as|tardes)|saludos|atenci[oó]n)"
    r"\b[^\n]{0,50}?\b((?:families|familias|parents and guardians|parents/guardians|caregivers"
    r"|padres de familia|padres y tutores|(?:all|todos los)\b[^\n]{0,20}\b(?:parents|padres)"
    r"|everyone|everybody|y'all|todos|todas))\b",
    re.IGNORECASE | re.MULTILINE,
)
_EVERYONE = re.compile(r"everyone|everybody|y'all|todos|todas", re.IGNORECASE)
# What a newsletter or a platform's message says of itself.
_SENT_TO_MANY = re.compile(
    r"you are receiving this (?:message|e-?mail|notification)|you're receiving this"
    r"|this (?:message|e-?mail) was sent to all|sent to all (?:families|parents)"
    r"|\bunsubscribe\b|notification (?:preferences|settings)"
    # not "to review it in advance"
    r"|\bview (?:it|this message) (?:on|in) "
    r"|usted recibe este mensaje|recibe este (?:mensaje|correo) porque"
    r"|preferencias de notificaci[oó]n|enviado a todas las familias"
    r"|cancelar (?:la )?suscripci[oó]n",
    re.IGNORECASE,
)
# What a system's notification says of itself; an office's letter may say it too, so it
# counts only for a message that is not about the request.
_AUTOMATED = re.compile(
    r"(?:please )?do not reply to this|please do not reply\b"
    r"|replies to this (?:address|message|e-?mail) are not monitored"
    r"|this (?:mailbox|address) is not monitored|an? automated (?:message|e-?mail|notice)"
    r"|this is an automated|log in to (?:campus|family|the parent portal)"
    r"|no responda a este|por favor no responda|mensaje autom[aá]tico",
    re.IGNORECASE,
)
# A mail-merge greeting: "Dear Parent/Guardian of Maya", "Estimado padre o tutor". A
# compliance office's letter may open so too, so it counts only for a message that is not
# about the request.
_FORM_LETTER = re.compile(
    r"^\W*(?:dear|to the|estimad[ao]s?|querid[ao]s?)\s+(?:parents?\s*(?:/|or|and|&)\s*"
    r"guardians?|padres?\s*(?:/|o|y)\s*tutor(?:es)?|padres? de familia\s*(?:/|o|y)\s*tutor)"
    r"\b",
    re.IGNORECASE | re.MULTILINE,
)
# What a form letter about the child's own IEP names (not "students with IEPs").
_FORM_ABOUT_THE_CHILD = re.compile(
    r"\b(?:iep|ard|pei|meeting|junta|reuni[oó]n|request|solicitud|notice|aviso|speech|habla"
    r"|therapy|terapia)\b",
    re.IGNORECASE,
)
_REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|rv|r|sv|antw|ref)\s*(?:\[\d+\])?\s*:", re.I)
# A system's message about the request itself. The notice of the meeting goes by many names
# ("Notice of Meeting", Pennsylvania's "Invitation to Participate in the IEP Team Meeting");
# named bare, the meeting is the IEP team's, and a PTA's or a board's must say so.
_ABOUT_THE_REQUEST = re.compile(
    r"prior written notice|(?:notice|invitation) (?:of|to) (?:participate in |attend )?(?:the |an?"
    r" )?(?:(?:iep|ard|team|committee|admission|cse|ppt)\b[\w ,()-]{0,40})?meeting"
    r"|(?:aviso|notificaci[oó]n|invitaci[oó]n) (?:de|a|para) (?:participar en |asistir a )?(?:la"
    r" |una )?(?:reuni[oó]n|junta) (?:del?|de la) (?:equipo|comit[eé]|iep|pei|ard|admisi[oó]n)"
    r"|your (?:written )?request|parent(?:'s|s')? request|request (?:for|dated|of) (?:an?"
    r" )?(?:iep|ard|meeting)|meeting request|aviso previo|notificaci[oó]n previa"
    r"|su solicitud|solicitud (?:de|del|para) (?:una |la )?(?:junta|reuni[oó]n)"
    # New York's: "a meeting of the Committee on Special Education has been scheduled"
    r"|meeting of the (?:committee on (?:preschool )?special education|cse|iep team"
    r"|ard committee|ppt)|at the request of the parent",
    re.IGNORECASE,
)
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|autoreply|out of (?:the )?"
    r"office|respuesta autom[aá]tica|fuera de (?:la )?oficina)",
    re.IGNORECASE,
)
# A list's address: "4th-grade-families@", "sepac-parents@", "lincoln.all@".
_GROUP = re.compile(
    r"famil|parent|padres|guardian|everyone|(?:^|[._-])all(?:$|[._-])|grade|class|list"
    r"|group|staff|community|students|news|pta|pto|sepac|todos"
)
# A person's name as a platform prints it ("Dana Alvarez", "Ms. Alvarez", "Patricia
# Benavídez"), on one line: two to four capitalised words, or a title and one or two.
_PERSON = (
    r"(?<![\w'’-])(?P<person>(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sr|Sra|Srta)\.?[ \t]+[A-ZÁÉÍÓÚÑÜ][\w'’-]+"
    r"(?:[ \t]+[A-ZÁÉÍÓÚÑÜ][\w'’-]+)?)|[A-ZÁÉÍÓÚÑÜ][\w'’-]+(?:[ \t]+[A-ZÁÉÍÓÚÑÜ][\w'’.-]*){1,3})"
)
# What a platform's copy of one person's message says in its From name or subject: "Dana
# Alvarez via Skyward", "New message from Dana Alvarez", "Nuevo mensaje de Ana Ruiz".
_RELAYED_BY_NAME = (
    re.compile(rf"^\s*{_PERSON}[ \t]+(?i:via|v[ií]a)[ \t]+\S"),
    re.compile(
        rf"(?i:\b(?:new[ \t]+|nuevo[ \t]+)?(?:message|mensaje)[ \t]+(?:from|de)[ \t]+){_PERSON}"
    ),
)
# ... and in its text: "Dana Alvarez (Lincoln) sent you a message", "sent to Jordan Rivera by
# Dana Alvarez using Campus Messenger", "Ana Ruiz le envió un mensaje".
_RELAYED_IN_TEXT = (
    re.compile(
        rf"{_PERSON}(?:[ \t]*\([^)\n]{{0,60}}\))?[ \t]+(?i:(?:has[ \t]+)?(?:just[ \t]+)?sent"
        r"[ \t]+you[ \t]+a"
        r"[ \t]+(?:new[ \t]+|private[ \t]+|direct[ \t]+)?message"
        r"|le[ \t]+(?:ha[ \t]+)?envi[oó][ \t]+un[ \t]+(?:nuevo[ \t]+)?mensaje)"
    ),
    re.compile(
        r"(?i:\bsent[ \t]+to[ \t]+)[^\n]{1,60}?(?i:[ \t]+by[ \t]+)"
        rf"{_PERSON}[ \t]+(?i:using|via|through)\b"
    ),
)
# An office, a school or a system relayed is no person ("Lincoln Student Services via ...").
_INSTITUTION = re.compile(
    r"\b(?:schools?|elementary|middle|high|academy|district|isd|usd|office|department|dept"
    r"|services?|cent(?:er|re)|team|staff|admin\w*|portal|campus|support|desk|care|nutrition"
    r"|attendance|transportation|counseling|library|connect|messenger|notifications?|alerts?"
    r"|escuela|distrito|oficina|departamento|servicios?|equipo)\b",
    re.IGNORECASE,
)
# A help desk's case ("Dialogue #RB-2026-118422", "Case No. HD-55012") and the heading of a
# staff member's answer in it; a change of status alone answers nothing.
_TICKET = re.compile(
    r"\b(?:ticket|case|dialogue|dialog|incident|inquiry|enquiry|request|solicitud|caso)"
    r"[ \t]*(?:#|no\.|number|n[uú]mero)[ \t]*:?[ \t]*[A-Z]{0,6}-?\d[\w-]*",
    re.IGNORECASE,
)
_STAFF_RESPONSE = re.compile(
    r"^[\s\-=_*#|]*((?:new|latest|staff|agent)[ \t]+(?:response|reply|comment)|resolution"
    r"|(?:nueva[ \t]+)?respuesta(?:[ \t]+del[ \t]+personal)?|resoluci[oó]n)[ \t]*:?[\s\-=_*#|]*$",
    re.IGNORECASE | re.MULTILINE,
)
MANY_RECIPIENTS = 10
TEXT_LIMIT = 20_000


def is_auto_reply(message: IncomingMessage) -> bool:
    """True for an auto-reply (RFC 3834, vendor headers, an out-of-office subject), which
    answers the parent's own mail and is kept for ``classify``."""
    headers = message.headers
    submitted = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    return (
        submitted == "auto-replied"
        or any(name in headers for name in ("x-autoreply", "x-autorespond", "x-autoresponder"))
        or headers.get("precedence", "").strip().lower() == "auto_reply"
        or bool(_AUTO_REPLY_SUBJECT.search(message.subject))
    )


def _has_invitation(message: IncomingMessage) -> bool:
    return any(invite.start is not None for invite in message.parts.invites)


def is_a_reply(message: IncomingMessage) -> bool:
    """True when the subject says the message replies to one ("Re:", "RE:", "AW:", "RV:"):
    a broadcast never does."""
    return bool(_REPLY_SUBJECT.match(message.subject))


def _about_the_request(message: IncomingMessage) -> bool:
    """True when a system's message is about the parent's request itself (a prior written
    notice, a notice of the IEP meeting, "your request"), not a grade, a balance or a
    progress report."""
    return bool(
        _ABOUT_THE_REQUEST.search(message.subject)
        or _ABOUT_THE_REQUEST.search(message.text[:TEXT_LIMIT])
    )


def reason(message: IncomingMessage, parent_addresses: Iterable[str] = ()) -> str | None:
    """Given a whole message and the parent's addresses, return why it is mail to many or
    from a system (the header, the greeting, the words that showed it), or None.

    Mail to many is set aside whatever it says. Mail from a system (a no-reply address, a
    student-information system, ``Auto-Submitted: auto-generated``) is set aside unless it
    is about the request itself: a district's compliance system may send the prior written
    notice. Auto-replies, calendar invitations and replies ("Re: ...") are never set aside."""
    if is_auto_reply(message) or _has_invitation(message) or is_a_reply(message):
        return None
    mass = _to_many(message, parent_addresses)
    if mass:
        return mass
    if _about_the_request(message):
        return None
    return _from_a_system(message)


def relays_a_person(message: IncomingMessage, parent_addresses: Iterable[str] = ()) -> str | None:
    """Given a message (whole, or its headers) and the parent's addresses, return the sign that
    a school's system relays one staff member's own message to the parent alone ("Dana Alvarez
    via Skyward", "New message from Dana Alvarez", a help desk's "New response"), or None.

    Such a copy wears a system's marks (a no-reply address, ``Auto-Submitted``, "notification
    settings", ``List-Unsubscribe``) and is still the staff member's answer, as her own email
    would be. Mail to many is never one: a list, a campaign header, anyone but the parent
    addressed, a greeting to families. An office or a school is no person; a help desk counts
    only with a staff member's response in it, not a bare change of status."""
    found = _relay(message, parent_addresses)
    return found[0] if found else None


def relayed_person(message: IncomingMessage, parent_addresses: Iterable[str] = ()) -> str:
    """Given a message (whole, or its headers) and the parent's addresses, return the name of
    the staff member whose own message a system relays to the parent alone as
    :func:`relays_a_person` reads it ("Dana Alvarez" of "New message from Dana Alvarez"), or
    "" (no relay, or a help desk's response, which names its writer nowhere reliable)."""
    found = _relay(message, parent_addresses)
    return found[1] if found else ""


def _relay(message: IncomingMessage, parent_addresses: Iterable[str]) -> tuple[str, str] | None:
    """(the sign, the person relayed or "") or None."""
    parents = {address.lower() for address in parent_addresses}
    addressed = set(message.to_addrs) | set(message.cc_addrs)
    if not addressed or not addressed <= parents or _sent_to_many(message, parents):
        return None
    text = message.text[:TEXT_LIMIT]
    # "Dana Alvarez sent you a message" is a subject too, which the header-first pass sees.
    subject_patterns = (*_RELAYED_BY_NAME, _RELAYED_IN_TEXT[0])
    for where, words, patterns in (
        ("sender", message.from_name, _RELAYED_BY_NAME),
        ("subject", message.subject, subject_patterns),
    ):
        for pattern in patterns:
            found = pattern.search(words)
            if found and _a_person(found.group("person")):
                sign = f'relays a person\'s message ({where}: "{found.group(0).strip()}")'
                return sign, found.group("person")
    for pattern in _RELAYED_IN_TEXT:
        for found in pattern.finditer(text[:3000]):
            if _a_person(found.group("person")):
                sign = f'relays a person\'s message: "{found.group(0).strip()}"'
                return sign, found.group("person")
    ticket = _TICKET.search(message.subject) or _TICKET.search(text[:3000])
    response = _STAFF_RESPONSE.search(text)
    if ticket and response:
        return f'a help desk\'s {response.group(1).lower()} on "{ticket.group(0)}"', ""
    return None


def _a_person(name: str) -> bool:
    return not _INSTITUTION.search(name)


def _to_many(message: IncomingMessage, parent_addresses: Iterable[str]) -> str | None:
    parents = {address.lower() for address in parent_addresses}
    return _sent_to_many(message, parents) or _said_to_many(message)


def _sent_to_many(message: IncomingMessage, parents: set[str]) -> str | None:
    """The signs that no copy relaying one person's message to the parent can wear."""
    headers = message.headers
    addressed = set(message.to_addrs) | set(message.cc_addrs)
    precedence = headers.get("precedence", "").strip().lower()
    # A notification system marks all it sends "bulk", the notice about one child to one
    # parent too: addressed to her alone, it is a system's message (_from_a_system).
    if precedence in _BULK_PRECEDENCE and not (
        precedence == "bulk" and addressed and addressed <= parents
    ):
        return f"Precedence: {precedence}"
    found = next((name for name in headers if _CAMPAIGN_HEADER.match(name)), None)
    if found:
        return f"mass-mailing header {found}"
    if len(addressed) >= MANY_RECIPIENTS:
        return f"addressed to {len(addressed)} recipients"
    if "undisclosed" in headers.get("to", "").lower():
        return "addressed to undisclosed recipients"
    if parents and addressed and not parents & addressed:
        if message.from_addr in addressed:
            return "sent to the sender's own address, the parent only in Bcc"
        group = next((a for a in addressed if _GROUP.search(a.partition("@")[0])), None)
        if group:
            return f"sent to a group ({group}), the parent only in Bcc"
    greeting = _TO_MANY.search(message.text[:2000])
    if greeting and not _everyone_is_the_team(message, parents, greeting.group(1)):
        return f'written to many: "{greeting.group(0).strip()}"'
    return None


def _said_to_many(message: IncomingMessage) -> str | None:
    """The marks a mailing service puts on all it sends: a newsletter's, and a platform's copy
    of one person's message too (:func:`relays_a_person`)."""
    if "list-unsubscribe" in message.headers:
        # matching sets such mail aside before asking here, unless it relays one person.
        return "List-Unsubscribe (a mailing service)"
    says = _SENT_TO_MANY.search(message.text[:TEXT_LIMIT])
    if says:
        return f'a mass mailing: "{says.group(0)}"'
    return None


def _everyone_is_the_team(message: IncomingMessage, parents: set[str], greeted: str) -> bool:
    """True when "Hi everyone" greets the parent and the sender's colleagues, all named in To
    and Cc (a coordinator setting the meeting with the team copied), not a list of families."""
    if not _EVERYONE.fullmatch(greeted):
        return False
    addressed = set(message.to_addrs) | set(message.cc_addrs)
    domain = (message.from_addr or "").rpartition("@")[2]
    others = addressed - parents
    return bool(
        domain
        and parents & addressed
        and others
        and all(a.rpartition("@")[2] == domain for a in others)
    )


def _from_a_system(message: IncomingMessage) -> str | None:
    headers = message.headers
    if headers.get("auto-submitted", "").split(";")[0].strip().lower() == "auto-generated":
        return "Auto-Submitted: auto-generated (a notification)"
    if headers.get("precedence", "").strip().lower() == "bulk":
        return "Precedence: bulk, to the parent alone (a notification)"
    address = message.from_addr or ""
    local, _, domain = address.partition("@")
    if _NO_REPLY.search(local):
        return f"sent from a no-reply address ({address})"
    platform = _PLATFORM.search(f"{message.from_name} {domain} {headers.get('x-mailer', '')}")
    if platform:
        return f"sent by a notification system ({platform.group(0)})"
    says = _AUTOMATED.search(message.text[:TEXT_LIMIT])
    if says:
        return f'a notification: "{says.group(0)}"'
    form = _FORM_LETTER.search(message.text[:2000])
    if form and not _FORM_ABOUT_THE_CHILD.search(message.text[:TEXT_LIMIT]):
        return f'a form letter: "{form.group(0).strip()}"'
    return None
