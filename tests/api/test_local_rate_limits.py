"""The in-process sliding window counter (api/ratelimit.py) against the one it stands in
for, `limits`' SlidingWindowCounterRateLimiter over its MemoryStorage."""

from __future__ import annotations

import asyncio

import pytest
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from api.ratelimit import LocalSlidingWindows, RateLimit


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_a_window_refuses_the_hit_past_its_limit_and_counts_no_refusal() -> None:
    clock = Clock(1_000.0)
    windows = LocalSlidingWindows(clock)
    item = parse("3/minute")
    answers = [asyncio.run(windows.hit(item, "sign", "10.0.0.1")) for _ in range(5)]
    assert answers == [True, True, True, False, False]
    # Another key has its own count.
    assert asyncio.run(windows.hit(item, "sign", "10.0.0.2"))


def test_the_previous_window_counts_for_the_part_the_sliding_window_still_covers() -> None:
    clock = Clock(60_000.0)  # the start of a minute window
    windows = LocalSlidingWindows(clock)
    item = parse("10/minute")
    for _ in range(10):
        assert asyncio.run(windows.hit(item, "k"))
    clock.now += 60 + 30  # half-way through the next window: 10 × 0.5 = 5 still count
    passed = sum(asyncio.run(windows.hit(item, "k")) for _ in range(10))
    assert passed == 5
    clock.now += 60  # the next window, half-way: 5 × 0.5 of the last one still count
    assert sum(asyncio.run(windows.hit(item, "k")) for _ in range(12)) == 7
    clock.now += 120  # two windows on: nothing counts any more
    assert sum(asyncio.run(windows.hit(item, "k")) for _ in range(12)) == 10


def test_asking_counts_nothing() -> None:
    windows = LocalSlidingWindows(Clock(5.0))
    item = parse("1/hour")
    assert asyncio.run(windows.test(item, "k"))
    assert asyncio.run(windows.test(item, "k"))
    assert asyncio.run(windows.hit(item, "k"))
    assert not asyncio.run(windows.test(item, "k"))


def test_ended_windows_are_swept_away() -> None:
    clock = Clock(0.0)
    windows = LocalSlidingWindows(clock)
    item = parse("5/second")
    for n in range(1_000):
        asyncio.run(windows.hit(item, str(n)))
    clock.now += LocalSlidingWindows._SWEEP_EVERY_S + 1
    asyncio.run(windows.hit(item, "late"))
    assert len(windows._windows) == 1


@pytest.mark.parametrize("spec", ["7/hour", "3/minute;5/hour", "50/day"])
def test_it_admits_what_the_library_admits_within_one_window(spec: str) -> None:
    """Hits in quick succession, well inside one window of each limit: both allow the
    same ones (the library reads its own clock, so only the first window is compared)."""

    async def library_answers() -> list[bool]:
        limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        limit = RateLimit(spec)
        limit._limiter = limiter
        return [await limit.hit("sign", "10.0.0.9") for _ in range(60)]

    async def local_answers() -> list[bool]:
        limit = RateLimit(spec)
        assert isinstance(limit._limiter, LocalSlidingWindows)
        return [await limit.hit("sign", "10.0.0.9") for _ in range(60)]

    assert asyncio.run(local_answers()) == asyncio.run(library_answers())
