"""Handlers for assets: multipart upload (POST /v3/assets) and the direct-upload three steps
(ticket, PUT to the presigned URL, complete)."""

from __future__ import annotations

import functools
import hashlib
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from .._constants import MULTIPART_UPLOAD_LIMIT
from ..models.files import sniff_media_type
from ._http import HTTPFailure, invalid, json_body
from ._idempotency import Reply
from ._state import new_id

if TYPE_CHECKING:
    from ._fake import FakeHeyGen


class AssetHandlers:
    def __init__(self, fake: FakeHeyGen) -> None:
        self.fake = fake

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v3/assets", self.upload),
            web.post("/v3/assets/direct-uploads", self.direct_upload),
            web.put("/upload/{aid}", self.put_upload),
            web.post("/v3/assets/{aid}/complete", self.complete_upload),
        ]

    async def upload(self, request: web.Request) -> web.Response:
        """Multipart upload of one `file` part; anything malformed is a 400, never a 500."""
        if request.content_type != "multipart/form-data":
            raise invalid("Expected a multipart/form-data body.", "file")
        try:
            reader = await request.multipart()
            async for part in reader:
                if isinstance(part, BodyPartReader) and part.name == "file":
                    data = bytes(await part.read())
                    filename = part.filename or "upload"
                    declared = part.headers.get("Content-Type")
                    break
            else:
                raise invalid("The file field is required.", "file")
        except (ValueError, RuntimeError, AssertionError, HttpProcessingError):
            # aiohttp's reader raises these for a missing boundary or broken part headers.
            raise invalid("The multipart body is malformed.", "file") from None
        if len(data) > MULTIPART_UPLOAD_LIMIT:
            raise HTTPFailure(413, "payload_too_large", "Files over 32 MB need a direct upload.")
        reply = functools.partial(self._store, data, filename, declared)
        return await self.fake.idempotency.run(request, reply)

    async def _store(self, data: bytes, filename: str, declared: str | None) -> Reply:
        mime = sniff_media_type(data[:16]) or declared or "application/octet-stream"
        asset_id = new_id("ast")
        asset = {
            "asset_id": asset_id,
            "url": f"https://files.example/asset/{asset_id}",
            "mime_type": mime,
            "size_bytes": len(data),
        }
        self.fake.assets[asset_id] = {**asset, "filename": filename}
        return 200, {"data": asset}

    async def direct_upload(self, request: web.Request) -> web.Response:
        payload = json_body(request)
        # The schema says only "integer"; a file has at least one byte.
        if payload["size_bytes"] < 1:
            raise invalid("size_bytes must be at least 1.", "size_bytes")
        asset_id = new_id("ast")
        self.fake.uploads[asset_id] = {
            "filename": payload["filename"],
            "content_type": payload["content_type"],
            "size_bytes": payload["size_bytes"],
            "checksum_sha256": payload.get("checksum_sha256"),
            "received": None,
            "sha256": None,
        }
        data = {
            "asset_id": asset_id,
            "upload_url": f"{self.fake.url}/upload/{asset_id}",
            "upload_headers": {"Content-Type": payload["content_type"], "x-amz-acl": "private"},
            "expires_in_seconds": 900,
            "max_bytes": payload["size_bytes"],
            "status": "pending_upload",
        }
        return web.json_response({"data": data})

    async def put_upload(self, request: web.Request) -> web.Response:
        """The presigned PUT: S3 answers bare statuses, not HeyGen's envelope."""
        upload = self.fake.uploads.get(request.match_info["aid"])
        if upload is None:
            return web.Response(status=404)
        if request.headers.get("x-amz-acl") != "private":
            return web.Response(status=403, text="signature mismatch")
        size = 0
        digest = hashlib.sha256()
        async for chunk in request.content.iter_chunked(1 << 16):
            size += len(chunk)
            digest.update(chunk)
        upload["received"], upload["sha256"] = size, digest.hexdigest()
        return web.Response(status=200)

    async def complete_upload(self, request: web.Request) -> web.Response:
        asset_id = request.match_info["aid"]
        upload = self.fake.uploads.get(asset_id)
        if upload is None:
            raise HTTPFailure(404, "asset_not_found", "Asset not found.")
        if upload["received"] != upload["size_bytes"]:
            raise invalid("The upload is incomplete: PUT every byte before completing.")
        given = json_body(request).get("checksum_sha256")
        for expected in (given, upload["checksum_sha256"]):
            if expected is not None and expected.lower() != upload["sha256"]:
                raise invalid("Checksum mismatch.", "checksum_sha256")
        asset: dict[str, Any] = {
            "asset_id": asset_id,
            "url": f"https://files.example/asset/{asset_id}",
            "mime_type": upload["content_type"],
            "size_bytes": upload["size_bytes"],
            "status": "ready",
        }
        self.fake.assets[asset_id] = asset
        return web.json_response({"data": asset})
