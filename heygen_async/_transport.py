"""The one I/O seam: the `Transport` protocol, the SDK's own `Timeout` and body types, and
`AiohttpTransport`, the only module that imports aiohttp.

A transport moves bytes: (method, url, headers, body) -> (status, headers, body). It knows
nothing of HeyGen: no retries, no limits, no models. Failures to get a reply are raised as
`APIConnectionError` / `APITimeoutError`; a reply above `max_body` bytes as
`APIResponseValidationError` (code ``response_too_large``), without reading it.

`AiohttpTransport` keeps its connection pool in a `LoopBound`: the pool belongs to the event
loop that opened it, is closed when that loop shuts down, and is opened again on the next.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import IO, Any, NamedTuple, Protocol, runtime_checkable

import aiohttp
import attrs

from . import _constants as C
from ._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    ConfigurationError,
)
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

    def within(self, remaining: float | None) -> Timeout:
        """This timeout with `total` shortened to `remaining` seconds (a call's deadline)."""
        if remaining is None or (self.total is not None and self.total <= remaining):
            return self
        return attrs.evolve(self, total=remaining)


@attrs.frozen
class FilePart:
    """One file of a multipart body; `open` is called afresh for every attempt."""

    name: str
    filename: str
    content_type: str
    open: Callable[[], IO[bytes]]


@attrs.frozen
class Multipart:
    """A multipart/form-data body of file parts (the transport picks the boundary)."""

    parts: Sequence[FilePart]

    def encode(self, boundary: str) -> bytes:
        """The whole body as bytes, for transports that do not stream (MockTransport)."""
        chunks: list[bytes] = []
        for part in self.parts:
            with part.open() as f:
                data = f.read()
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{part.name}"; '
                f'filename="{part.filename}"\r\nContent-Type: {part.content_type}\r\n\r\n'.encode()
            )
            chunks.append(data)
            chunks.append(b"\r\n")
        chunks.append(f"--{boundary}--\r\n".encode())
        return b"".join(chunks)


@attrs.frozen
class FileBody:
    """Raw bytes from a file (a direct-upload PUT); `open` is called afresh per attempt."""

    open: Callable[[], IO[bytes]]
    size: int


Body = bytes | Multipart | FileBody


class RawResponse(NamedTuple):
    """What came back: the status, the headers (case-insensitive) and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class StreamedResponse(NamedTuple):
    """A reply whose body is read chunk by chunk (downloads)."""

    status: int
    headers: Mapping[str, str]
    chunks: AsyncIterator[bytes]


@runtime_checkable
class Transport(Protocol):
    """Moves the SDK's bytes. Implement it to route every request somewhere else.

    Headers of a reply must be case-insensitive. A failure to get a reply raises
    `APIConnectionError` (or `APITimeoutError`); an `OSError` raised by a transport is
    treated as a dropped connection.
    """

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Body | None,
        *,
        timeout: Timeout,
        max_body: int,
    ) -> RawResponse:
        """Send one request and read its whole reply (at most `max_body` bytes)."""

    def stream(
        self, method: str, url: str, headers: Mapping[str, str], *, timeout: Timeout
    ) -> AbstractAsyncContextManager[StreamedResponse]:
        """Send a body-less request and yield its reply, the body still unread."""

    async def aclose(self) -> None:
        """Close what the transport opened (it may be used again afterwards)."""


def too_large(status: int, headers: Mapping[str, str], size: int | None, cap: int) -> Exception:
    """The error for a reply above the cap (`size`: what it announced, if it did)."""
    said = f"announced {size} bytes" if size is not None else f"ran past {cap} bytes"
    return APIResponseValidationError(
        status,
        "response_too_large",
        f"the reply {said}, more than max_response_bytes ({cap}); it was not read",
        request_id=headers.get("x-request-id"),
        headers=headers,
    )


def connection_error(exc: BaseException, what: str) -> APIConnectionError:
    """The SDK's error for a transport failure of `what` ("METHOD /path")."""
    if isinstance(exc, TimeoutError):
        return APITimeoutError(f"{what} timed out")
    return APIConnectionError(f"{what} failed: {str(exc) or type(exc).__name__}")


def url_path(url: str) -> str:
    """The URL without its query: presigned download URLs carry credentials there."""
    return url.split("?", 1)[0]


