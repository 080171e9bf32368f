"""MockTransport: the no-server way to test code that uses the SDK, as httpx's is for httpx.

    def handler(request: MockRequest) -> MockResponse:
        return MockResponse(200, json={"data": {"session_id": "s1"}})

    client = hg.AsyncHeyGen(api_key="k", transport=MockTransport(handler), sleep=fake_sleep)

Everything above the transport runs for real: validation, limits, the retry loop, decoding,
pagination, downloads and uploads. An `OSError` raised by the handler (or by a streamed
`content` while it is read) is a dropped connection, and is retried as one.
"""

from __future__ import annotations

import contextlib
import inspect
import json as _json
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any

from .._errors import APIConnectionError
from .._transport import (
    Body,
    FileBody,
    Multipart,
    RawResponse,
    StreamedResponse,
    Timeout,
    connection_error,
    too_large,
    url_path,
)

_BOUNDARY = "heygen-async-mock-boundary"
_CHUNK = 1 << 16


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only headers (as a real transport gives them)."""

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items = {k.lower(): (k, str(v)) for k, v in (items or {}).items()}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()][1]

    def __iter__(self) -> Any:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __repr__(self) -> str:
        shown = {
            name: ("<hidden>" if name.lower() == "x-api-key" else value)
            for name, value in self._items.values()
        }
        return f"Headers({shown!r})"


class MockRequest:
    """What the SDK sent: `method`, `url` (absolute), `headers` (case-insensitive), `content`."""

    __slots__ = ("content", "headers", "method", "url")

    def __init__(self, method: str, url: str, headers: Headers, content: bytes) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.content = content

    def json(self) -> Any:
        """The body parsed as JSON (ValueError if it is not JSON)."""
        return _json.loads(self.content)

    def __repr__(self) -> str:
        return f"<MockRequest {self.method} {url_path(self.url)}>"


Content = bytes | Iterable[bytes] | AsyncIterable[bytes]


class MockResponse:
    """A reply for a MockTransport handler to return.

    `json` is encoded as the body (with Content-Type application/json); otherwise `content`
    is: bytes, or an (async) iterable of chunks, which may raise `OSError` part-way through to
    cut the reply short (for downloads).
    """

    __slots__ = ("content", "headers", "status")

    def __init__(
        self,
        status: int,
        *,
        json: Any = None,
        content: Content = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status code, not {status!r}")
        given = dict(headers or {})
        if json is not None:
            content = _json.dumps(json).encode()
            given.setdefault("Content-Type", "application/json")
        self.status = status
        self.content = content
        self.headers = Headers(given)

    def __repr__(self) -> str:
        return f"<MockResponse {self.status}>"


Handler = Callable[[MockRequest], MockResponse | Awaitable[MockResponse]]


class MockTransport:
    """A `heygen_async.Transport` that answers every request by calling `handler(request)`.

    The handler may be a function or a coroutine function; it sees every attempt (a retried
    call reaches it once per attempt).
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def __repr__(self) -> str:
        return f"MockTransport({getattr(self.handler, '__name__', self.handler)!r})"

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
        response = await self._respond(method, url, headers, body)
        announced = response.headers.get("Content-Length")
        if announced is not None and announced.isdigit() and int(announced) > max_body:
            raise too_large(response.status, response.headers, int(announced), max_body)
        content = bytearray()
        async for chunk in _chunks(response.content, f"{method} {url_path(url)}"):
            content += chunk
            if len(content) > max_body:
                raise too_large(response.status, response.headers, None, max_body)
        return RawResponse(response.status, response.headers, bytes(content))

    @contextlib.asynccontextmanager
    async def stream(
        self, method: str, url: str, headers: Mapping[str, str], *, timeout: Timeout
    ) -> AsyncIterator[StreamedResponse]:
        response = await self._respond(method, url, headers, None)
        what = f"{method} {url_path(url)} (while reading)"
        yield StreamedResponse(response.status, response.headers, _chunks(response.content, what))

    async def aclose(self) -> None:
        return None

    async def _respond(
        self, method: str, url: str, headers: Mapping[str, str], body: Body | None
    ) -> MockResponse:
        sent = dict(headers)
        if isinstance(body, Multipart):
            sent["Content-Type"] = f"multipart/form-data; boundary={_BOUNDARY}"
        request = MockRequest(method, url, Headers(sent), _content_of(body))
        try:
            response = self.handler(request)
            if inspect.isawaitable(response):
                response = await response
        except OSError as exc:  # TimeoutError included: a dropped or timed-out connection
            raise connection_error(exc, f"{method} {url_path(url)}") from exc
        if not isinstance(response, MockResponse):
            raise TypeError(f"a MockTransport handler must return a MockResponse, not {response!r}")
        return response


def _content_of(body: Body | None) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, Multipart):
        return body.encode(_BOUNDARY)
    if isinstance(body, FileBody):
        with body.open() as f:
            return f.read()
    raise TypeError(f"not a request body: {body!r}")


async def _chunks(content: Content, what: str) -> AsyncIterator[bytes]:
    try:
        if isinstance(content, bytes):
            for start in range(0, len(content), _CHUNK):
                yield content[start : start + _CHUNK]
        elif isinstance(content, AsyncIterable):
            async for chunk in content:
                yield chunk
        else:
            for chunk in content:
                yield chunk
    except APIConnectionError:
        raise
    except OSError as exc:
        raise connection_error(exc, what) from exc
