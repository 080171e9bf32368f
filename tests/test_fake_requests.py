"""FakeHeyGen checks requests against HeyGen's schema: bad input is a 400 with `param`, never a
500 (regressions found by schemathesis), and its clock and command-line options."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import aiohttp
import pytest

from heygen_async.testing import Clock, FakeHeyGen
from heygen_async.testing import __main__ as entry_point

from .openapi import OpenAPI

KEY = {"x-api-key": "test-key"}


async def _post(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    headers = {**KEY, **kwargs.pop("headers", {})}
    async with http.post(url, headers=headers, **kwargs) as reply:
        return reply.status, await reply.json()


def _assert_invalid(status: int, body: dict[str, Any], param: str | None) -> None:
    assert status == 400
    error = body["error"]
    assert error["code"] == "invalid_parameter"
    assert error["param"] == param
    assert "typing" not in error["message"] and "Literal" not in error["message"]


@pytest.mark.parametrize("size", [{}, None, "12", -5, 0, True, 1.5])
async def test_direct_upload_refuses_a_size_that_is_not_a_positive_integer(
    size: object, openapi: OpenAPI
) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, aiohttp.ClientSession() as http:
        ticket = {"filename": "a.mp4", "content_type": "video/mp4", "size_bytes": size}
        status, body = await _post(http, f"{fake.url}/v3/assets/direct-uploads", json=ticket)
    _assert_invalid(status, body, "size_bytes")
    assert "size_bytes" in body["error"]["message"]
    assert not fake.uploads
    openapi.check_response("POST", "/v3/assets/direct-uploads", status, body)


async def test_complete_before_any_upload_is_a_400_not_a_500() -> None:
    async with FakeHeyGen(step_seconds=None) as fake, aiohttp.ClientSession() as http:
        ticket = {"filename": "a.mp4", "content_type": "video/mp4", "size_bytes": 12}
        status, body = await _post(http, f"{fake.url}/v3/assets/direct-uploads", json=ticket)
        assert status == 200 and body["data"]["max_bytes"] == 12
        asset_id = body["data"]["asset_id"]
        status, body = await _post(http, f"{fake.url}/v3/assets/{asset_id}/complete", json={})
    assert status == 400
    assert "incomplete" in body["error"]["message"]


async def test_checksum_given_with_the_ticket_is_enforced_at_completion() -> None:
    async with FakeHeyGen(step_seconds=None) as fake, aiohttp.ClientSession() as http:
        ticket = {
            "filename": "a.bin",
            "content_type": "application/octet-stream",
            "size_bytes": 3,
            "checksum_sha256": "0" * 64,
        }
        _, body = await _post(http, f"{fake.url}/v3/assets/direct-uploads", json=ticket)
        data = body["data"]
        async with http.put(data["upload_url"], data=b"abc", headers=data["upload_headers"]) as r:
            assert r.status == 200
        url = f"{fake.url}/v3/assets/{data['asset_id']}/complete"
        status, body = await _post(http, url, json={})
    _assert_invalid(status, body, "checksum_sha256")


@pytest.mark.parametrize(
    ("content_type", "payload"),
    [
        ("multipart/form-data", b"--x\r\n\r\n--x--\r\n"),  # no boundary
        ("multipart/form-data; boundary=x", b""),  # no parts at all
        ("multipart/form-data; boundary=x", b"--x--\r\n"),  # only the closing delimiter
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: \x00"\r\n\r\nv\r\n--x--'),
        ("application/json", b'{"file": "x"}'),
    ],
)
async def test_a_broken_multipart_upload_is_a_400_naming_file(
    content_type: str, payload: bytes
) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, aiohttp.ClientSession() as http:
        headers = {"Content-Type": content_type}
        status, body = await _post(http, f"{fake.url}/v3/assets", data=payload, headers=headers)
    _assert_invalid(status, body, "file")
    assert not fake.assets


@pytest.mark.parametrize(
    ("path", "body", "param", "message"),
    [
        (
            "/v3/video-agents",
            {"prompt": "p", "mode": "fast"},
            "mode",
            "mode must be one of: generate, chat.",
        ),
        (
            "/v3/video-agents",
            {"prompt": "p", "files": [{"type": "url"}]},
            "files[0].url",
            "files[0].url is required.",
        ),
        (
            "/v3/video-agents",
            {"prompt": "x" * 10001},
            "prompt",
            "prompt must be at most 10000 characters long.",
        ),
        (
            "/v3/video-agents/sessions",
            {"prompt": "p", "auto_proceed": "yes"},
            "auto_proceed",
            "auto_proceed must be a boolean.",
        ),
        ("/v3/video-agents/sessions", {"prompt": "p", "nope": 1}, "nope", "Unknown field nope."),
        ("/v3/video-agents", [], None, "The body must be an object."),
    ],
)
async def test_bad_bodies_get_heygen_messages_and_the_param(
    path: str, body: object, param: str | None, message: str
) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, aiohttp.ClientSession() as http:
        status, reply = await _post(http, f"{fake.url}{path}", json=body)
    _assert_invalid(status, reply, param)
    assert reply["error"]["message"] == message
    assert not fake.sessions


async def test_the_fake_checks_against_heygen_not_the_sdk() -> None:
    """auto_proceed is in the interactive API's schema but not in the current one's message."""
    async with FakeHeyGen(step_seconds=None) as fake, aiohttp.ClientSession() as http:
        _, created = await _post(
            http, f"{fake.url}/v3/video-agents", json={"prompt": "p", "mode": "chat"}
        )
        sid = created["data"]["session_id"]
        status, body = await _post(
            http, f"{fake.url}/v3/video-agents/{sid}", json={"message": "ok", "auto_proceed": True}
        )
    _assert_invalid(status, body, "auto_proceed")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=abc", "limit must be an integer."),
        ("limit=0", "limit must be at least 1."),
        ("limit=101", "limit must be at most 100."),
    ],
)
async def test_query_parameters_are_checked(query: str, message: str) -> None:
    async with (
        FakeHeyGen(step_seconds=None) as fake,
        aiohttp.ClientSession() as http,
        http.get(f"{fake.url}/v3/video-agents/styles?{query}", headers=KEY) as reply,
    ):
        status, body = reply.status, await reply.json()
    _assert_invalid(status, body, "limit")
    assert body["error"]["message"] == message


async def test_a_bad_page_token_is_a_400() -> None:
    async with (
        FakeHeyGen(step_seconds=None) as fake,
        aiohttp.ClientSession() as http,
        http.get(f"{fake.url}/v3/video-agents?token=%%%", headers=KEY) as reply,
    ):
        status, body = reply.status, await reply.json()
    _assert_invalid(status, body, "token")


async def test_a_test_moves_the_clock_instead_of_sleeping() -> None:
    now = [1000.0]
    clock = Clock(lambda: now[0])
    async with FakeHeyGen(step_seconds=60, clock=clock) as fake, fake.client() as client:
        assert fake.clock is clock
        session = await client.video_agents.create(prompt="p")
        assert (await client.video_agents.get(session.session_id)).status == "thinking"
        fake.clock.advance(59.9)
        assert (await client.video_agents.get(session.session_id)).status == "thinking"
        fake.clock.advance(0.1)
        assert (await client.video_agents.get(session.session_id)).status == "generating"
        now[0] += 60  # the base clock moving counts too
        assert (await client.video_agents.get(session.session_id)).status == "completed"
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


async def test_default_clock_is_real_time_that_advance_can_skip() -> None:
    async with FakeHeyGen(step_seconds=3600) as fake, fake.client() as client:
        session = await client.sessions.create(prompt="p", auto_proceed=True)
        fake.clock.advance(2 * 3600)
        assert (await client.sessions.get(session.session_id)).status == "completed"


def test_entry_point_passes_host_and_create_latency(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    async def serve(
        port: int, api_key: str | None, step: float, cap: int | None, **options: Any
    ) -> None:
        seen.update(options, port=port)

    monkeypatch.setattr(entry_point, "serve", serve)
    entry_point.main(["--host", "0.0.0.0", "--create-latency", "0.25", "--port", "9"])
    assert seen["host"] == "0.0.0.0"
    assert seen["create_latency"] == 0.25
    assert seen["port"] == 9
    entry_point.main([])
    assert (seen["host"], seen["create_latency"]) == ("127.0.0.1", 0.0)


def test_entry_point_refuses_a_negative_latency(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        entry_point.main(["--create-latency", "-1"])
    assert "--create-latency" in capsys.readouterr().err


async def test_entry_point_serves_on_the_host_with_the_latency() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "heygen_async.testing",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--create-latency",
        "1.5",
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        assert url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as http:
            create = {"json": {"prompt": "p"}, "headers": {"Idempotency-Key": "k"}}
            first = asyncio.create_task(_post(http, f"{url}/v3/video-agents", **create))
            await asyncio.sleep(0.3)
            # The first create is still held by the latency: the same key is "in progress".
            status, body = await asyncio.wait_for(
                _post(http, f"{url}/v3/video-agents", **create), 10
            )
            assert (status, body["error"]["code"]) == (409, "request_in_progress")
            status, _ = await asyncio.wait_for(first, 10)
            assert status == 200
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
