"""Retries: Retry-After parsing, backoff, idempotency keys, X-Retry-Count, deadlines, logging."""

from __future__ import annotations

import email.utils
import logging
import re
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses
from multidict import CIMultiDict

import heygen_async as hg
from heygen_async._requests import Kind, Request
from heygen_async._retry import parse_retry_after

from .conftest import VirtualTime

URL = "https://api.test/v3/video-agents/sessions"
OK = {"data": {"session_id": "sess_1", "created_at": 1711382400}}
NOW = 1_700_000_000.0


def _date(offset: float) -> str:
    return email.utils.formatdate(NOW + offset, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": " 3 "}, 3.0),
        ({"Retry-After": "-1"}, None),
        ({"Retry-After": "86400"}, 86400.0),
        ({"Retry-After": "1e400"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "inf"}, None),
        ({"Retry-After": _date(30)}, 30.0),
        ({"Retry-After": _date(-30)}, 0.0),
        ({"Retry-After": "Wed, 99 Foo 2024 99:99:99 GMT"}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": ""}, None),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"retry-after-ms": "garbage", "Retry-After": "9"}, 9.0),
        ({"retry-after-ms": "-5"}, None),
        ({}, None),
    ],
)
def test_retry_after_table(headers: dict[str, str], expected: float | None) -> None:
    got = parse_retry_after(CIMultiDict(headers), NOW)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=1.0 if "GMT" in str(headers) else 1e-9)


@pytest.mark.parametrize("retry", [0, 1, 2, 3, 4, 10, 100, 5000])
def test_full_jitter_backoff_stays_within_its_cap(retry: int) -> None:
    policy = hg.RetryPolicy()
    ceiling = min(policy.backoff_max, policy.backoff_base * 2.0 ** min(retry, 60))
    waits = [policy.backoff(retry) for _ in range(200)]
    assert all(0.0 <= w <= ceiling for w in waits)
    assert max(waits) > ceiling / 2  # it is jitter over the whole range, not a constant


def _limited(seconds: float | None) -> hg.RateLimitError:
    return hg.RateLimitError(429, "rate_limit_exceeded", "slow down", retry_after=seconds)


CREATE = Request("POST", "/v3/video-agents", kind=Kind.CREATE)
WRITE = Request("POST", "/v3/video-agents/s1/stop", kind=Kind.WRITE)
READ = Request("GET", "/v3/video-agents/s1")


def test_the_server_wait_is_obeyed_up_to_the_cap() -> None:
    policy = hg.RetryPolicy(max_retry_after=10)
    assert policy.wait_before_retry(CREATE, _limited(3.0), 1, 0.0) == 3.0
    assert policy.wait_before_retry(CREATE, _limited(10.0), 1, 0.0) == 10.0
    assert policy.wait_before_retry(CREATE, _limited(10.5), 1, 0.0) is None  # above the cap
    for _ in range(50):  # no server wait: full jitter, uniform(0, 0.5 * 2**2) before retry 3
        wait = policy.wait_before_retry(CREATE, _limited(None), 3, 0.0)
        assert wait is not None and 0.0 <= wait <= 2.0


def _server_error() -> hg.InternalServerError:
    return hg.InternalServerError(503, "service_unavailable", "down")


def _in_progress() -> hg.ConflictError:
    return hg.ConflictError(409, "request_in_progress", "still running")


@pytest.mark.parametrize(
    ("policy", "request_", "error", "retried"),
    [
        (hg.RetryPolicy(), READ, _server_error(), True),
        (hg.RetryPolicy(), CREATE, _server_error(), True),
        (hg.RetryPolicy(retry_server_errors_on_create=False), CREATE, _server_error(), False),
        (hg.RetryPolicy(retry_server_errors_on_create=False), WRITE, _server_error(), True),
        (hg.RetryPolicy(retry_server_errors_on_create=False), CREATE, _limited(1.0), True),
        (hg.RetryPolicy(), CREATE, hg.APIConnectionError("reset"), True),
        (
            hg.RetryPolicy(retry_server_errors_on_create=False),
            CREATE,
            hg.APITimeoutError("slow"),
            False,
        ),
        (hg.RetryPolicy(), CREATE, _in_progress(), True),  # the first attempt is still running
        (hg.RetryPolicy(), WRITE, _in_progress(), True),
        (hg.RetryPolicy(), READ, _in_progress(), False),
        (hg.RetryPolicy(), CREATE, hg.ConflictError(409, "conflict", "no"), False),
        (hg.RetryPolicy(), CREATE, hg.BadRequestError(400, "invalid_parameter", "no"), False),
        (hg.RetryPolicy(retry_statuses={503}), READ, _limited(1.0), False),
    ],
)
def test_what_is_retried(
    policy: hg.RetryPolicy, request_: Request, error: Exception, retried: bool
) -> None:
    assert (policy.wait_before_retry(request_, error, 1, 0.0) is not None) is retried


