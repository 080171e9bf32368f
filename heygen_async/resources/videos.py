"""`client.videos`: rendered videos, waiting for them, and downloading them safely."""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .. import _constants as C
from .._api import Api
from .._errors import (
    APIConnectionError,
    APIResponseValidationError,
    ConfigurationError,
    PermissionDeniedError,
    ValidationError,
    VideoFailedError,
)
from .._polling import Poller, ProgressCallback
from .._requests import Request, new_uuid4, path_id
from .._transport import StreamedResponse
from ..models import Video
from ..models.videos import VideoStatus
from ._gen_videos import VideosOperations

if TYPE_CHECKING:
    from ..webhooks import WebhookReceiver

DownloadProgress = Callable[[int, int | None], Awaitable[None] | None]


def video_path(video_id: str) -> str:
    return f"/v3/videos/{path_id('video_id', video_id)}"


async def poll_video(api: Api, video_id: str, poller: Poller) -> Video:
    """Poll until the video is completed or failed (unknown statuses count as running)."""
    path = video_path(video_id)
    await poller.follow(video_id)
    while True:
        video = await api.get(path, Video)
        await poller.report(video)
        if video.is_terminal:
            return video
        await poller.pause()


def failure(video: Video) -> VideoFailedError:
    detail = ": ".join(p for p in (video.failure_code, video.failure_message) if p)
    return VideoFailedError(f"video {video.id} failed" + (f" ({detail})" if detail else ""), video)


class Videos(VideosOperations):
    """`client.videos`: every video operation, plus `get`, `wait` and `download` by hand."""

    async def get(self, video_id: str) -> Video:
        """The video's current state; `video_url` is set once it is completed."""
        return await self._api.get(video_path(video_id), Video)

    async def wait(
        self,
        video_id: str,
        *,
        timeout: float | None = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = C.DEFAULT_POLL_MAX_INTERVAL,
        on_progress: ProgressCallback[Video] | None = None,
        events: WebhookReceiver | None = None,
    ) -> Video:
        """Poll until the video is completed. Raises VideoFailedError or WaitTimeoutError.

        With `events` (a webhooks.WebhookReceiver), read the video when its event arrives
        instead of polling (and at least every `events.fallback` seconds).
        """
        path_id("video_id", video_id)
        async with self._api.poller(
            f"video {video_id}",
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            on_progress=on_progress,
            events=events,
        ) as poller:
            await poller.follow(video_id)
            await poller.begin()
            video = await poll_video(self._api, video_id, poller)
        if video.status == VideoStatus.FAILED:
            raise failure(video)
        return video

    async def download(
        self,
        video: Video | str,
        dest: str | os.PathLike[str],
        *,
        on_progress: DownloadProgress | None = None,
    ) -> Path:
        """Stream the video to `dest`: a file path, or a directory (existing, or ending in "/")
        to write `{id}.mp4` into. Missing parent directories are created.

        The bytes go to a temporary file beside `dest` that is renamed over it only once
        complete, so `dest` never holds a partial video. An expired link (403) is refreshed
        once from GET /v3/videos/{id}; a dropped connection or a 5xx/429 starts the download
        again under the client's RetryPolicy. `on_progress(bytes_done, total_or_None)` is
        called per chunk. The API key is never sent to the download host.
        """
        if isinstance(video, str):
            video = await self.get(video)
        elif not isinstance(video, Video):
            raise ValidationError(
                "video", f"must be a Video or a video id, not {type(video).__name__}"
            )
        target = Path(dest)
        if target.is_dir() or str(dest).endswith(("/", os.sep)):
            target = target / f"{video.id}.mp4"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(f"cannot write the video to {target}: {exc}") from exc
        if video.video_url is None:
            video = await self.get(video.id)
        if video.video_url is None and video.status == VideoStatus.COMPLETED:
            raise APIResponseValidationError(
                200,
                "invalid_response",
                f"HeyGen's reply says video {video.id} is completed but gives no video_url",
            )
        if video.video_url is None:
            raise ValidationError(
                "video",
                f"video {video.id} has no video_url yet (status {video.status}); wait first",
            )
        writer = _FileWriter(target, on_progress)
        try:
            await self._api.stream(Request("GET", video.video_url, external=True), writer)
        except PermissionDeniedError:
            # The presigned link expired: ask for a fresh one, once.
            fresh = await self.get(video.id)
            if fresh.video_url is None:
                raise
            await self._api.stream(Request("GET", fresh.video_url, external=True), writer)
        return target


class _FileWriter:
    """Writes a streamed reply to a temporary file beside `target`, then renames it over."""

    def __init__(self, target: Path, on_progress: DownloadProgress | None) -> None:
        self.target = target
        self.on_progress = on_progress

    async def __call__(self, reply: StreamedResponse) -> Path:
        target = self.target
        partial = target.with_name(f".{target.name}.{new_uuid4()[:8]}.part")
        length = reply.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        done = 0
        try:
            with partial.open("wb") as out:
                async for chunk in reply.chunks:
                    out.write(chunk)
                    done += len(chunk)
                    if self.on_progress is not None:
                        result = self.on_progress(done, total)
                        if inspect.isawaitable(result):
                            await result
                out.flush()
                os.fsync(out.fileno())
            if total is not None and done != total:
                raise APIConnectionError(f"the download ended after {done} of {total} bytes")
            os.replace(partial, target)
        except OSError as exc:  # the file system's (the network's arrive as APIConnectionError)
            raise ConfigurationError(f"cannot write the video to {target}: {exc}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        return target
