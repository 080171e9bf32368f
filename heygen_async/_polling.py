"""Polling with backoff and jitter under a deadline, on the client's injectable sleep and clock,
and the one `wait` every job kind shares (`wait_for_job`)."""

from __future__ import annotations

import inspect
import random
from collections.abc import Awaitable, Callable, Collection
from typing import Any, TypeVar

import attrs

from . import _constants as C
from ._errors import ActionRequiredError, JobFailedError, ValidationError, WaitTimeoutError
from ._pipeline import Clock, Sleep

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


class Poller:
    """Runs `fetch` until `done(state)` under a schedule; reports each state to `on_progress`."""

    def __init__(
        self,
        schedule: PollSchedule,
        *,
        sleep: Sleep,
        clock: Clock,
        on_progress: ProgressCallback[Any] | None,
        what: str,
    ) -> None:
        self.schedule = schedule
        self.sleep = sleep
        self.clock = clock
        self.on_progress = on_progress
        self.what = what
        self.deadline = None if schedule.timeout is None else clock() + schedule.timeout
        self.last: Any = None
        self.polls = 0

    async def report(self, state: Any) -> None:
        self.last = state
        if self.on_progress is not None:
            result = self.on_progress(state)
            if inspect.isawaitable(result):
                await result

    async def pause(self) -> None:
        """Sleep until the next poll, or raise WaitTimeoutError if the deadline has come."""
        delay = self.schedule.delay(self.polls)
        self.polls += 1
        if self.deadline is not None:
            remaining = self.deadline - self.clock()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"{self.what} did not finish within {self.schedule.timeout}s "
                    f"(last status: {getattr(self.last, 'status', None)})",
                    self.last,
                )
            delay = min(delay, remaining)
        await self.sleep(delay)


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
