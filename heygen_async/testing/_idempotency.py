"""Idempotency-Key replay: a repeated key gets the first reply again, not a second job."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ._http import HTTPFailure, invalid

Reply = tuple[int, dict[str, Any]]


class IdempotencyCache:
    """Replies by (path, Idempotency-Key); a key still being answered gets 409."""

    def __init__(self) -> None:
        self._replies: dict[tuple[str, str], Reply | None] = {}

    async def run(
        self, request: web.Request, produce: Callable[[], Awaitable[Reply]]
    ) -> web.Response:
        """Answer with `produce()`, or with the reply already given for this key.

        A failure (an exception) is not remembered: the same key may try again.
        """
        key = request.headers.get("Idempotency-Key")
        if key is not None and not key.strip():
            raise invalid("Idempotency-Key must not be blank.", "Idempotency-Key")
        slot = (request.path, key) if key else None
        if slot is not None:
            if slot in self._replies:
                seen = self._replies[slot]
                if seen is None:
                    raise HTTPFailure(
                        409,
                        "request_in_progress",
                        "A request with this Idempotency-Key is in progress.",
                    )
                status, body = seen
                return web.json_response(
                    body, status=status, headers={"Idempotent-Replayed": "true"}
                )
            self._replies[slot] = None
        try:
            status, body = await produce()
        except BaseException:
            if slot is not None:
                self._replies.pop(slot, None)
            raise
        if slot is not None:
            self._replies[slot] = (status, body)
        return web.json_response(body, status=status)
