"""PURE: what kind of answer a matched message is.

Given an :class:`~iepd.inbox.parse.IncomingMessage`, return a :class:`Classification`; nothing
here reads a clock, a database or the network. The classes are tried in the SPEC's order:
``bounce``, ``auto_reply``, ``invite``, ``declined``, ``informal``, ``answer``. Wording is
read only in the new text of the message (``excerpt.new_text``): the parent's own letter,
quoted below an answer, says "formal IEP meeting, not an informal check-in" and must never
turn an answer into ``informal``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from iepd.decide.excerpt import make_excerpt, new_text
from iepd.inbox.parse import IncomingMessage, is_mail_system

logger = logging.getLogger(__name__)

Class = Literal["bounce", "auto_reply", "invite", "declined", "informal", "answer"]

_ACTION = re.compile(r"^[ \t]*Action:[ \t]*([A-Za-z-]+)", re.IGNORECASE | re.MULTILINE)
_FINAL_RECIPIENT = re.compile(
    r"^[ \t]*(?:Final|Original)-Recipient:[ \t]*(?:rfc822;)?[ \t]*<?([^\s<>;]+@[^\s<>;]+)>?",
    re.IGNORECASE | re.MULTILINE,
)
_DELAY_SUBJECT = re.compile(
    r"\(delay\)|\bdelayed\b|still being retried|delivery delay|not yet been delivered",
    re.IGNORECASE,
)
_FAILURE_SUBJECT = re.compile(
    r"undeliver|returned to sender|returned mail|failure notice|mail delivery failed"
    r"|delivery status notification \(failure\)|delivery (has )?failed|could not be delivered",
    re.IGNORECASE,
)
_FAILURE_WORDING = re.compile(
    r"could not be delivered|permanent (error|failure)|delivery has failed|address not found"
    r"|user unknown|does not exist|mailbox unavailable|recipient address rejected"
    r"|wasn't delivered|couldn't be delivered",
    re.IGNORECASE,
)
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\s+-\s+")
_WHITESPACE = re.compile(r"\s+")
PHRASE_SCAN_LIMIT = 20_000  # characters of new text read for wording


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.IGNORECASE)


_MEETING = r"(?:IEP|ARD|team|formal|annual|full|additional|another|new|such)?\s*meeting"
_CONVENE = r"(?:schedule|hold|convene|set up|arrange|have|grant|honou?r|accommodate)"
# Sentences that say no meeting will be held.
DECLINES = (
    _any(
        r"\b(?:do not|don't|does not|doesn't|did not|didn't) (?:believe|think|feel|see|agree)\b"
        r"[^.?!]{0,80}\b(?:necessary|needed|warranted|required|appropriate|a need|any need)",
        r"\b(?:deny|denying|decline|declining|reject|rejecting|refuse|refusing)\s+"
        r"(?:your|the|this)\s+(?:meeting\s+)?request",
        r"\brequest(?: for (?:an? )?" + _MEETING + r")?\s+(?:is|has been|was|must be|will be)\s+"
        r"(?:denied|declined|rejected|refused)",
        r"\b(?:an?|another|the)\s+" + _MEETING + r"\s+(?:is|would be|will be|isn't|wouldn't be)"
        r"\s+(?:not\s+)?(?:un)?(?:necessary|needed|warranted|required|appropriate)",
        r"\bno (?:need|reason|basis|grounds) (?:for|to " + _CONVENE + r")\b[^.?!]{0,30}meeting",
        r"\b(?:decline|declining|refuse|refusing) to " + _CONVENE + r"\b",
        r"\bnot (?:going|planning|intending) to " + _CONVENE + r"\b[^.?!]{0,40}meeting",
    ),
)
# Refusals only when the same sentence does not offer another date ("not able to schedule a
# meeting on the 12th; would the 14th work?" is an answer).
DECLINES_UNLESS_COUNTERED = (
    _any(
        r"\b(?:not|n't) (?:be )?able to " + _CONVENE + r"\b[^.?!]{0,60}\b(?:meeting|request)",
        r"\b(?:unable to|cannot|can't|can not|won't|will not|will not be) (?:be )?"
        + _CONVENE
        + r"\w*\b[^.?!]{0,60}\bmeeting",
    ),
)
COUNTER_PROPOSAL = _any(
    r"\buntil\b",
    r"\bhow about\b",
    r"\bwould\b[^.?!]{0,40}\bwork\b",
    r"\breschedul",
    r"\b(?:another|different|later|other) (?:day|date|time|week)",
    r"\bthat (?:day|date|week)",
    r"\b(?:this|next) (?:week|month)\b",
    r"\bon (?:the )?(?:mon|tues|wednes|thurs|fri|satur|sun)day",
    r"\bon (?:the )?\d{1,2}(?:st|nd|rd|th)?\b",
    r"\bbefore\b",
    r"\bafter\b",
    r"\bbut\b",
)
# Sentences that offer something smaller than an IEP meeting.
INFORMAL_OFFERS = (
    _any(
        r"\b(?:quick|brief|short|informal|casual|quick phone|brief phone)\s+"
        r"(?:phone\s+|zoom\s+|teams\s+|video\s+)?"
        r"(?:call|chat|check-?\s?in|conversation|conference|touch\s?base|talk|meeting)",
        r"\b(?:an?|the)\s+(?:informal\s+|quick\s+|brief\s+)?check-?\s?in\b",
        r"\bhappy to (?:set up|schedule|have|hop on|jump on|arrange|do|talk|chat)\b"
        r"[^.?!]{0,30}\b(?:call|chat|conversation|phone|zoom)",
        r"\b(?:give you a (?:quick )?call|talk (?:by|over the|on the) phone|touch base"
        r"|chat (?:about|with you|briefly))\b",
        r"\b(?:instead of|rather than|in place of)\b[^.?!]{0,60}\b(?:meeting|IEP|team)",
        r"\bparent[- ]teacher conference",
        r"\bwithout (?:a|the) (?:formal |full )?(?:IEP )?meeting",
    ),
)
AFFIRMS_MEETING = _any(
    r"\b(?:IEP|team|ARD|the)\s+meeting\b[^.?!]{0,40}\b(?:is|has been|was|will be)\s+"
    r"(?:scheduled|set|confirmed|booked|held|on)\b",
    r"\b(?:schedule|scheduled|scheduling|set up|hold|convene|book|arrange|reserve)\b"
    r"[^.?!]{0,30}\b(?:the|an|a|your)\s+(?:formal\s+|full\s+|team\s+)?(?:IEP|ARD)\s+meeting",
    r"\b(?:glad|happy|able|agree|plan) to (?:meet|hold|convene|schedule)\b[^.?!]{0,40}"
    r"\b(?:IEP|team|ARD|meeting)",
    r"\b(?:IEP|team|ARD) meeting (?:on|for|at) (?:the )?(?:mon|tue|wed|thu|fri|jan|feb|mar|apr"
    r"|may|jun|jul|aug|sep|oct|nov|dec|\d)",
)
NEGATED = _any(
    r"\brather than\b",
    r"\binstead of\b",
    r"\bnot\b",
    r"n't\b",
    r"\bno need\b",
    r"\bbefore (?:we )?(?:schedul|hold|conven)",
)
OOF_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response|respon[sd]er)|autoreply"
    r"|out of (?:the )?office|ooo\b|on vacation|away from (?:the )?office|abwesen"
    r"|réponse automatique|respuesta automática|risposta automatica)",
    re.IGNORECASE,
)
OOF_WORDING = _any(
    r"\b(?:i am|i'm|i will be|i'll be)\s+(?:currently\s+)?(?:out of (?:the )?office|away"
    r"|on (?:vacation|leave|holiday|medical leave|maternity leave|paternity leave)|out sick"
    r"|out of town|traveling|travelling|attending)",
    r"\b(?:limited|no|intermittent) access to (?:my )?e-?mail",
    r"\b(?:respond|reply|get back to you|answer)\b[^.?!]{0,40}\b(?:up)?on my return",
    r"\bout of (?:the )?office (?:until|through|from|and will)",
    r"\bwill (?:be )?return(?:ing)? (?:to the office )?on\b",
    r"\bthis is an? auto(?:mated|matic)(?:[- ]?(?:reply|response|message))",
    r"\bwhile i am away\b",
    r"\bin my absence\b",
    r"\bback in the office\b",
)


@dataclass(frozen=True)
class Classification:
    klass: Class
    excerpt: str  # the new text, whitespace-collapsed, at most ~600 characters
    meeting_start: datetime | None = None  # aware; only for "invite"
    meeting_location: str | None = None
    bounced_recipient: str | None = None  # only for "bounce"
    signals: tuple[str, ...] = ()  # what decided it, for the log and the paper trail
    # Weak or conflicting evidence: the reminder says iepd is not sure what the school meant
    # and quotes `deciding`, the sentences the decision rests on, for the parent to read.
    unsure: bool = False
    deciding: tuple[str, ...] = ()


def classify(message: IncomingMessage) -> Classification:
    """Given a (matched) message, return its class, the excerpt, and for an invitation the
    meeting's start and place. Never raises."""
    signals: list[str] = []
    try:
        excerpt = make_excerpt(message.text)
        fresh = _WHITESPACE.sub(" ", new_text(message.text[: PHRASE_SCAN_LIMIT * 4]))
        fresh = fresh[:PHRASE_SCAN_LIMIT]
        return _decide(message, excerpt, fresh, signals)
    except Exception as error:  # a pure function, but hostile text must never crash the watcher
        logger.warning("classification failed for %s: %r", message.message_id, error)
        return Classification("answer", "", signals=(f"classification failed: {error!r}",))