def test_retries_stop_after_max_retries_and_at_the_deadline() -> None:
    policy = hg.RetryPolicy(max_retries=2, deadline=10.0)
    assert policy.wait_before_retry(READ, _limited(1.0), 2, 0.0) == 1.0  # the 2nd retry: allowed
    assert policy.wait_before_retry(READ, _limited(1.0), 3, 0.0) is None  # a 3rd: over budget
    assert policy.wait_before_retry(READ, _limited(1.0), 1, 8.5) == 1.0  # ends at 9.5 < 10
    assert policy.wait_before_retry(READ, _limited(1.0), 1, 9.5) is None  # would end past it


def test_a_409_in_progress_backs_off_instead_of_obeying_its_retry_after() -> None:
    policy = hg.RetryPolicy(backoff_base=0.5, backoff_max=8.0)
    error = hg.ConflictError(409, "request_in_progress", "running", retry_after=30.0)
    wait = policy.wait_before_retry(CREATE, error, 1, 0.0)
    assert wait is not None and wait <= 0.5


def _error(status: int, code: str, **headers: str) -> dict[str, Any]:
    return {
        "status": status,
        "payload": {"error": {"code": code, "message": f"{code} happened"}},
        "headers": {"X-Request-Id": f"req_{status}", **headers},
    }


def _sent(mocked: aioresponses, method: str = "POST", url: str = URL) -> list[Any]:
    from yarl import URL as Y

    return mocked.requests.get((method, Y(url)), [])


async def test_retries_429_then_succeeds_obeying_retry_after(
    make_client: Any, vtime: VirtualTime
) -> None:
    client = make_client()
    with aioresponses() as mocked:
        mocked.post(URL, **_error(429, "rate_limit_exceeded", **{"Retry-After": "2"}))
        mocked.post(URL, **_error(503, "service_unavailable", **{"Retry-After": "0.5"}))
        mocked.post(URL, payload=OK)
        session = await client.sessions.create(prompt="hello")
        calls = _sent(mocked)
    assert session.session_id == "sess_1"
    assert len(calls) == 3
    # Each retry waited what the server said: 2 s, then 0.5 s (the gate wait covers the 2 s).
    assert sum(vtime.sleeps) == pytest.approx(2.5)


async def test_idempotency_key_is_identical_across_attempts_and_new_per_call(
    make_client: Any,
) -> None:
    client = make_client()
    with aioresponses() as mocked:
        mocked.post(URL, **_error(500, "internal_error"))
        mocked.post(URL, **_error(502, "bad_gateway"))
        mocked.post(URL, payload=OK)
        mocked.post(URL, payload=OK)
        await client.sessions.create(prompt="one")
        await client.sessions.create(prompt="two")
        calls = _sent(mocked)
    keys = [c.kwargs["headers"]["Idempotency-Key"] for c in calls]
    assert len(keys) == 4
    assert keys[0] == keys[1] == keys[2]
    assert keys[3] != keys[0]
    for key in keys:
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key
        )
    assert [c.kwargs["headers"]["X-Retry-Count"] for c in calls] == ["0", "1", "2", "0"]


async def test_callers_idempotency_key_is_sent_on_every_attempt(make_client: Any) -> None:
    client = make_client()
    with aioresponses() as mocked:
        mocked.post(URL, **_error(503, "service_unavailable"))
        mocked.post(URL, payload=OK)
        await client.sessions.create(prompt="x", idempotency_key="order-42:video")
        calls = _sent(mocked)
    assert [c.kwargs["headers"]["Idempotency-Key"] for c in calls] == ["order-42:video"] * 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "slash/no", 42])
