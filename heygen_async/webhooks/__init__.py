"""HeyGen's webhooks: verify deliveries, drop duplicates, and wait on events instead of polling.

HeyGen signs each delivery to an endpoint registered through the API: `Heygen-Signature` is
the hex HMAC-SHA256 of the raw body keyed with the endpoint's secret, `Heygen-Timestamp` the
Unix time it was sent, `Heygen-Event-Id` an id to de-duplicate by (deliveries are retried
until they get a 2xx, so the same event can arrive twice). Per-job `callback_url` deliveries
are not signed, and are refused.

`WebhookReceiver` does all of it, and answers well within HeyGen's 10 s: it verifies, drops
duplicates, and hands events to `watch()`ers and to `on_event` (run in a task of its own).

FastAPI / Starlette:

    receiver = hg.webhooks.WebhookReceiver(os.environ["HEYGEN_WEBHOOK_SECRET"])

    @app.post("/heygen/webhook")
    async def heygen_webhook(request: Request) -> Response:
        status = await receiver.handle(await request.body(), request.headers)
        return Response(status_code=status)

aiohttp.web: `app.router.add_post("/heygen/webhook", receiver.aiohttp_handler())`.
A script: `async with receiver.serve(port=8080) as server: ...` (`server.url`).
Waiting on one job:

    async with receiver.watch(session.session_id) as watch:
        event = await watch.next(timeout=3600)  # None if nothing came

`verify()` checks one delivery for any framework, `sign()` makes the signature (for tests),
`aiohttp_handler(secret, on_event)` is the plain aiohttp.web handler of earlier versions.
aiohttp is imported only by the aiohttp adapters and `serve`.
"""

from __future__ import annotations

from ._aiohttp import EventCallback, aiohttp_handler
from ._events import EventWatch
from ._receiver import DEFAULT_MAX_EVENTS, WebhookReceiver
from ._server import WebhookServer
from ._verify import (
    DEFAULT_TOLERANCE,
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookEvent,
    WebhookEventType,
    sign,
    verify,
)

__all__ = [
    "DEFAULT_MAX_EVENTS",
    "DEFAULT_TOLERANCE",
    "EVENT_ID_HEADER",
    "EventCallback",
    "EventWatch",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookEvent",
    "WebhookEventType",
    "WebhookReceiver",
    "WebhookServer",
    "aiohttp_handler",
    "sign",
    "verify",
]