def _decide(
    message: IncomingMessage, excerpt: str, fresh: str, signals: list[str]
) -> Classification:
    delivery, recipient = _delivery_report(message, signals)
    if delivery == "failed":
        return Classification(
            "bounce", excerpt, bounced_recipient=recipient, signals=tuple(signals)
        )
    if delivery == "delayed":
        # A delay warning is no failure, and no answer either: it is reported like an
        # auto-reply so that it never stops the follow-ups.
        return Classification("auto_reply", excerpt, signals=tuple(signals))
    invites = [invite for invite in message.parts.invites if invite.method == "REQUEST"]
    if _is_auto_reply(message, fresh, bool(invites), signals):
        return Classification("auto_reply", excerpt, signals=tuple(signals))
    if invites:
        invite = next((item for item in invites if item.start is not None), invites[0])
        signals.append("text/calendar METHOD:REQUEST")
        signals.extend(invite.notes)
        return Classification(
            "invite",
            excerpt,
            meeting_start=invite.start,
            meeting_location=invite.location or None,
            signals=tuple(signals),
        )
    if message.parts.invites:
        signals.append(f"calendar METHOD:{message.parts.invites[0].method or 'none'}")
    sentences = [sentence for sentence in _SENTENCE_END.split(fresh) if sentence]
    if _declines(sentences, signals):
        return Classification("declined", excerpt, signals=tuple(signals))
    if _offers_informal(sentences, signals):
        return Classification("informal", excerpt, signals=tuple(signals))
    if message.parts.html_only:
        signals.append("text converted from HTML")
    return Classification("answer", excerpt, signals=tuple(signals))


