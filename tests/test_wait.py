"""wait(): backoff, deadline, failures, needs-input, progress callbacks, cancellation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.testing import FakeHeyGen

from .conftest import VirtualTime


def _client(fake: FakeHeyGen, vtime: VirtualTime) -> hg.AsyncHeyGen:
    return hg.AsyncHeyGen(fake.api_key, base_url=fake.url, sleep=vtime.sleep, clock=vtime.clock)


async def test_poll_waits_back_off_with_jitter_up_to_the_cap(vtime: VirtualTime) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, _client(fake, vtime) as client:
        session = await client.video_agents.create(prompt="p")
        polls = 0

        def progress(_: Any) -> None:
            nonlocal polls
            polls += 1
            if polls == 12:
                fake.advance(session.session_id, to="failed")

        with pytest.raises(hg.SessionFailedError):
            await client.video_agents.wait(
                session.session_id, poll_interval=2, max_poll_interval=30, on_progress=progress
            )
    waits = vtime.sleeps
    assert len(waits) == 12  # the 12th poll saw thinking; the 13th saw failed
    assert 1.6 <= waits[0] <= 2.4
    assert 2.4 <= waits[1] <= 3.6
    assert all(w <= 36.0 for w in waits)
    assert waits[-1] >= 24.0  # reached the 30 s cap (+-20 %)


async def test_timeout_raises_with_the_last_state(vtime: VirtualTime) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, _client(fake, vtime) as client:
        session = await client.video_agents.create(prompt="p")
        with pytest.raises(hg.WaitTimeoutError) as caught:
            await client.video_agents.wait(session.session_id, timeout=60, poll_interval=5)
    assert isinstance(caught.value.last, hg.Session)
    assert caught.value.last.status == "thinking"
    assert sum(vtime.sleeps) == pytest.approx(60)
    assert isinstance(caught.value, TimeoutError)


async def test_failed_session_carries_its_messages(vtime: VirtualTime) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, _client(fake, vtime) as client:
        session = await client.video_agents.create(prompt="p")
        fake.fail_session(session.session_id, "Avatar not found.")
        with pytest.raises(hg.SessionFailedError, match="Avatar not found") as caught:
            await client.video_agents.wait(session.session_id)
    assert caught.value.session.status == "failed"


async def test_failed_video_carries_failure_code(vtime: VirtualTime) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, _client(fake, vtime) as client:
        session = await client.video_agents.create(prompt="p")
        fake.advance(session.session_id)  # generating: the video exists
        video_id = fake.sessions[session.session_id].video_id
        assert video_id is not None
        fake.fail_video(video_id, "rendering_failed", "GPU on fire")
        with pytest.raises(hg.VideoFailedError, match="rendering_failed") as caught:
            await client.video_agents.wait(session.session_id)
        assert caught.value.video.failure_message == "GPU on fire"
        with pytest.raises(hg.VideoFailedError):
            await client.videos.wait(video_id)


async def test_generate_session_paused_for_input_is_reported_not_awaited(
    vtime: VirtualTime,
) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, _client(fake, vtime) as client:
        session = await client.video_agents.create(prompt="p")
        fake.advance(session.session_id, to="waiting_for_input")
        with pytest.raises(hg.SessionFailedError, match="needs input") as caught:
            await client.video_agents.wait(session.session_id)
        assert caught.value.session.status == "waiting_for_input"
        assert vtime.sleeps == []
        # Asked to stop there, it returns instead.
        paused = await client.video_agents.wait(
            session.session_id, until={"waiting_for_input", "reviewing"}
        )
        assert paused.needs_input


async def test_session_gone_after_video_exists_still_completes(vtime: VirtualTime) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, _client(fake, vtime) as client:
        session = await client.video_agents.create(prompt="p")
        sid = session.session_id
        fake.advance(sid)  # generating

        def progress(state: Any) -> None:
            if isinstance(state, hg.Video):
                fake.forget_session(sid)  # the session endpoint now 404s
                fake.videos[state.id].status = "completed"

        done = await client.video_agents.wait(sid, on_progress=progress)
    assert done.status is hg.SessionStatus.COMPLETED
    assert done.video_id is not None


async def test_unknown_statuses_keep_polling(vtime: VirtualTime) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, _client(fake, vtime) as client:
        session = await client.video_agents.create(prompt="p")
        sid = session.session_id
        fake.sessions[sid].status = "queued_for_gpu"
        statuses: list[Any] = []

        def progress(state: Any) -> None:
            statuses.append(state.status)
            if len(statuses) == 3:
                fake.advance(sid, to="completed")

        done = await client.video_agents.wait(sid, on_progress=progress)
    assert statuses[:2] == ["queued_for_gpu", "queued_for_gpu"]
    assert done.status == "completed"


async def test_wait_is_cancellable_and_leaves_no_task_behind() -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        session = await client.video_agents.create(prompt="p")
        before = len(asyncio.all_tasks())
        task = asyncio.create_task(client.video_agents.wait(session.session_id, poll_interval=5))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)
        assert len(asyncio.all_tasks()) == before


@pytest.mark.parametrize(
    "options", [{"poll_interval": 0}, {"timeout": -1}, {"max_poll_interval": "x"}]
)
async def test_bad_wait_options_send_nothing(vtime: VirtualTime, options: dict[str, Any]) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, _client(fake, vtime) as client:
        with pytest.raises(hg.ValidationError):
            await client.video_agents.wait("sess_1", **options)
    assert fake.requests == []
