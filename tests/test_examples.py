"""Each example, run against FakeHeyGen: FastAPI through its test client, the Celery task
and the arq function called directly."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import pytest

import heygen_async as hg
from heygen_async import webhooks
from heygen_async.testing import FakeEvent

from .fake_thread import fake_in_thread
from .redis_server import redis_server


def test_quickstart_runs(capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from examples import quickstart

    asyncio.run(quickstart.main())
    out = capsys.readouterr().out
    assert "created sess_" in out and "downloaded vid_" in out and out.strip().endswith("done")


def _delivery(event: FakeEvent, secret: str) -> tuple[bytes, dict[str, str]]:
    """A delivery of `event` as HeyGen sends it to a registered endpoint: body and headers."""
    body = json.dumps({"event_type": event.event_type, "event_data": event.event_data}).encode()
    headers = {
        "Heygen-Signature": webhooks.sign(body, secret),
        "Heygen-Timestamp": str(int(time.time())),
        "Heygen-Event-Id": event.event_id,
    }
    return body, headers


def test_fastapi_app(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from examples import fastapi_app

    # The test delivers the events FakeHeyGen records, as HeyGen would to the app's endpoint.
    with fake_in_thread(step_seconds=None) as fake, ThreadPoolExecutor(1) as pool:
        monkeypatch.setenv("HEYGEN_API_KEY", fake.api_key)
        monkeypatch.setenv("HEYGEN_BASE_URL", fake.url)
        monkeypatch.setenv("HEYGEN_WEBHOOK_SECRET", "whsec_example")
        with TestClient(fastapi_app.app) as http:
            created = http.post("/videos", json={"prompt": "A teaser", "callback_id": "c1"})
            assert created.status_code == 202
            session_id = created.json()["session_id"]
            assert session_id in fake.sessions
            invalid = http.post("/videos", json={"prompt": ""})
            assert invalid.status_code == 422
            assert invalid.json()["detail"]["field"] == "prompt"

            # The wait sleeps on the receiver: nothing reads the session until its event comes.
            done = pool.submit(http.get, f"/videos/{session_id}/done", params={"timeout": 30})
            with pytest.raises(FutureTimeout):
                done.result(timeout=0.5)
            assert not [r for r in fake.requests if r.path.endswith(session_id)]

            fake.advance(session_id, to="generating")
            fake.advance(session_id, to="completed")
            (event,) = fake.events
            body, headers = _delivery(event, "whsec_example")
            forged = {**headers, "Heygen-Signature": webhooks.sign(body, "whsec_other")}
            assert http.post("/heygen/webhook", content=body, headers=forged).status_code == 401
            unsigned = {"Content-Type": "application/json"}  # as a per-job callback_url sends
            assert http.post("/heygen/webhook", content=body, headers=unsigned).status_code == 401
            assert not done.done()  # refused deliveries change nothing
            assert http.post("/heygen/webhook", content=body, headers=headers).status_code == 200
            assert http.post("/heygen/webhook", content=body, headers=headers).status_code == 200

            reply = done.result(timeout=30)
            assert reply.status_code == 200
            assert reply.json() == {
                "session_id": session_id,
                "status": "completed",
                "video_id": fake.sessions[session_id].video_id,
            }
            assert [r.path for r in fake.requests if r.path.endswith(session_id)] == [
                f"/v3/video-agents/{session_id}"
            ]  # read once, on its event
            http.portal.call(fastapi_app.app.state.webhooks.join)
            events = fastapi_app.app.state.events
            assert [(e.session_id, e.callback_id) for e in events] == [(session_id, "c1")]


def test_celery_task_with_the_sync_facade(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from examples import celery_tasks

    with fake_in_thread(step_seconds=0.02) as fake:
        monkeypatch.setenv("HEYGEN_API_KEY", fake.api_key)
        monkeypatch.setenv("HEYGEN_BASE_URL", fake.url)
        celery_tasks.heygen.cache_clear()
        try:
            result: Any = celery_tasks.make_video.apply(
                args=("A product tour", str(tmp_path)), kwargs={"poll_interval": 0.02}
            )
            outcome = result.get(timeout=30)
        finally:
            celery_tasks.heygen().close()
            celery_tasks.heygen.cache_clear()
    assert Path(outcome["path"]).stat().st_size == fake.video_size
    keys = [r.idempotency_key for r in fake.creates()]
    assert keys and keys[0] is not None and keys[0].startswith("celery-")


async def test_arq_worker_function(monkeypatch: pytest.MonkeyPatch) -> None:
    from heygen_async.testing import FakeHeyGen

    with redis_server() as redis_url:
        monkeypatch.setattr("examples.arq_worker.REDIS_URL", redis_url)
        from examples import arq_worker

        async with FakeHeyGen(step_seconds=0.02) as fake:
            monkeypatch.setenv("HEYGEN_API_KEY", fake.api_key)
            monkeypatch.setenv("HEYGEN_BASE_URL", fake.url)
            ctx: dict[str, Any] = {"job_id": "job-123"}
            await arq_worker.startup(ctx)
            try:
                assert isinstance(ctx["heygen"].limiter, hg.limits.RedisLimiter)
                outcome = await arq_worker.create_video(ctx, "An explainer", poll_interval=0.02)
            finally:
                await arq_worker.shutdown(ctx)
    assert outcome["status"] == "completed"
    assert fake.creates()[0].idempotency_key == "arq-job-123"
