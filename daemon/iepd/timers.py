"""The only APScheduler user: one "wake me at T" job, rebuilt from the store after every change.

The schedule holds no state of its own. The store says what is due; the planner turns that
into the next wake-up time; this module only makes sure the event loop is woken then. So a
restart, a config reload or a lost job costs nothing: the next rebuild puts it back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)

WAKE_JOB_ID = "iepd-wake"


class WakeTimer:
    """Given a callback, call it (in the event loop) at the time last set with wake_at."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self._callback = callback
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self.wake_time: datetime | None = None

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def wake_at(self, when: datetime | None) -> None:
        """Replace the one wake-up job; None removes it."""
        self.wake_time = when
        if when is None:
            if self._scheduler.get_job(WAKE_JOB_ID) is not None:
                self._scheduler.remove_job(WAKE_JOB_ID)
            return
        # misfire_grace_time=None: a wake-up that is late (the machine slept) still runs;
        # APScheduler's default of 1 s would drop it silently.
        self._scheduler.add_job(
            self._callback,
            trigger="date",
            run_date=when,
            id=WAKE_JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )
        logger.debug("next wake-up at %s", when.isoformat())
