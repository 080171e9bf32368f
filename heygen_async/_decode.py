"""Pure decoding of HeyGen replies: (status, headers, body) -> model, or a typed error."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, TypeVar

from . import _json, _lazy
from ._errors import APIError, APIResponseValidationError, error_class_for
from ._lazy import converter
from ._retry import parse_retry_after

T = TypeVar("T")

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    402: "insufficient_credit",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    422: "unprocessable_entity",
    429: "rate_limit_exceeded",
}
_MAX_BODY_IN_MESSAGE = 200


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"


def error_from_response(
    status: int, headers: Mapping[str, str], body: bytes, now: float
) -> APIError:
    """The typed error for an error reply.

    HeyGen's envelope is ``{"error": {"code", "message", "param", "doc_url"}}``. Any other body
    (an HTML gateway page, truncated JSON, foreign JSON) still maps by status; its raw text is
    kept in `body`. The code is trusted when it is non-empty and not the literal "error";
    otherwise it is derived from the status, as HeyGen's own CLI does.
    """
    text = _text(body)
    code: Any = None
    message: Any = None
    param: Any = None
    doc_url: Any = None
    try:
        payload = _json.loads(body) if body else None
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        envelope = payload.get("error")
        if isinstance(envelope, dict):
            code, message = envelope.get("code"), envelope.get("message")
            param, doc_url = envelope.get("param"), envelope.get("doc_url")
        elif isinstance(payload.get("message"), str):  # legacy flat shape
            message = payload["message"]
    if not isinstance(code, str) or not code or code == "error":
        code = _CODE_BY_STATUS.get(
            status, "unclassified_server_error" if status >= 500 else "unclassified_client_error"
        )
    if not isinstance(message, str) or not message:
        snippet = " ".join(text.split())[:_MAX_BODY_IN_MESSAGE]
        message = f"{_reason(status)}: {snippet}" if snippet else _reason(status)
    return error_class_for(status)(
        status,
        code,
        message,
        param=param if isinstance(param, str) else None,
        doc_url=doc_url if isinstance(doc_url, str) else None,
        request_id=headers.get("x-request-id"),
        headers=headers,
        body=text,
        retry_after=parse_retry_after(headers, now),
    )


def invalid_response(
    status: int, headers: Mapping[str, str], body: bytes, problem: str
) -> APIResponseValidationError:
    return APIResponseValidationError(
        status,
        "invalid_response",
        f"HeyGen's reply could not be read: {problem}",
        request_id=headers.get("x-request-id"),
        headers=headers,
        body=_text(body),
    )


def json_body(status: int, headers: Mapping[str, str], body: bytes) -> Any:
    """The decoded JSON of a successful reply."""
    try:
        return _json.loads(body)
    except ValueError as exc:
        raise invalid_response(status, headers, body, f"not JSON ({exc})") from None


def envelope(status: int, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """The whole JSON object of a successful reply (for lists, whose paging sits beside data)."""
    payload = json_body(status, headers, body)
    if not isinstance(payload, dict) or "data" not in payload:
        raise invalid_response(status, headers, body, 'expected an object with "data"')
    return payload


def model(data: Any, cls: type[T], status: int, headers: Mapping[str, str], body: bytes) -> T:
    """Structure `data` into `cls`, turning any mismatch into APIResponseValidationError."""
    try:
        return _lazy.structure(data, cls)  # type: ignore[no-any-return]
    except Exception as exc:  # cattrs' ClassValidationError, TypeError, ValueError, ...
        problem = converter().describe_error(exc)
        raise invalid_response(status, headers, body, f"{cls.__name__}: {problem}") from None


def data_model(status: int, headers: Mapping[str, str], body: bytes, cls: type[T]) -> T:
    """The `data` object of a successful reply as `cls` (`envelope` and `model` in one: this
    runs for every create)."""
    try:
        payload = _json.loads(body)
    except ValueError as exc:
        raise invalid_response(status, headers, body, f"not JSON ({exc})") from None
    if type(payload) is not dict or "data" not in payload:
        raise invalid_response(status, headers, body, 'expected an object with "data"')
    try:
        return _lazy.structure(payload["data"], cls)  # type: ignore[no-any-return]
    except Exception as exc:  # cattrs' ClassValidationError, TypeError, ValueError, ...
        problem = converter().describe_error(exc)
        raise invalid_response(status, headers, body, f"{cls.__name__}: {problem}") from None
