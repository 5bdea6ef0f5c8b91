"""PURE: a smaller thing named in a sentence that is not offered by it: the call passed over
("rather than a phone call"), who the writer is ("I sit on our MTSS team"), why a time ("because
of dismissal"), where something was said ("as I told you at pickup"), or a talk that is part of
the meeting itself ("we would talk about a REED at the meeting itself"). :mod:`offers` asks here.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from iepd.decide.sentences import Token

# What comes right after these is what the school passes over, not what it offers.
_PASSED_OVER = frozenset({
    "rather_than", "instead_of", "in_place_of", "in_lieu_of", "en_vez_de", "en_lugar_de",
})  # fmt: skip


# What names a smaller meeting without offering it: "I sit on our MTSS team" (who the writer
# is), "we can't start before 3:40 because of dismissal" (why a time).
_NOT_OFFERED = frozenset({
    ("sit", "on"), ("serve", "on"), ("member", "of"), ("part", "of"), ("because", "of"),
    ("due", "to"), ("chair", "of"), ("lead", "of"),
})  # fmt: skip


# "As I told you at pickup Friday": where something was said, not what is offered.
_SAID = frozenset({
    "told", "said", "mentioned", "explained", "dije", "comente", "mencione", "explique",
})  # fmt: skip
_THE_MEETING_ITSELF = frozenset({("the", "meeting"), ("the", "ard"), ("the", "iep"),
                                 ("la", "junta"), ("la", "reunion")})  # fmt: skip


def part_of_the_meeting(tokens: Sequence[Token], item: int) -> bool:
    """True for a talk that is part of the meeting or was where something was said: "we would
    talk about a REED at the meeting itself", "before we all sit down", "as I told you at
    pickup"."""
    start = max(0, item - 4)
    said = any(
        token.low in _SAID and not (at > 0 and tokens[at - 1].low == "that")  # "That said,"
        for at, token in enumerate(tokens[start:item], start=start)
    )
    if said or [token.low for token in tokens[start:item]][-2:] == ["we", "all"]:
        return True
    for around in (tokens[item + 1 : item + 6], tokens[max(0, item - 8) : item]):
        pairs = {(a.low, b.low) for a, b in itertools.pairwise(around)}
        if any(token.low in ("at", "in", "en", "durante") for token in around) and (
            pairs & _THE_MEETING_ITSELF
        ):
            return True  # "at the meeting the team may talk about testing"
    return False


def named_not_offered(tokens: Sequence[Token], item: int) -> bool:
    window = tokens[max(0, item - 4) : item]
    pairs = {(a.lemma, b.low) for a, b in itertools.pairwise(window)}
    return bool(pairs & _NOT_OFFERED)


def passed_over(tokens: Sequence[Token], item: int) -> bool:
    """True for "a formal Team meeting rather than a phone call": the call passed over."""
    return any(token.is_(_PASSED_OVER) for token in tokens[max(0, item - 3) : item])
