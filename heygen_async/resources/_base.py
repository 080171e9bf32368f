"""What every resource shares: building request models, encoding bodies, paging."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlencode

import attrs

from .. import _decode, _json
from .._constants import IDEMPOTENCY_KEY_RE
from .._convert import unstructure
from .._errors import ValidationError
from .._pipeline import Kind, Request
from .._transport import RawResponse
from ..models._checks import check_path_id

if TYPE_CHECKING:
    from .._client import AsyncHeyGen

T = TypeVar("T")
M = TypeVar("M")


def build_model(cls: type[M], request: M | None, fields: Mapping[str, Any], what: str) -> M:
    """`request` itself, or a `cls` built from keyword `fields`; ValidationError otherwise."""
    if request is not None:
        if fields:
            raise ValidationError(what, "pass a request object or keyword fields, not both")
        if not isinstance(request, cls):
            raise ValidationError(what, f"must be a {cls.__name__}, not {type(request).__name__}")
        return request
    try:
        return cls(**fields)
    except TypeError:
        # Only a wrong signature raises TypeError here (validators raise ValidationError).
        names = {a.name for a in attrs.fields(cls)}  # type: ignore[arg-type]
        for name in fields:
            if name not in names:
                raise ValidationError(name, f"is not a field of {cls.__name__}") from None
        for attribute in attrs.fields(cls):  # type: ignore[arg-type]
            if attribute.default is attrs.NOTHING and attribute.name not in fields:
                raise ValidationError(attribute.name, "is required") from None
        raise


def encode(model: Any) -> bytes:
    """A request model as the JSON bytes HeyGen expects."""
    return _json.dumps(unstructure(model))


def idempotency_key(key: str | None) -> str:
    """The caller's key if it is one HeyGen accepts, else a fresh uuid4."""
    if key is None:
        return new_uuid4()
    if type(key) is not str or IDEMPOTENCY_KEY_RE.fullmatch(key) is None:
        raise ValidationError(
            "idempotency_key", "must be 1-255 characters of A-Z, a-z, 0-9, '_', '-', ':' or '.'"
        )
    return key


def new_uuid4() -> str:
    """A random (version 4) UUID string from os.urandom: fork-safe, twice uuid4()'s speed."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def path_id(field: str, value: object) -> str:
    """A validated, URL-quoted path segment."""
    return quote(check_path_id(field, value), safe="")


def with_query(path: str, query: Mapping[str, object]) -> str:
    present = {k: v for k, v in query.items() if v is not None}
    return f"{path}?{urlencode(present)}" if present else path


def page_size_of(page_size: object) -> int:
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 100:
        raise ValidationError("page_size", f"must be an int from 1 to 100, not {page_size!r}")
    return page_size


class Resource:
    """Base of the resource namespaces: a thin layer over the client's pipeline."""

    def __init__(self, client: AsyncHeyGen) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    async def _send(self, request: Request) -> RawResponse:
        return await self._client._pipeline.send(request)

    async def _get(self, path: str, cls: type[T]) -> T:
        response = await self._client._pipeline.send(Request("GET", path))
        return _decode.data_model(response.status, response.headers, response.body, cls)

    async def _post(
        self, path: str, body: bytes, cls: type[T], *, kind: Kind, key: str | None = None
    ) -> T:
        request = Request("POST", path, kind=kind, body=body, idempotency_key=idempotency_key(key))
        response = await self._client._pipeline.send(request)
        return _decode.data_model(response.status, response.headers, response.body, cls)

    async def _pages(self, path: str, query: dict[str, object], cls: type[T]) -> AsyncIterator[T]:
        """Every item of a `{"data": [...], "has_more", "next_token"}` list, page by page."""
        token: str | None = None
        while True:
            response = await self._send(Request("GET", with_query(path, {**query, "token": token})))
            status, headers, body = response
            payload = _decode.envelope(status, headers, body)
            items = payload["data"]
            if not isinstance(items, list):
                raise _decode.invalid_response(status, headers, body, '"data" is not a list')
            for item in items:
                yield _decode.model(item, cls, status, headers, body)
            token = _next_token(payload, status, headers, body)
            if token is None:
                return


def _next_token(
    payload: Mapping[str, Any], status: int, headers: Mapping[str, str], body: bytes
) -> str | None:
    token = payload.get("next_token")
    if payload.get("has_more") is False or token is None:
        return None
    if not isinstance(token, str) or not token:
        raise _decode.invalid_response(status, headers, body, "next_token is not a string")
    return token
