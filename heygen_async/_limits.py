"""What bounds create calls: a slot per create in flight, and a cool-down gate after a 429.

The `Limiter` protocol is the seam; `InProcessLimiter` (the default) serves the tasks of one
process, `heygen_async.limits.RedisLimiter` every process that shares a Redis.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ._errors import ConfigurationError


@runtime_checkable
class Limiter(Protocol):
    """The object behind `max_concurrent_creates` and the shared 429 cool-down."""

    # Creates in flight at once; batches start this many workers by default.
    max_concurrent: int

    async def acquire(self) -> float:
        """Take a create slot (waiting for one) and return 0.0; or, while the cool-down gate
        is closed, take nothing and return the seconds until it opens."""

    async def release(self) -> None:
        """Give back a slot taken by `acquire`."""

    async def cooldown_remaining(self) -> float:
        """Seconds until create attempts may start again (0 when the gate is open)."""

    async def start_cooldown(self, seconds: float) -> None:
        """Close the gate for `seconds` from now (never shortening a longer cool-down)."""

    async def aclose(self) -> None:
        """Release whatever the limiter holds (connections, leases)."""


class InProcessLimiter:
    """A limiter for the tasks of one process, usable from one event loop at a time.

    The slot counter is loop-agnostic (waiters are futures of the loop that waits), so a
    client reused from a fresh `asyncio.run` keeps working.
    """

    def __init__(self, max_concurrent: int, *, clock: Callable[[], float] = time.monotonic):
        if isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int):
            raise ConfigurationError("max_concurrent_creates must be an int >= 1")
        if max_concurrent < 1:
            raise ConfigurationError("max_concurrent_creates must be >= 1")
        self.max_concurrent = max_concurrent
        self._free = max_concurrent
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._clock = clock
        self._reopen_at = float("-inf")

    def __repr__(self) -> str:
        return f"InProcessLimiter(max_concurrent={self.max_concurrent}, in_flight={self.in_flight})"

    @property
    def in_flight(self) -> int:
        return self.max_concurrent - self._free

    async def acquire(self) -> float:
        pause = self._reopen_at - self._clock()
        if pause > 0:
            return pause
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return 0.0
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                # Granted and cancelled in the same step: pass the slot on.
                self._grant_next()
            elif waiter in self._waiters:  # (a waiter of a closed loop was dropped already)
                self._waiters.remove(waiter)
            raise
        pause = self._reopen_at - self._clock()
        if pause > 0:  # a 429 closed the gate while this call waited for its slot
            self._grant_next()
            return pause
        return 0.0

    async def release(self) -> None:
        self._grant_next()

    def _grant_next(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done() and not waiter.get_loop().is_closed():
                waiter.set_result(None)
                return
        self._free += 1

    async def cooldown_remaining(self) -> float:
        return max(0.0, self._reopen_at - self._clock())

    async def start_cooldown(self, seconds: float) -> None:
        self._reopen_at = max(self._reopen_at, self._clock() + seconds)

    async def aclose(self) -> None:
        return None