def _delivery_report(message: IncomingMessage, signals: list[str]) -> tuple[str | None, str | None]:
    """Return ("failed" | "delayed" | None, the failed recipient)."""
    failures = message.parts.failures
    status = message.parts.delivery_status
    actions = [action.lower() for action in _ACTION.findall(status)]
    from_system = is_mail_system(message)
    report = message.parts.report_type == "delivery-status"
    recipient = failures.permanent[0] if failures.permanent else _status_recipient(status)
    failed_header = message.headers.get("x-failed-recipients", "")
    if failures.permanent:
        signals.append("bounce detector: permanent failure")
        return "failed", recipient
    if any(action.startswith(("fail", "error")) for action in actions):
        signals.append("delivery-status Action: failed")
        return "failed", recipient
    if failed_header and not _DELAY_SUBJECT.search(message.subject):
        signals.append("X-Failed-Recipients")
        found = _ADDRESS.search(failed_header)
        return "failed", (found.group(0).lower() if found else recipient)
    delayed = failures.temporary or any(action.startswith("delay") for action in actions)
    if delayed or ((from_system or report) and _DELAY_SUBJECT.search(message.subject)):
        signals.append("delivery delayed, not failed")
        return "delayed", None
    if from_system and (
        _FAILURE_SUBJECT.search(message.subject) or _FAILURE_WORDING.search(message.text[:50_000])
    ):
        signals.append("mail-system failure notice")
        return "failed", recipient or _first_foreign_address(message)
    return None, None