class AiohttpTransport:
    """The default transport: an aiohttp connection pool bound to one event loop at a time.

    With `session` given, that caller-owned session is used as is and never closed here.
    """

    def __init__(
        self,
        *,
        session: object | None = None,
        pool_limit: int = C.DEFAULT_POOL_LIMIT,
    ) -> None:
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise ConfigurationError("http_session must be an aiohttp.ClientSession")
        self._owned = session is None
        self._session: aiohttp.ClientSession | None = session
        self._pool_limit = pool_limit
        self._pool: LoopBound[aiohttp.ClientSession] = LoopBound(
            self._new_session, _close_session, _drop_sockets, what="heygen_async client"
        )
        self._last_timeout: tuple[Timeout | None, aiohttp.ClientTimeout] = (
            None,
            aiohttp.ClientTimeout(),
        )
        if hasattr(os, "register_at_fork"):
            # A forked child must not close the parent's pool through the copied loop.
            pool = weakref.ref(self._pool)
            os.register_at_fork(after_in_child=lambda: _forget(pool()))

    def __repr__(self) -> str:
        state = "caller-owned" if not self._owned else ("open" if self._pool.is_open else "idle")
        return f"AiohttpTransport({state})"

    @property
    def is_open(self) -> bool:
        return self._pool.is_open

    def _new_session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._pool_limit))

    def _timeout(self, timeout: Timeout) -> aiohttp.ClientTimeout:
        last, converted = self._last_timeout
        if timeout is last:  # nearly always: the client's own Timeout
            return converted
        converted = aiohttp.ClientTimeout(
            total=timeout.total, sock_connect=timeout.connect, sock_read=timeout.read
        )
        self._last_timeout = (timeout, converted)
        return converted

    async def aclose(self) -> None:
        """Close the pool this transport opened (a caller-owned session is left alone)."""
        await self._pool.aclose()

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Body | None,
        *,
        timeout: Timeout,
        max_body: int,
    ) -> RawResponse:
        session = self._session or self._pool.current() or await self._pool.get()
        data: Any = body
        opened: IO[bytes] | None = None
        if body is None or type(body) is bytes:
            pass
        elif isinstance(body, Multipart):
            data = aiohttp.FormData()
            for part in body.parts:
                data.add_field(
                    part.name, part.open(), filename=part.filename, content_type=part.content_type
                )
        elif isinstance(body, FileBody):
            data = opened = body.open()
        try:
            async with session.request(
                method,
                url,
                headers=headers,
                data=data,
                timeout=self._timeout(timeout),
                allow_redirects=False,
            ) as response:
                length = response.content_length
                if length is not None and length > max_body:
                    raise too_large(response.status, response.headers, length, max_body)
                if length is not None:
                    content = await response.read()
                else:
                    content = await _read_capped(response, max_body)
                return RawResponse(response.status, response.headers, content)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise connection_error(exc, f"{method} {url_path(url)}") from exc
        finally:
            if opened is not None:
                opened.close()

    @contextlib.asynccontextmanager
    async def stream(
        self, method: str, url: str, headers: Mapping[str, str], *, timeout: Timeout
    ) -> AsyncIterator[StreamedResponse]:
        session = self._session or self._pool.current() or await self._pool.get()
        what = f"{method} {url_path(url)}"
        try:
            async with session.request(
                method, url, headers=headers, timeout=self._timeout(timeout)
            ) as response:
                yield StreamedResponse(response.status, response.headers, _chunks(response, what))
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise connection_error(exc, what) from exc


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes:
    """A body of unannounced length, refused as soon as it passes `cap` bytes."""
    parts: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > cap:
            raise too_large(response.status, response.headers, None, cap)
        parts.append(chunk)
    return b"".join(parts)


async def _chunks(response: aiohttp.ClientResponse, what: str) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.content.iter_chunked(1 << 16):
            yield chunk
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise connection_error(exc, f"{what} (while reading)") from exc


def user_agent() -> str:
    """What the default transport adds to the User-Agent."""
    return f"aiohttp/{aiohttp.__version__}"


def _forget(pool: LoopBound[aiohttp.ClientSession] | None) -> None:
    if pool is not None:
        pool.forget()


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
