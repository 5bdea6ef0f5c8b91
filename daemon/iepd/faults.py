"""Named crash points for the crash-matrix tests.

The reliability tests kill iepd at every step boundary of a send, the way isync's tests do,
and check after a restart that nothing was lost or sent twice. Setting ``IEPD_CRASH_AT`` to a
point's name makes the process SIGKILL itself there; ``name#N`` waits for the N-th time the
point is reached (the second message's steps, say). Unset, a crash point costs one dict
lookup. Tests use it; a person never needs it.
"""

from __future__ import annotations

import os
from collections import Counter

CRASH_ENV = "IEPD_CRASH_AT"

_reached: Counter[str] = Counter()


def crashpoint(name: str) -> None:
    """Kill this process with SIGKILL if ``$IEPD_CRASH_AT`` names this point (and count)."""
    wanted = os.environ.get(CRASH_ENV)
    if not wanted:
        return
    point, _, count = wanted.partition("#")
    if point != name:
        return
    _reached[name] += 1
    if _reached[name] >= int(count or 1):
        import signal  # here: every command imports this module, and only a test crashes

        os.kill(os.getpid(), signal.SIGKILL)
