"""One request's trip: limits, then the retry loop, then the transport, then error decoding.

`Pipeline.call` is the one retry loop of the SDK: API calls, paged lists, downloads and
direct-upload PUTs all go through it. What is retried and how long it waits is decided by
the client's `RetryPolicy` (`_retry.py`); this module only carries out the decision: it holds
a create slot while an attempt runs (never while it sleeps), shortens each attempt's timeout
to the call's deadline, closes the cool-down gate on a 429, sleeps, and logs each retry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, TypeVar

from . import _constants as C
from ._decode import error_from_response
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    LimiterError,
    RateLimitError,
)
from ._limits import Limiter
from ._logging import logger
from ._requests import Kind, Request
from ._retry import RetryPolicy
from ._transport import RawResponse, StreamedResponse, Timeout, Transport, url_path

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[Any]]
Clock = Callable[[], float]
# Reads the body of a streamed 2xx reply (a download); raises APIConnectionError when cut off.
Consume = Callable[[StreamedResponse], Awaitable[T]]

# An error reply of a streamed request is read for its message, up to this many bytes.
_STREAMED_ERROR_BODY = 1 << 16


class Pipeline:
    """Sends `Request`s under the client's retry policy, limits, timeouts and size cap."""

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        transport: Transport,
        retry: RetryPolicy,
        timeout: Timeout,
        limiter: Limiter,
        sleep: Sleep,
        clock: Clock,
        max_response_bytes: int,
    ) -> None:
        self.base_url = base_url
        self.headers = dict(headers)
        # A presigned storage URL gets none of the API's headers (never the key).
        self.external_headers = {"User-Agent": self.headers.get("User-Agent", "")}
        self.transport = transport
        self.retry = retry
        self.timeout = timeout
        # Downloads have no overall limit (a video of any size); a stalled read still fails.
        self.stream_timeout = Timeout(
            None, connect=timeout.connect, read=timeout.read or C.DOWNLOAD_READ_TIMEOUT
        )
        self.limiter = limiter
        self.sleep = sleep
        self.clock = clock
        self.max_response_bytes = max_response_bytes
        self.retries = 0  # retries this pipeline has made, for progress reports

    def send(self, request: Request) -> Coroutine[Any, Any, RawResponse]:
        """The 2xx reply to `request`, or the typed error of its last attempt (await it)."""
        return self.call(request, None)  # not a coroutine itself: one frame less per call

    async def stream(self, request: Request, consume: Consume[T]) -> T:
        """What `consume` makes of the streamed 2xx reply to `request` (a download).

        A failure while `consume` reads (a connection cut mid-body) is retried like any
        other: the request is sent again and `consume` starts over.
        """
        result: T = await self.call(request, consume)
        return result

    async def call(self, request: Request, consume: Consume[T] | None) -> Any:
        """The one retry loop: attempt, and on a failure ask the policy whether and how long."""
        policy = self.retry
        deadline = policy.deadline
        started = self.clock() if deadline is not None else 0.0
        deadline_at = None if deadline is None else started + deadline
        gated = request.kind is Kind.CREATE
        base = self.timeout if consume is None else self.stream_timeout
        attempt = 0
        while True:
            # Past the deadline: raised as is, never retried.
            timeout = base if deadline_at is None else self._within(base, deadline_at)
            holds_slot = False
            try:
                try:
                    if gated:
                        pause = await (
                            self.limiter.acquire()
                            if deadline_at is None
                            else self._acquire(deadline_at)
                        )
                        holds_slot = pause <= 0
                        if not holds_slot:
                            await self._wait_for_gate(pause, deadline_at)
                            holds_slot = True
                    url, headers = self._prepare(request, attempt)
                    if consume is not None:
                        return await self._stream_once(request, url, headers, timeout, consume)
                    if logger.isEnabledFor(logging.DEBUG):
                        response = await self._send_logged(request, url, headers, timeout, attempt)
                    else:
                        response = await self.transport.send(
                            request.method,
                            url,
                            headers,
                            request.body,
                            timeout=timeout,
                            max_body=self.max_response_bytes,
                        )
                    if 200 <= response.status < 300:
                        return response
                    raise error_from_response(
                        response.status, response.headers, response.body, time.time()
                    )
                finally:
                    if holds_slot:  # the slot goes back before any wait: a sleeping call holds none
                        try:
                            await self.limiter.release()
                        except LimiterError as exc:
                            # The call's outcome stands (a created session must reach its
                            # caller): the slot is a lease and expires by itself.
                            logger.warning(
                                "could not give back a create slot (%s); its lease will expire",
                                exc,
                            )
            except (APIError, APIConnectionError, LimiterError) as error:
                attempt += 1
                elapsed = self.clock() - started if deadline is not None else 0.0
                wait = policy.wait_before_retry(request, error, attempt, elapsed)
                if isinstance(error, APIError) and error.status == 429:
                    await self._cool_down(wait if wait is not None else error.retry_after)
                if wait is None:
                    raise
                self.retries += 1
                if logger.isEnabledFor(logging.INFO):
                    _log_retry(request, error, attempt, policy.max_retries, wait)
                await self.sleep(wait)

    async def _cool_down(self, seconds: float | None) -> None:
        """Close the create gate after a 429; a limiter that fails here is logged, not raised."""
        try:
            await self.limiter.start_cooldown(seconds or 0.0)
        except LimiterError as exc:
            logger.warning("could not share a 429 cool-down (%s)", exc)

    def _prepare(self, request: Request, attempt: int) -> tuple[str, dict[str, str]]:
        """The URL and headers of one attempt: the API's (with the key) or, for a presigned
        storage URL, only the User-Agent and the request's own."""
        if request.external:
            return request.path, {**self.external_headers, **(request.headers or {})}
        headers = {**self.headers, "X-Retry-Count": str(attempt)}
        if request.content_type is not None:
            headers["Content-Type"] = request.content_type
        if request.idempotency_key is not None:
            headers["Idempotency-Key"] = request.idempotency_key
        return self.base_url + request.path, headers

    async def _stream_once(
        self,
        request: Request,
        url: str,
        headers: Mapping[str, str],
        timeout: Timeout,
        consume: Consume[T],
    ) -> T:
        async with self.transport.stream(request.method, url, headers, timeout=timeout) as reply:
            if 200 <= reply.status < 300:
                return await consume(reply)
            body = bytearray()
            async for chunk in reply.chunks:
                body += chunk
                if len(body) >= _STREAMED_ERROR_BODY:
                    break
            raise error_from_response(reply.status, reply.headers, bytes(body), time.time())

    async def _send_logged(
        self,
        request: Request,
        url: str,
        headers: Mapping[str, str],
        timeout: Timeout,
        attempt: int,
    ) -> RawResponse:
        where = url_path(url) if request.external else request.path
        logger.debug("-> %s %s (attempt %d)", request.method, where, attempt + 1)
        started = time.perf_counter()
        response = await self.transport.send(
            request.method,
            url,
            headers,
            request.body,
            timeout=timeout,
            max_body=self.max_response_bytes,
        )
        logger.debug(
            "<- %d %s %s in %.1f ms (request id %s)",
            response.status,
            request.method,
            where,
            (time.perf_counter() - started) * 1000,
            response.headers.get("x-request-id"),
        )
        return response

    def _within(self, timeout: Timeout, deadline_at: float) -> Timeout:
        remaining = deadline_at - self.clock()
        if remaining <= 0:
            raise APITimeoutError(f"the call's deadline of {self.retry.deadline}s has passed")
        return timeout.within(remaining)

    async def _wait_for_gate(self, pause: float, deadline_at: float | None) -> None:
        """Wait out the cool-down gate, then take a create slot, within the call's deadline."""
        while pause > 0:
            if pause > self.retry.max_retry_after:
                raise RateLimitError(
                    429,
                    "rate_limit_exceeded",
                    f"creates are cooling down for {pause:.1f}s after a 429, longer "
                    f"than max_retry_after ({self.retry.max_retry_after}s)",
                    retry_after=pause,
                )
            if deadline_at is not None and self.clock() + pause > deadline_at:
                raise APITimeoutError(
                    f"creates are cooling down for {pause:.1f}s, past the call's deadline"
                )
            await self.sleep(pause)
            pause = await self._acquire(deadline_at)

    async def _acquire(self, deadline_at: float | None) -> float:
        if deadline_at is None:
            return await self.limiter.acquire()
        try:
            async with asyncio.timeout(max(0.0, deadline_at - self.clock())):
                return await self.limiter.acquire()
        except TimeoutError:
            raise APITimeoutError("no create slot came free before the call's deadline") from None


def _log_retry(
    request: Request, error: BaseException, attempt: int, max_retries: int, wait: float
) -> None:
    if isinstance(error, APIError):
        reason = f"{error.status} {error.code}"
        request_id = error.request_id
    else:
        reason = f"{type(error).__name__}: {error}"
        request_id = None
    logger.info(
        "retrying %s %s: attempt %d/%d after %s, waiting %.2fs (request id %s)",
        request.method,
        url_path(request.path),
        attempt + 1,
        max_retries + 1,
        reason,
        wait,
        request_id,
    )
