"""PURE: the class of a reply from the cues of all its sentences, weighed together.

The rules, in the order they are tried (SPEC "Watching", the table of classes):

1. An offer of something smaller than the meeting (a call, a check-in, an SST, a talk at
   pickup) makes the reply ``informal``, also when a sentence refuses the meeting: "we do
   not believe a meeting is warranted; however I would be glad to set up a phone call" offers
   a call instead of the meeting. Only a plain, unconditional agreement to hold the meeting
   outweighs an offer ("we will hold the IEP meeting on the 10th; happy to call before").
2. A refusal, a deferral (to the annual review, until data are in, until the parent signs a
   consent) or a prior written notice sent now makes it ``declined``, unless the meeting is
   also agreed to and nothing refuses it outright.
3. A day refused ("we cannot hold it on the 9th") beside a date proposed is an ``answer``;
   alone it is a refusal iepd is unsure of. A meeting offered with someone, naming neither
   the team nor the IEP ("Ms. Lee would like to meet with you"), is ``informal`` when
   nothing else in the reply agrees to a meeting, and iepd says it is unsure.
4. Anything else is an ``answer``.

The decision is ``unsure`` when it rests on weak evidence (a prior written notice whose text
is only in an attachment, a smaller meeting offered with no refusal beside it) or when the
cues conflict (an agreement and a refusal, an agreement and an offer); ``deciding`` then
holds the sentences a parent should read. Every cue read is also recorded, either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from iepd.decide.clauses import Cue

Verdict_Class = Literal["answer", "declined", "informal"]
QUOTE_LIMIT = 240

_LABELS = {
    "refusal": "refusal",
    "deferral": "deferral",
    "offer": "offer instead of the meeting",
    "affirm": "agrees to the meeting",
    "contact": "invitation to get in touch (no offer)",
}


@dataclass(frozen=True)
class Verdict:
    klass: Verdict_Class
    signals: tuple[str, ...]
    unsure: bool = False
    deciding: tuple[str, ...] = ()


def quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1].rstrip() + "…"


def describe(cue: Cue) -> str:
    """Given a cue, return it as a line a parent can read:
    ``refusal: "we do not believe a meeting is necessary at this time"``."""
    label = _LABELS[cue.kind]
    strength = "" if cue.strong else ", weak"
    return f'{label} ({cue.note}{strength}): "{quote(cue.sentence)}"'


def weigh(found: Sequence[Cue], notice: str | None = None) -> Verdict:
    """Given the cues of a reply in order and, when a prior written notice is sent with it,
    what shows it, return the class, the evidence, and whether iepd is unsure."""
    signals = [describe(cue) for cue in found]
    if notice:
        signals.append(f"prior written notice: {notice}")

    def of(kind: str, strong: bool | None = None) -> list[Cue]:
        return [c for c in found if c.kind == kind and (strong is None or c.strong == strong)]

    refusals, weak_refusals = of("refusal", True), of("refusal", False)
    deferrals = of("deferral")
    offers, weak_offers = of("offer", True), of("offer", False)
    affirms, weak_affirms = of("affirm", True), of("affirm", False)

    def verdict(klass: Verdict_Class, unsure: bool, deciding: Sequence[Cue]) -> Verdict:
        extra = (notice,) if notice and klass == "declined" and not refusals else ()
        quoted = tuple(quote(cue.sentence) for cue in deciding) + extra
        signals.append(f"decided: {klass}" + (" (unsure)" if unsure else ""))
        return Verdict(klass, tuple(signals), unsure, tuple(dict.fromkeys(quoted)))

    if offers or (weak_offers and (refusals or deferrals or weak_refusals)):
        if affirms and not refusals and not deferrals:
            return verdict("answer", True, [*affirms[:1], *(offers or weak_offers)[:1]])
        return verdict("informal", not offers, [*(offers or weak_offers)[:2], *refusals[:1]])
    if weak_offers and not affirms and not weak_affirms:
        # "Ms. Okafor would like to meet with you": a meeting, but not the team's
        return verdict("informal", True, weak_offers[:1])
    if weak_refusals and not refusals and not deferrals and not notice:
        if affirms or weak_affirms:
            # "not on the 9th" and a date proposed elsewhere: another day, not a refusal
            return verdict("answer", False, [*(affirms or weak_affirms)[:1]])
        return verdict("declined", True, weak_refusals[:1])
    if refusals or deferrals or notice:
        if affirms and not refusals:
            return verdict("answer", True, [*affirms[:1], *deferrals[:1]])
        conflicting = bool(affirms)
        weak = not refusals and not any(cue.strong for cue in deferrals)
        return verdict("declined", conflicting or weak, [*refusals[:2], *deferrals[:1]])
    if weak_offers:
        return verdict("answer", True, [*weak_offers[:1], *(affirms or weak_affirms)[:1]])
    return verdict("answer", False, [*affirms[:1], *weak_affirms[:1]][:1])
