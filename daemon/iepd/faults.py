"""Named crash points for the crash-matrix tests.

The reliability tests kill iepd at every step boundary of a send, the way isync's tests do,
and check after a restart that nothing was lost or sent twice. Setting ``IEPD_CRASH_AT`` to a
point's name makes the process SIGKILL itself there; unset, a crash point costs one dict
lookup. Tests use it; a person never needs it.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "IEPD_CRASH_AT"


def crashpoint(name: str) -> None:
    """Kill this process with SIGKILL if ``$IEPD_CRASH_AT`` names this point."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
