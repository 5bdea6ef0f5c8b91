"""PURE: a prior written notice sent with a reply, and a calendar invitation to less than the
meeting.

A district that refuses a parent's request must say so in a prior written notice (IDEA,
34 CFR 300.503), and a compliance office often sends it as a PDF under a two-line cover note
("Please see the attached Prior Written Notice regarding your request"). iepd cannot read the
PDF, but a notice sent now (attached, enclosed, below, "this letter serves as", a file named
PWN) in answer to a request for a meeting is the district's refusal; a notice only promised
("you will receive prior written notice of any decision") is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from iepd.decide import cues
from iepd.decide.clauses import has_day_or_time, is_meeting_noun
from iepd.decide.lemmas import plain
from iepd.decide.sentences import Sentence, Token, language_of, tokenize
from iepd.inbox.parse import MessageParts

_NOTICE_FILE = re.compile(
    r"(?:^|[^a-z])(?:pwn|norep)(?:[^a-z]|$)|prior.?written.?notice|notif\w*.?previa"
    r"|aviso.?previo|notice.?of.?(?:action|refusal|proposed|proposal|refused)"
    r"|written.?notice(?!.?(?:of|for).?(?:the.?)?(?:meeting|iep|ard|team|cse|ppt))",
)


def _names_notice(text: str) -> bool:
    return any(token.is_(cues.PRIOR_NOTICE) for token in tokenize(text, language_of(text)))


def _of_a_meeting(after: Sequence[Token]) -> bool:
    return (
        bool(after)
        and after[0].low in ("of", "for", "de")
        and any(token.is_(cues.MEETING) or token.is_(cues.TEAM) for token in after[1:])
    )


def prior_notice(subject: str, sentences: Sequence[Sentence], parts: MessageParts) -> str | None:
    """Given a reply's subject, its sentences and its parts, return what shows that a prior
    written notice comes with it (for the evidence), or None."""
    for name in parts.attachments:
        if _NOTICE_FILE.search(plain(name)):
            return f'attached as "{name}"'
    for sentence in sentences:
        tokens = sentence.tokens
        index = next((i for i, token in enumerate(tokens) if token.is_(cues.PRIOR_NOTICE)), -1)
        if index < 0:
            continue
        promised = any(token.is_(cues.FUTURE) for token in tokens[:index])
        if tokens[index].lemma == "written_notice" and _of_a_meeting(tokens[index + 1 : index + 5]):
            continue  # "the attached written notice of the IEP meeting": an invitation
        if any(token.is_(cues.PRESENT) for token in tokens) and not promised:
            return f'"{sentence.text[:200]}"'
    if _names_notice(subject):
        return f'named in the subject "{subject[:200]}"'
    return _bare_notice(sentences, parts)


_NOTICE_WORDS = frozenset({"notice", "notices", "aviso", "notificacion"})


def _bare_notice(sentences: Sequence[Sentence], parts: MessageParts) -> str | None:
    """Given a reply that attaches "a notice from the ESE department regarding Maya" and names
    no meeting and no day anywhere, return what shows it: in answer to a request for a
    meeting, a notice that is not of a meeting is most likely the refusal's. Weak: only the
    attachment says which notice it is."""
    if not parts.attachments:
        return None
    for sentence in sentences:
        tokens = sentence.tokens
        if has_day_or_time(sentence) or any(
            is_meeting_noun(tokens, at) or tokens[at].is_(cues.TEAM) for at in range(len(tokens))
        ):
            return None
    for sentence in sentences:
        tokens = sentence.tokens
        index = next((i for i, token in enumerate(tokens) if token.low in _NOTICE_WORDS), -1)
        if index < 0:
            continue
        promised = any(token.is_(cues.FUTURE) for token in tokens[:index])
        if any(token.is_(cues.PRESENT) for token in tokens) and not promised:
            return f'a notice attached, not of a meeting: "{sentence.text[:200]}"'
    return None


# The IEP meeting by the names states give it: Texas's ARD, Kentucky's ARC, Connecticut's
# PPT, Michigan's IEPT, Indiana's case conference committee (CCC); "conference" alone is
# Illinois's IEP conference.
_THE_MEETING = frozenset({"iep", "ard", "pei", "arc", "ppt", "iept", "ccc", "annual", "anual"})


def smaller_meeting(summary: str) -> str | None:
    """Given a calendar event's title, return what smaller thing it names (a call, an SST, a
    check-in) when it names neither the IEP nor the ARD meeting, else None."""
    tokens = tokenize(summary, language_of(summary))
    if any(token.low in _THE_MEETING for token in tokens):
        return None
    for token in tokens:
        lesser = token.is_(cues.LESSER_MEETING) and token.low not in ("conference", "conferencia")
        if lesser or token.is_(cues.TALK):
            return token.text
    return None
