"""RetryPolicy, Retry-After parsing and the tenacity wiring of the request pipeline.

Backoff is full jitter: ``sleep = uniform(0, min(backoff_max, backoff_base * 2**retry))`` where
``retry`` counts from 0 for the first retry. A server wait (``retry-after-ms``, or
``Retry-After`` as seconds or an HTTP date) replaces the backoff when present; one longer than
``max_retry_after`` is not slept: the error is raised at once with ``retry_after`` set.
"""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Mapping
from datetime import UTC

import attrs

from . import _constants as C
from ._errors import ConfigurationError


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

    def delay(self, retry: int, retry_after: float | None) -> float | None:
        """The wait before retry number `retry`: the server's `retry_after` when it gave one
        (None, meaning do not retry, when that is above `max_retry_after`), else the backoff."""
        if retry_after is None:
            return self.backoff(retry)
        return retry_after if retry_after <= self.max_retry_after else None

    def backoff(self, retry: int) -> float:
        """The full-jitter wait before retry number `retry` (0 for the first retry)."""
        # min() before pow overflows: 2**1100 is an OverflowError for floats.
        ceiling = (
            self.backoff_max
            if retry > 60
            else min(self.backoff_max, self.backoff_base * 2.0**retry)
        )
        return random.uniform(0.0, ceiling)


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
