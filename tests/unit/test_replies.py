"""The replies written apart from the project (tests/replies/) stay read as well as measured.

Scored exactly as benchmarks/classification.py scores them (it is imported here). The rules
were tuned on the development authors: every message must stay right. The seen authors were
held out once and now train the second reading: at least 95 % and no unrelated message
matched. The held-out authors measure: only their aggregate is asserted, and nothing about a
single held-out message is ever printed, not even on failure.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "classification.py"


@pytest.fixture(scope="module")
def harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("replies_harness", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("author", ["a", "d", "f", "i", "j"])
def test_every_development_reply_is_read_right(harness: ModuleType, author: str) -> None:
    wrong = [
        f"{item.name}: {item.label} -> {item.outcome}"
        for item in harness.score_author(author)
        if not item.right
    ]
    assert wrong == []


# Floors, not the goal: (overall right, unrelated messages matched) at most as measured. The
# held-out floor is its first and only measure (docs/classification.md); the goal is 95 %, 0.
FLOORS = {"SEEN": (0.95, 0), "HELD_OUT": (0.96, 0)}


@pytest.mark.parametrize("which", ["SEEN", "HELD_OUT"])
def test_the_seen_and_held_out_replies_stay_at_the_level_measured(
    harness: ModuleType, which: str
) -> None:
    authors = getattr(harness, which)
    logging.disable(logging.CRITICAL)  # a warning would name a held-out message
    try:
        results = [item for author in authors for item in harness.score_author(author)]
    finally:
        logging.disable(logging.NOTSET)
    figures = harness.tally(results)
    unrelated_matched = sum(
        count
        for (label, outcome), count in figures.confusion.items()
        if label == "unrelated" and outcome != "no match"
    )
    # Only figures, never a message: the held-out authors must stay unread (README).
    overall, matched = figures.rate(), unrelated_matched
    del results, figures
    least, most_matched = FLOORS[which]
    assert matched <= most_matched, f"{matched} unrelated {which} messages matched a request"
    assert overall >= least, f"{which} overall {overall:.3f}"
