"""The wake-up timer against a wall clock that jumps: a laptop's suspend, a clock set by hand.

The clocks are injected: a suspend moves the wall clock by hours while the monotonic clock
(which Linux stops during a suspend) moves by nothing. The tests in a running event loop wait
for an event with a generous timeout and count the timer's looks at the clock; none asserts
how fast anything runs.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from iepd.run.timers import JUMP_TOLERANCE, WakeTimer, clock_jump

GENEROUS = 30.0
START = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)


class Clocks:
    """A wall clock and a monotonic clock that move only when told."""

    def __init__(self, wall: datetime = START) -> None:
        self.wall = wall
        self.mono = 1000.0
        self.wall_reads = 0

    def wall_clock(self) -> datetime:
        self.wall_reads += 1
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def run_for(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds

    def suspend_for(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)

    def set_wall(self, by_seconds: float) -> None:
        self.wall += timedelta(seconds=by_seconds)


class Calls:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def timer_with(clocks: Clocks, calls: Calls) -> WakeTimer:
    return WakeTimer(calls, wall_clock=clocks.wall_clock, monotonic=clocks.monotonic)


@pytest.mark.parametrize(
    ("wall_seconds", "mono_seconds", "expected"),
    [
        (60.0, 60.0, 0.0),  # awake, clocks agree
        (8 * 3600 + 60.0, 60.0, 8 * 3600.0),  # slept eight hours
        (60.0 - 3600.0, 60.0, -3600.0),  # the clock was set back an hour
        (60.03, 60.0, 0.03),  # NTP slewing: a few ms a minute
    ],
)
def test_clock_jump_is_how_much_further_the_wall_clock_moved(
    wall_seconds: float, mono_seconds: float, expected: float
) -> None:
    before = (START, 500.0)
    after = (START + timedelta(seconds=wall_seconds), 500.0 + mono_seconds)
    assert clock_jump(before, after) == pytest.approx(expected)


def test_check_after_a_suspend_past_the_wake_time_calls_back() -> None:
    clocks, calls = Clocks(), Calls()
    timer = timer_with(clocks, calls)
    timer.wake_at(START + timedelta(hours=2))  # a follow-up due at midnight
    clocks.run_for(60)
    timer.check()
    assert calls.count == 0
    clocks.suspend_for(9 * 3600)  # the lid closed at 22:01, opened at 07:01
    clocks.run_for(30)
    timer.check()
    assert calls.count == 1


def test_check_after_the_clock_is_set_forward_past_the_wake_time_calls_back() -> None:
    clocks, calls = Clocks(), Calls()
    timer = timer_with(clocks, calls)
    timer.wake_at(START + timedelta(minutes=30))
    clocks.set_wall(3600)
    clocks.run_for(60)
    timer.check()
    assert calls.count == 1


def test_check_after_a_suspend_short_of_the_wake_time_calls_back_to_plan_again() -> None:
    clocks, calls = Clocks(), Calls()
    timer = timer_with(clocks, calls)
    timer.wake_at(START + timedelta(days=7))
    clocks.suspend_for(3 * 3600)
    clocks.run_for(60)
    timer.check()
    assert calls.count == 1


def test_check_after_the_clock_is_set_back_calls_back_to_plan_again() -> None:
    clocks, calls = Clocks(), Calls()
    timer = timer_with(clocks, calls)
    timer.wake_at(START + timedelta(days=1))
    clocks.set_wall(-3600)
    clocks.run_for(60)
    timer.check()
    assert calls.count == 1


def test_check_with_clocks_that_agree_before_the_wake_time_does_not_call_back() -> None:
    clocks, calls = Clocks(), Calls()
    timer = timer_with(clocks, calls)
    timer.wake_at(START + timedelta(hours=1))
    for _ in range(59):
        clocks.run_for(60)
        timer.check()
    assert calls.count == 0


def test_check_counts_drift_within_the_tolerance_as_no_jump() -> None:
    clocks, calls = Clocks(), Calls()
    timer = timer_with(clocks, calls)
    timer.wake_at(START + timedelta(hours=1))
    clocks.run_for(60)
    clocks.set_wall(JUMP_TOLERANCE * 0.9)
    timer.check()
    assert calls.count == 0


def test_check_calls_back_once_for_a_wake_time_left_in_the_past() -> None:
    clocks, calls = Clocks(), Calls()
    timer = timer_with(clocks, calls)
    timer.wake_at(START + timedelta(minutes=5))
    for _ in range(10):
        clocks.run_for(60)
        timer.check()
    assert calls.count == 1
    timer.wake_at(START + timedelta(minutes=15))  # the daemon planned again
    for _ in range(10):
        clocks.run_for(60)
        timer.check()
    assert calls.count == 2


def test_check_with_nothing_due_never_calls_back() -> None:
    clocks, calls = Clocks(), Calls()
    timer = timer_with(clocks, calls)
    timer.wake_at(START + timedelta(minutes=5))
    timer.wake_at(None)
    clocks.suspend_for(9 * 3600)
    clocks.run_for(60)
    timer.check()
    assert calls.count == 0


def test_wake_timer_in_a_running_loop_calls_back_on_the_next_check_after_the_wall_clock_jumps() -> (
    None
):
    # The fake wall clock starts at the real time, so APScheduler's own job (timed by the
    # real clock) is an hour away and only the timer's look at the fake clock can call back.
    clocks = Clocks(wall=datetime.now(UTC))

    async def scenario() -> None:
        woken = asyncio.Event()
        timer = WakeTimer(
            woken.set,
            wall_clock=clocks.wall_clock,
            monotonic=clocks.monotonic,
            check_every=0.02,
        )
        timer.start()
        try:
            timer.wake_at(clocks.wall + timedelta(hours=1))
            reads = clocks.wall_reads
            while clocks.wall_reads < reads + 3:  # three looks at an unmoved clock
                await asyncio.sleep(0.01)
            assert not woken.is_set()
            clocks.suspend_for(8 * 3600)
            await asyncio.wait_for(woken.wait(), GENEROUS)
        finally:
            timer.stop()
            await asyncio.sleep(0)  # APScheduler shuts down in a loop callback

    asyncio.run(scenario())


def test_wake_timer_in_a_running_loop_calls_back_at_the_wake_time_in_the_loop_thread() -> None:
    # The callback is the daemon's asyncio.Event.set, which is not thread-safe: APScheduler
    # runs a plain function's job in a worker thread, so it must not get one.
    threads: list[threading.Thread] = []

    async def scenario() -> None:
        woken = asyncio.Event()

        def callback() -> None:
            threads.append(threading.current_thread())
            woken.set()

        timer = WakeTimer(callback)
        timer.start()
        try:
            timer.wake_at(datetime.now(UTC) + timedelta(milliseconds=50))
            await asyncio.wait_for(woken.wait(), GENEROUS)
        finally:
            timer.stop()
            await asyncio.sleep(0)

    asyncio.run(scenario())
    assert threads == [threading.main_thread()]
