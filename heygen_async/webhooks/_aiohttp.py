"""The aiohttp.web adapters. aiohttp.web is imported only when a handler is built."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import TYPE_CHECKING

from .._errors import WebhookVerificationError
from ._verify import DEFAULT_TOLERANCE, WebhookEvent, verify

if TYPE_CHECKING:
    from aiohttp import web

    from ._receiver import WebhookReceiver

EventCallback = Callable[[WebhookEvent], Awaitable[object] | object]
Handler = Callable[["web.Request"], Awaitable["web.StreamResponse"]]


def aiohttp_handler(
    secret: str, on_event: EventCallback, *, tolerance: float = DEFAULT_TOLERANCE
) -> Handler:
    """An aiohttp.web handler: verify, call `on_event` (sync or async), answer 200.

    A delivery that fails verification gets 401 (signature, timestamp) or 400 (payload), and
    `on_event` is not called. An exception from `on_event` propagates (aiohttp answers 500,
    and HeyGen retries the delivery). It neither de-duplicates nor hands work off:
    `WebhookReceiver(secret).aiohttp_handler()` does both.
    """
    from aiohttp import web

    async def handle(request: web.Request) -> web.StreamResponse:
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


def receiver_handler(receiver: WebhookReceiver) -> Handler:
    """An aiohttp.web handler answering with `receiver.handle`'s status (and its phrase)."""
    from aiohttp import web

    async def handle(request: web.Request) -> web.StreamResponse:
        status = await receiver.handle(await request.read(), request.headers)
        return web.Response(status=status, text=HTTPStatus(status).phrase)

    return handle
