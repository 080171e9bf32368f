"""Files to upload: an upload's bytes (readable again for each attempt), its media type, and
the one multipart POST every operation that takes a file (`assets.upload`, `assets.create`)
sends.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import IO, TypeVar

from .. import _constants as C
from .. import _decode
from .._api import Api
from .._errors import ValidationError
from .._requests import Kind, Request, idempotency_key
from .._transport import FilePart, Multipart
from ..models.files import sniff_media_type

T = TypeVar("T")
# What an operation that takes a file accepts: a path, bytes, or a binary file object.
FileSource = str | os.PathLike[str] | bytes | IO[bytes]

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


class Source:
    """An upload's bytes, readable again for each attempt."""

    def __init__(self, file: FileSource, filename: str | None):
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


def content_type_of(source: Source, content_type: str | None) -> str:
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


async def post_multipart(
    api: Api,
    path: str,
    field: str,
    source: Source,
    content_type: str,
    cls: type[T],
    *,
    key: str | None = None,
) -> T:
    """POST `source` as the multipart form field `field`; read the reply's `data` as a `cls`.

    The form is rebuilt from `source` for each attempt; every attempt carries the same
    Idempotency-Key (`key`, or a fresh one).
    """
    form = Multipart((FilePart(field, source.name, content_type, source.open),))
    request = Request(
        "POST", path, kind=Kind.WRITE, body=form, idempotency_key=idempotency_key(key)
    )
    status, headers, body = await api.send(request)
    return _decode.data_model(status, headers, body, cls)