def _status_recipient(status: str) -> str | None:
    found = _FINAL_RECIPIENT.search(status)
    return found.group(1).lower() if found else None


def _first_foreign_address(message: IncomingMessage) -> str | None:
    own = {message.from_addr, *message.to_addrs}
    for found in _ADDRESS.finditer(message.text[:20_000]):
        address = found.group(0).lower()
        if address not in own:
            return address
    return None


def _is_auto_reply(
    message: IncomingMessage, fresh: str, has_invite: bool, signals: list[str]
) -> bool:
    headers = message.headers
    auto_submitted = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        if auto_submitted == "auto-generated" and has_invite:
            # Meeting-notice systems mark their invitations auto-generated; the date matters.
            signals.append("Auto-Submitted: auto-generated on an invitation")
            return False
        signals.append(f"Auto-Submitted: {auto_submitted}")
        return True
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        if name in headers and headers[name].strip().lower() not in ("no", "false", "0"):
            signals.append(name)
            return True
    if headers.get("precedence", "").strip().lower() == "auto_reply":
        signals.append("Precedence: auto_reply")
        return True
    suppress = "x-auto-response-suppress" in headers
    if suppress and "x-ms-exchange-inbox-rules-loop" in headers:
        signals.append("Exchange out-of-office headers")
        return True
    weak_subject = bool(OOF_SUBJECT.search(message.subject))
    wording = bool(OOF_WORDING.search(fresh))
    if weak_subject and (wording or suppress):
        signals.append("out-of-office subject" + (" and wording" if wording else " and headers"))
        return True
    return False


def _declines(sentences: list[str], signals: list[str]) -> bool:
    for sentence in sentences:
        if any(pattern.search(sentence) for pattern in DECLINES):
            signals.append(f"declines: {sentence[:120]}")
            return True
        if any(pattern.search(sentence) for pattern in DECLINES_UNLESS_COUNTERED):
            if COUNTER_PROPOSAL.search(sentence):
                signals.append(f"not a refusal, another date offered: {sentence[:120]}")
                continue
            signals.append(f"declines: {sentence[:120]}")
            return True
    return False


def _offers_informal(sentences: list[str], signals: list[str]) -> bool:
    offer = next(
        (s for s in sentences if any(pattern.search(s) for pattern in INFORMAL_OFFERS)), None
    )
    if offer is None:
        return False
    affirmed = next(
        (s for s in sentences if AFFIRMS_MEETING.search(s) and not NEGATED.search(s)), None
    )
    if affirmed is not None:
        signals.append(f"offers a call but agrees to the meeting: {affirmed[:120]}")
        return False
    signals.append(f"offers instead of a meeting: {offer[:120]}")
    return True
