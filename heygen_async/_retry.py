"""What is retried and how long it waits: `RetryPolicy`, as tenacity strategies.

Retried (`_is_retryable`, the tenacity `retry` strategy):
- a status in `retry_statuses` (default 429, 500, 502, 503, 504), connection errors and
  timeouts; for creates, 5xx/connection errors only while `retry_server_errors_on_create`;
- a 409 ``request_in_progress`` of a keyed write: the first attempt with that
  Idempotency-Key is still running at HeyGen, so asking again later gets its reply;
- a `LimiterError` (the shared limiter's Redis failed before anything was sent);
- never a server wait above `max_retry_after`: that error is raised at once.

How long (`_WaitServerOrJitter`, the `wait` strategy): the server's wait (``retry-after-ms``,
or ``Retry-After`` as seconds or an HTTP date) when it gave one, else full jitter:
``uniform(0, min(backoff_max, backoff_base * 2**retry))``, ``retry`` counting from 0.

When to stop (the `stop` strategy): after `max_retries` retries, or when the wait would end past the
call's `deadline`.

The pipeline's one loop (`Pipeline.call`) runs a call's first attempt with no tenacity object
at all (the common case); only after a failure does it ask `RetryPolicy.wait_before_retry`,
which puts the failure to the tenacity strategies, built once per policy.
"""

from __future__ import annotations

import email.utils
import functools
import math
import random
from collections.abc import Mapping
from datetime import UTC
from typing import TYPE_CHECKING

import attrs

from . import _constants as C
from ._errors import APIConnectionError, APIError, ConfigurationError, LimiterError
from ._requests import Kind, Request

if TYPE_CHECKING:
    import tenacity


def _non_negative(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ConfigurationError(
            f"RetryPolicy.{attribute.name} must be a number >= 0, not {value!r}"
        )


def _max_retries(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"RetryPolicy.max_retries must be an int >= 0, not {value!r}")


def _deadline(_: object, attribute: attrs.Attribute[float | None], value: float | None) -> None:
    if value is not None:
        _non_negative(_, attribute, value)  # type: ignore[arg-type]
        if value == 0:
            raise ConfigurationError("RetryPolicy.deadline must be > 0 (or None)")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How a call is retried.

    Retried: the statuses in `retry_statuses`, connection errors and timeouts, up to
    `max_retries` times after the first attempt, all within `deadline` seconds (None: no
    deadline). Creates are always retried on 429; on 5xx, connection errors and timeouts only
    while `retry_server_errors_on_create` is true (the default, made safe by the
    Idempotency-Key every create carries).
    """

    max_retries: int = attrs.field(default=C.DEFAULT_MAX_RETRIES, validator=_max_retries)
    retry_statuses: frozenset[int] = attrs.field(
        default=C.DEFAULT_RETRY_STATUSES, converter=frozenset
    )
    backoff_base: float = attrs.field(default=C.DEFAULT_BACKOFF_BASE, validator=_non_negative)
    backoff_max: float = attrs.field(default=C.DEFAULT_BACKOFF_MAX, validator=_non_negative)
    max_retry_after: float = attrs.field(default=C.DEFAULT_MAX_RETRY_AFTER, validator=_non_negative)
    deadline: float | None = attrs.field(default=None, validator=_deadline)
    retry_server_errors_on_create: bool = True

    def wait_before_retry(
        self, request: Request, error: BaseException, attempts: int, elapsed: float
    ) -> float | None:
        """Seconds to wait before retrying `request` after `error`, or None: do not retry.

        `attempts` were made so far; `elapsed` seconds have passed since the call started.
        """
        import tenacity  # on the first failure only: `import heygen_async` need not pay it

        retrying = _strategies(self)
        state = tenacity.RetryCallState(retrying, None, (request,), {})
        state.attempt_number = attempts
        state.start_time, state.outcome_timestamp = 0.0, elapsed
        state.outcome = tenacity.Future.construct(attempts, error, True)
        if not retrying.retry(state):
            return None
        state.upcoming_sleep = retrying.wait(state)
        if retrying.stop(state):
            return None
        return state.upcoming_sleep

    def backoff(self, retry: int) -> float:
        """The full-jitter wait before retry number `retry` (0 for the first retry)."""
        # min() before pow overflows: 2**1100 is an OverflowError for floats.
        ceiling = (
            self.backoff_max
            if retry > 60
            else min(self.backoff_max, self.backoff_base * 2.0**retry)
        )
        return random.uniform(0.0, ceiling)


def _is_retryable(policy: RetryPolicy, request: Request, error: BaseException) -> bool:
    if isinstance(error, APIError):
        status = error.status
        if status == 409:
            return error.code == "request_in_progress" and request.kind is not Kind.READ
        if status not in policy.retry_statuses:
            return False
        if error.retry_after is not None and error.retry_after > policy.max_retry_after:
            return False  # raised at once, with retry_after set: the caller decides
        creates_ok = status == 429 or policy.retry_server_errors_on_create
        return request.kind is not Kind.CREATE or creates_ok
    if isinstance(error, APIConnectionError):
        return request.kind is not Kind.CREATE or policy.retry_server_errors_on_create
    # The limiter (Redis) failed before anything was sent: always safe to try again.
    return isinstance(error, LimiterError)


def _server_wait(error: BaseException) -> float | None:
    if isinstance(error, APIError) and error.status != 409:
        return error.retry_after
    return None


class _RetryIfRetryable:
    """tenacity's `retry` strategy: is the failure of this attempt worth another?"""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, state: tenacity.RetryCallState) -> bool:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None and outcome.failed else None
        return error is not None and _is_retryable(self.policy, state.args[0], error)


class _WaitServerOrJitter:
    """tenacity's `wait` strategy: the server's wait when it gave one, else full jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        server = _server_wait(error) if error is not None else None
        return server if server is not None else self.policy.backoff(state.attempt_number - 1)


@functools.lru_cache(maxsize=64)
def _strategies(policy: RetryPolicy) -> tenacity.AsyncRetrying:
    """The policy as tenacity strategies (retry, wait, stop), built once per policy."""
    import tenacity

    stop: tenacity.stop.stop_base = tenacity.stop_after_attempt(policy.max_retries + 1)
    if policy.deadline is not None:
        stop = stop | tenacity.stop_before_delay(policy.deadline)
    return tenacity.AsyncRetrying(
        retry=_RetryIfRetryable(policy), wait=_WaitServerOrJitter(policy), stop=stop
    )


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """The server's requested wait in seconds, or None when it gave none that makes sense.

    `retry-after-ms` wins over `Retry-After`; `Retry-After` may be seconds (fractions allowed)
    or an HTTP date, which is compared with `now` (Unix seconds). A date in the past means 0.
    Negative, NaN, infinite and unparsable values are ignored.
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        seconds = _finite_non_negative(millis)
        if seconds is not None:
            return seconds / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _finite_non_negative(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return max(0.0, when.timestamp() - now)
    except (OverflowError, OSError, ValueError):
        return None


def _finite_non_negative(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return value
