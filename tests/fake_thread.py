"""FakeHeyGen on its own thread's event loop, for synchronous tests (the sync facade, Celery,
FastAPI's TestClient) that would otherwise block the loop the fake runs on."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from heygen_async.testing import FakeHeyGen


@contextmanager
def fake_in_thread(**options: Any) -> Iterator[FakeHeyGen]:
    started = threading.Event()
    box: dict[str, Any] = {}

    def serve() -> None:
        loop = asyncio.new_event_loop()
        fake = FakeHeyGen(**options)
        try:
            loop.run_until_complete(fake.start())
        except BaseException as exc:  # pragma: no cover - surfaced below
            box["error"] = exc
            started.set()
            loop.close()
            return
        box["fake"], box["loop"] = fake, loop
        started.set()
        loop.run_forever()
        loop.run_until_complete(fake.close())
        loop.close()

    thread = threading.Thread(target=serve, name="fake-heygen", daemon=True)
    thread.start()
    started.wait(10)
    if "error" in box:
        raise box["error"]
    try:
        yield box["fake"]
    finally:
        box["loop"].call_soon_threadsafe(box["loop"].stop)
        thread.join(10)
