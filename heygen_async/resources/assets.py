"""`client.assets`: upload files to attach to sessions as `AssetId`."""

from __future__ import annotations

from .. import _constants as C
from .._requests import Request, path_id
from .._transport import FileBody
from ..models import Asset
from ..models.assets import DirectUpload
from ._files import FileSource, Source, content_type_of, post_multipart
from ._gen_assets import AssetsOperations


class Assets(AssetsOperations):
    """`client.assets`: every asset operation, and `upload` (multipart or direct, by size)."""

    async def upload(
        self,
        file: FileSource,
        *,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> Asset:
        """Upload a file (a path, bytes or a binary file object) and return its Asset.

        Up to 32 MB goes as one multipart POST /v3/assets; larger files go straight to storage
        through HeyGen's three-step direct upload (whose PUT is retried like any request). The
        type is detected from the content (or the name) and refused before any I/O unless
        HeyGen accepts it.
        """
        source = Source(file, filename)
        kind = content_type_of(source, content_type)
        if source.size <= C.MULTIPART_UPLOAD_LIMIT:
            return await self._multipart(source, kind)
        return await self._direct(source, kind)

    async def _multipart(self, source: Source, content_type: str) -> Asset:
        return await post_multipart(self._api, "/v3/assets", "file", source, content_type, Asset)

    async def _direct(self, source: Source, content_type: str) -> Asset:
        checksum = source.sha256()
        ticket = await self._api.write(
            "POST",
            "/v3/assets/direct-uploads",
            {
                "filename": source.name,
                "content_type": content_type,
                "size_bytes": source.size,
                "checksum_sha256": checksum,
            },
            DirectUpload,
        )
        # Storage, not HeyGen: no API key, the ticket's headers; a PUT of the same bytes is
        # safe to repeat.
        put = Request(
            "PUT",
            ticket.upload_url,
            body=FileBody(source.open, source.size),
            headers=ticket.upload_headers,
            external=True,
        )
        await self._api.send(put)
        path = f"/v3/assets/{path_id('asset_id', ticket.asset_id)}/complete"
        return await self._api.write("POST", path, {"checksum_sha256": checksum}, Asset)
