"""What every handler shares: HeyGen's error envelope, the validated JSON body, pages."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

# Where the middleware leaves the JSON body it decoded and checked against HeyGen's schema.
BODY_KEY = web.RequestKey("heygen_body", object)


class HTTPFailure(Exception):
    """Raised inside a handler to answer with HeyGen's error envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.param = status, code, message, param
        self.headers = dict(headers or {})


def invalid(message: str, param: str | None = None) -> HTTPFailure:
    """HeyGen's 400 for bad input: code invalid_parameter, `param` the field at fault."""
    return HTTPFailure(400, "invalid_parameter", message, param=param)


def error_body(code: str, message: str, param: str | None = None) -> dict[str, Any]:
    slug = code.replace("_", "-")
    return {
        "error": {
            "code": code,
            "message": message,
            "param": param,
            "doc_url": f"https://developers.heygen.com/docs/error-codes#{slug}",
        }
    }


def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, already checked against HeyGen's schema ({} when none)."""
    body = request.get(BODY_KEY)
    return body if isinstance(body, dict) else {}


def page(
    items: Iterable[dict[str, Any]], request: web.Request, *, default_limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of `items` for the request's `limit` and `token`, and the next token."""
    all_items = list(items)
    # The middleware checked `limit` against the schema (an integer, 1-100).
    limit = int(request.query.get("limit", default_limit))
    start = 0
    token = request.query.get("token")
    if token:
        try:
            start = json.loads(base64.urlsafe_b64decode(token))["offset"]
        except (ValueError, KeyError, TypeError):
            raise invalid("token is not a token this API gave.", "token") from None
        if not isinstance(start, int) or start < 0:
            raise invalid("token is not a token this API gave.", "token")
    end = start + limit
    nxt = (
        base64.urlsafe_b64encode(json.dumps({"offset": end}).encode()).decode()
        if end < len(all_items)
        else None
    )
    return all_items[start:end], nxt
