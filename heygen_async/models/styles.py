"""Curated visual styles for the Video Agent."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class Style:
    """A style from GET /v3/video-agents/styles; pass `style_id` when creating a session."""

    style_id: str
    name: str
    thumbnail_url: str | None = None
    preview_video_url: str | None = None
    tags: tuple[str, ...] = ()
    aspect_ratio: str | None = None
