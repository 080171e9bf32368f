"""HeyGen: the blocking facade over AsyncHeyGen, for code that is not async.

It runs one AsyncHeyGen on a private event-loop thread and hands each call to it, so every
resource and method of the async client is here, blocking: `client.sessions.create(...)`
returns a Session, list calls return plain iterators. One spec serves both, so they cannot
drift. Calls are thread-safe. After `os.fork()` the child starts its own loop thread and pool
on first use (Celery's prefork workers fork after the parent built its clients).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, Self, TypeVar, Unpack

from ._client import AsyncHeyGen, ClientOptions
from ._gen_client import RESOURCE_NAMES, SyncResources
from ._sync_types import SyncSessions, SyncStyles
from .resources._base import Resource

T = TypeVar("T")

_RESOURCES = ("sessions", "styles", *RESOURCE_NAMES)
_instances: weakref.WeakSet[HeyGen] = weakref.WeakSet()
# Objects of a parent process that a forked child must neither use nor finalise.
_left_by_parent: list[object] = []


class _LoopThread:
    """An event loop running forever on a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="heygen-async-loop", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro: Awaitable[T]) -> T:
        if threading.current_thread() is self.thread:
            raise RuntimeError("HeyGen (blocking) was called from its own loop thread")
        future = asyncio.run_coroutine_threadsafe(_await(coro), self.loop)
        try:
            return future.result()
        except BaseException:
            # Interrupted (KeyboardInterrupt) or failed: do not leave the call running.
            future.cancel()
            raise

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        if not self.thread.is_alive():
            self.loop.close()


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


class HeyGen(SyncResources):
    """The blocking client: the same arguments, resources and methods as AsyncHeyGen.

    Close it with `close()` or use it as a context manager.
    """

    # Each mirrors the AsyncHeyGen resource of the same name, method for method, blocking
    # (the generated groups are annotated on SyncResources).
    sessions: SyncSessions
    styles: SyncStyles

    def __init__(self, api_key: str | None = None, **options: Unpack[ClientOptions]) -> None:
        self._args = (api_key, options)
        self._lock = threading.Lock()
        self._runner: _LoopThread | None = None
        self._pid = os.getpid()
        self._closed = False
        self._async = AsyncHeyGen(api_key, **options)  # validates now: no I/O, no loop
        for name in _RESOURCES:
            setattr(self, name, _SyncResource(self, name))
        _instances.add(self)

    def __repr__(self) -> str:
        return repr(self._async).replace("AsyncHeyGen(", "HeyGen(", 1)

    @property
    def async_client(self) -> AsyncHeyGen:
        """The AsyncHeyGen this facade drives (use it only through this facade's thread)."""
        return self._async

    def _run(self, make: Callable[[AsyncHeyGen], Awaitable[T]]) -> T:
        runner = self._ensure_runner()
        return runner.run(make(self._async))

    def _ensure_runner(self) -> _LoopThread:
        if os.getpid() != self._pid:
            self._after_fork()
        runner = self._runner
        if runner is None:
            with self._lock:
                if self._closed:
                    raise RuntimeError("this HeyGen client is closed")
                if self._runner is None:
                    self._runner = _LoopThread()
                runner = self._runner
        return runner

    def _after_fork(self) -> None:
        """In a forked child: the parent's loop thread does not exist here; start afresh."""
        self._lock = threading.Lock()
        if self._runner is not None:
            _left_by_parent.append(self._runner)
        _left_by_parent.append(self._async)
        api_key, options = self._args
        self._async = AsyncHeyGen(api_key, **options)
        self._runner = None
        self._pid = os.getpid()

    def close(self) -> None:
        """Close the connection pool and stop the loop thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            runner, self._runner = self._runner, None
        if runner is not None and os.getpid() == self._pid:
            try:
                runner.run(self._async.aclose())
            finally:
                runner.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _SyncResource:
    """A resource of AsyncHeyGen (or a namespace nested in one, `avatars.looks`), with each
    method made blocking and each nested namespace mirrored the same way."""

    def __init__(self, client: HeyGen, name: str, path: tuple[str, ...] = ()) -> None:
        self._client = client
        self._name = name
        self._path = path or (name,)

    def __repr__(self) -> str:
        return f"<blocking {'.'.join(self._path)} of {self._client!r}>"

    def __dir__(self) -> list[str]:
        target = _resolve(self._client.async_client, self._path)
        return [n for n in dir(target) if not n.startswith("_")]

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)
        target = getattr(_resolve(self._client.async_client, self._path), method)
        if isinstance(target, Resource):
            nested = _SyncResource(self._client, self._name, (*self._path, method))
            self.__dict__[method] = nested  # the namespace never changes: mirror it once
            return nested
        if not callable(target):
            return target
        if inspect.iscoroutinefunction(target):
            return _blocking(self._client, self._path, method)
        return _iterating(self._client, self._path, method)


def _resolve(client: AsyncHeyGen, path: tuple[str, ...]) -> Any:
    """The resource or namespace at `path` on `client` (looked up on each call, so a forked
    child's fresh client is used)."""
    target: Any = client
    for name in path:
        target = getattr(target, name)
    return target


def _blocking(client: HeyGen, path: tuple[str, ...], method: str) -> Callable[..., Any]:
    original = getattr(_resolve(client.async_client, path), method)

    @functools.wraps(original)
    def call(*args: Any, **kwargs: Any) -> Any:
        return client._run(lambda c: getattr(_resolve(c, path), method)(*args, **kwargs))

    return call


def _iterating(client: HeyGen, path: tuple[str, ...], method: str) -> Callable[..., Any]:
    original = getattr(_resolve(client.async_client, path), method)

    @functools.wraps(original)
    def call(*args: Any, **kwargs: Any) -> Iterator[Any]:
        async def start() -> AsyncIterator[Any]:
            result: AsyncIterator[Any] = getattr(_resolve(client.async_client, path), method)(
                *args, **kwargs
            )
            return result

        stream = client._run(lambda c: start())
        return _BlockingIterator(client, stream)

    return call


class _BlockingIterator(Iterator[T]):
    """Pulls an async iterator of the loop thread one item at a time."""

    def __init__(self, client: HeyGen, stream: AsyncIterator[T]) -> None:
        self._client = client
        self._stream = stream
        self._done = False

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        try:
            return self._client._run(lambda c: anext(self._stream))
        except StopAsyncIteration:
            self._done = True
            raise StopIteration from None

    def close(self) -> None:
        """Stop early: the async iterator is closed on its loop (a batch cancels its items)."""
        if not self._done:
            self._done = True
            aclose = getattr(self._stream, "aclose", None)
            if aclose is not None:
                self._client._run(lambda c: aclose())


def _reset_locks_after_fork() -> None:
    for instance in list(_instances):
        instance._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_locks_after_fork)
