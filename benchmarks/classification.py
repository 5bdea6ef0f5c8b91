"""How well iepd reads replies it was not written from: tests/replies/, scored by author.

Each message is parsed, offered to the header-first pass (``is_candidate``) and to ``match``
with the fixed context of tests/unit/test_corpus.py (Sam and Maya, requests a1/a2 and b1),
then classified. An ``unrelated`` label is right when no request matches; any other label is
right when the matched request is the label's ``request`` and the class is its ``class``.

The rules were tuned on the development authors (``DEVELOP``); the seen authors (``SEEN``)
were held out in earlier rounds and now train the second reading; the held-out authors
(``HELD_OUT``, tests/replies/README.md) measure: for them this script prints figures only,
never a message's name, text or result. ``--misses`` lists the wrong answers of development
and seen authors and refuses the held-out ones.

    python benchmarks/classification.py                  # every author; rewrites the block
    python benchmarks/classification.py --authors a,d --misses --no-write
    python benchmarks/classification.py --block baseline # the figures before a change

The block goes to docs/classification.md (IEPD_CLASSIFICATION_DOCS, or IEPD_BENCH_DOCS for
a smoke run of benchmarks/run_all.py, writes elsewhere).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "daemon"))
sys.path.insert(0, str(ROOT / "tests"))

from iepd.decide.classify import classify  # noqa: E402
from iepd.decide.matching import is_candidate, match  # noqa: E402
from iepd.inbox.parse import parse_headers_only, parse_message  # noqa: E402
from support.corpus_context import CONTEXT  # noqa: E402

REPLIES = ROOT / "tests" / "replies"
DEVELOP = ("a", "d", "f", "i", "j")
# Held out in earlier rounds and measured there (b, c, e at seven checkpoints; g, h, k, l, m
# at three; n to r, s to w, x to zb, zc to zg, zh to zl, zm to zq, zr to zv, zw to zza,
# zzb to zzf, zzg to zzk, zzl to zzp, zzq to zzu, zzv to zzz and zzaa to zzae once each),
# then used to train the second reading: their figures measure nothing.
SEEN = (
    *("b", "c", "e", "g", "h", "k", "l", "m"),
    *("n", "o", "p", "q", "r", "s", "t", "u", "v", "w"),
    *("x", "y", "z", "za", "zb", "zc", "zd", "ze", "zf", "zg"),
    *("zh", "zi", "zj", "zk", "zl", "zm", "zn", "zo", "zp", "zq"),
    *("zr", "zs", "zt", "zu", "zv", "zw", "zx", "zy", "zz", "zza"),
    *("zzb", "zzc", "zzd", "zze", "zzf", "zzg", "zzh", "zzi", "zzj", "zzk"),
    *("zzl", "zzm", "zzn", "zzo", "zzp", "zzq", "zzr", "zzs", "zzt", "zzu"),
    *("zzv", "zzw", "zzx", "zzy", "zzz", "zzaa", "zzab", "zzac", "zzad", "zzae"),
)
# Written after the second reading was trained on the others, committed unread: the measure.
HELD_OUT = ("zzaf", "zzag", "zzah", "zzai", "zzaj")
GROUPS = (
    (f"develop ({', '.join(DEVELOP)})", DEVELOP),
    (f"seen, train the second reading ({', '.join(SEEN)})", SEEN),
    (f"held out ({', '.join(HELD_OUT)})", HELD_OUT),
)
LABELS = ("answer", "declined", "informal", "invite", "auto_reply", "bounce", "unrelated")
OUTCOMES = (*LABELS[:-1], "other request", "no match")
GOAL_OVERALL = 0.95
GOAL_PER_CLASS = 0.90


@dataclass(frozen=True)
class Scored:
    """One message's label and what iepd made of it. Held-out ones never leave this module
    except inside a :class:`Tally`."""

    author: str
    name: str
    label: str
    language: str
    outcome: str  # a class, "other request" or "no match"
    right: bool
    signals: tuple[str, ...] = ()
    unsure: bool = False


def header_block(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        if separator in raw:
            return raw.split(separator, 1)[0] + separator
    return raw


def score_message(author: str, name: str, raw: bytes, label: dict[str, object]) -> Scored:
    """Given one message and its label, return how iepd read it."""
    wanted_class, wanted_request = str(label["class"]), str(label["request"])
    language = str(label.get("language", "en"))
    found = None
    if is_candidate(parse_headers_only(header_block(raw)), CONTEXT):
        found = match(parse_message(raw), CONTEXT)
    if found is None:
        right = wanted_class == "unrelated"
        return Scored(author, name, wanted_class, language, "no match", right)
    result = classify(parse_message(raw))
    if wanted_class != "unrelated" and found.request_id != wanted_request:
        outcome = "other request"
    else:
        outcome = result.klass
    right = wanted_class != "unrelated" and outcome == wanted_class
    return Scored(
        author, name, wanted_class, language, outcome, right, result.signals, result.unsure
    )


def score_author(author: str) -> list[Scored]:
    folder = REPLIES / author
    labels = tomllib.loads((folder / "labels.toml").read_text(encoding="utf-8"))
    return [
        score_message(author, name, (folder / name).read_bytes(), label)
        for name, label in sorted(labels.items())
    ]


@dataclass(frozen=True)
class Tally:
    """Aggregated figures: all that may be shown of a held-out author."""

    per_class: dict[str, tuple[int, int]]  # label -> (right, total)
    per_language: dict[str, tuple[int, int]]
    confusion: dict[tuple[str, str], int]  # (label, outcome) -> count
    unsure: tuple[int, int]  # (unsure and right, unsure)

    @property
    def right(self) -> int:
        return sum(right for right, _ in self.per_class.values())

    @property
    def total(self) -> int:
        return sum(total for _, total in self.per_class.values())

    def rate(self, label: str | None = None) -> float:
        right, total = (self.right, self.total) if label is None else self.per_class[label]
        return right / total if total else 0.0

    def goal_reached(self) -> bool:
        unrelated_matched = sum(
            count
            for (label, outcome), count in self.confusion.items()
            if label == "unrelated" and outcome != "no match"
        )
        return (
            self.rate() >= GOAL_OVERALL
            and all(self.rate(label) >= GOAL_PER_CLASS for label in self.per_class)
            and unrelated_matched == 0
        )


def tally(results: Iterable[Scored]) -> Tally:
    per_class: dict[str, list[int]] = {label: [0, 0] for label in LABELS}
    per_language: dict[str, list[int]] = {}
    confusion: Counter[tuple[str, str]] = Counter()
    unsure = [0, 0]
    for item in results:
        per_class.setdefault(item.label, [0, 0])
        for bucket in (per_class[item.label], per_language.setdefault(item.language, [0, 0])):
            bucket[0] += item.right
            bucket[1] += 1
        confusion[item.label, item.outcome] += 1
        if item.unsure:
            unsure[0] += item.right
            unsure[1] += 1
    return Tally(
        per_class={label: (r, t) for label, (r, t) in per_class.items() if t},
        per_language={language: (r, t) for language, (r, t) in sorted(per_language.items())},
        confusion=dict(confusion),
        unsure=(unsure[0], unsure[1]),
    )


def _percent(right: int, total: int) -> str:
    return f"{right}/{total} ({100 * right / total:.0f} %)" if total else "-"


def summary_table(tallies: Sequence[tuple[str, Tally]]) -> str:
    """Per class right/total, one column per group of authors."""
    head = "| class | " + " | ".join(name for name, _ in tallies) + " |"
    rule = "|---|" + "---:|" * len(tallies)
    rows = [head, rule]
    for label in LABELS:
        cells = [_percent(*group.per_class.get(label, (0, 0))) for _, group in tallies]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    languages = sorted({language for _, group in tallies for language in group.per_language})
    for language in languages:
        cells = [_percent(*group.per_language.get(language, (0, 0))) for _, group in tallies]
        rows.append(f"| language {language} | " + " | ".join(cells) + " |")
    cells = [f"**{_percent(group.right, group.total)}**" for _, group in tallies]
    rows.append("| **all** | " + " | ".join(cells) + " |")
    cells = [_percent(*group.unsure) for _, group in tallies]
    rows.append("| said unsure (of which right) | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def confusion_table(group: Tally) -> str:
    """Rows: the label; columns: what iepd made of the message."""
    rows = ["| label \\ outcome | " + " | ".join(OUTCOMES) + " |"]
    rows.append("|---|" + "---:|" * len(OUTCOMES))
    for label in LABELS:
        cells = [str(group.confusion.get((label, outcome), 0) or ".") for outcome in OUTCOMES]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def report(groups: Sequence[tuple[str, Tally]]) -> str:
    """Given each group's name and figures, return the summary and a confusion matrix each."""
    parts = [summary_table(groups)]
    for name, group in groups:
        verdict = "reached" if group.goal_reached() else "not reached"
        parts.append(f"Confusion matrix, {name} (goal {verdict}):\n\n{confusion_table(group)}")
    return "\n\n".join(parts)


