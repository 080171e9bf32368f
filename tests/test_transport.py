"""The aiohttp transport against a real loopback server: bytes in, bytes out, typed failures."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import heygen_async as hg
from heygen_async._transport import (
    AiohttpTransport,
    FileBody,
    FilePart,
    Multipart,
    Timeout,
)
from heygen_async.testing import MockResponse, MockTransport

CAP = 1 << 20
T = Timeout(5.0, connect=2.0)


async def _huge_announced(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Length": str(10 * 1024**3)})
    await response.prepare(request)
    await response.write(b"x" * 1024)
    await asyncio.sleep(30)  # never sends the rest: the client must not wait for it
    return response


async def _chunked_forever(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.enable_chunked_encoding()
    await response.prepare(request)
    for _ in range(1000):
        await response.write(b"y" * 65536)
    return response


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    headers = {"X-Got-Type": request.headers.get("Content-Type", ""), "X-Request-Id": "req_e"}
    return web.Response(body=body, status=201, headers=headers)


async def _cut(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Length": "100000"})
    await response.prepare(request)
    await response.write(b"z" * 1000)
    assert request.transport is not None
    request.transport.close()  # the connection drops mid-body
    return response


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(30)
    return web.Response(text="late")


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/huge", _huge_announced)
    app.router.add_get("/chunked", _chunked_forever)
    app.router.add_route("*", "/echo", _echo)
    app.router.add_get("/cut", _cut)
    app.router.add_get("/slow", _slow)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpTransport]:
    made = AiohttpTransport()
    yield made
    await made.aclose()


async def test_a_reply_comes_back_whole_with_case_insensitive_headers(
    server: str, transport: AiohttpTransport
) -> None:
    reply = await transport.send(
        "POST", f"{server}/echo", {"Content-Type": "application/json"}, b'{"a":1}',
        timeout=T, max_body=CAP,
    )  # fmt: skip
    assert (reply.status, reply.body) == (201, b'{"a":1}')
    assert reply.headers["x-request-id"] == "req_e"
    assert reply.headers["X-Got-Type"] == "application/json"


async def test_an_announced_10_gb_body_is_refused_unread(
    server: str, transport: AiohttpTransport
) -> None:
    async with asyncio.timeout(5):
        with pytest.raises(hg.APIResponseValidationError, match="announced 10737418240 bytes"):
            await transport.send("GET", f"{server}/huge", {}, None, timeout=T, max_body=CAP)


async def test_an_unannounced_body_is_cut_at_the_cap(
    server: str, transport: AiohttpTransport
) -> None:
    async with asyncio.timeout(5):
        with pytest.raises(hg.APIResponseValidationError, match="ran past 1048576 bytes") as err:
            await transport.send("GET", f"{server}/chunked", {}, None, timeout=T, max_body=CAP)
    assert err.value.code == "response_too_large"


async def test_multipart_parts_arrive_as_form_data(
    server: str, transport: AiohttpTransport
) -> None:
    import io

    form = Multipart((FilePart("file", "a.png", "image/png", lambda: io.BytesIO(b"PNGDATA")),))
    reply = await transport.send("POST", f"{server}/echo", {}, form, timeout=T, max_body=CAP)
    assert reply.headers["X-Got-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="a.png"' in reply.body
    assert b"Content-Type: image/png" in reply.body and b"PNGDATA" in reply.body


async def test_a_file_body_is_sent_raw_and_closed(
    server: str, transport: AiohttpTransport, tmp_path: Any
) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")
    opened: list[Any] = []

    def open_it() -> Any:
        opened.append(path.open("rb"))
        return opened[-1]

    body = FileBody(open_it, 10)
    reply = await transport.send("PUT", f"{server}/echo", {}, body, timeout=T, max_body=CAP)
    assert reply.body == b"0123456789"
    assert all(f.closed for f in opened)


async def test_no_listener_is_a_connection_error(transport: AiohttpTransport) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        with pytest.raises(hg.APIConnectionError, match=f"GET http://127.0.0.1:{port}/x failed"):
            await transport.send(
                "GET", f"http://127.0.0.1:{port}/x?sig=secret", {}, None, timeout=T, max_body=CAP
            )


async def test_the_query_never_appears_in_errors(transport: AiohttpTransport) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        with pytest.raises(hg.APIConnectionError) as err:
            await transport.send(
                "GET", f"http://127.0.0.1:{port}/x?sig=secret", {}, None, timeout=T, max_body=CAP
            )
    assert "secret" not in str(err.value)


async def test_a_slow_reply_is_a_timeout(server: str, transport: AiohttpTransport) -> None:
    async with asyncio.timeout(5):
        with pytest.raises(hg.APITimeoutError):
            await transport.send(
                "GET", f"{server}/slow", {}, None, timeout=Timeout(0.2), max_body=CAP
            )


async def test_a_stream_cut_mid_body_is_a_connection_error(
    server: str, transport: AiohttpTransport
) -> None:
    got = bytearray()

    async def read_all() -> None:
        async with transport.stream("GET", f"{server}/cut", {}, timeout=T) as reply:
            assert reply.status == 200
            async for chunk in reply.chunks:
                got.extend(chunk)

    async with asyncio.timeout(5):
        with pytest.raises(hg.APIConnectionError, match="while reading"):
            await read_all()
    assert 0 < len(got) < 100000


async def test_a_client_given_a_transport_opens_no_aiohttp_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_sessions(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an aiohttp session was opened")

    monkeypatch.setattr(aiohttp, "ClientSession", no_sessions)
    data = {"session_id": "s1", "status": "thinking", "created_at": 1}
    mock = MockTransport(lambda request: MockResponse(200, json={"data": data}))
    async with hg.AsyncHeyGen("k", base_url="https://api.test", transport=mock) as client:
        assert (await client.sessions.create(prompt="p")).session_id == "s1"


def test_a_transport_must_implement_the_protocol() -> None:
    with pytest.raises(hg.ConfigurationError, match="transport must implement"):
        hg.AsyncHeyGen("k", transport=object())  # type: ignore[arg-type]
    mock = MockTransport(lambda request: MockResponse(200))
    with pytest.raises(hg.ConfigurationError, match="not both"):
        hg.AsyncHeyGen("k", transport=mock, http_session=object())  # type: ignore[arg-type]
    assert isinstance(mock, hg.Transport)
