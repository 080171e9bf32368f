"""FakeHeyGen itself: faults, idempotency replay, the concurrency cap, the CLI and fixture."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request

import aiohttp
import pytest

import heygen_async as hg
from heygen_async.testing import FakeHeyGen

from .openapi import OpenAPI


async def test_idempotency_key_replays_the_first_reply() -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        first = await client.sessions.create(prompt="p", idempotency_key="job-1")
        again = await client.sessions.create(prompt="p", idempotency_key="job-1")
        other = await client.sessions.create(prompt="p", idempotency_key="job-2")
    assert first.session_id == again.session_id != other.session_id
    assert len(fake.sessions) == 2
    keys = [r.headers["Idempotency-Key"] for r in fake.creates()]  # headers: any case
    assert keys == ["job-1", "job-1", "job-2"]
    assert all(r.headers["X-API-KEY"] == "<redacted>" for r in fake.creates())


async def test_request_in_progress_then_replay_over_http() -> None:
    async with FakeHeyGen(step_seconds=None, create_latency=0.5) as fake, fake.client() as client:
        a = asyncio.create_task(client.sessions.create(prompt="p", idempotency_key="same"))
        await asyncio.sleep(0.05)
        b = await client.sessions.create(prompt="p", idempotency_key="same")
        assert (await a).session_id == b.session_id
    statuses = [r.status for r in fake.creates()]
    assert 409 in statuses
    assert len(fake.sessions) == 1


async def test_account_concurrency_cap_answers_429_with_retry_after() -> None:
    async with FakeHeyGen(step_seconds=None, max_active_jobs=2, busy_retry_after=7) as fake:
        async with fake.client(retry=hg.RetryPolicy(max_retries=0)) as client:
            await client.video_agents.create(prompt="1")
            await client.video_agents.create(prompt="2")
            with pytest.raises(hg.RateLimitError) as caught:
                await client.video_agents.create(prompt="3")
            assert caught.value.retry_after == 7
        fake.advance(next(iter(fake.sessions)), to="completed")
        # A fresh client: the first one rightly holds its creates back for 7 s.
        async with fake.client() as fresh:
            await fresh.video_agents.create(prompt="3 again")
    assert len(fake.sessions) == 3


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"status": 500}, hg.InternalServerError),
        ({"status": 502, "body": "<html><h1>502 Bad Gateway</h1></html>"}, hg.InternalServerError),
        ({"status": 503, "malformed": True}, hg.InternalServerError),
        ({"status": 429, "retry_after": 1}, hg.RateLimitError),
        # Twice: aiohttp itself retries a GET once when the server drops the connection.
        ({"drop": True, "times": 2}, hg.APIConnectionError),
    ],
)
async def test_faults_map_to_typed_errors(fault: dict[str, object], error: type[Exception]) -> None:
    async with (
        FakeHeyGen(step_seconds=None) as fake,
        fake.client(retry=hg.RetryPolicy(max_retries=0)) as client,
    ):
        fake.fail("/v3/users/me", **fault)  # type: ignore[arg-type]
        with pytest.raises(error):
            await client.users.me()
        assert (await client.users.me()).username == "fake-user"


async def test_latency_fault_trips_the_timeout() -> None:
    async with FakeHeyGen(step_seconds=None) as fake:
        fake.fail("/v3/users/me", status=0, latency=0.5)
        async with fake.client(timeout=0.1, retry=hg.RetryPolicy(max_retries=0)) as client:
            with pytest.raises(hg.APITimeoutError):
                await client.users.me()


async def test_malformed_success_body_is_a_typed_error() -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        fake.fail("/v3/users/me", status=200, malformed=True)
        with pytest.raises(hg.APIResponseValidationError):
            await client.users.me()


async def test_every_reply_has_a_request_id_and_the_envelope(openapi: OpenAPI) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, aiohttp.ClientSession() as http:
        async with http.post(
            f"{fake.url}/v3/video-agents", json={"prompt": ""}, headers={"x-api-key": "test-key"}
        ) as bad:
            assert bad.status == 400
            assert bad.headers["X-Request-Id"].startswith("req_")
            body = await bad.json()
            assert body["error"]["param"] == "prompt"
        async with http.get(f"{fake.url}/v3/video-agents/styles") as unauthorized:
            assert unauthorized.status == 401
            assert (await unauthorized.json())["error"]["code"] == "unauthorized"
    for recorded in fake.requests:  # the request was wrong on purpose; the replies are not
        openapi.check_response(recorded.method, recorded.path, recorded.status, recorded.response)


async def test_time_driven_state_machine() -> None:
    async with FakeHeyGen(step_seconds=0.05) as fake, fake.client() as client:
        session = await client.video_agents.create(prompt="p")
        done = await client.video_agents.wait(session.session_id, poll_interval=0.02)
        assert done.status == "completed"


async def test_heygen_fake_fixture(heygen_fake: FakeHeyGen) -> None:
    async with heygen_fake.client() as client:
        session = await client.sessions.create(prompt="from the fixture")
    assert session.session_id in heygen_fake.sessions


def test_module_entry_point_serves_until_stopped() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "heygen_async.testing", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v3/users/me", headers={"x-api-key": "test-key"}
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as reply:
                    assert json.load(reply)["data"]["username"] == "fake-user"
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