def markers(block: str) -> tuple[str, str]:
    return f"<!-- benchmarks/classification.py {block}: begin -->", (
        f"<!-- benchmarks/classification.py {block}: end -->"
    )


def write_block(path: Path, block: str, body: str) -> None:
    """Replace the text between the block's markers in ``path`` (appended when missing)."""
    begin, end = markers(block)
    section = f"{begin}\n{body.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Classification\n"
    if begin in text and end in text:
        start, stop = text.index(begin), text.index(end) + len(end)
        text = text[:start] + section + text[stop:]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def _docs_path() -> Path:
    chosen = os.environ.get("IEPD_CLASSIFICATION_DOCS") or os.environ.get("IEPD_BENCH_DOCS")
    return Path(chosen) if chosen else ROOT / "docs" / "classification.md"


def _print_misses(results: Sequence[Scored]) -> None:
    for item in results:
        if item.author in HELD_OUT:  # never: the rule of the split
            raise SystemExit("refusing to show a held-out author's messages")
        if not item.right or item.unsure:
            mark = "WRONG" if not item.right else "unsure"
            print(f"{mark:6} {item.name}: {item.label} -> {item.outcome}")
            for signal in item.signals:
                print(f"         {signal}")


# -- memory: what the lemmatiser adds to the daemon's idle RSS

