"""Field checks shared by the models: validators raise ValidationError naming the field."""

from __future__ import annotations

import binascii
import ipaddress
from base64 import b64decode
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import attrs

from .._constants import PROMPT_MAX_CHARS
from .._errors import ValidationError

# Metadata of a reply field HeyGen always sends that the model still lets the SDK leave out
# (a Session rebuilt from a batch journal has no created_at): parsing a reply requires it.
ALWAYS_IN_REPLIES = {"always_in_replies": True}


def always_in_replies(field: attrs.Attribute[Any]) -> bool:
    return bool(field.metadata.get("always_in_replies"))


class HttpUrl:
    """Marks a reply field the SDK itself fetches: it must be an absolute http(s) URL.

    Used as ``Annotated[str, HTTP_URL]``; the converter checks it while parsing the reply.
    """

    def __repr__(self) -> str:
        return "HTTP_URL"


HTTP_URL = HttpUrl()


def is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_https_or_loopback(url: str) -> bool:
    """An absolute https URL, or an http one to a loopback host (development and tests)."""
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and is_loopback(parts.hostname)


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A prompt or message: a str of 1..10000 characters."""
    if type(value) is not str:
        raise ValidationError(attribute.name, f"must be a str, not {type(value).__name__}")
    if not 1 <= len(value) <= PROMPT_MAX_CHARS:
        raise ValidationError(
            attribute.name, f"must be 1 to {PROMPT_MAX_CHARS} characters, got {len(value)}"
        )


def optional_id(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An optional identifier: None, or a non-empty str."""
    if value is None:
        return
    if type(value) is not str:
        raise ValidationError(attribute.name, f"must be a str or None, not {type(value).__name__}")
    if not value.strip():
        raise ValidationError(attribute.name, "must not be empty")


def required_id(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A required identifier: a non-empty str."""
    check_path_id(attribute.name, value)


def check_path_id(field: str, value: object) -> str:
    """Return `value` if it is a non-empty str usable as a path segment, else raise."""
    if type(value) is not str:
        raise ValidationError(field, f"must be a str, not {type(value).__name__}")
    if not value.strip():
        raise ValidationError(field, "must not be empty")
    if "/" in value or "?" in value or "#" in value:
        raise ValidationError(field, f"must not contain '/', '?' or '#': {value!r}")
    return value


def optional_str(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not str:
        raise ValidationError(attribute.name, f"must be a str or None, not {type(value).__name__}")


def boolean(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not bool:
        raise ValidationError(attribute.name, f"must be True or False, not {value!r}")


def optional_boolean(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        boolean(_, attribute, value)


def orientation(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and value not in ("landscape", "portrait"):
        raise ValidationError(attribute.name, f"must be 'landscape' or 'portrait', not {value!r}")


def one_of(*allowed: str) -> Any:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value not in allowed:
            choices = " or ".join(repr(a) for a in allowed)
            raise ValidationError(attribute.name, f"must be {choices}, not {value!r}")

    return check


def callback_url(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if type(value) is not str:
        raise ValidationError(attribute.name, f"must be a str or None, not {type(value).__name__}")
    if not is_http_url(value):
        raise ValidationError(attribute.name, f"must be an http(s) URL, not {value!r}")


def https_url(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not str:
        raise ValidationError(attribute.name, f"must be a str, not {type(value).__name__}")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise ValidationError(attribute.name, f"must be an https:// URL, not {value!r}")


def base64_data(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not str or not value:
        raise ValidationError(attribute.name, "must be a non-empty base64 str")
    try:
        b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(attribute.name, "is not valid base64") from None


def to_tuple(value: Any) -> Any:
    """Lists become tuples so frozen models stay immutable; anything else is left to validation."""
    if value is None or type(value) is tuple:
        return value
    if isinstance(value, (list, tuple)):
        return tuple(value)
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes, dict)):
        return tuple(value)
    return value
