"""Signing and verifying one delivery, and the event it carries: pure functions, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import attrs

from .._errors import WebhookVerificationError

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

    @classmethod
    def from_payload(
        cls,
        event_type: str,
        data: dict[str, Any],
        *,
        event_id: str | None = None,
        timestamp: float | None = None,
    ) -> WebhookEvent:
        """An event from its parts (a delivery's body, or an item of the delivery history)."""
        known = {e.value: e for e in WebhookEventType}
        return cls(
            event_type=known.get(event_type, event_type),
            event_id=event_id,
            data=data,
            session_id=_str(data.get("session_id")),
            video_id=_str(data.get("video_id")),
            callback_id=_str(data.get("callback_id")),
            url=_str(data.get("url")) or _str(data.get("video_url")),
            timestamp=timestamp,
        )


def sign(body: bytes, secret: str) -> str:
    """The signature HeyGen sends for `body`: hex HMAC-SHA256 keyed with `secret`."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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
    if not secret:
        raise ValueError("the webhook secret is empty")
    return verify_any(body, headers, (secret,), tolerance=tolerance, now=now)


def verify_any(
    body: bytes,
    headers: Mapping[str, str],
    secrets: Iterable[str],
    *,
    tolerance: float,
    now: float | None,
) -> WebhookEvent:
    """`verify` against several accepted secrets (a rotation's old and new one).

    Every secret is compared, in constant time, whichever matches: the time taken says nothing
    about which secret (if any) signed the body.
    """
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError("verify() needs the raw body as bytes")
    body = bytes(body)
    signature = _header(headers, SIGNATURE_HEADER)
    if not signature:
        raise WebhookVerificationError("signature", f"no {SIGNATURE_HEADER} header")
    supplied = signature.strip().lower().encode()
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(sign(body, secret).encode(), supplied)
    if not matched:
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
    return _parse(body, _header(headers, EVENT_ID_HEADER), timestamp)


def _parse(body: bytes, header_event_id: str | None, timestamp: float) -> WebhookEvent:
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
    return WebhookEvent.from_payload(
        payload["event_type"],
        data,
        event_id=header_event_id or _str(payload.get("event_id")),
        timestamp=timestamp,
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, item in headers.items():
            if key.lower() == lowered:
                return item
    return value


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