_PROBE = """
import gc, json, sys, time
def status():
    found = {}
    for line in open('/proc/self/status'):
        key, _, value = line.partition(':')
        if key in ('VmRSS', 'VmHWM'):
            found[key] = int(value.split()[0]) / 1024
    return found
import iepd.run.daemon, iepd.cli.main
from iepd.decide.classify import classify
from iepd.inbox.parse import IncomingMessage
before = status()
mode = sys.argv[1]
began = time.perf_counter()
if mode == 'iepd':
    for text in ('We do not believe a meeting is necessary.', 'No es necesario convocar la junta.'):
        classify(IncomingMessage(message_id='<m@x>', from_addr='a@b.example', text=text))
elif mode in ('simplemma', 'simplemma-low-memory'):
    import simplemma
    for lang in ('en', 'es'):
        simplemma.lemmatize('declined', lang=lang, low_memory=mode.endswith('memory'))
built = time.perf_counter() - began
gc.collect()
began = time.perf_counter()
per_message = 0.0
if mode == 'iepd':
    for number in range(20):
        text = f'Could we start with a quick phone call on the {number + 1}th instead?'
        classify(IncomingMessage(message_id='<m@x>', from_addr='a@b.example', text=text))
    per_message = (time.perf_counter() - began) / 20
after = status()
print(json.dumps({'before': before['VmRSS'], 'after': after['VmRSS'], 'peak': after['VmHWM'],
                  'load': built, 'per_message': per_message}))
"""
MEMORY_CASES = {
    "iepd": "iepd as shipped: simplemma, only the classifier's lemmas kept (first message)",
    "simplemma-low-memory": "simplemma's own low-memory mode, en + es (for comparison)",
    "simplemma": "simplemma's default dictionaries, en + es (for comparison)",
}


def memory_report(runs: int = 3) -> str:
    """Measure, each in a fresh process, the RSS of the daemon's imports before and after the
    lemmatiser is loaded; return a Markdown table (medians of ``runs``)."""
    import json
    import statistics
    import subprocess

    rows = []
    for mode, words in MEMORY_CASES.items():
        found = [
            json.loads(
                subprocess.run(
                    [sys.executable, "-c", _PROBE, mode],
                    capture_output=True, text=True, check=True,
                    env={**os.environ, "PYTHONPATH": str(ROOT / "daemon")},
                ).stdout
            )
            for _ in range(runs)
        ]  # fmt: skip

        def median(key: str, found: list[dict[str, float]] = found) -> float:
            return statistics.median(item[key] for item in found)

        per = f"{1000 * median('per_message'):.1f} ms" if mode == "iepd" else "-"
        rows.append(
            f"| {words} | {median('before'):.1f} | {median('after'):.1f} "
            f"| {median('after') - median('before'):+.1f} | {median('peak'):.1f} "
            f"| {median('load'):.2f} s | {per} |"
        )
    head = (
        "| what is loaded | RSS before, MiB | RSS after, MiB | added | peak (VmHWM), MiB "
        "| load time | per message |\n|---|---:|---:|---:|---:|---:|---:|"
    )
    return (
        f"Each row a fresh `python` that imports `iepd.run.daemon` and `iepd.cli.main` (what "
        f"`iepd run` imports), then loads the lemmatiser; medians of {runs} runs, "
        f"{platform_line()}.\n\n" + head + "\n" + "\n".join(rows)
    )


def platform_line() -> str:
    import platform

    return f"Python {platform.python_version()} on {platform.machine()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--authors", default=",".join(DEVELOP + SEEN + HELD_OUT))
    parser.add_argument("--misses", action="store_true", help="not for held-out authors")
    parser.add_argument("--block", default="measured", help="the marked block to rewrite")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--no-memory", action="store_true", help="skip the RSS measurement")
    args = parser.parse_args(argv)
    # A warning would name a held-out message (its Message-ID): figures only.
    logging.disable(logging.CRITICAL)
    authors = [author.strip() for author in args.authors.split(",") if author.strip()]
    if args.misses and set(authors) & set(HELD_OUT):
        parser.error("--misses is never for the held-out authors")
    scored = {author: score_author(author) for author in authors}
    if args.misses:
        _print_misses([item for author in authors for item in scored[author]])
    groups = [
        (name, tally(item for author in members if author in scored for item in scored[author]))
        for name, members in GROUPS
        if set(members) & set(authors)
    ]
    text = report(groups)
    print(text)
    if not args.no_write:
        write_block(_docs_path(), args.block, text)
    if not args.no_memory and args.block == "measured":
        memory = memory_report()
        print(memory)
        if not args.no_write:
            write_block(_docs_path(), "memory", memory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
