"""The one place that touches aiohttp: (method, url, headers, body) -> (status, headers, body).

`AiohttpTransport` keeps its connection pool in a `LoopBound`: the pool belongs to the event
loop that opened it, is closed when that loop shuts down, and is opened again on the next.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, NamedTuple

import aiohttp
import attrs

from . import _constants as C
from ._errors import APIConnectionError, APITimeoutError, ConfigurationError
from ._loopbound import LoopBound


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
        self._pool: LoopBound[aiohttp.ClientSession] = LoopBound(
            self._new_session, _close_session, _drop_sockets, what="heygen_async client"
        )

    def __repr__(self) -> str:
        state = "caller-owned" if not self._owned else ("open" if self._pool.is_open else "idle")
        return f"AiohttpTransport({state})"

    @property
    def is_open(self) -> bool:
        return self._pool.is_open

    def _new_session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._pool_limit))

    async def _client(self) -> aiohttp.ClientSession:
        if self._session is not None:
            return self._session
        return self._pool.current() or await self._pool.get()

    async def aclose(self) -> None:
        """Close the pool this transport opened (a caller-owned session is left alone)."""
        await self._pool.aclose()

    def forget(self) -> None:
        """Drop the pool without closing it through its loop (a forked child's copy)."""
        self._pool.forget()

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | aiohttp.FormData | None,
        timeout: aiohttp.ClientTimeout,
    ) -> RawResponse:
        """Send one request and read the whole reply; transport failures become typed errors."""
        session = self._session or self._pool.current() or await self._pool.get()
        try:
            async with session.request(
                method, url, headers=headers, data=body, timeout=timeout, allow_redirects=False
            ) as response:
                return RawResponse(response.status, response.headers, await response.read())
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _typed(exc, f"{method} {_path(url)}") from exc

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
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _typed(exc, f"GET {_path(url)}") from exc

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
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise _typed(exc, f"GET {_path(url)} (while reading)") from exc


def _path(url: str) -> str:
    """The URL without its query: presigned download URLs carry credentials there."""
    return url.split("?", 1)[0]


def _typed(exc: BaseException, what: str) -> APIConnectionError:
    """The SDK's error for a transport failure of `what` ("METHOD /path")."""
    if isinstance(exc, TimeoutError):
        return APITimeoutError(f"{what} timed out")
    return APIConnectionError(f"{what} failed: {str(exc) or type(exc).__name__}")


async def _close_session(session: aiohttp.ClientSession) -> None:
    await session.close()


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
    if not session.closed:
        with contextlib.suppress(Exception):
            session._connector = None
