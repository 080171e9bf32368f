"""assets.upload: multipart, direct upload for large files, type detection before I/O."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import heygen_async as hg
from heygen_async import _constants
from heygen_async.testing import FakeHeyGen

from .openapi import OpenAPI

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


async def test_multipart_upload_from_path_bytes_and_file(tmp_path: Path, openapi: OpenAPI) -> None:
    path = tmp_path / "logo.png"
    path.write_bytes(PNG)
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        from_path = await client.assets.upload(path)
        from_bytes = await client.assets.upload(PNG, filename="logo.png")
        with path.open("rb") as f:
            from_file = await client.assets.upload(f)
        pdf = await client.assets.upload(b"%PDF-1.7 fake", filename="deck.pdf")
    for asset in (from_path, from_bytes, from_file):
        assert asset.mime_type == "image/png"
        assert asset.size_bytes == len(PNG)
    assert pdf.mime_type == "application/pdf"
    assert fake.assets[from_path.asset_id]["filename"] == "logo.png"
    uploads = [r for r in fake.requests if r.path == "/v3/assets"]
    assert all(r.headers["content-type"].startswith("multipart/form-data") for r in uploads)
    for recorded in uploads:
        openapi.check_response("POST", "/v3/assets", recorded.status, recorded.response)


async def test_multipart_upload_is_retried_with_a_fresh_body() -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        fake.fail("/v3/assets$", method="POST", status=503, retry_after=0)
        asset = await client.assets.upload(PNG, filename="a.png")
    assert asset.size_bytes == len(PNG)
    statuses = [r.status for r in fake.requests if r.path == "/v3/assets"]
    assert statuses == [503, 200]


async def test_large_files_use_the_three_step_direct_upload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openapi: OpenAPI
) -> None:
    monkeypatch.setattr(_constants, "MULTIPART_UPLOAD_LIMIT", 100)
    from heygen_async.resources import assets as assets_module

    monkeypatch.setattr(assets_module.C, "MULTIPART_UPLOAD_LIMIT", 100)
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 5000)
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        asset = await client.assets.upload(video)
    assert asset.mime_type == "video/mp4"
    assert asset.size_bytes == video.stat().st_size
    assert [(r.method, r.path.split("/")[-1]) for r in fake.requests] == [
        ("POST", "direct-uploads"),
        ("PUT", asset.asset_id),
        ("POST", "complete"),
    ]
    put = fake.requests[1]
    assert "x-api-key" not in put.headers  # the presigned URL gets only its own headers
    assert put.headers["x-amz-acl"] == "private"
    openapi.check_exchange(fake.requests[0])
    openapi.check_exchange(fake.requests[2])


@pytest.mark.parametrize(
    ("file", "options", "field"),
    [
        (b"plain text, not media", {"filename": "notes.txt"}, "content_type"),
        (PNG, {"content_type": "text/html"}, "content_type"),
        (b"", {"filename": "empty.png"}, "file"),
        ("/definitely/not/here.png", {}, "file"),
        (12345, {}, "file"),
        (io.StringIO("text mode"), {}, "file"),
    ],
)
async def test_unsupported_uploads_are_refused_before_io(
    file: object, options: dict[str, str], field: str
) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        with pytest.raises(hg.ValidationError) as caught:
            await client.assets.upload(file, **options)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert fake.requests == []
