"""Verifying HeyGen's webhooks: `verify()` for any framework, `aiohttp_handler()` for aiohttp.web.

HeyGen signs each delivery: `Heygen-Signature` is the hex HMAC-SHA256 of the raw body keyed
with the endpoint's secret, `Heygen-Timestamp` the Unix time it was sent, `Heygen-Event-Id` an
id to de-duplicate by (deliveries are retried, so the same event can arrive twice).

FastAPI / Starlette:

    @app.post("/heygen/webhook")
    async def webhook(request: Request) -> dict[str, bool]:
        try:
            event = hg.webhooks.verify(await request.body(), request.headers, SECRET)
        except hg.WebhookVerificationError as exc:
            raise HTTPException(400, exc.reason) from None
        ...
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import attrs

from ._errors import WebhookVerificationError

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["WebhookEvent", "WebhookEventType", "aiohttp_handler", "sign", "verify"]

SIGNATURE_HEADER = "Heygen-Signature"
TIMESTAMP_HEADER = "Heygen-Timestamp"
EVENT_ID_HEADER = "Heygen-Event-Id"
DEFAULT_TOLERANCE = 300.0


class WebhookEventType(StrEnum):
    """Video Agent events HeyGen documents; others arrive as plain strings."""

    VIDEO_AGENT_SUCCESS = "video_agent.success"
    VIDEO_AGENT_FAIL = "video_agent.fail"


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """A verified delivery. `data` is the raw `event_data`; the rest is read from it defensively."""

    event_type: WebhookEventType | str
    event_id: str | None
    data: dict[str, Any]
    session_id: str | None = None
    video_id: str | None = None
    callback_id: str | None = None
    url: str | None = None
    timestamp: float | None = None


def sign(body: bytes, secret: str) -> str:
    """The signature HeyGen sends for `body`: hex HMAC-SHA256 keyed with `secret`."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, item in headers.items():
            if key.lower() == lowered:
                return item
    return value


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> WebhookEvent:
    """Check a delivery's signature (in constant time) and timestamp, and parse it.

    `body` must be the raw bytes as received (a re-serialised JSON body will not match).
    Raises WebhookVerificationError with `reason` "signature" (missing or wrong),
    "timestamp" (missing, unreadable, or more than `tolerance` seconds from `now`) or
    "payload" (not the JSON HeyGen sends).
    """
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError("verify() needs the raw body as bytes")
    if not secret:
        raise ValueError("the webhook secret is empty")
    body = bytes(body)
    signature = _header(headers, SIGNATURE_HEADER)
    if not signature:
        raise WebhookVerificationError("signature", f"no {SIGNATURE_HEADER} header")
    expected = sign(body, secret)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise WebhookVerificationError("signature", "the signature does not match the body")
    raw_timestamp = _header(headers, TIMESTAMP_HEADER)
    if raw_timestamp is None:
        raise WebhookVerificationError("timestamp", f"no {TIMESTAMP_HEADER} header")
    try:
        timestamp = float(raw_timestamp.strip())
    except ValueError:
        raise WebhookVerificationError(
            "timestamp", f"unreadable timestamp {raw_timestamp!r}"
        ) from None
    current = time.time() if now is None else now
    if not abs(current - timestamp) <= tolerance:
        raise WebhookVerificationError(
            "timestamp", f"timestamp is {current - timestamp:.0f}s off (tolerance {tolerance:g}s)"
        )
    try:
        payload = json.loads(body)
    except ValueError:
        raise WebhookVerificationError("payload", "the body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("event_type"), str):
        raise WebhookVerificationError("payload", "the body has no event_type")
    data = payload.get("event_data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise WebhookVerificationError("payload", "event_data is not an object")
    event_type: str = payload["event_type"]
    known = {e.value: e for e in WebhookEventType}
    event_id = _header(headers, EVENT_ID_HEADER) or _str(payload.get("event_id"))
    return WebhookEvent(
        event_type=known.get(event_type, event_type),
        event_id=event_id,
        data=data,
        session_id=_str(data.get("session_id")),
        video_id=_str(data.get("video_id")),
        callback_id=_str(data.get("callback_id")),
        url=_str(data.get("url")) or _str(data.get("video_url")),
        timestamp=timestamp,
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


EventCallback = Callable[[WebhookEvent], Awaitable[object] | object]


def aiohttp_handler(
    secret: str, on_event: EventCallback, *, tolerance: float = DEFAULT_TOLERANCE
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp.web handler: verify, call `on_event` (sync or async), answer 200.

    A delivery that fails verification gets 401 (signature, timestamp) or 400 (payload), and
    `on_event` is not called. An exception from `on_event` propagates (aiohttp answers 500,
    and HeyGen retries the delivery).
    """
    from aiohttp import web  # the aiohttp.web adapter: loaded only by those who use it

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = verify(body, request.headers, secret, tolerance=tolerance)
        except WebhookVerificationError as exc:
            status = 400 if exc.reason == "payload" else 401
            return web.json_response({"ok": False, "reason": exc.reason}, status=status)
        result = on_event(event)
        if inspect.isawaitable(result):
            await result
        return web.json_response({"ok": True})

    return handle
