"""Uploaded assets (POST /v3/assets and the direct-upload flow)."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class Asset:
    """An uploaded file; attach it to a session with `AssetId(asset.asset_id)`."""

    asset_id: str
    url: str | None = None
    mime_type: str | None = None
    size_bytes: int | None = None
    status: str | None = None


@attrs.frozen(kw_only=True)
class DirectUpload:
    """Step one of a large upload: where to PUT the bytes, and the headers to send verbatim."""

    asset_id: str
    upload_url: str
    upload_headers: dict[str, str] = attrs.field(factory=dict)
    expires_in_seconds: int | None = None
    max_bytes: int | None = None
    status: str | None = None
