"""Both full flows and every resource, through FakeHeyGen over real loopback HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

import heygen_async as hg
from heygen_async.testing import FakeHeyGen

from .conftest import VirtualTime
from .openapi import OpenAPI


def _client(fake: FakeHeyGen, vtime: VirtualTime, **options: Any) -> hg.AsyncHeyGen:
    return hg.AsyncHeyGen(
        fake.api_key, base_url=fake.url, sleep=vtime.sleep, clock=vtime.clock, **options
    )


def _check_all(fake: FakeHeyGen, openapi: OpenAPI) -> None:
    checked = 0
    for recorded in fake.requests:
        if recorded.path.startswith(("/files/", "/upload/")):
            continue
        openapi.check_exchange(recorded)
        checked += 1
    assert checked


async def test_interactive_flow_review_approve_generate_download(
    vtime: VirtualTime, openapi: OpenAPI, tmp_path: Path
) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, _client(fake, vtime) as client:
        created = await client.sessions.create(prompt="Explain our refund policy in 60 seconds")
        assert created.status is None  # the interactive API's create reply has no status
        sid = created.session_id

        # processing -> reviewing: wait() returns there, the storyboard is a resource.
        review = await client.sessions.wait(
            sid, on_progress=lambda s: fake.advance(sid) if s.status == "processing" else None
        )
        assert review.status is hg.SessionStatus.REVIEWING
        assert review.needs_input
        resources = [r async for r in client.sessions.list_resources(sid)]
        assert [r.resource_type for r in resources] == ["draft"]
        assert review.messages[0].resource_ids == (resources[0].resource_id,)

        receipt = await client.sessions.send_message(sid, "Approved, please render it")
        assert receipt.session_id == sid and receipt.run_id
        generating = await client.sessions.get(sid)
        assert generating.status is hg.SessionStatus.GENERATING
        assert generating.video_id is not None

        seen: list[str] = []

        async def progress(state: hg.Session | hg.Video) -> None:
            seen.append(f"{type(state).__name__}:{state.status}")
            if isinstance(state, hg.Video) and state.status == "processing":
                fake.advance(sid)

        done = await client.sessions.wait(sid, on_progress=progress)
        assert done.status is hg.SessionStatus.COMPLETED
        assert seen == ["Session:generating", "Video:processing", "Video:completed"]

        ticks: list[tuple[int, int | None]] = []
        path = await client.videos.download(
            done.video_id or "", tmp_path, on_progress=lambda n, t: ticks.append((n, t))
        )
        assert path == tmp_path / f"{done.video_id}.mp4"
        assert path.read_bytes() == fake.videos[done.video_id or ""].content()
        assert ticks[-1] == (fake.video_size, fake.video_size)
    _check_all(fake, openapi)


async def test_generate_mode_create_wait_download(
    vtime: VirtualTime, openapi: OpenAPI, tmp_path: Path
) -> None:
    async with (
        FakeHeyGen(step_seconds=None, video_size=300_000) as fake,
        _client(fake, vtime) as client,
    ):
        created = await client.video_agents.create(
            prompt="A 30-second teaser", mode="generate", orientation="portrait"
        )
        assert created.status is hg.SessionStatus.THINKING
        sid = created.session_id
        done = await client.video_agents.wait(sid, on_progress=lambda s: fake.advance(sid))
        assert done.status is hg.SessionStatus.COMPLETED
        video = await client.videos.get(done.video_id or "")
        assert video.status is hg.VideoStatus.COMPLETED
        assert video.video_url is not None
        path = await client.videos.download(video, tmp_path / "teaser.mp4")
        assert path.stat().st_size == 300_000
        videos = [v async for v in client.video_agents.list_videos(sid)]
        assert [v.id for v in videos] == [video.id]
    _check_all(fake, openapi)


async def test_chat_mode_messages_stop_list_and_resources(
    vtime: VirtualTime, openapi: OpenAPI
) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, _client(fake, vtime) as client:
        chat = await client.video_agents.create(prompt="Let's make an explainer", mode="chat")
        fake.advance(chat.session_id)  # thinking -> reviewing
        paused = await client.video_agents.wait(chat.session_id, until="reviewing")
        assert paused.status == "reviewing"
        resource_id = paused.messages[0].resource_ids[0]
        draft = await client.video_agents.get_resource(chat.session_id, resource_id)
        assert draft.resource_type == "draft"
        receipt = await client.video_agents.send_message(
            chat.session_id, "Use a warmer voice", voice_id="voice_2"
        )
        assert receipt.run_id
        await client.video_agents.stop(chat.session_id)
        stopped = await client.video_agents.get(chat.session_id)
        assert stopped.is_terminal
        for i in range(3):
            await client.video_agents.create(prompt=f"extra {i}")
        listed = [s async for s in client.video_agents.list(page_size=2)]
        assert len(listed) == 4
        assert listed[-1].session_id == chat.session_id  # newest first
        list_calls = [
            r for r in fake.requests if r.path == "/v3/video-agents" and r.method == "GET"
        ]
        assert len(list_calls) == 2  # two pages, fetched lazily
    _check_all(fake, openapi)


async def test_styles_all_pages_lazily_and_by_tag(openapi: OpenAPI) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        styles = client.styles.list(page_size=10)
        first = await anext(styles)
        assert first.style_id == "style_00"
        assert len([r for r in fake.requests if "styles" in r.path]) == 1
        rest = [s async for s in styles]
        assert len(rest) + 1 == 24
        assert len([r for r in fake.requests if "styles" in r.path]) == 3
        cinematic = [s async for s in client.styles.list(tag="cinematic")]
        assert cinematic and all("cinematic" in s.tags for s in cinematic)
    _check_all(fake, openapi)


async def test_users_me(openapi: OpenAPI) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        account = await client.users.me()
    assert account.username == "fake-user"
    assert account.billing_type == "wallet"
    assert account.wallet is not None and account.wallet["remaining_balance"] == 100.0
    _check_all(fake, openapi)


async def test_wrong_key_is_an_authentication_error() -> None:
    async with FakeHeyGen(step_seconds=None, api_key="the-right-key") as fake:
        async with fake.client(api_key="wrong") as client:
            with pytest.raises(hg.AuthenticationError) as caught:
                await client.users.me()
        assert caught.value.request_id is not None
        assert caught.value.code == "unauthorized"


async def test_unknown_session_is_not_found() -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        with pytest.raises(hg.NotFoundError):
            await client.sessions.get("sess_missing")
        with pytest.raises(hg.NotFoundError):
            await client.videos.get("vid_missing")


async def test_by_default_the_fake_takes_any_key_but_needs_one() -> None:
    async with FakeHeyGen(step_seconds=None) as fake:
        async with fake.client(api_key="whatever-key") as client:
            assert (await client.users.me()).username == "fake-user"
        async with aiohttp.ClientSession() as http, http.get(f"{fake.url}/v3/users/me") as reply:
            assert reply.status == 401
