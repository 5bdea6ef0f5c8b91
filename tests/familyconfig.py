"""Moved to support/family.py; kept only for tests/integration/test_export.py, which imports
it by this name until it switches to ``support`` (then delete this file)."""

from support.family import Family

__all__ = ["Family"]
