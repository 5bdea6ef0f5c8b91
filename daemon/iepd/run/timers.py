"""The only APScheduler user: one "wake me at T" job, rebuilt from the store after every change.

The schedule holds no state of its own. The store says what is due; the planner turns that
into the next wake-up time; this module only makes sure the event loop is woken then. So a
restart, a config reload or a lost job costs nothing: the next rebuild puts it back.

A laptop that sleeps: APScheduler turns the wake time into a delay on the event loop's
monotonic clock, and on Linux that clock stops while the machine is suspended, so a wake-up
due during the night would come late by the length of every sleep. While a wake time is
set, the timer therefore also looks at the wall clock at least once every CHECK_EVERY
seconds of the monotonic clock (which a suspend only pauses, so the next look comes within
that long of the resume): if the wake time has passed, or the wall clock moved differently
from the monotonic clock since the last look (a suspend, or the clock was set), it calls
back and the daemon plans again from the store. The look runs on the loop's own timer, not
as an APScheduler job: APScheduler times its jobs by the wall clock too, so after the clock
was set back an hour its check would itself wait an hour.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)

WAKE_JOB_ID = "iepd-wake"
# One look a minute: the promise is that what fell due during a sleep runs within a minute
# of the resume, and one wake-up a minute costs nothing measurable.
CHECK_EVERY = 60.0
# NTP slews the wall clock by at most 0.5 ms a second (30 ms a minute); a suspend or a clock
# someone set moves it by seconds at least.
JUMP_TOLERANCE = 2.0


def utc_now() -> datetime:
    return datetime.now(UTC)


def clock_jump(before: tuple[datetime, float], after: tuple[datetime, float]) -> float:
    """Given two (wall clock, monotonic clock) readings, return how many seconds further the
    wall clock moved than the monotonic one: about the length of a suspend in between, or
    how far the clock was set (negative when set back)."""
    wall_seconds = (after[0] - before[0]).total_seconds()
    return wall_seconds - (after[1] - before[1])


class WakeTimer:
    """Given a callback, call it (in the event loop) at the time last set with wake_at, or
    within check_every seconds of a resume or a clock change that passed or moved it.

    wall_clock returns an aware datetime and monotonic seconds; both are injectable so a test
    can make the wall clock jump while the monotonic clock barely moves.
    """

    def __init__(
        self,
        callback: Callable[[], None],
        *,
        wall_clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        check_every: float = CHECK_EVERY,
    ) -> None:
        self._callback = callback
        self._wall_clock = wall_clock
        self._monotonic = monotonic
        self._check_every = check_every
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._check_handle: asyncio.TimerHandle | None = None
        self._last_reading: tuple[datetime, float] | None = None
        # Whether the callback already ran for wake_time: the APScheduler job and the check
        # may both see it due, and a due time left in the past must not call back every minute.
        self._called_back = False
        self.wake_time: datetime | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._scheduler.start()
        if self.wake_time is not None:
            self._schedule_check()

    def stop(self) -> None:
        self._cancel_check()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def wake_at(self, when: datetime | None) -> None:
        """Replace the one wake-up job; None removes it."""
        self.wake_time = when
        self._called_back = False
        # The caller has just planned by the clock as it reads now.
        self._last_reading = (self._wall_clock(), self._monotonic())
        if when is None:
            if self._scheduler.get_job(WAKE_JOB_ID) is not None:
                self._scheduler.remove_job(WAKE_JOB_ID)
            # With nothing due, a clock change or a suspend changes nothing: no looks at all.
            self._cancel_check()
            return
        # misfire_grace_time=None: a wake-up that is late (the machine slept) still runs;
        # APScheduler's default of 1 s would drop it silently. A coroutine function, so that
        # APScheduler runs it in the event loop rather than in a worker thread.
        self._scheduler.add_job(
            self._wake_job,
            trigger="date",
            run_date=when,
            id=WAKE_JOB_ID,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )
        if self._loop is not None and self._check_handle is None:
            self._schedule_check()
        logger.debug("next wake-up at %s", when.isoformat())

    def check(self) -> None:
        """Look at the wall clock: call back if the wake time has passed, or if the clock
        jumped (a suspend, or it was set) since the last look, so the plan is made again."""
        if self.wake_time is None:
            return
        reading = (self._wall_clock(), self._monotonic())
        jump = clock_jump(self._last_reading, reading) if self._last_reading else 0.0
        self._last_reading = reading
        if abs(jump) > JUMP_TOLERANCE:
            logger.info(
                "the wall clock moved %+.0f s more than the monotonic clock "
                "(a suspend or a clock change); planning again",
                jump,
            )
            self._call_back()
        elif reading[0] >= self.wake_time and not self._called_back:
            self._call_back()

    async def _wake_job(self) -> None:
        if not self._called_back:
            self._call_back()

    def _call_back(self) -> None:
        self._called_back = True
        self._callback()

    def _schedule_check(self) -> None:
        assert self._loop is not None
        self._check_handle = self._loop.call_later(self._check_every, self._run_check)

    def _run_check(self) -> None:
        # Next look first, so a failing callback cannot end the looks.
        self._schedule_check()
        self.check()

    def _cancel_check(self) -> None:
        if self._check_handle is not None:
            self._check_handle.cancel()
            self._check_handle = None
