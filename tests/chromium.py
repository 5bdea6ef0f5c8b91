"""Moved to support/chromium.py; kept only for tests/integration/test_export.py, which
imports it by this name until it switches to ``support`` (then delete this file)."""

from support.chromium import page_requests, run

__all__ = ["page_requests", "run"]
