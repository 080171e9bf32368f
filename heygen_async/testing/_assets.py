"""Handlers for assets: multipart upload (POST /v3/assets), the direct-upload three steps
(ticket, PUT to the presigned URL, complete), batches of direct uploads (each file a job that
waits for its bytes and the batch's complete), and the library (list, get, delete, statuses)."""

from __future__ import annotations

import functools
import hashlib
import time
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from .._constants import MULTIPART_UPLOAD_LIMIT
from ..models.files import sniff_media_type
from ._http import HTTPFailure, invalid, json_body
from ._idempotency import Reply
from ._jobs import JobMachine
from ._resources import JobRoutes
from ._state import new_id

if TYPE_CHECKING:
    from ._fake import FakeHeyGen

NOT_FOUND = "asset_not_found"
_KINDS = {"image": "image", "video": "video", "audio": "audio"}


class AssetHandlers:
    def __init__(self, fake: FakeHeyGen, jobs: JobRoutes) -> None:
        self.fake = fake
        self.jobs = jobs

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v3/assets", self.upload),
            web.get("/v3/assets", self.list_assets),
            web.post("/v3/assets/direct-uploads", self.direct_upload),
            web.post("/v3/assets/direct-uploads/batches", self.direct_upload_batch),
            web.post("/v3/assets/complete/batches", self.complete_batch),
            web.get("/v3/assets/batches/{batch_id}", self.get_batch),
            web.get("/v3/assets/statuses", self.statuses),
            web.put("/upload/{aid}", self.put_upload),
            web.get("/v3/assets/{aid}", self.get_asset),
            web.delete("/v3/assets/{aid}", self.delete_asset),
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
        return web.json_response({"data": self._ticket(json_body(request))})

    def _ticket(self, payload: dict[str, Any], asset_id: str | None = None) -> dict[str, Any]:
        """Where to PUT one file's bytes (and the upload FakeHeyGen waits for)."""
        # The schema says only "integer"; a file has at least one byte.
        if payload["size_bytes"] < 1:
            raise invalid("size_bytes must be at least 1.", "size_bytes")
        asset_id = asset_id or new_id("ast")
        self.fake.uploads[asset_id] = {
            "filename": payload["filename"],
            "content_type": payload["content_type"],
            "size_bytes": payload["size_bytes"],
            "checksum_sha256": payload.get("checksum_sha256"),
            "received": None,
            "sha256": None,
        }
        return {
            "asset_id": asset_id,
            "upload_url": f"{self.fake.url}/upload/{asset_id}",
            "upload_headers": {"Content-Type": payload["content_type"], "x-amz-acl": "private"},
            "expires_in_seconds": 900,
            "max_bytes": payload["size_bytes"],
            "status": "pending_upload",
        }

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

    # -- batches of direct uploads -------------------------------------------------------

    async def direct_upload_batch(self, request: web.Request) -> web.Response:
        payload = json_body(request)

        async def produce() -> Reply:
            files = payload["files"]
            for index, file in enumerate(files):
                if file["size_bytes"] < 1:
                    raise invalid("size_bytes must be at least 1.", f"files[{index}].size_bytes")
            machine = self.fake.job_machine
            jobs = [machine.start("asset", {"filename": f["filename"]}) for f in files]
            tickets = [self._ticket(f, job.id) for f, job in zip(files, jobs, strict=True)]
            batch = machine.start_batch(jobs, title=payload.get("title"), item_kind="asset")
            data = {"batch_id": batch.id, "items": tickets}
            return 200, self.jobs.replies.shape(request, {"data": data})

        return await self.fake.idempotency.run(request, produce)

    async def complete_batch(self, request: web.Request) -> web.Response:
        """Each file whose bytes all arrived goes on processing; the others fail."""
        machine = self.fake.job_machine
        batch = machine.get(json_body(request)["batch_id"], "batch")
        if batch is None or batch.batch_of != "asset":
            raise HTTPFailure(404, "not_found", "Batch not found.")
        for job in machine.items(batch):
            upload = self.fake.uploads.get(job.id)
            if job.status != "pending_upload" or upload is None:
                continue
            if upload["received"] != upload["size_bytes"]:
                machine.fail(job, "upload_incomplete", "Not every byte was PUT.")
                continue
            machine.step(job)
            self.fake.assets[job.id] = {
                "asset_id": job.id,
                "url": f"https://files.example/asset/{job.id}",
                "mime_type": upload["content_type"],
                "size_bytes": upload["size_bytes"],
                "filename": upload["filename"],
                "status": "ready",
            }
        return web.json_response({"data": machine.batch_json(batch)})

    async def get_batch(self, request: web.Request) -> web.Response:
        batch = self.fake.job_machine.get(request.match_info["batch_id"], "batch")
        if batch is None or batch.batch_of != "asset":
            raise HTTPFailure(404, "not_found", "Batch not found.")
        return self.jobs.replies.data(request, self.jobs.batch_page(batch, request))

    async def statuses(self, request: web.Request) -> web.Response:
        """Each asset named (`asset_ids`) and each file of each batch named (`batch_ids`)."""
        machine = self.fake.job_machine
        ids = [i for i in request.query.get("asset_ids", "").split(",") if i]
        batch_ids = [i for i in request.query.get("batch_ids", "").split(",") if i]
        entries: list[dict[str, Any]] = []
        for batch_id in batch_ids:
            batch = machine.get(batch_id, "batch")
            if batch is not None and batch.batch_of == "asset":
                entries += [JobMachine.item_json(job) for job in machine.items(batch)]
        for asset_id in ids if ids or batch_ids else list(self.fake.assets):
            job = machine.get(asset_id, "asset")
            if job is not None:
                entries.append(JobMachine.item_json(job))
            elif asset_id in self.fake.assets:
                entries.append({"video_id": asset_id, "status": "completed"})
        return self.jobs.replies.page(request, entries, default_limit=100)

    # -- the library ---------------------------------------------------------------------

    def asset_json(self, asset: dict[str, Any], owner: str = "fake-user") -> dict[str, Any]:
        mime = asset.get("mime_type") or "application/octet-stream"
        return {
            "id": asset["asset_id"],
            "name": asset.get("filename") or asset["asset_id"],
            "owner": owner,
            "space_id": "space_fake",
            "type": _KINDS.get(mime.split("/", 1)[0], "file"),
            "uploaded_at": asset.setdefault("uploaded_at", int(time.time())),
            "url": asset.get("url"),
            "folder_id": asset.get("folder_id"),
        }

    def _asset(self, request: web.Request) -> dict[str, Any]:
        asset = self.fake.assets.get(request.match_info["aid"])
        if asset is None:
            raise HTTPFailure(404, NOT_FOUND, "Asset not found.")
        return asset

    async def list_assets(self, request: web.Request) -> web.Response:
        owner = request.query["username"]
        folder = request.query.get("folder_id")
        items = [
            self.asset_json(asset, owner)
            for asset in reversed(list(self.fake.assets.values()))
            if folder is None or asset.get("folder_id") == folder
        ]
        return self.jobs.replies.page(request, items)

    async def get_asset(self, request: web.Request) -> web.Response:
        return self.jobs.replies.data(request, self.asset_json(self._asset(request)))

    async def delete_asset(self, request: web.Request) -> web.Response:
        asset = self._asset(request)
        del self.fake.assets[asset["asset_id"]]
        self.fake.uploads.pop(asset["asset_id"], None)
        return self.jobs.replies.data(request, {"id": asset["asset_id"]})
