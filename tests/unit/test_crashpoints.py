"""The crash tests' table names every crash point of the send path: a point added to the
outbox or the store and missing from support/crashpoints.py would never be killed at."""

from __future__ import annotations

import re
from pathlib import Path

from support.crashpoints import ANSWER_POINTS, LETTER_POINTS

PACKAGE = Path(__file__).resolve().parents[2] / "daemon" / "iepd"
SEND_PATH = (PACKAGE / "outbox", PACKAGE / "store")
NAMED_POINT = re.compile(r"""\bcrashpoint\(\s*["']([^"']+)["']\s*\)""")
# sender.py's crashpoint(step) is called with the SMTP steps the transport reports.
STEP_POINTS = {"smtp", "data"}


def points_in_the_send_path() -> set[str]:
    return {
        name
        for folder in SEND_PATH
        for path in folder.rglob("*.py")
        for name in NAMED_POINT.findall(path.read_text(encoding="utf-8"))
    }


def test_every_crash_point_of_the_send_path_is_in_the_letter_table() -> None:
    found = points_in_the_send_path()
    assert {"store.outgoing_eml_written", "recorded"} <= found  # the pattern reads the code
    tabled = {point.partition("#")[0] for point in LETTER_POINTS}
    assert found | STEP_POINTS <= tabled


def test_the_answer_points_are_crash_points_of_a_reminder() -> None:
    assert set(ANSWER_POINTS) <= set(LETTER_POINTS)
    assert "recorded" not in ANSWER_POINTS  # a letter's point: a reminder never reaches it
