"""`WebhookReceiver.serve`: a small aiohttp.web server for scripts and the CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import attrs

from ._aiohttp import receiver_handler

if TYPE_CHECKING:
    from ._receiver import WebhookReceiver

# In-flight requests get this long to finish when the server stops; each one only verifies
# and queues, so they finish in microseconds.
SHUTDOWN_TIMEOUT = 5.0


@attrs.frozen(kw_only=True)
class WebhookServer:
    """A running `serve()`: `url` is where HeyGen should POST (with the port actually bound)."""

    host: str
    port: int
    url: str


@asynccontextmanager
async def serve(
    receiver: WebhookReceiver, host: str, port: int, path: str | None
) -> AsyncIterator[WebhookServer]:
    from aiohttp import web

    if path is not None and not path.startswith("/"):
        raise ValueError(f"path must start with '/', not {path!r}")
    app = web.Application()
    handler = receiver_handler(receiver)
    if path is None:
        app.router.add_post("/{tail:.*}", handler)
    else:
        app.router.add_post(path, handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        yield WebhookServer(
            host=bound_host, port=bound_port, url=f"http://{shown}:{bound_port}{path or '/'}"
        )
    finally:
        await runner.cleanup()