async def test_bad_idempotency_key_sends_nothing(make_client: Any, key: Any) -> None:
    client = make_client()
    with aioresponses() as mocked:
        with pytest.raises(hg.ValidationError) as caught:
            await client.sessions.create(prompt="x", idempotency_key=key)
        assert not mocked.requests
    assert caught.value.field == "idempotency_key"


async def test_gives_up_after_max_retries_with_the_last_error(
    make_client: Any, vtime: VirtualTime
) -> None:
    client = make_client(retry=hg.RetryPolicy(max_retries=2))
    with aioresponses() as mocked:
        mocked.post(URL, **_error(503, "service_unavailable"), repeat=True)
        with pytest.raises(hg.InternalServerError) as caught:
            await client.sessions.create(prompt="x")
        calls = _sent(mocked)
    assert len(calls) == 3
    assert [c.kwargs["headers"]["X-Retry-Count"] for c in calls] == ["0", "1", "2"]
    assert caught.value.status == 503
    assert len(vtime.sleeps) == 2
    assert vtime.sleeps[0] <= 0.5 and vtime.sleeps[1] <= 1.0  # full jitter under base * 2**n


async def test_retry_after_above_the_cap_raises_at_once(
    make_client: Any, vtime: VirtualTime
) -> None:
    client = make_client(retry=hg.RetryPolicy(max_retry_after=60))
    with aioresponses() as mocked:
        mocked.post(URL, **_error(429, "rate_limit_exceeded", **{"Retry-After": "3600"}))
        with pytest.raises(hg.RateLimitError) as caught:
            await client.sessions.create(prompt="x")
        assert len(_sent(mocked)) == 1
    assert caught.value.retry_after == 3600.0
    assert vtime.sleeps == []


async def test_non_retried_statuses_fail_at_once(make_client: Any) -> None:
    client = make_client()
    for status, code, cls in [
        (400, "invalid_parameter", hg.BadRequestError),
        (401, "unauthorized", hg.AuthenticationError),
        (402, "insufficient_credit", hg.InsufficientCreditError),
        (404, "not_found", hg.NotFoundError),
    ]:
        with aioresponses() as mocked:
            mocked.post(URL, **_error(status, code))
            with pytest.raises(cls):
                await client.sessions.create(prompt="x")
            assert len(_sent(mocked)) == 1


async def test_server_errors_on_create_can_be_left_unretried(make_client: Any) -> None:
    client = make_client(retry=hg.RetryPolicy(retry_server_errors_on_create=False))
    with aioresponses() as mocked:
        mocked.post(URL, **_error(503, "service_unavailable"))
        with pytest.raises(hg.InternalServerError):
            await client.sessions.create(prompt="x")
        assert len(_sent(mocked)) == 1
    with aioresponses() as mocked:
        mocked.post(URL, exception=aiohttp.ServerDisconnectedError())
        with pytest.raises(hg.APIConnectionError):
            await client.sessions.create(prompt="x")
        assert len(_sent(mocked)) == 1
    with aioresponses() as mocked:  # 429 is still retried: the server did not act on it
        mocked.post(URL, **_error(429, "rate_limit_exceeded", **{"Retry-After": "1"}))
        mocked.post(URL, payload=OK)
        await client.sessions.create(prompt="x")
        assert len(_sent(mocked)) == 2


async def test_connection_errors_and_timeouts_are_retried(make_client: Any) -> None:
    client = make_client()
    with aioresponses() as mocked:
        mocked.post(URL, exception=aiohttp.ClientConnectionError("reset"))
        mocked.post(URL, exception=TimeoutError())
        mocked.post(URL, payload=OK)
        session = await client.sessions.create(prompt="x")
        assert len(_sent(mocked)) == 3
    assert session.session_id == "sess_1"


async def test_timeouts_surface_as_api_timeout_error(make_client: Any) -> None:
    client = make_client(retry=hg.RetryPolicy(max_retries=0))
    with aioresponses() as mocked:
        mocked.post(URL, exception=TimeoutError())
        with pytest.raises(hg.APITimeoutError):
            await client.sessions.create(prompt="x")


