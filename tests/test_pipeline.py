"""The pipeline's one loop, seen from the transport: what each attempt carries."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import heygen_async as hg
from heygen_async.testing import MockRequest, MockResponse

from .conftest import VirtualTime, mock_client

BUSY = {"error": {"code": "service_unavailable", "message": "busy"}}


async def test_each_attempt_counts_itself_and_keeps_its_key(vtime: VirtualTime) -> None:
    seen: list[MockRequest] = []

    def handler(request: MockRequest) -> MockResponse:
        seen.append(request)
        if len(seen) < 3:
            return MockResponse(503, json=BUSY)
        return MockResponse(
            200, json={"data": {"session_id": "s1", "run_id": "r1", "status": "thinking"}}
        )

    client = mock_client(handler, vtime)
    await client.video_agents.send_message("s1", "go on")
    assert [r.headers["X-Retry-Count"] for r in seen] == ["0", "1", "2"]
    assert len({r.headers["Idempotency-Key"] for r in seen}) == 1


async def test_a_streamed_error_reply_is_decoded_and_retried(
    vtime: VirtualTime, tmp_path: Path
) -> None:
    served: list[int] = []
    video = {"id": "v1", "status": "completed", "video_url": "https://cdn.test/v1.mp4"}

    def handler(request: MockRequest) -> MockResponse:
        if request.url.startswith("https://cdn.test/"):
            assert "X-Retry-Count" not in request.headers  # API headers stay with the API
            served.append(len(served))
            if len(served) == 1:
                return MockResponse(502, content=b"<html>bad gateway</html>")
            return MockResponse(200, content=b"MP4")
        return MockResponse(200, json={"data": video})

    client = mock_client(handler, vtime)
    path = await client.videos.download("v1", tmp_path)
    assert path == tmp_path / "v1.mp4" and path.read_bytes() == b"MP4"
    assert len(served) == 2 and len(vtime.sleeps) == 1


async def test_a_streamed_4xx_is_raised_with_its_body(vtime: VirtualTime, tmp_path: Path) -> None:
    video = {"id": "v1", "status": "completed", "video_url": "https://cdn.test/v1.mp4"}

    def handler(request: MockRequest) -> MockResponse:
        if request.url.startswith("https://cdn.test/"):
            return MockResponse(404, content=b"<Error>NoSuchKey</Error>")
        return MockResponse(200, json={"data": video})

    with pytest.raises(hg.NotFoundError) as caught:
        await mock_client(handler, vtime).videos.download("v1", tmp_path)
    assert "NoSuchKey" in caught.value.body
    assert vtime.sleeps == []


async def test_retry_logs_name_the_path_never_the_query(
    vtime: VirtualTime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    video = {"id": "v1", "status": "completed", "video_url": "https://cdn.test/v1?sig=SECRET"}
    calls = 0

    def handler(request: MockRequest) -> MockResponse:
        nonlocal calls
        if request.url.startswith("https://cdn.test/"):
            calls += 1
            return MockResponse(503 if calls == 1 else 200, content=b"x")
        return MockResponse(200, json={"data": video})

    with caplog.at_level(logging.DEBUG, logger="heygen_async"):
        await mock_client(handler, vtime).videos.download("v1", tmp_path)
    assert "retrying GET https://cdn.test/v1: attempt 2/4" in caplog.text
    assert "SECRET" not in caplog.text and "sk-secret" not in caplog.text


@pytest.mark.parametrize(
    ("status", "error"),
    [("completed", hg.APIResponseValidationError), ("processing", hg.ValidationError)],
)
async def test_a_video_without_url_is_malformed_when_completed_else_not_ready(
    vtime: VirtualTime, tmp_path: Path, status: str, error: type[Exception]
) -> None:
    video = {"id": "v1", "status": status}

    def handler(request: MockRequest) -> MockResponse:
        return MockResponse(200, json={"data": video})

    with pytest.raises(
        error, match="completed but gives no video_url" if status == "completed" else "wait first"
    ):
        await mock_client(handler, vtime).videos.download("v1", tmp_path)


async def test_a_download_the_file_system_refuses_is_a_typed_error(
    vtime: VirtualTime, tmp_path: Path
) -> None:
    video = {"id": "v1", "status": "completed", "video_url": "https://cdn.test/v1.mp4"}

    def handler(request: MockRequest) -> MockResponse:
        if request.url.startswith("https://cdn.test/"):
            return MockResponse(200, content=b"MP4")
        return MockResponse(200, json={"data": video})

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(hg.ConfigurationError, match="cannot write the video") as caught:
        await mock_client(handler, vtime).videos.download("v1", blocker / "sub" / "v1.mp4")
    assert isinstance(caught.value.__cause__, OSError)
