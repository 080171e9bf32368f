"""`client.videos`: rendered videos, waiting for them, and downloading them safely."""

from __future__ import annotations

import contextlib
import inspect
import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from .. import _constants as C
from .._decode import error_from_response
from .._errors import (
    APIConnectionError,
    InternalServerError,
    PermissionDeniedError,
    RateLimitError,
    ValidationError,
    VideoFailedError,
)
from .._logging import logger
from .._polling import Poller, PollSchedule, ProgressCallback
from ..models import Video
from ..models.videos import VideoStatus
from ._base import Resource, path_id

DownloadProgress = Callable[[int, int | None], Awaitable[None] | None]
_CHUNK = 1 << 16


class Videos(Resource):
    async def get(self, video_id: str) -> Video:
        """The video's current state; `video_url` is set once it is completed."""
        return await self._get(f"/v3/videos/{path_id('video_id', video_id)}", Video)

    async def wait(
        self,
        video_id: str,
        *,
        timeout: float | None = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = C.DEFAULT_POLL_MAX_INTERVAL,
        on_progress: ProgressCallback | None = None,
    ) -> Video:
        """Poll until the video is completed. Raises VideoFailedError or WaitTimeoutError."""
        path_id("video_id", video_id)
        poller = Poller(
            PollSchedule(poll_interval, max_poll_interval, timeout),
            sleep=self._client._sleep,
            clock=self._client._clock,
            on_progress=on_progress,
            what=f"video {video_id}",
        )
        video = await self._wait_video(video_id, poller)
        if video.status == VideoStatus.FAILED:
            detail = ": ".join(p for p in (video.failure_code, video.failure_message) if p)
            raise VideoFailedError(
                f"video {video.id} failed" + (f" ({detail})" if detail else ""), video
            )
        return video

    async def _wait_video(self, video_id: str, poller: Poller) -> Video:
        """Poll until completed or failed (unknown statuses count as still running)."""
        while True:
            video = await self.get(video_id)
            await poller.report(video)
            if video.is_terminal:
                return video
            await poller.pause()

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
        again under the client's RetryPolicy. `on_progress(bytes_done, total_or_None)` is called per
        chunk. The API key is never sent to the download host.
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
        target.parent.mkdir(parents=True, exist_ok=True)
        if video.video_url is None:
            video = await self.get(video.id)
        if video.video_url is None:
            raise ValidationError(
                "video",
                f"video {video.id} has no video_url yet (status {video.status}); wait first",
            )
        url, refreshed, retries = video.video_url, False, 0
        policy = self._client.retry
        while True:
            try:
                await self._stream_to(url, target, on_progress)
                return target
            except PermissionDeniedError:
                if refreshed:
                    raise
                refreshed = True
                fresh = await self.get(video.id)
                if fresh.video_url is None:
                    raise
                url = fresh.video_url
            except (APIConnectionError, InternalServerError, RateLimitError) as exc:
                # Transient: start again from the first byte, as the client's policy allows.
                wait = policy.delay(retries, getattr(exc, "retry_after", None))
                if wait is None or retries >= policy.max_retries:
                    raise
                retries += 1
                logger.info(
                    "retrying download of video %s: attempt %d/%d after %s, waiting %.2fs",
                    video.id,
                    retries + 1,
                    policy.max_retries + 1,
                    type(exc).__name__,
                    wait,
                )
                await self._client._sleep(wait)

    async def _stream_to(
        self, url: str, target: Path, on_progress: DownloadProgress | None
    ) -> None:
        client = self._client
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
        headers = {"User-Agent": client._pipeline.headers["User-Agent"]}
        # No overall limit on a download of any size; a stalled read still fails.
        timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=client._timeout.connect,
            sock_read=client._timeout.read or C.DOWNLOAD_READ_TIMEOUT,
        )
        try:
            async with client._transport.stream(url, headers, timeout, _CHUNK) as response:
                if response.status >= 400:
                    body = b"".join([chunk async for chunk in response.chunks])
                    raise error_from_response(response.status, response.headers, body, 0.0)
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                done = 0
                with partial.open("wb") as out:
                    async for chunk in response.chunks:
                        out.write(chunk)
                        done += len(chunk)
                        if on_progress is not None:
                            result = on_progress(done, total)
                            if inspect.isawaitable(result):
                                await result
                    out.flush()
                    os.fsync(out.fileno())
                if total is not None and done != total:
                    raise APIConnectionError(f"the download ended after {done} of {total} bytes")
            os.replace(partial, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