async def test_request_in_progress_conflict_is_retried_for_keyed_posts(make_client: Any) -> None:
    client = make_client()
    with aioresponses() as mocked:
        mocked.post(URL, **_error(409, "request_in_progress"))
        mocked.post(URL, payload=OK)
        await client.sessions.create(prompt="x")
        calls = _sent(mocked)
    assert len(calls) == 2
    assert (
        calls[0].kwargs["headers"]["Idempotency-Key"]
        == calls[1].kwargs["headers"]["Idempotency-Key"]
    )


async def test_deadline_bounds_all_attempts_and_waits(make_client: Any, vtime: VirtualTime) -> None:
    client = make_client(retry=hg.RetryPolicy(max_retries=10, deadline=5.0))
    with aioresponses() as mocked:
        mocked.post(URL, **_error(503, "service_unavailable", **{"Retry-After": "2"}), repeat=True)
        with pytest.raises(hg.InternalServerError):
            await client.sessions.create(prompt="x")
        calls = _sent(mocked)
    # Attempts at t=0, 2, 4; the next wait would end at 6 > 5, so the call stops there.
    assert len(calls) == 3
    assert sum(vtime.sleeps) <= 5.0


async def test_deadline_shortens_the_per_attempt_timeout(
    make_client: Any, vtime: VirtualTime
) -> None:
    client = make_client(retry=hg.RetryPolicy(deadline=3.0), timeout=30)
    with aioresponses() as mocked:
        mocked.post(URL, payload=OK)
        await client.sessions.create(prompt="x")
        timeout = _sent(mocked)[0].kwargs["timeout"]
    assert timeout.total == pytest.approx(3.0)


async def test_gets_are_retried_too(make_client: Any) -> None:
    client = make_client()
    url = "https://api.test/v3/video-agents/sessions/sess_1"
    with aioresponses() as mocked:
        mocked.get(url, **_error(502, "bad_gateway"))
        session_data = {"session_id": "sess_1", "status": "processing", "created_at": 1}
        mocked.get(url, payload={"data": session_data})
        session = await client.sessions.get("sess_1")
        calls = _sent(mocked, "GET", url)
    assert session.status is hg.SessionStatus.PROCESSING
    assert "Idempotency-Key" not in calls[0].kwargs["headers"]
    assert [c.kwargs["headers"]["X-Retry-Count"] for c in calls] == ["0", "1"]


async def test_each_retry_is_logged_at_info(
    make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="heygen_async")
    client = make_client()
    with aioresponses() as mocked:
        mocked.post(URL, **_error(503, "service_unavailable", **{"Retry-After": "1"}))
        mocked.post(URL, payload=OK)
        await client.sessions.create(prompt="x")
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert messages == [
        "retrying POST /v3/video-agents/sessions: attempt 2/4 after 503 service_unavailable, "
        "waiting 1.00s (request id req_503)"
    ]


async def test_debug_logs_every_request_and_response(
    make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="heygen_async")
    client = make_client()
    with aioresponses() as mocked:
        mocked.post(URL, payload=OK, headers={"X-Request-Id": "req_ok"})
        await client.sessions.create(prompt="x")
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert lines[0] == "-> POST /v3/video-agents/sessions (attempt 1)"
    assert lines[1].startswith("<- 200 POST /v3/video-agents/sessions in ")
    assert lines[1].endswith("(request id req_ok)")


def test_heygen_log_env_turns_on_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    from heygen_async import _logging

    logger = logging.getLogger("heygen_async")
    monkeypatch.setattr(_logging, "_configured", False)
    monkeypatch.setenv("HEYGEN_LOG", "debug")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    hg.AsyncHeyGen("k")
    assert logger.level == logging.DEBUG
    assert logger.handlers


async def test_cancellation_propagates_and_releases_the_slot(make_client: Any) -> None:
    import asyncio

    client = make_client(max_concurrent_creates=1)
    entered = asyncio.Event()

    async def slow_once(url: Any, **kwargs: Any) -> CallbackResult:
        # aioresponses keeps a matcher whose callback was cancelled: only hang the first time.
        if not entered.is_set():
            entered.set()
            await asyncio.sleep(30)
        return CallbackResult(payload=OK)

    with aioresponses() as mocked:
        mocked.post(URL, callback=slow_once, repeat=True)
        task = asyncio.create_task(client.sessions.create(prompt="x"))
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client.limiter.in_flight == 0
        await client.sessions.create(prompt="after")
