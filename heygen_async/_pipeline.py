"""The request pipeline: limits, then retries, then the transport, then decoding of errors.

Every call runs its first attempt directly (the common case costs no retry machinery); a
retryable failure hands the call to a tenacity `AsyncRetrying` built from the client's
`RetryPolicy`, which replays that first failure and then drives the waits and later attempts.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

import aiohttp
import tenacity

from ._decode import error_from_response
from ._errors import APIConnectionError, APIError, APITimeoutError, HeyGenError, RateLimitError
from ._limits import Limiter
from ._logging import logger
from ._retry import RetryPolicy
from ._transport import AiohttpTransport, RawResponse, Timeout

Sleep = Callable[[float], Awaitable[Any]]
Clock = Callable[[], float]


class Kind(enum.Enum):
    READ = "read"  # GET: always safe to retry
    WRITE = "write"  # a keyed POST that creates nothing paid (messages, stop)
    CREATE = "create"  # a keyed POST that starts a paid job: bounded and gated by the limiter


class Request:
    """One logical call: what to send, how careful to be with it, and its state across attempts.

    A Request is sent once (by one `Pipeline.send`); make a new one per call.
    """

    __slots__ = (
        "attempt",
        "body",
        "content_type",
        "deadline_at",
        "first_error",
        "idempotency_key",
        "kind",
        "method",
        "next_wait",
        "path",
        "retrying",
    )

    def __init__(
        self,
        method: str,
        path: str,
        *,
        kind: Kind = Kind.READ,
        body: bytes | Callable[[], aiohttp.FormData] | None = None,
        content_type: str | None = "application/json",
        idempotency_key: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.kind = kind
        self.body = body
        self.content_type = content_type if isinstance(body, bytes) else None
        self.idempotency_key = idempotency_key
        self.attempt = 0  # attempts made so far
        self.deadline_at: float | None = None  # on the pipeline's clock
        self.next_wait: float | None = None  # the wait before the next attempt; None: stop
        self.first_error: BaseException | None = None  # handed from the first try to tenacity
        self.retrying = False  # tenacity drives the attempts from the second on


class Pipeline:
    """Sends `Request`s to HeyGen under the client's retry policy, limits and timeouts."""

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        transport: AiohttpTransport,
        retry: RetryPolicy,
        timeout: Timeout,
        limiter: Limiter,
        sleep: Sleep,
        clock: Clock,
    ) -> None:
        self.base_url = base_url
        self.headers = dict(headers)
        self.transport = transport
        self.retry = retry
        self.timeout = timeout
        self.limiter = limiter
        self.sleep = sleep
        self.clock = clock
        self._aiohttp_timeout = timeout.to_aiohttp()
        self.retries = 0  # retries this pipeline has made, for progress reports
        self._retrying = tenacity.AsyncRetrying(
            sleep=sleep,
            retry=self._should_retry,
            wait=self._wait,
            stop=self._should_stop,
            before_sleep=self._before_retry,
            reraise=True,
        )

    def send(self, request: Request) -> Coroutine[Any, Any, RawResponse]:
        """The 2xx reply to `request`, or the typed error of its last attempt (await it)."""
        deadline = self.retry.deadline
        if deadline is not None:
            request.deadline_at = self.clock() + deadline
        return self._attempt(request)

    async def _retry(self, call: Request) -> RawResponse:
        """Hand a call whose first attempt failed to tenacity, which replays that failure."""
        call.retrying = True
        retrying = self._retrying.copy()
        response: RawResponse = await retrying(self._replay_then_attempt, call)
        return response

    async def _replay_then_attempt(self, call: Request) -> RawResponse:
        first, call.first_error = call.first_error, None
        if first is not None:
            raise first
        return await self._attempt(call)

    async def _attempt(self, request: Request) -> RawResponse:
        """One attempt. A retryable failure of a request's first attempt starts its retries."""
        request.next_wait = None
        headers = {**self.headers, "X-Retry-Count": str(request.attempt)}
        if request.content_type is not None:
            headers["Content-Type"] = request.content_type
        if request.idempotency_key is not None:
            headers["Idempotency-Key"] = request.idempotency_key
        timeout = (
            self._aiohttp_timeout if request.deadline_at is None else self._timeout_for(request)
        )
        gated = request.kind is Kind.CREATE
        if gated:
            pause = await (
                self.limiter.acquire() if request.deadline_at is None else self._acquire(request)
            )
            if pause > 0:
                await self._enter_create(request, pause)
        failure: APIError | APIConnectionError
        try:
            # A multipart body is built afresh per attempt: aiohttp consumes it when sent.
            body = request.body() if callable(request.body) else request.body
            if logger.isEnabledFor(logging.DEBUG):
                response = await self._send_logged(request, headers, body, timeout)
            else:
                response = await self.transport.send(
                    request.method, self.base_url + request.path, headers, body, timeout
                )
            if 200 <= response.status < 300:
                return response
            failure = error_from_response(
                response.status, response.headers, response.body, time.time()
            )
            request.next_wait = self._planned_wait(request, failure)
            if response.status == 429:
                wait = request.next_wait if request.next_wait is not None else failure.retry_after
                await self.limiter.start_cooldown(wait or 0.0)
        except APIConnectionError as exc:
            request.next_wait = self._planned_wait(request, exc)
            failure = exc
        finally:
            # The slot goes back before any wait: a sleeping request holds none.
            request.attempt += 1
            if gated:
                await self.limiter.release()
        if request.retrying or request.next_wait is None:
            raise failure
        request.first_error = failure
        return await self._retry(request)

    async def _send_logged(
        self, request: Request, headers: dict[str, str], body: Any, timeout: aiohttp.ClientTimeout
    ) -> RawResponse:
        logger.debug("-> %s %s (attempt %d)", request.method, request.path, request.attempt + 1)
        started = time.perf_counter()
        response = await self.transport.send(
            request.method, self.base_url + request.path, headers, body, timeout
        )
        logger.debug(
            "<- %d %s %s in %.1f ms (request id %s)",
            response.status,
            request.method,
            request.path,
            (time.perf_counter() - started) * 1000,
            response.headers.get("x-request-id"),
        )
        return response

    def _timeout_for(self, call: Request) -> aiohttp.ClientTimeout:
        assert call.deadline_at is not None
        remaining = call.deadline_at - self.clock()
        if remaining <= 0:
            raise APITimeoutError(f"the call's deadline of {self.retry.deadline}s has passed")
        return self.timeout.to_aiohttp(remaining)

    async def _enter_create(self, call: Request, pause: float) -> None:
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
            if call.deadline_at is not None and self.clock() + pause > call.deadline_at:
                raise APITimeoutError(
                    f"creates are cooling down for {pause:.1f}s, past the call's deadline"
                )
            await self.sleep(pause)
            pause = await self._acquire(call)

    async def _acquire(self, call: Request) -> float:
        if call.deadline_at is None:
            return await self.limiter.acquire()
        try:
            async with asyncio.timeout(max(0.0, call.deadline_at - self.clock())):
                return await self.limiter.acquire()
        except TimeoutError:
            raise APITimeoutError("no create slot came free before the call's deadline") from None

    def _planned_wait(self, call: Request, error: HeyGenError) -> float | None:
        """The wait before retrying after `error`, or None when it must not be retried."""
        policy = self.retry
        kind = call.kind
        if isinstance(error, APIError):
            status = error.status
            if status == 409 and error.code == "request_in_progress" and kind is not Kind.READ:
                # The first attempt of this Idempotency-Key is still running at HeyGen: ask
                # again later and get its reply, instead of failing a job that exists.
                return policy.backoff(call.attempt)
            if status not in policy.retry_statuses:
                return None
            if kind is Kind.CREATE and status != 429 and not policy.retry_server_errors_on_create:
                return None
            return policy.delay(call.attempt, error.retry_after)
        if isinstance(error, APIConnectionError):
            if kind is Kind.CREATE and not policy.retry_server_errors_on_create:
                return None
            return policy.backoff(call.attempt)
        return None

    # tenacity callbacks: the call is the first positional argument of the retried function.

    @staticmethod
    def _call_of(state: tenacity.RetryCallState) -> Request:
        call: Request = state.args[0]
        return call

    def _should_retry(self, state: tenacity.RetryCallState) -> bool:
        outcome = state.outcome
        return outcome is not None and outcome.failed and self._call_of(state).next_wait is not None

    def _wait(self, state: tenacity.RetryCallState) -> float:
        return self._call_of(state).next_wait or 0.0

    def _should_stop(self, state: tenacity.RetryCallState) -> bool:
        call = self._call_of(state)
        if state.attempt_number > self.retry.max_retries:
            return True
        wait = call.next_wait or 0.0
        return call.deadline_at is not None and self.clock() + wait > call.deadline_at

    def _before_retry(self, state: tenacity.RetryCallState) -> None:
        self.retries += 1
        if not logger.isEnabledFor(logging.INFO):
            return
        call = self._call_of(state)
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, APIError):
            reason = f"{error.status} {error.code}"
            request_id = error.request_id
        else:
            reason = f"{type(error).__name__}: {error}"
            request_id = None
        logger.info(
            "retrying %s %s: attempt %d/%d after %s, waiting %.2fs (request id %s)",
            call.method,
            call.path,
            state.attempt_number + 1,
            self.retry.max_retries + 1,
            reason,
            call.next_wait or 0.0,
            request_id,
        )
