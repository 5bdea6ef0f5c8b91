"""PURE: mail sent to many families or by a system, which is never the school's answer.

A weekly update that names the child, a report-card notice from the student-information
system, a lunch-balance alert, a district-wide closure: all come from the school's domain,
some from the case manager herself, many name the child. None answers the parent's letter.
Each test below is enough alone; each answer names the header or the words that showed it.

Two kinds of automatic mail are kept: a calendar invitation (a district's meeting-notice
system sends the IEP meeting's date from a no-reply address) and an auto-reply (a vacation
program marks its reply ``Precedence: bulk``); ``classify`` tells them apart.
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
    r"\b[^\n]{0,50}?\b(?:families|familias|parents and guardians|parents/guardians|caregivers"
    r"|padres de familia|padres y tutores|(?:all|todos los)\b[^\n]{0,20}\b(?:parents|padres))\b",
    re.IGNORECASE | re.MULTILINE,
)
# What a notification or a newsletter says of itself.
_SAYS_SO = re.compile(
    r"you are receiving this (?:message|e-?mail|notification)|you're receiving this"
    r"|this (?:message|e-?mail) was sent to all|sent to all (?:families|parents)"
    r"|\bunsubscribe\b|notification (?:preferences|settings)|(?:please )?do not reply to this"
    r"|please do not reply\b|replies to this (?:address|message|e-?mail) are not monitored"
    r"|this (?:mailbox|address) is not monitored|an? automated (?:message|e-?mail|notice)"
    r"|this is an automated|view (?:it|this message) (?:on|in) |log in to (?:campus|family)"
    r"|usted recibe este mensaje|recibe este (?:mensaje|correo) porque|no responda a este"
    r"|por favor no responda|mensaje autom[aá]tico|preferencias de notificaci[oó]n"
    r"|enviado a todas las familias|cancelar (?:la )?suscripci[oó]n",
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


def header_reason(message: IncomingMessage) -> str | None:
    """Given a message (its headers are enough), return why it is mail to many or from a
    system, or None. Auto-replies and calendar invitations are never set aside here."""
    if is_auto_reply(message) or _has_invitation(message):
        return None
    headers = message.headers
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    found = next((name for name in headers if _CAMPAIGN_HEADER.match(name)), None)
    if found:
        return f"mass-mailing header {found}"
    if headers.get("auto-submitted", "").split(";")[0].strip().lower() == "auto-generated":
        return "Auto-Submitted: auto-generated (a notification)"
    address = message.from_addr or ""
    local, _, domain = address.partition("@")
    if _NO_REPLY.search(local):
        return f"sent from a no-reply address ({address})"
    platform = _PLATFORM.search(f"{message.from_name} {domain} {headers.get('x-mailer', '')}")
    if platform:
        return f"sent by a notification system ({platform.group(0)})"
    if len(message.to_addrs) + len(message.cc_addrs) >= MANY_RECIPIENTS:
        return f"addressed to {len(message.to_addrs) + len(message.cc_addrs)} recipients"
    if "undisclosed" in headers.get("to", "").lower():
        return "addressed to undisclosed recipients"
    return None


def reason(message: IncomingMessage, parent_addresses: Iterable[str] = ()) -> str | None:
    """Given a whole message and the parent's addresses, return why it is mail to many or
    from a system (the header, the greeting, the words that showed it), or None."""
    found = header_reason(message)
    if found or is_auto_reply(message) or _has_invitation(message):
        return found
    parents = {address.lower() for address in parent_addresses}
    addressed = set(message.to_addrs) | set(message.cc_addrs)
    if parents and addressed and not parents & addressed:
        if message.from_addr in addressed:
            return "sent to the sender's own address, the parent only in Bcc"
        group = next((a for a in addressed if _GROUP.search(a.partition("@")[0])), None)
        if group:
            return f"sent to a group ({group}), the parent only in Bcc"
    text = message.text[:TEXT_LIMIT]
    greeting = _TO_MANY.search(text[:2000])
    if greeting:
        return f'written to many: "{greeting.group(0).strip()}"'
    says = _SAYS_SO.search(text)
    if says:
        return f'a notification: "{says.group(0)}"'
    return None
