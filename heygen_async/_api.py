"""The narrow door every resource uses: send, paginate, stream, sleep, clock and wait.

A resource builds what to send (`_requests`) and names the model to read back; `Api` sends it
through the client's pipeline and decodes the reply. Resources hold an `Api` and nothing
else of the client, so none of them reaches into another object's private state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

import attrs

from . import _constants as C
from . import _decode
from ._errors import ValidationError
from ._pipeline import Clock, Consume, Pipeline, Sleep
from ._polling import EventSource, Poller, PollSchedule, ProgressCallback
from ._requests import Kind, Request, encode, with_query
from ._requests import idempotency_key as checked_key
from ._transport import RawResponse

if TYPE_CHECKING:
    from .webhooks import WebhookEvent, WebhookReceiver

T = TypeVar("T")


@attrs.frozen
class PageShape:
    """Where a list reply keeps its items and the cursor of the next page (JSON key paths).

    HeyGen's lists answer ``{"data": [...], "has_more", "next_token"}``; a few nest them
    (``{"data": {"resources": [...], "next_cursor"}}``). `has_more` sits beside the cursor.
    The cursor goes back as the `token` query parameter.
    """

    items: tuple[str, ...] = ("data",)
    cursor: tuple[str, ...] = ("next_token",)


LIST = PageShape()


class Api:
    """What resources may ask of the client: every call goes through its one pipeline."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self.sleep: Sleep = pipeline.sleep
        self.clock: Clock = pipeline.clock
        # The 2xx reply to a Request, or its typed error (see `Pipeline.call`).
        self.send: Callable[[Request], Coroutine[Any, Any, RawResponse]] = pipeline.send

    @property
    def retries(self) -> int:
        """Retries made so far by every call of this client (for progress reports)."""
        return self._pipeline.retries

    @property
    def max_concurrent_creates(self) -> int:
        return self._pipeline.limiter.max_concurrent

    async def stream(self, request: Request, consume: Consume[T]) -> T:
        """What `consume` makes of the streamed reply to `request`, retried as a whole."""
        return await self._pipeline.stream(request, consume)

    async def get(self, path: str, cls: type[T], query: Mapping[str, object] | None = None) -> T:
        """GET `path` and read its `data` as a `cls`."""
        url = with_query(path, query) if query else path
        status, headers, body = await self._pipeline.call(Request("GET", url), None)
        return _decode.data_model(status, headers, body, cls)

    @overload
    async def write(
        self,
        method: str,
        path: str,
        payload: Any,
        cls: type[T],
        *,
        kind: Kind = ...,
        idempotency_key: str | None = ...,
    ) -> T: ...

    @overload
    async def write(
        self,
        method: str,
        path: str,
        payload: Any,
        cls: None,
        *,
        kind: Kind = ...,
        idempotency_key: str | None = ...,
    ) -> None: ...

    async def write(
        self,
        method: str,
        path: str,
        payload: Any,
        cls: type[T] | None,
        *,
        kind: Kind = Kind.WRITE,
        idempotency_key: str | None = None,
    ) -> T | None:
        """Send a JSON body (a request model or plain JSON data; None: no body at all) and
        read the reply's `data` as a `cls`.

        With `cls` None the reply's envelope is checked and nothing is returned. A POST
        carries an Idempotency-Key (the caller's or a fresh one) on every attempt.
        """
        key = checked_key(idempotency_key) if method == "POST" else idempotency_key
        body = None if payload is None else encode(payload)
        request = Request(method, path, kind=kind, body=body, idempotency_key=key)
        status, headers, body = await self._pipeline.call(request, None)
        if cls is None:
            _decode.envelope(status, headers, body)
            return None
        return _decode.data_model(status, headers, body, cls)

    async def paginate(
        self,
        path: str,
        query: Mapping[str, object],
        cls: type[T],
        shape: PageShape = LIST,
    ) -> AsyncIterator[T]:
        """Every item of a paginated list as a `cls`, fetching a page only when needed.

        A server that hands back a cursor it gave before would loop for ever: that reply is
        malformed (APIResponseValidationError).
        """
        seen: set[str] = set()
        token: str | None = None
        while True:
            url = with_query(path, {**query, "token": token})
            status, headers, body = await self._pipeline.call(Request("GET", url), None)
            payload = _decode.envelope(status, headers, body)
            items = _at(payload, shape.items)
            if items is None:  # left out: HeyGen's schemas do not always require it
                items = []
            if not isinstance(items, list):
                where = ".".join(shape.items)
                raise _decode.invalid_response(status, headers, body, f"{where} is not a list")
            for item in items:
                yield _decode.model(item, cls, status, headers, body)
            token = _next_cursor(payload, shape.cursor, status, headers, body)
            if token is None:
                return
            if token in seen:
                raise _decode.invalid_response(
                    status, headers, body, f"the cursor {token!r} was already given: a loop"
                )
            seen.add(token)

    def poller(
        self,
        what: str,
        *,
        timeout: float | None = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = C.DEFAULT_POLL_MAX_INTERVAL,
        on_progress: ProgressCallback[Any] | None = None,
        events: WebhookReceiver | None = None,
    ) -> Poller:
        """A wait's schedule on the client's sleep and clock (raises WaitTimeoutError); with
        `events`, it sleeps on that webhook receiver and recovers what it missed from the
        delivery history of this client's account."""
        source = None
        if events is not None:
            from .webhooks import WebhookReceiver

            if not isinstance(events, WebhookReceiver):
                raise ValidationError(
                    "events", f"must be a webhooks.WebhookReceiver, not {type(events).__name__}"
                )
            source = EventSource(events, self._history)
        return Poller(
            PollSchedule(poll_interval, max_poll_interval, timeout),
            sleep=self.sleep,
            clock=self.clock,
            on_progress=on_progress,
            what=what,
            events=source,
        )

    async def _history(self) -> AsyncIterator[WebhookEvent]:
        """The account's webhook deliveries, newest first, as the receiver's events."""
        from .models._gen_webhooks import WebhookEvent as Delivered
        from .webhooks import WebhookEvent

        async for item in self.paginate("/v3/webhooks/events", {"limit": 100}, Delivered):
            yield WebhookEvent.from_payload(
                item.event_type,
                item.event_data,
                event_id=item.event_id,
                timestamp=item.created_at.timestamp(),
            )


def _at(payload: Any, path: Collection[str]) -> Any:
    for key in path:
        payload = payload.get(key) if isinstance(payload, dict) else None
    return payload


def _next_cursor(
    payload: Mapping[str, Any],
    path: tuple[str, ...],
    status: int,
    headers: Mapping[str, str],
    body: bytes,
) -> str | None:
    token = _at(payload, path)
    if _at(payload, (*path[:-1], "has_more")) is False or token is None or token == "":
        return None
    if not isinstance(token, str):
        raise _decode.invalid_response(status, headers, body, f"{path[-1]} is not a string")
    return token
