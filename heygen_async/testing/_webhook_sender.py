"""FakeHeyGen's webhook deliveries: signed like HeyGen's, sent to a session's callback_url."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import aiohttp

from ..webhooks import sign

if TYPE_CHECKING:
    from ._fake import FakeHeyGen


async def send_webhook(fake: FakeHeyGen, url: str, event_type: str, data: dict[str, Any]) -> None:
    assert fake.webhook_secret is not None
    event_id = f"evt_{uuid.uuid4().hex}"
    body = json.dumps({"event_type": event_type, "event_id": event_id, "event_data": data}).encode()
    headers = {
        "Content-Type": "application/json",
        "Heygen-Signature": sign(body, fake.webhook_secret),
        "Heygen-Timestamp": str(int(time.time())),
        "Heygen-Event-Id": event_id,
    }
    record: dict[str, Any] = {"url": url, "event_type": event_type, "event_id": event_id}
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as r,
        ):
            record["status"] = r.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        record["error"] = str(exc)
    fake.webhooks_sent.append(record)
