"""Polling with backoff and jitter under a deadline, on the client's injectable sleep and clock,
and the one `wait` every job kind shares (`wait_for_job`).

With webhook events (`wait(..., events=receiver)`), a wait sleeps on the receiver instead: it
reads the job again only when an event names it, or after `EventSource.fallback` seconds
(an event may never come: lost, or sent while the receiver was down), when it first recovers
missed deliveries from the delivery history, for every waiter at once.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from . import _constants as C
from ._errors import ActionRequiredError, JobFailedError, ValidationError, WaitTimeoutError
from ._pipeline import Clock, Sleep

if TYPE_CHECKING:
    from .webhooks import WebhookEvent, WebhookReceiver
    from .webhooks._events import EventWatch

T = TypeVar("T")
J = TypeVar("J")
# Called with every state a wait sees (a Session, a Video, ...); may be a coroutine function.
ProgressCallback = Callable[[T], Awaitable[None] | None]


@attrs.frozen
class PollSchedule:
    """Waits between polls: start at `interval`, grow x1.5 up to `max_interval`, +-20% jitter."""

    interval: float = C.DEFAULT_POLL_INTERVAL
    max_interval: float = C.DEFAULT_POLL_MAX_INTERVAL
    timeout: float | None = C.DEFAULT_WAIT_TIMEOUT

    def __attrs_post_init__(self) -> None:
        for name in ("interval", "max_interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValidationError(name, f"must be a number > 0, not {value!r}")
        if self.timeout is not None and (
            isinstance(self.timeout, bool)
            or not isinstance(self.timeout, (int, float))
            or self.timeout <= 0
        ):
            raise ValidationError("timeout", f"must be a number > 0 or None, not {self.timeout!r}")

    def delay(self, poll: int) -> float:
        base = min(self.max_interval, self.interval * 1.5 ** min(poll, 60))
        return base * random.uniform(0.8, 1.2)


@attrs.frozen
class EventSource:
    """A webhook receiver to wait on, and how to recover what it missed.

    `history` reads the delivery history (`client.webhooks.events.list()`, newest first);
    the receiver's `fallback` is the longest a wait goes without reading its job.
    """

    receiver: WebhookReceiver
    history: Callable[[], AsyncIterator[WebhookEvent]]

    @property
    def fallback(self) -> float:
        return self.receiver.fallback

    async def recover(self) -> None:
        """Feed the receiver what the history holds that it has not seen (one sweep at most
        per `fallback`, shared by every waiter)."""
        await self.receiver.recover(self.history, every=self.fallback)


class Poller:
    """Runs `fetch` until `done(state)` under a schedule; reports each state to `on_progress`.

    Use it as an async context manager: with an EventSource it holds a watch on the
    receiver for the ids it `follow`s.
    """

    def __init__(
        self,
        schedule: PollSchedule,
        *,
        sleep: Sleep,
        clock: Clock,
        on_progress: ProgressCallback[Any] | None,
        what: str,
        events: EventSource | None = None,
    ) -> None:
        self.schedule = schedule
        self.sleep = sleep
        self.clock = clock
        self.on_progress = on_progress
        self.what = what
        self.events = events
        self.deadline = None if schedule.timeout is None else clock() + schedule.timeout
        self.last: Any = None
        self.polls = 0
        self._ids: tuple[str, ...] = ()
        self._watch: EventWatch | None = None
        self._seen: set[str] = set()  # events this wait has acted on (a new watch replays)

    async def __aenter__(self) -> Poller:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close_watch()

    async def follow(self, *ids: str) -> None:
        """Also wake on events that name these ids (the video, once a session has one)."""
        if self.events is None or set(ids) <= set(self._ids):
            return
        self._ids = (*self._ids, *(i for i in ids if i not in self._ids))
        await self._close_watch()
        self._watch = self.events.receiver.watch(*self._ids)
        await self._watch.__aenter__()

    async def _close_watch(self) -> None:
        watch, self._watch = self._watch, None
        if watch is not None:
            await watch.__aexit__(None, None, None)

    async def begin(self) -> None:
        """Before the first read: with events, recover what the receiver missed (once per
        fallback for all waits: after a restart, this finds the jobs that finished while it
        was down), then wait for the job's event (a job just created is not done yet)."""
        if self.events is not None:
            await self.events.recover()
            await self.pause()

    async def report(self, state: Any) -> None:
        self.last = state
        if self.on_progress is not None:
            result = self.on_progress(state)
            if inspect.isawaitable(result):
                await result

    async def pause(self) -> None:
        """Sleep until the next poll (or, with events, until an event names the job), or
        raise WaitTimeoutError if the deadline has come."""
        if self.events is not None and self._watch is not None:
            if await self._next_event(self._bounded(self.events.fallback)):
                return
            # No event for a whole fallback: recover what the receiver missed (one sweep for
            # every wait), and read the job whether or not that found its event.
            await self.events.recover()
            await self._next_event(0.0)
            return
        delay = self._bounded(self.schedule.delay(self.polls))
        self.polls += 1
        await self.sleep(delay)

    def _bounded(self, delay: float) -> float:
        if self.deadline is None:
            return delay
        remaining = self.deadline - self.clock()
        if remaining <= 0:
            raise WaitTimeoutError(
                f"{self.what} did not finish within {self.schedule.timeout}s "
                f"(last status: {getattr(self.last, 'status', None)})",
                self.last,
            )
        return min(delay, remaining)

    async def _next_event(self, timeout: float) -> bool:
        """Whether an event this wait has not acted on came within `timeout` seconds."""
        assert self._watch is not None
        end = self.clock() + timeout
        while True:
            event = await self._watch.next(timeout=max(0.0, end - self.clock()))
            if event is None:
                return False
            key = event.event_id or repr((event.event_type, sorted(event.data.items())))
            if key not in self._seen:
                self._seen.add(key)
                return True


async def wait_for_job(
    fetch: Callable[[], Awaitable[J]],
    poller: Poller,
    *,
    done: Collection[str],
    failed: Collection[str],
    needs_owner: Collection[str] = (),
    what: str,
) -> J:
    """Poll `fetch` (a job's `get`) until the job's `status` is in `done`, and return it.

    Raises JobFailedError at a `failed` status (failed, cancelled), ActionRequiredError at
    one that waits for its owner (`pending_consent`, `waiting_for_input`: waiting would never
    end), and WaitTimeoutError (with the last state) when the poller's deadline passes.
    Unknown statuses (HeyGen adds them without notice) keep the wait going.
    """
    await poller.begin()
    while True:
        job = await fetch()
        await poller.report(job)
        status = getattr(job, "status", None)
        if status in done:
            return job
        if status in failed:
            raise JobFailedError(f"{what} ended {status}{_detail(job)}", job)
        if status in needs_owner:
            raise ActionRequiredError(
                f"{what} is {status}: it waits for its owner, so waiting would never end", job
            )
        await poller.pause()


def _detail(job: object) -> str:
    """The reason a failed job gives, where its model has one."""
    for name in ("failure_message", "error", "failure_code"):
        value = getattr(job, name, None)
        if isinstance(value, str) and value:
            return f": {value}"
    return ""
