"""One resource per event loop: opened on first use, closed when its loop shuts down.

aiohttp sessions and Redis clients belong to the event loop that opened them. Task workers
run `asyncio.run()` per task, so a long-lived client sees many loops, one after another.
`LoopBound` keeps one resource for the current loop and closes it through an async-generator
guard that `asyncio.run()` (and `asyncio.Runner`) finalise before closing the loop; the next
loop opens a fresh one. A resource still held by another loop that is open is an error.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class LoopBound(Generic[T]):
    def __init__(
        self,
        open: Callable[[], T],
        close: Callable[[T], Awaitable[object]],
        drop: Callable[[T], None],
        *,
        what: str,
    ) -> None:
        self._open = open
        self._close = close
        self._drop = drop
        self._what = what
        self._value: T | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guard: AsyncGenerator[None, None] | None = None

    @property
    def is_open(self) -> bool:
        return self._value is not None

    def current(self) -> T | None:
        """The resource of the running loop, if it is open (no await: the hot path)."""
        if self._value is not None and self._loop is asyncio.get_running_loop():
            return self._value
        return None

    async def get(self) -> T:
        """The resource of the running loop, opened now if need be."""
        loop = asyncio.get_running_loop()
        if self._value is not None and self._loop is loop:
            return self._value
        if self._loop is not None and self._loop is not loop:
            if not self._loop.is_closed():
                raise RuntimeError(
                    f"this {self._what} is bound to another event loop that is still open; "
                    "use one client per event loop, or close the other loop (or the client, "
                    "from that loop) first"
                )
            self.forget()
        value = self._open()
        self._value, self._loop = value, loop
        guard = self._close_with_loop(value, loop)
        await guard.__anext__()
        self._guard = guard
        return value

    async def _close_with_loop(
        self, value: T, loop: asyncio.AbstractEventLoop
    ) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            forgotten = self._value is not value
            if not forgotten:
                self._value, self._loop, self._guard = None, None, None
            # A forgotten resource's loop is closed, or belongs to the parent of a forked
            # child: closing through it would touch the parent's selector (epoll is shared).
            if not forgotten and not loop.is_closed():
                await self._close(value)

    async def aclose(self) -> None:
        """Close the resource now (from its own loop; a dead loop's resource is dropped)."""
        if self._loop is None:
            return
        if self._loop is not asyncio.get_running_loop():
            if self._loop.is_closed():
                self.forget()
                return
            raise RuntimeError(f"close this {self._what} from the event loop that uses it")
        guard = self._guard
        if guard is not None:
            await guard.aclose()

    def forget(self) -> None:
        """Drop the resource without awaiting: its loop is closed, or this is a forked child."""
        guard, value = self._guard, self._value
        self._value, self._loop, self._guard = None, None, None
        if guard is not None:
            # The guard's finally awaits nothing once its loop is closed, so it ends at once;
            # closing it here keeps asyncio from finalising it later on a dead loop.
            closing = guard.aclose()
            with contextlib.suppress(StopIteration, RuntimeError):
                closing.send(None)
            closing.close()
        if value is not None:
            self._drop(value)
