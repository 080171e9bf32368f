"""`client.assets`: upload files to attach to sessions as `AssetId`."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import IO

from .. import _constants as C
from .. import _decode
from .._errors import ValidationError
from .._requests import Kind, Request, idempotency_key, path_id
from .._transport import FileBody, FilePart, Multipart
from ..models import Asset
from ..models.assets import DirectUpload
from ..models.files import sniff_media_type
from ._base import Resource

_SUFFIX_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".pdf": "application/pdf",
    ".srt": "application/x-subrip",
}
_UPLOAD_TYPES = frozenset(_SUFFIX_TYPES.values()) | C.SUPPORTED_MEDIA_TYPES


class _Source:
    """An upload's bytes, readable again for each attempt."""

    def __init__(self, file: str | os.PathLike[str] | bytes | IO[bytes], filename: str | None):
        self.path: Path | None = None
        self.data: bytes | None = None
        if isinstance(file, (bytes, bytearray, memoryview)):
            self.data = bytes(file)
            self.name = filename or "upload"
            self.size = len(self.data)
        elif isinstance(file, (str, os.PathLike)):
            self.path = Path(file)
            if not self.path.is_file():
                raise ValidationError("file", f"{str(self.path)!r} is not a file")
            self.name = filename or self.path.name
            self.size = self.path.stat().st_size
        elif hasattr(file, "read"):
            content = file.read()
            if not isinstance(content, bytes):
                raise ValidationError("file", "a file object must be opened in binary mode")
            self.data = content
            self.name = filename or Path(str(getattr(file, "name", "upload"))).name
            self.size = len(content)
        else:
            raise ValidationError(
                "file", f"must be a path, bytes or a binary file, not {type(file).__name__}"
            )
        if self.size == 0:
            raise ValidationError("file", "is empty")

    def head(self) -> bytes:
        if self.data is not None:
            return self.data[:16]
        assert self.path is not None
        with self.path.open("rb") as f:
            return f.read(16)

    def open(self) -> IO[bytes]:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return self.path.open("rb")

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.open() as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def _content_type(source: _Source, content_type: str | None) -> str:
    if content_type is None:
        content_type = sniff_media_type(source.head()) or _SUFFIX_TYPES.get(
            Path(source.name).suffix.lower()
        )
        if content_type is None:
            raise ValidationError(
                "content_type", f"cannot tell the type of {source.name!r}; pass content_type="
            )
    if content_type not in _UPLOAD_TYPES:
        supported = ", ".join(sorted(_UPLOAD_TYPES))
        raise ValidationError("content_type", f"{content_type!r} is not supported ({supported})")
    return content_type


class Assets(Resource):
    async def upload(
        self,
        file: str | os.PathLike[str] | bytes | IO[bytes],
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
        source = _Source(file, filename)
        kind = _content_type(source, content_type)
        if source.size <= C.MULTIPART_UPLOAD_LIMIT:
            return await self._multipart(source, kind)
        return await self._direct(source, kind)

    async def _multipart(self, source: _Source, content_type: str) -> Asset:
        form = Multipart((FilePart("file", source.name, content_type, source.open),))
        request = Request(
            "POST", "/v3/assets", kind=Kind.WRITE, body=form, idempotency_key=idempotency_key(None)
        )
        status, headers, body = await self._api.send(request)
        return _decode.data_model(status, headers, body, Asset)

    async def _direct(self, source: _Source, content_type: str) -> Asset:
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
