"""A second reading of a reply, by the weight of its words: a small linear model.

The rules (reading, offers, weighing) read every development author right but only about
85 % of answers, refusals and offers by authors they were not tuned on; a logistic regression
over the same lemmas, trained on the other authors, read 93 % of those, and the two combined
as ``classify`` combines them 95 % (leave-one-author-out; docs/classification.md, "How the
two readings combine").
The model explains itself: the evidence records its class, how sure it is and the five words
that weighed most, and a parent told iepd is not sure can correct it with one word.

The model is the file ``second_reading.json`` beside this module, written by
``benchmarks/model_experiment.py --write-model`` from ``features`` below (the same function
at training and here, so the two cannot drift). It is read on the first reply classified,
never at start-up; about 200 kB on disk and about a MiB in memory.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from importlib import resources
from typing import Literal, NamedTuple

from iepd.decide.cues import NEGATION
from iepd.decide.sentences import Sentence

MODEL_FILE = "second_reading.json"
Reading = Literal["answer", "declined", "informal"]
CLASSES: tuple[Reading, ...] = ("answer", "declined", "informal")
# Fewer known words than this and the model says nothing: few words are thin evidence, and on
# short clear sentences (the unit tests') the weight of words is wrong where the rules are
# right. Leave-one-author-out lost no reply to it (docs/classification.md).
MIN_KNOWN_FEATURES = 20
_WORDLIKE = re.compile(r"[^\W\d_]")
# Function words are left out: with them kept, "the", "for" and "a" were among the words that
# weighed most, which explains nothing to a parent (and cross-validation lost nothing).
FUNCTION_WORDS = frozenset({
    "the", "a", "an", "and", "or", "to", "of", "in", "on", "at", "for", "with", "by", "from",
    "is", "be", "are", "was", "were", "it", "this", "that", "these", "those", "as", "so",
    "i", "we", "you", "he", "she", "they", "me", "us", "him", "her", "his", "our", "your",
    "my", "their", "its", "them", "there", "here", "have", "has", "had", "do", "does", "did",
    "am", "if", "about", "up", "out", "just", "also", "all", "any", "some", "what", "which",
    "who", "when", "hi", "hello", "dear", "thanks", "thank",
    "de", "la", "que", "el", "en", "y", "los", "se", "del", "las", "por", "un", "para", "con",
    "una", "su", "al", "lo", "como", "le", "ya", "este", "esta", "muy", "sobre", "nos",
    "es", "son", "usted", "hola", "estimado", "estimada", "gracias",
})  # fmt: skip


class SecondReading(NamedTuple):
    klass: Reading
    probability: float
    weighed: tuple[str, ...]  # the words that weighed most for it, readable


def features(sentences: list[Sentence], *, function_words: bool = False) -> frozenset[str]:
    """Given the sentences of a reply's new text, return its lemmas but function words, a
    word after a negation in its clause (up to a comma that starts over) marked ``not_``
    (``function_words``: keep them too, as the experiment's plain variants do)."""
    found: set[str] = set()
    for sentence in sentences:
        for clause in sentence.clauses:
            negated = False
            for token in clause:
                if token.after_comma:
                    negated = False
                if token.is_(NEGATION) or token.low.endswith(("n't", "n’t")):
                    negated = True
                    found.add(token.lemma)
                    continue
                if _WORDLIKE.search(token.lemma) and (
                    function_words or token.lemma not in FUNCTION_WORDS
                ):
                    found.add(("not_" if negated else "") + token.lemma)
    return frozenset(found)


class _Model(NamedTuple):
    bias: dict[str, float]
    weights: dict[str, dict[str, float]]  # feature -> class -> weight


@cache
def _model() -> _Model | None:
    # An install without it, or with a damaged copy, reads by the rules alone.
    try:
        text = resources.files("iepd.decide").joinpath(MODEL_FILE).read_text(encoding="utf-8")
        data = json.loads(text)
        bias: dict[str, float] = {k: float(data["bias"][k]) for k in CLASSES}
        weights = {
            str(feature): {str(k): float(w) for k, w in row.items()}
            for feature, row in data["weights"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return _Model(bias, weights)


def second_reading(sentences: list[Sentence]) -> SecondReading | None:
    """Given the sentences of a reply's new text, return the model's class, its probability
    and the words that weighed most for it; None when the model is missing or too few of the
    reply's words are known to it."""
    model = _model()
    if model is None:
        return None
    known = [feature for feature in features(sentences) if feature in model.weights]
    if len(known) < MIN_KNOWN_FEATURES:
        return None
    scale = 1 / math.sqrt(len(known))  # as in training: each message scaled to unit length
    scores = dict(model.bias)
    for feature in known:
        for klass, weight in model.weights[feature].items():
            scores[klass] += weight * scale
    top = max(scores.values())
    exps = {klass: math.exp(score - top) for klass, score in scores.items()}
    chosen, runner = sorted(CLASSES, key=lambda klass: -scores[klass])[:2]
    weighed = sorted(
        known,
        key=lambda f: -(model.weights[f].get(chosen, 0.0) - model.weights[f].get(runner, 0.0)),
    )
    words = tuple(word.replace("not_", "not ").replace("_", " ") for word in weighed[:5])
    return SecondReading(chosen, exps[chosen] / sum(exps.values()), words)
