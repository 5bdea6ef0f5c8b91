"""The reliability suite: crash matrix, failing servers, hostile input, secrets.

Every test here that starts a server is marked `integration`, like tests/integration and
tests/e2e, so `-m "not integration"` still runs only pure tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PURE_MODULES = frozenset({"test_hostile_input.py"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.parent == here and item.path.name not in PURE_MODULES:
            item.add_marker(pytest.mark.integration)
