"""How should the rules and the second reading combine? Leave-one-author-out over the
authors the rules were not tuned on (model_experiment.SEEN).

For each of them in turn, the second reading's model (logistic, content lemmas: what iepd
ships) is trained on every other training author and the corpus, and the replies of the three
classes that match their request are read three ways: by the rules alone (iepd's classifier
with the second reading switched off), by the model alone, and by the rules with the model
deciding where the two disagree and it is at least T sure (or the rules are unsure themselves
and it is somewhat sure). The rules' figures here are fair: they were tuned on other authors.

Each combination is reported pooled per class, with how many misreadings would be said unsure
and how many right readings would be said unsure needlessly (the unsure rule iepd uses:
classify.SECOND_READING_SURE). The authors measured are already seen; fresh held-out authors
(classification.HELD_OUT) measure what is chosen here.

    .venv/bin/python benchmarks/second_reading_policy.py
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import model_experiment as experiment

from iepd.decide import classify as classify_module
from iepd.decide.second_reading import MIN_KNOWN_FEATURES

CLASSES = experiment.CLASSES
THRESHOLDS = (0.34, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)  # 1.01: the model never overrides
WORDS = (8, 12, 16, 20, 25, 30, 40)  # the fewest known words for the model to speak


@dataclass(frozen=True)
class Reading:
    label: str
    rules: str
    rules_unsure: bool
    model: str | None  # None: fewer known words than the least of WORDS
    probability: float
    known: int  # the reply's words the model knows
    read_something: bool  # the rules found a cue or a notice


def readings() -> list[Reading]:
    """Every seen author's tested replies, each read by the rules and by a model that never
    saw that author."""
    classify_module.second_reading = lambda sentences: None  # type: ignore[assignment]
    examples = {author: experiment.load_author(author) for author in experiment.TRAINING}
    examples["corpus"] = experiment.load_corpus()
    found: list[Reading] = []
    for test in experiment.SEEN:
        others = [author for author in experiment.TRAINING if author != test]
        model = experiment.CONTENT.train(experiment.training(examples, others))
        for item in examples[test]:
            if not item.tested:
                continue
            doc = experiment.content_words(item)
            known = sum(feature in model.weights for feature in doc)
            klass, probability = model.predict(doc)
            speaks = known >= min(WORDS)
            found.append(
                Reading(
                    item.label,
                    item.rules,
                    item.unsure,
                    klass if speaks else None,
                    probability,
                    known,
                    bool(item.cues),
                )
            )
    return found


def combined(
    reading: Reading,
    threshold: float,
    when_unsure: float | None,
    words: int = MIN_KNOWN_FEATURES,
) -> tuple[str, bool]:
    """The class and whether it is said unsure, as classify() decides with these settings:
    the model decides where it disagrees and is ``threshold`` sure, or where the rules are
    unsure and it is ``when_unsure`` sure (None: never for that); it speaks only with
    ``words`` known words."""
    model, probability = reading.model, reading.probability
    if model is None or reading.known < words or reading.rules not in CLASSES:
        return reading.rules, reading.rules_unsure
    sure = probability >= classify_module.SECOND_READING_SURE
    if model == reading.rules:
        return reading.rules, reading.rules_unsure and not sure
    unsure_rule = when_unsure is not None and reading.rules_unsure and probability >= when_unsure
    decides = (probability >= threshold or unsure_rule) and reading.read_something
    return (model if decides else reading.rules), not (decides and sure)


def before(reading: Reading) -> tuple[str, bool]:
    """The combination shipped before this measure: any disagreement said unsure."""
    if reading.model is None or reading.model == reading.rules or reading.rules not in CLASSES:
        return reading.rules, reading.rules_unsure
    decides = reading.rules_unsure and reading.probability >= 0.6
    return (reading.model if decides else reading.rules), True


def row(name: str, outcomes: list[tuple[Reading, str, bool]]) -> str:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    flags: Counter[tuple[bool, bool]] = Counter()
    for reading, outcome, unsure in outcomes:
        total[reading.label] += 1
        right[reading.label] += outcome == reading.label
        flags[outcome == reading.label, unsure] += 1
    cells = [experiment.percent([right[k], total[k]]) for k in CLASSES]
    everything = experiment.percent([sum(right.values()), sum(total.values())])
    wrong = flags[False, True] + flags[False, False]
    return (
        f"| {name} | " + " | ".join(cells) + f" | {everything} | {flags[False, True]} of {wrong}"
        f" | {flags[True, True]} |"
    )


def main() -> int:
    logging.disable(logging.CRITICAL)
    began = time.perf_counter()
    found = readings()
    lines = [
        f"Leave-one-author-out over {', '.join(experiment.SEEN)}: {len(found)} replies.",
        "",
        "| reading | " + " | ".join(CLASSES) + " | all | misread, said unsure "
        "| right, said unsure |",
        "|---|" + "---:|" * (len(CLASSES) + 3),
    ]
    lines.append(row("rules alone", [(r, r.rules, r.rules_unsure) for r in found]))
    lines.append(row("model alone (rules where it says nothing)",
                     [(r, r.model or r.rules, False) for r in found]))  # fmt: skip
    lines.append(
        row("before: model only where rules unsure, at 0.6", [(r, *before(r)) for r in found])
    )
    shipped_unsure = classify_module.SECOND_READING_WHEN_UNSURE
    for threshold in THRESHOLDS:
        for when_unsure in (None, shipped_unsure):
            name = f"model where it disagrees at {threshold:g}" + (
                f", or at {when_unsure:g} where the rules are unsure" if when_unsure else ""
            )
            lines.append(row(name, [(r, *combined(r, threshold, when_unsure)) for r in found]))
    chosen = classify_module.SECOND_READING_DECIDES
    for floor in (0.0, 0.5):
        name = f"as shipped, but at {floor:g} where the rules are unsure"
        lines.append(row(name, [(r, *combined(r, chosen, floor)) for r in found]))
    for words in WORDS:
        name = f"as shipped, speaking with at least {words} known words"
        lines.append(row(name, [(r, *combined(r, chosen, shipped_unsure, words)) for r in found]))
    lines.append("")
    lines.append(f"Took {time.perf_counter() - began:.0f} s.")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
