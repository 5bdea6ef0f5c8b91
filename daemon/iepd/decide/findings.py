"""PURE: what the school found about the child's IEP, when it finds it fine as it is.

"Sam's current IEP continues to meet his needs", "the goals remain appropriate", "no change
to the IEP is proposed", "we'll keep things as they are for now", "we'll continue with the
current plan", "stay the course", "nothing has changed", "el PEI sigue siendo adecuado":
said in answer to a request for a meeting, each turns it down softly without naming the
meeting. Alone it is a weak refusal (iepd says it is unsure); beside a meeting agreed to it
is outweighed ("his IEP meets his needs, but of course we will meet"), and beside an offer
the reply is an offer instead. Not when it is still to be decided ("to see whether his goals
remain appropriate") or denied ("it no longer meets his needs").
"""

from __future__ import annotations

from iepd.decide.clauses import BE, Cue, has, negator
from iepd.decide.sentences import Sentence, Token

# What may be found appropriate: the IEP, its goals, services, minutes, placement.
_PLAN = frozenset({
    "iep", "ieps", "pei", "goal", "goals", "service", "services", "minutes", "placement",
    "plan", "accommodations", "supports", "programming", "program", "meta", "metas",
    "servicios", "programa", "apoyos",
})  # fmt: skip
_FINE = frozenset({
    "appropriate", "adequate", "sufficient", "effective", "working", "adecuado", "adecuada",
    "adecuados", "adecuadas", "apropiado", "apropiada", "apropiados", "apropiadas",
    "suficiente", "suficientes",
})  # fmt: skip
_STAYS = frozenset({
    "remain", "remains", "continue", "continues", "still", "seguir", "sigue", "siguen",
    "siendo", "estar", "to", "be",
})  # fmt: skip
_NEEDS = frozenset({"needs", "necesidades"})
_MEETS = frozenset({"meet", "meets", "meeting", "address", "addresses", "cumplir", "atender"})
_CHANGE = frozenset({"change", "changes", "cambio", "cambios", "revision", "revisions"})
_CHANGE_NOT_NEEDED = frozenset({
    "needed", "necessary", "proposed", "warranted", "required", "indicated", "necesario",
    "necesarios", "propuesto", "propuestos",
})  # fmt: skip
_UNDECIDED = frozenset({
    "whether", "if", "si", "review", "revisar", "determine", "determinar", "see", "discuss",
    "ensure", "make_sure", "asegurar",
})  # fmt: skip
_AS_IS = (
    ("keep", "things", "as"), ("leave", "things", "as"), ("keep", "it", "as"),
    ("leave", "it", "as"), ("keep", "everything", "as"), ("dejar", "todo", "como"),
)  # fmt: skip


def _fine(tokens: tuple[Token, ...], index: int) -> bool:
    """True for "is appropriate", "remain appropriate", "continues to meet his needs"."""
    token = tokens[index]
    before = tokens[max(0, index - 3) : index]
    if token.is_(_FINE):
        return any(t.is_(BE) or t.is_(_STAYS) for t in before)
    if token.is_(_NEEDS):
        return any(t.is_(_MEETS) for t in before)
    return False


# "continue with the current plan", "stay the course", "mantener el plan actual"
_KEEP = frozenset({"continue", "keep", "maintain", "stay", "seguir", "continuar", "mantener"})
_CURRENT = frozenset({"current", "existing", "same", "course", "actual", "mismo", "misma"})
_CHANGED = frozenset({"changed", "cambiado"})


def _kept(lows: list[str], index: int) -> bool:
    """True for "we'll continue with the current plan", "stay the course", "nothing has
    changed": the school keeps things as they are."""
    if lows[index] in _KEEP and any(low in _CURRENT for low in lows[index + 1 : index + 5]):
        return True
    return lows[index] in ("nothing", "nada") and any(
        low in _CHANGED for low in lows[index + 1 : index + 4]
    )


def status_quo(sentence: Sentence) -> Cue | None:
    tokens = sentence.tokens
    lows = [token.low for token in tokens]
    for index in range(len(tokens)):
        if tuple(lows[index : index + 3]) in _AS_IS or _kept(lows, index):
            return Cue("refusal", False, sentence.text, "things kept as they are")
    if has(tokens, _UNDECIDED) or any(negator(token) for token in tokens):
        if not _no_change(tokens):
            return None
        return Cue("refusal", False, sentence.text, "no change to the IEP needed")
    for index in range(len(tokens)):
        if _fine(tokens, index) and has(tokens[:index], _PLAN):
            return Cue("refusal", False, sentence.text, "the IEP found fine as it is")
    return None


def _no_change(tokens: tuple[Token, ...]) -> bool:
    """True for "no change to Sam's IEP is proposed", "no changes are needed", "no habrá
    cambios en su PEI"."""
    for index, token in enumerate(tokens):
        if negator(token) and has(tokens[index + 1 : index + 4], _CHANGE) and has(tokens, _PLAN):
            return not has(tokens[:index], _UNDECIDED)
        if token.low in ("no", "ningun") and index + 1 < len(tokens):
            if tokens[index + 1].is_(_CHANGE) and has(
                tokens[index + 2 : index + 9], _CHANGE_NOT_NEEDED
            ):
                return not has(tokens[:index], _UNDECIDED)
    return False
