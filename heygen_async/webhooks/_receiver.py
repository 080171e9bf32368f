"""WebhookReceiver: verified, de-duplicated deliveries handed to waiters and to `on_event`."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from .._constants import DEFAULT_EVENTS_FALLBACK
from .._errors import WebhookVerificationError
from .._logging import logger
from ._events import EventLog, EventWatch
from ._verify import DEFAULT_TOLERANCE, WebhookEvent, verify_any

if TYPE_CHECKING:
    from ._aiohttp import Handler
    from ._server import WebhookServer

OnEvent = Callable[[WebhookEvent], Awaitable[None] | None]
DEFAULT_MAX_EVENTS = 100_000
# A recovery sweep reads at most this many of the newest events in the history.
DEFAULT_RECOVERY_LIMIT = 1000


class WebhookReceiver:
    """Receives HeyGen's deliveries for one endpoint secret: verifies, de-duplicates, hands off.

    `handle(body, headers)` returns the status to answer: 401 for an unsigned, forged, stale or
    future-dated delivery (a per-job `callback_url` delivery is unsigned, so always 401), 400
    for a signed body that is not HeyGen's payload (neither changes anything), 200 otherwise,
    duplicates included (HeyGen retries until it gets a 2xx; a duplicate is acknowledged but
    not handed on twice). It never waits on your code: new events go to the open `watch()`es
    and to `on_event`, which runs in a task of its own (sync or async; its exceptions are
    logged on the `heygen_async` logger and never reach HeyGen). `join()` waits for those tasks.

    It remembers the latest `max_events` event ids and, for each entity id, its last event.
    `clock` (Unix seconds) checks timestamps and ends a `rotate()` grace period. Use it on one
    event loop.

    `wait(..., events=receiver)` and `create_many(..., events=receiver)` sleep on it: a job is
    read when its event arrives, and otherwise every `fallback` seconds (default 30 min), when
    the delivery history is first swept for events the receiver missed (at most once per
    `fallback`, for every wait at once).
    """

    def __init__(
        self,
        secret: str,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        on_event: OnEvent | None = None,
        clock: Callable[[], float] = time.time,
        max_events: int = DEFAULT_MAX_EVENTS,
        fallback: float = DEFAULT_EVENTS_FALLBACK,
    ) -> None:
        _check_secret(secret, "secret")
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance <= 0:
            raise ValueError(f"tolerance must be a number of seconds > 0, not {tolerance!r}")
        if isinstance(max_events, bool) or not isinstance(max_events, int) or max_events < 1:
            raise ValueError(f"max_events must be an int >= 1, not {max_events!r}")
        if isinstance(fallback, bool) or not isinstance(fallback, (int, float)) or fallback <= 0:
            raise ValueError(f"fallback must be a number of seconds > 0, not {fallback!r}")
        # A wait on this receiver reads its job at least this often, events or not; and the
        # delivery history is swept for missed events at most this often.
        self.fallback = float(fallback)
        self.tolerance = float(tolerance)
        self._secret = secret
        self._retiring: list[tuple[str, float]] = []  # (old secret, accepted while clock < this)
        self._on_event = on_event
        self._clock = clock
        self._log = EventLog(max_events)
        self._tasks: set[asyncio.Task[None]] = set()
        self._recovered_at = float("-inf")  # on the receiver's clock
        self._recovering: asyncio.Lock | None = None

    def __repr__(self) -> str:
        return (
            f"<WebhookReceiver secrets={len(self._accepted(self._clock()))} "
            f"tolerance={self.tolerance:g} events={len(self._log)} watches={self._log.watching()}>"
        )

    # -- secrets -------------------------------------------------------------------------------

    def rotate(self, new_secret: str, *, grace: float) -> None:
        """Switch to `new_secret`, still accepting the previous secret(s) for `grace` seconds.

        Call it when the endpoint's secret is rotated (`client.webhooks.endpoints.
        rotate_secret`): deliveries already signed or in flight with the old secret still
        verify until the grace period ends on the receiver's clock. `grace=0` drops them now.
        """
        _check_secret(new_secret, "new_secret")
        if isinstance(grace, bool) or not isinstance(grace, (int, float)) or not grace >= 0:
            raise ValueError(f"grace must be a number of seconds >= 0, not {grace!r}")
        now = self._clock()
        until = now + grace
        previous = [(s, min(u, until)) for s, u in self._retiring if u > now]
        previous.append((self._secret, until))
        self._retiring = [(s, u) for s, u in previous if s != new_secret]
        self._secret = new_secret

    def _accepted(self, now: float) -> list[str]:
        return [self._secret, *(s for s, until in self._retiring if now < until)]

    # -- deliveries ----------------------------------------------------------------------------

    async def handle(self, body: bytes, headers: Mapping[str, str]) -> int:
        """Verify and take one delivery; return the HTTP status to answer (200, 400 or 401)."""
        now = self._clock()
        try:
            event = verify_any(
                body, headers, self._accepted(now), tolerance=self.tolerance, now=now
            )
        except WebhookVerificationError as exc:
            logger.warning("webhook delivery refused (%s): %s", exc.reason, exc)
            return 400 if exc.reason == "payload" else 401
        if not self.feed(event):
            logger.debug("duplicate webhook delivery %s acknowledged", event.event_id)
        return 200

    def feed(self, event: WebhookEvent) -> bool:
        """Take an event already trusted (e.g. read back from `client.webhooks.events.list()`
        after a restart) as if it had been delivered; return whether it was new.

        Duplicates, by event id (or, without one, by type and data), are dropped. With an
        `on_event`, it must be called on the event loop the callbacks should run on.
        """
        if not isinstance(event, WebhookEvent):
            raise TypeError(f"feed() takes a WebhookEvent, not {type(event).__name__}")
        loop = asyncio.get_running_loop() if self._on_event is not None else None
        if not self._log.add(event):
            return False
        if loop is not None and self._on_event is not None:
            task = loop.create_task(
                self._call_on_event(self._on_event, event),
                name=f"heygen_async webhook on_event {event.event_id}",
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return True

    async def recover(
        self,
        history: Callable[[], AsyncIterator[WebhookEvent]],
        *,
        every: float,
        limit: int = DEFAULT_RECOVERY_LIMIT,
    ) -> int:
        """Feed what the delivery `history` (newest first) holds that this receiver has not
        seen: the deliveries missed while it was down or lost on the way. Returns how many
        were new.

        It sweeps at most once per `every` seconds, reading at most `limit` events; callers
        that arrive while a sweep runs share it (a thousand waits cost one sweep).
        """
        if self._recovering is None:
            self._recovering = asyncio.Lock()
        async with self._recovering:
            now = self._clock()
            if now - self._recovered_at < every:
                return 0
            self._recovered_at = now
            new = read = 0
            async for event in history():
                new += self.feed(event)
                read += 1
                if read >= limit:
                    break
            if new:
                logger.info("recovered %d webhook events missed by the receiver", new)
            return new

    async def _call_on_event(self, on_event: OnEvent, event: WebhookEvent) -> None:
        try:
            result = on_event(event)
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.exception(
                "on_event failed for webhook event %s (%s)", event.event_id, event.event_type
            )

    async def join(self) -> None:
        """Wait until every `on_event` call started so far has finished (before shutting down)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    # -- waiting -------------------------------------------------------------------------------

    def watch(self, *entity_ids: str) -> EventWatch:
        """Events carrying any of these ids (a session, video or callback id, ...), as an async
        context manager: `async with receiver.watch(vid) as w: event = await w.next(timeout=60)`.

        An event counts for every `id` and `*_id` string in its `event_data`. The watch begins
        with the last event already received for those ids, then sees each new one.
        """
        return EventWatch(self._log, entity_ids)

    # -- web servers ---------------------------------------------------------------------------

    def aiohttp_handler(self) -> Handler:
        """An aiohttp.web handler: `app.router.add_post("/heygen/webhook", r.aiohttp_handler())`."""
        from ._aiohttp import receiver_handler

        return receiver_handler(self)

    def serve(
        self, host: str = "127.0.0.1", port: int = 0, *, path: str | None = None
    ) -> AbstractAsyncContextManager[WebhookServer]:
        """Run a small aiohttp.web server taking deliveries, for as long as the `async with`.

        It answers POSTs to `path` (any path if None) with `handle`'s status; `port=0` picks a
        free port. The value is a `WebhookServer` whose `url` has the port actually bound.
        Put it behind a TLS-terminating proxy or tunnel: HeyGen delivers to https URLs only.
        """
        from ._server import serve

        return serve(self, host, port, path)


def _check_secret(secret: object, name: str) -> None:
    # The message names the type only: a secret never appears in an error.
    if not isinstance(secret, str) or not secret:
        raise ValueError(f"{name} must be a non-empty str, not {type(secret).__name__}")
