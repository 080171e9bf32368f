"""The one place that touches aiohttp: (method, url, headers, body) -> (status, headers, body).

`AiohttpTransport` also owns the loop affinity of its connection pool: the pool belongs to the
event loop that opened it, is closed when that loop shuts down (through an async-generator
guard that `asyncio.run` finalises), and is opened again on the next loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any, NamedTuple

import aiohttp
import attrs

from . import _constants as C
from ._errors import APIConnectionError, APITimeoutError, ConfigurationError


def _timeout_value(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(f"Timeout.{attribute.name} must be a number > 0 or None")


@attrs.frozen
class Timeout:
    """Per-attempt time limits in seconds (None: no limit for that phase).

    `connect` bounds opening a connection, `read` the wait between two reads of the reply,
    `total` the whole attempt. A call's `RetryPolicy.deadline` bounds all attempts together.
    """

    total: float | None = attrs.field(default=C.DEFAULT_TOTAL_TIMEOUT, validator=_timeout_value)
    connect: float | None = attrs.field(
        default=C.DEFAULT_CONNECT_TIMEOUT, kw_only=True, validator=_timeout_value
    )
    read: float | None = attrs.field(
        default=C.DEFAULT_READ_TIMEOUT, kw_only=True, validator=_timeout_value
    )

    @classmethod
    def coerce(cls, value: float | Timeout | None) -> Timeout:
        """None -> the defaults; a number -> that total per attempt; a Timeout as is."""
        if value is None:
            return cls()
        if isinstance(value, Timeout):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigurationError(
                f"timeout must be a number of seconds or hg.Timeout, not {value!r}"
            )
        return cls(total=float(value))

    def to_aiohttp(self, remaining: float | None = None) -> aiohttp.ClientTimeout:
        total = self.total
        if remaining is not None:
            total = remaining if total is None else min(total, remaining)
        return aiohttp.ClientTimeout(total=total, sock_connect=self.connect, sock_read=self.read)


class RawResponse(NamedTuple):
    """What came back: the status, the headers (case-insensitive) and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class StreamedResponse(NamedTuple):
    status: int
    headers: Mapping[str, str]
    chunks: AsyncIterator[bytes]


class AiohttpTransport:
    """An aiohttp connection pool bound to one event loop at a time.

    With `session` given, that caller-owned session is used as is and never closed here.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        pool_limit: int = C.DEFAULT_POOL_LIMIT,
    ) -> None:
        self._owned = session is None
        self._session = session
        self._pool_limit = pool_limit
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guard: AsyncGenerator[None, None] | None = None

    def __repr__(self) -> str:
        state = "caller-owned" if not self._owned else ("open" if self._loop else "idle")
        return f"AiohttpTransport({state})"

    async def _client(self) -> aiohttp.ClientSession:
        if not self._owned:
            assert self._session is not None
            return self._session
        loop = asyncio.get_running_loop()
        if loop is self._loop and self._session is not None:
            return self._session
        return await self._open(loop)

    async def _open(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        if self._loop is not None and self._loop is not loop:
            if not self._loop.is_closed():
                raise RuntimeError(
                    "this heygen_async client is bound to another event loop that is still "
                    "open; use one client per event loop, or close the other loop (or call "
                    "`await client.aclose()` on it) first"
                )
            self._abandon()
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._pool_limit),
            auto_decompress=True,
        )
        self._session, self._loop = session, loop
        guard = self._close_with_loop(session, loop)
        await guard.__anext__()
        self._guard = guard
        return session

    async def _close_with_loop(
        self, session: aiohttp.ClientSession, loop: asyncio.AbstractEventLoop
    ) -> AsyncGenerator[None, None]:
        # asyncio.run() (and asyncio.Runner) finalise open async generators before closing
        # the loop: this one closes the pool then, so sockets never outlive their loop.
        try:
            yield
        finally:
            if self._session is session:
                self._session, self._loop, self._guard = None, None, None
            if not loop.is_closed():
                await session.close()

    def _abandon(self) -> None:
        """Forget a pool whose loop was closed without finalising it (no await possible)."""
        guard, session = self._guard, self._session
        self._session, self._loop, self._guard = None, None, None
        if guard is not None:
            closing = guard.aclose()
            with contextlib.suppress(StopIteration, RuntimeError):
                closing.send(None)
            closing.close()
        if session is not None and not session.closed:
            _drop_sockets(session)

    async def aclose(self) -> None:
        """Close the pool this transport opened (a caller-owned session is left alone)."""
        if not self._owned:
            return
        if self._loop is not None and self._loop is not asyncio.get_running_loop():
            if self._loop.is_closed():
                self._abandon()
                return
            raise RuntimeError("close this client from the event loop that uses it")
        guard = self._guard
        if guard is not None:
            await guard.aclose()

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | aiohttp.FormData | None,
        timeout: aiohttp.ClientTimeout,
    ) -> RawResponse:
        """Send one request and read the whole reply; transport failures become typed errors."""
        session = self._session
        if session is None or (self._owned and self._loop is not asyncio.get_running_loop()):
            session = await self._client()
        try:
            async with session.request(
                method, url, headers=headers, data=body, timeout=timeout, allow_redirects=False
            ) as response:
                return RawResponse(response.status, response.headers, await response.read())
        except TimeoutError as exc:
            raise APITimeoutError(f"{method} {_path(url)} timed out") from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError(f"{method} {_path(url)} failed: {_describe(exc)}") from exc

    @contextlib.asynccontextmanager
    async def stream(
        self,
        url: str,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
        chunk_size: int = 1 << 16,
    ) -> AsyncIterator[StreamedResponse]:
        """GET `url` and yield its body in chunks; the connection is released on exit."""
        session = await self._client()
        try:
            async with session.get(url, headers=headers, timeout=timeout) as response:
                yield StreamedResponse(
                    response.status, response.headers, _chunks(response, chunk_size, url)
                )
        except TimeoutError as exc:
            raise APITimeoutError(f"GET {_path(url)} timed out") from exc
        except aiohttp.ClientError as exc:
            raise APIConnectionError(f"GET {_path(url)} failed: {_describe(exc)}") from exc

    async def put(
        self, url: str, headers: Mapping[str, str], body: Any, timeout: aiohttp.ClientTimeout
    ) -> RawResponse:
        """PUT raw bytes (or a file object) to a presigned URL."""
        return await self.send("PUT", url, headers, body, timeout)


async def _chunks(
    response: aiohttp.ClientResponse, chunk_size: int, url: str
) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.content.iter_chunked(chunk_size):
            yield chunk
    except TimeoutError as exc:
        raise APITimeoutError(f"GET {_path(url)} timed out while reading") from exc
    except aiohttp.ClientError as exc:
        raise APIConnectionError(
            f"GET {_path(url)} failed while reading: {_describe(exc)}"
        ) from exc


def _path(url: str) -> str:
    """The URL without its query: presigned download URLs carry credentials there."""
    return url.split("?", 1)[0]


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _drop_sockets(session: aiohttp.ClientSession) -> None:
    """Close the raw sockets of a pool whose event loop is gone.

    Nothing can be awaited on a closed loop, so the transports cannot be closed the normal
    way; this reaches into aiohttp's connector, best effort, so no socket leaks.
    """
    connector = session.connector
    conns = getattr(connector, "_conns", None)
    if isinstance(conns, dict):
        for entries in conns.values():
            for entry in entries:
                protocol = entry[0] if isinstance(entry, tuple) else entry
                transport = getattr(protocol, "transport", None)
                sock = getattr(transport, "_sock", None)
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.close()
        conns.clear()
    with contextlib.suppress(Exception):
        session._connector = None
