"""The fake's clock: real time by default, and tests can move it forward instead of sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    """Seconds from `base` (default time.monotonic), plus every `advance` so far.

    `FakeHeyGen(clock=...)` takes a Clock or any zero-argument callable returning seconds;
    `fake.clock.advance(2.0)` makes sessions behave as if 2 s had passed.
    """

    def __init__(self, base: Callable[[], float] = time.monotonic) -> None:
        self._base = base
        self._offset = 0.0

    def now(self) -> float:
        return self._base() + self._offset

    def unix(self) -> float:
        """Unix time, moved by every `advance` too (what a delivery's Heygen-Timestamp says,
        whatever `base` is: the default base is monotonic, not Unix time)."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds` (never back: raises ValueError for a negative)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds
