"""Rendered videos (GET /v3/videos/{video_id})."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import attrs

from ._checks import HTTP_URL


class VideoStatus(StrEnum):
    """Video states HeyGen documents. Unknown states arrive as plain strings (non-terminal)."""

    WAITING = "waiting"
    QUEUED = "queued"
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


VIDEO_TERMINAL_STATUSES = frozenset({VideoStatus.COMPLETED, VideoStatus.FAILED})


@attrs.frozen(kw_only=True)
class Video:
    """A video as HeyGen last reported it. `video_url` is presigned and expires (about 7 days).

    A reply whose `video_url` is not an absolute http(s) URL does not parse
    (APIResponseValidationError), so `videos.download` never tries to fetch it.
    """

    id: str
    status: VideoStatus | str
    title: str | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    video_url: Annotated[str | None, HTTP_URL] = None
    captioned_video_url: str | None = None
    subtitle_url: str | None = None
    thumbnail_url: str | None = None
    gif_url: str | None = None
    duration: float | None = None
    folder_id: str | None = None
    output_language: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    video_page_url: str | None = None

    @property
    def video_id(self) -> str:
        return self.id

    @property
    def is_terminal(self) -> bool:
        return self.status in VIDEO_TERMINAL_STATUSES
