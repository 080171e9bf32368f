"""videos.download: streamed, atomic, progress, expired links refreshed once."""

from __future__ import annotations

from pathlib import Path

import pytest

import heygen_async as hg
from heygen_async.testing import FakeHeyGen


async def _completed_video(fake: FakeHeyGen, client: hg.AsyncHeyGen) -> hg.Video:
    session = await client.video_agents.create(prompt="p")
    fake.advance(session.session_id, to="generating")
    fake.advance(session.session_id, to="completed")
    video_id = fake.sessions[session.session_id].video_id
    assert video_id is not None
    return await client.videos.get(video_id)


async def test_expired_link_is_refreshed_once(tmp_path: Path) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        video = await _completed_video(fake, client)
        fake.expire_video_urls()  # the URL in `video` now answers 403
        path = await client.videos.download(video, tmp_path / "v.mp4")
        assert path.read_bytes() == fake.videos[video.id].content()
        gets = [r for r in fake.requests if r.path == f"/v3/videos/{video.id}"]
        assert len(gets) == 2  # the first get, and one refresh


async def test_a_link_that_stays_forbidden_raises_and_writes_nothing(tmp_path: Path) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        video = await _completed_video(fake, client)
        fake.fail("/files/", status=403, times=2, body="<Error>AccessDenied</Error>")
        with pytest.raises(hg.PermissionDeniedError):
            await client.videos.download(video, tmp_path / "v.mp4")
    assert list(tmp_path.iterdir()) == []


async def test_transient_failures_restart_the_download(tmp_path: Path) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client(sleep=_instant) as client:
        video = await _completed_video(fake, client)
        fake.fail("/files/", status=503, times=2)
        path = await client.videos.download(video, tmp_path / "v.mp4")
    assert path.read_bytes() == fake.videos[video.id].content()
    assert [r.status for r in fake.requests if r.path.startswith("/files/")] == [503, 503, 200]


async def test_a_download_cut_off_midway_is_retried_and_never_lands_half(tmp_path: Path) -> None:
    async with (
        FakeHeyGen(step_seconds=None, video_size=500_000) as fake,
        fake.client(sleep=_instant) as client,
    ):
        video = await _completed_video(fake, client)
        fake.truncate_downloads(1)
        path = await client.videos.download(video, tmp_path / "v.mp4")
        assert path.read_bytes() == fake.videos[video.id].content()
        fake.truncate_downloads(10)
        with pytest.raises(hg.APIConnectionError):
            await client.videos.download(video, tmp_path / "w.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4"]


async def _instant(_: float) -> None:
    return None


async def test_dropped_connection_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "v.mp4"
    target.write_bytes(b"previous good video")
    async with FakeHeyGen(step_seconds=None) as fake, fake.client(sleep=_instant) as client:
        video = await _completed_video(fake, client)
        # Every time: aiohttp itself retries a GET once on a reused keep-alive connection.
        fake.fail("/files/", drop=True, times=None)
        with pytest.raises(hg.APIConnectionError):
            await client.videos.download(video, target)
    assert target.read_bytes() == b"previous good video"
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]


async def test_download_by_id_into_a_directory_with_async_progress(tmp_path: Path) -> None:
    seen: list[int] = []

    async def progress(done: int, total: int | None) -> None:
        seen.append(done)

    async with FakeHeyGen(step_seconds=None, video_size=1_000_000) as fake, fake.client() as client:
        video = await _completed_video(fake, client)
        path = await client.videos.download(video.id, tmp_path, on_progress=progress)
    assert path.name == f"{video.id}.mp4"
    assert path.stat().st_size == 1_000_000
    assert seen == sorted(seen) and seen[-1] == 1_000_000 and len(seen) > 1


async def test_video_not_ready_is_refused(tmp_path: Path) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        session = await client.video_agents.create(prompt="p")
        fake.advance(session.session_id)
        video_id = fake.sessions[session.session_id].video_id or ""
        with pytest.raises(hg.ValidationError, match="no video_url"):
            await client.videos.download(video_id, tmp_path)
        with pytest.raises(hg.ValidationError):
            await client.videos.download(42, tmp_path)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


async def test_the_api_key_is_never_sent_to_the_download_host(tmp_path: Path) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        video = await _completed_video(fake, client)
        await client.videos.download(video, tmp_path)
    downloads = [r for r in fake.requests if r.path.startswith("/files/")]
    assert downloads
    assert all(r.status == 200 for r in downloads)
    assert all("x-api-key" not in r.headers for r in downloads)
    api_calls = [r for r in fake.requests if r.path.startswith("/v3/")]
    assert all(r.headers["x-api-key"] == "<redacted>" for r in api_calls)


async def test_download_into_a_new_directory(tmp_path: Path) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        video = await _completed_video(fake, client)
        into_dir = await client.videos.download(video, f"{tmp_path}/new/videos/")
        nested = await client.videos.download(video, tmp_path / "a" / "b" / "clip.mp4")
    assert into_dir == tmp_path / "new" / "videos" / f"{video.id}.mp4"
    assert into_dir.stat().st_size == nested.stat().st_size == fake.video_size
