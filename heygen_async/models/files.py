"""File attachments: the three variants of HeyGen's asset input union."""

from __future__ import annotations

import mimetypes
from base64 import b64encode
from os import PathLike
from pathlib import Path
from typing import Any, ClassVar, TypeAlias

import attrs

from .._constants import MAX_FILES, SUPPORTED_MEDIA_TYPES
from .._errors import ValidationError
from . import _checks


@attrs.frozen
class AssetUrl:
    """A file HeyGen fetches from a public https:// URL."""

    type: ClassVar[str] = "url"
    url: str = attrs.field(validator=_checks.https_url)


@attrs.frozen
class AssetId:
    """A file uploaded earlier with `client.assets.upload` (its `asset_id`)."""

    type: ClassVar[str] = "asset_id"
    asset_id: str = attrs.field(validator=_checks.required_id)


def _media_type(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in SUPPORTED_MEDIA_TYPES:
        supported = ", ".join(sorted(SUPPORTED_MEDIA_TYPES))
        raise ValidationError(
            attribute.name, f"{value!r} is not supported (use one of {supported})"
        )


@attrs.frozen
class AssetBase64:
    """A file sent inline, base64-encoded. Prefer `AssetId` for anything large."""

    type: ClassVar[str] = "base64"
    media_type: str = attrs.field(validator=_media_type)
    data: str = attrs.field(validator=_checks.base64_data, repr=lambda d: f"<{len(d)} chars>")

    @classmethod
    def from_path(cls, path: str | PathLike[str], media_type: str | None = None) -> AssetBase64:
        """Read a local file and encode it; the media type is guessed from its name if not given."""
        file = Path(path)
        if media_type is None:
            media_type = guess_media_type(file)
        data = file.read_bytes()
        return cls(media_type=media_type, data=b64encode(data).decode("ascii"))


def guess_media_type(path: Path) -> str:
    """The media type of a supported file, from its content first and its name second."""
    with path.open("rb") as f:
        head = f.read(16)
    sniffed = sniff_media_type(head)
    if sniffed is not None:
        return sniffed
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed is None or guessed not in SUPPORTED_MEDIA_TYPES:
        raise ValidationError(
            "media_type", f"cannot tell a supported media type for {path.name!r}; pass one"
        )
    return guessed


_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"%PDF-", 0, "application/pdf"),
    (b"\x1a\x45\xdf\xa3", 0, "video/webm"),
    (b"ID3", 0, "audio/mpeg"),
    (b"\xff\xfb", 0, "audio/mpeg"),
    (b"\xff\xf3", 0, "audio/mpeg"),
    (b"ftyp", 4, "video/mp4"),
)


def sniff_media_type(head: bytes) -> str | None:
    """The media type told by a file's first bytes, if it is one HeyGen accepts."""
    for magic, offset, media_type in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    return None


FileInput: TypeAlias = AssetUrl | AssetId | AssetBase64
FILE_TYPES = (AssetUrl, AssetId, AssetBase64)


def to_files(value: Any) -> Any:
    """Files as given: AssetUrl / AssetId / AssetBase64, or their JSON as the API spells it
    (`{"type": "url", "url": ...}`), made into models; anything else is left to validation."""
    value = _checks.to_tuple(value)
    if type(value) is not tuple or not any(isinstance(item, dict) for item in value):
        return value
    return tuple(
        _file_from_json(i, item) if isinstance(item, dict) else item for i, item in enumerate(value)
    )


def _file_from_json(index: int, item: dict[str, Any]) -> FileInput:
    by_type = {cls.type: cls for cls in FILE_TYPES}
    cls = by_type.get(item.get("type"))  # type: ignore[arg-type]
    if cls is None:
        choices = ", ".join(repr(t) for t in by_type)
        raise ValidationError(f"files[{index}].type", f"must be one of {choices}")
    fields = {k: v for k, v in item.items() if k != "type"}
    names = {a.name for a in attrs.fields(cls)}
    for name in fields:
        if name not in names:
            raise ValidationError(f"files[{index}].{name}", f"is not a field of {cls.__name__}")
    try:
        return cls(**fields)
    except ValidationError as exc:
        raise ValidationError(f"files[{index}].{exc.field}", exc.message) from None
    except TypeError:
        missing = [a.name for a in attrs.fields(cls) if a.name not in fields]
        raise ValidationError(f"files[{index}].{missing[0]}", "is required") from None


def check_files(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """None, or a sequence of at most 20 AssetUrl / AssetId / AssetBase64."""
    if value is None:
        return
    if not isinstance(value, tuple):
        raise ValidationError(
            attribute.name, f"must be a list of files, not {type(value).__name__}"
        )
    if len(value) > MAX_FILES:
        raise ValidationError(attribute.name, f"at most {MAX_FILES} files, got {len(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, FILE_TYPES):
            raise ValidationError(
                f"{attribute.name}[{i}]",
                f"must be AssetUrl, AssetId or AssetBase64, not {type(item).__name__}",
            )
