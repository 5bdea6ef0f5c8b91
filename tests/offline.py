"""Moved to support/offline.py and support/family.py; kept only for
tests/integration/test_export.py, which imports it by this name until it switches to
``support`` (then delete this file)."""

from support.family import CASE_MANAGER, PARENT, PRINCIPAL
from support.offline import REQUEST, queued_request

__all__ = ["CASE_MANAGER", "PARENT", "PRINCIPAL", "REQUEST", "queued_request"]
