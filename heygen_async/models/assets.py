"""Uploaded assets (POST /v3/assets and the direct-upload flow)."""

from __future__ import annotations

from typing import Annotated

import attrs

from ._checks import HTTP_URL


@attrs.frozen(kw_only=True)
class Asset:
    """An uploaded file; attach it to a session with `AssetId(asset.asset_id)`.

    `status` comes only with a finished direct upload (e.g. "processing").
    """

    asset_id: str
    url: str
    mime_type: str
    size_bytes: int
    status: str | None = None


@attrs.frozen(kw_only=True)
class DirectUpload:
    """Step one of a large upload: where to PUT the bytes, and the headers to send verbatim.

    A reply whose `upload_url` is not an absolute http(s) URL, or whose headers are not all
    strings, does not parse (APIResponseValidationError), so nothing is ever PUT to it.
    """

    asset_id: str
    upload_url: Annotated[str, HTTP_URL]
    upload_headers: dict[str, str]
    expires_in_seconds: int
    max_bytes: int
    status: str
