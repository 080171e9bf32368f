"""MockTransport: the SDK's whole behaviour (retries, limits, pages, downloads, uploads) with
no server, as DESIGN.md "Transport" promises."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.testing import MockRequest, MockResponse

from .conftest import VirtualTime, mock_client

SESSION = {"data": {"session_id": "s1", "status": "thinking", "created_at": 1711382400}}


async def test_a_sync_handler_sees_what_was_sent(vtime: VirtualTime) -> None:
    seen: list[MockRequest] = []

    def handler(request: MockRequest) -> MockResponse:
        seen.append(request)
        return MockResponse(200, json=SESSION, headers={"X-Request-Id": "req_1"})

    client = mock_client(handler, vtime)
    session = await client.video_agents.create(prompt="hello", idempotency_key="key-1")
    assert session.session_id == "s1"
    (request,) = seen
    assert (request.method, request.url) == ("POST", "https://api.test/v3/video-agents")
    assert request.json() == {"prompt": "hello", "mode": "generate", "incognito_mode": False}
    assert request.headers["idempotency-key"] == "key-1"  # case-insensitive
    assert request.headers["X-API-KEY"] == "sk-secret"
    assert request.headers["X-Retry-Count"] == "0"
    assert "sk-secret" not in repr(request.headers)


async def test_an_async_handler_and_dropped_connections_are_retried(vtime: VirtualTime) -> None:
    attempts: list[str] = []

    async def handler(request: MockRequest) -> MockResponse:
        attempts.append(request.headers["Idempotency-Key"])
        if len(attempts) < 3:
            raise ConnectionResetError("reset by peer")
        return MockResponse(200, json=SESSION)

    client = mock_client(handler, vtime)
    session = await client.sessions.create(prompt="p")
    assert session.session_id == "s1"
    assert len(attempts) == 3 and len(set(attempts)) == 1  # one key across attempts
    assert len(vtime.sleeps) == 2


async def test_a_handler_that_keeps_dropping_gives_a_connection_error(vtime: VirtualTime) -> None:
    def handler(request: MockRequest) -> MockResponse:
        raise ConnectionResetError

    client = mock_client(handler, vtime, retry=hg.RetryPolicy(max_retries=2))
    with pytest.raises(
        hg.APIConnectionError, match=r"POST https://api\.test/v3/video-agents failed"
    ):
        await client.video_agents.create(prompt="p")
    assert len(vtime.sleeps) == 2


async def test_retry_after_and_the_create_gate_work_through_it(vtime: VirtualTime) -> None:
    replies = iter(
        [
            MockResponse(
                429,
                json={"error": {"code": "rate_limit_exceeded", "message": "slow"}},
                headers={"Retry-After": "7"},
            ),
            MockResponse(200, json=SESSION),
        ]
    )
    client = mock_client(lambda request: next(replies), vtime)
    await client.video_agents.create(prompt="p")
    assert vtime.sleeps == [7.0]
    assert await client.limiter.cooldown_remaining() == 0.0  # the 7 s have passed


async def test_pagination_follows_cursors_lazily(vtime: VirtualTime) -> None:
    pages = {
        None: {"data": [{"style_id": "a", "name": "A"}], "has_more": True, "next_token": "t2"},
        "t2": {"data": [{"style_id": "b", "name": "B"}], "has_more": False, "next_token": None},
    }
    asked: list[str | None] = []

    def handler(request: MockRequest) -> MockResponse:
        token = request.url.partition("token=")[2] or None
        asked.append(token)
        return MockResponse(200, json=pages[token])

    client = mock_client(handler, vtime)
    styles = client.styles.list()
    first = await anext(styles)
    assert first.style_id == "a" and asked == [None]  # the second page is not fetched yet
    assert [s.style_id async for s in styles] == ["b"]
    assert asked == [None, "t2"]


async def test_a_repeated_cursor_is_a_malformed_reply_not_a_loop(vtime: VirtualTime) -> None:
    page = {"data": [{"style_id": "a", "name": "A"}], "has_more": True, "next_token": "same"}
    calls = 0

    def handler(request: MockRequest) -> MockResponse:
        nonlocal calls
        calls += 1
        return MockResponse(200, json=page)

    client = mock_client(handler, vtime)
    with pytest.raises(hg.APIResponseValidationError, match="already given"):
        async with asyncio.timeout(5):
            [s async for s in client.styles.list()]
    assert calls == 2


async def test_a_download_cut_short_is_restarted(vtime: VirtualTime, tmp_path: Path) -> None:
    video = b"v" * 200_000
    downloads = 0

    async def cut_after_some() -> AsyncIterator[bytes]:
        yield video[:1000]
        raise ConnectionResetError("cut")

    def handler(request: MockRequest) -> MockResponse:
        nonlocal downloads
        if request.url.startswith("https://cdn.test/"):
            downloads += 1
            assert "x-api-key" not in request.headers  # never the key to the storage host
            headers = {"Content-Length": str(len(video))}
            if downloads == 1:
                return MockResponse(200, content=cut_after_some(), headers=headers)
            return MockResponse(200, content=video, headers=headers)
        data = {"id": "v1", "status": "completed", "video_url": "https://cdn.test/v1.mp4?sig=x"}
        return MockResponse(200, json={"data": data})

    client = mock_client(handler, vtime)
    path = await client.videos.download("v1", tmp_path / "v1.mp4")
    assert path.read_bytes() == video
    assert downloads == 2
    assert [p.name for p in tmp_path.iterdir()] == ["v1.mp4"]  # no partial file left


async def test_the_direct_upload_put_is_retried(vtime: VirtualTime, tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    with big.open("wb") as f:  # an mp4 header, then enough to pass the multipart limit
        f.write(b"\x00\x00\x00\x18ftypmp42")
        f.truncate(33 * 1024 * 1024)
    puts: list[MockRequest] = []
    completes: list[Any] = []

    def handler(request: MockRequest) -> MockResponse:
        if request.url.endswith("/v3/assets/direct-uploads"):
            data = {
                "asset_id": "a1",
                "upload_url": "https://storage.test/put/a1",
                "upload_headers": {"Content-Type": "video/mp4"},
                "expires_in_seconds": 900,
                "max_bytes": 5 * 1024**3,
                "status": "pending",
            }
            return MockResponse(200, json={"data": data})
        if request.method == "PUT":
            puts.append(request)
            if len(puts) == 1:
                return MockResponse(503, content=b"<html>busy</html>")
            return MockResponse(200)
        assert request.url.endswith("/v3/assets/a1/complete")
        completes.append(request.json())
        asset = {
            "asset_id": "a1",
            "url": "https://cdn.test/a1",
            "mime_type": "video/mp4",
            "size_bytes": 33 * 1024 * 1024,
        }
        return MockResponse(200, json={"data": asset})

    client = mock_client(handler, vtime)
    asset = await client.assets.upload(big)
    assert asset.asset_id == "a1"
    assert len(puts) == 2
    assert all(len(p.content) == 33 * 1024 * 1024 for p in puts)
    assert puts[1].headers["Content-Type"] == "video/mp4"
    assert "x-api-key" not in puts[1].headers
    assert completes == [{"checksum_sha256": hashlib.sha256(big.read_bytes()).hexdigest()}]


async def test_a_reply_above_the_size_cap_is_refused(vtime: VirtualTime) -> None:
    def handler(request: MockRequest) -> MockResponse:
        return MockResponse(200, content=b"x" * 2000)

    client = mock_client(handler, vtime, max_response_bytes=1000)
    with pytest.raises(hg.APIResponseValidationError, match="max_response_bytes"):
        await client.users.me()


def test_a_handler_must_return_a_mock_response() -> None:
    with pytest.raises(ValueError, match="status"):
        MockResponse(1000)
