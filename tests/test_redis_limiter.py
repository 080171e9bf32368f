"""RedisLimiter against a real redis-server: a global cap, leases, a shared cool-down, a rate,
and what happens when that Redis is absent, paused (SIGSTOP), or killed and restarted.

Waits are judged by Redis's own clock and records (slot lease expiries, rate start times,
cool-down TTLs), never by this process's wall clock; every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from redis import exceptions as redis_errors

import heygen_async as hg
from heygen_async.limits import RedisLimiter
from heygen_async.testing import FakeHeyGen

from .redis_server import RedisServer, free_port, redis_server, running_redis


@pytest.fixture
def server() -> Iterator[RedisServer]:
    """A redis-server the test may pause, kill and restart; killed on teardown."""
    with running_redis() as running:
        yield running


@pytest.fixture
def redis_url(server: RedisServer) -> str:
    return server.url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Any]:
    """A plain client on the same server, to read what the limiters wrote."""
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


async def _redis_ms(redis: Any) -> int:
    """The Redis server's clock in milliseconds (the clock the limiter's scripts use)."""
    seconds, micros = await redis.time()
    return int(seconds) * 1000 + int(micros) // 1000


async def _client_count(redis: Any) -> int:
    return int((await redis.info("clients"))["connected_clients"])


async def _worker(
    fake: FakeHeyGen, url: str, count: int, cap: int, *extra: str
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.redis_worker",
        fake.url,
        url,
        str(count),
        str(cap),
        *extra,
        stdout=asyncio.subprocess.PIPE,
    )


async def test_four_worker_processes_share_a_global_cap_of_five(redis_url: str) -> None:
    async with FakeHeyGen(step_seconds=None, create_latency=0.02) as fake:
        workers = [await _worker(fake, redis_url, 50, 5) for _ in range(4)]
        outputs = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in workers)), 120)
    assert [w.returncode for w in workers] == [0, 0, 0, 0], outputs
    assert len(fake.sessions) == 200
    assert fake.peak_in_flight_creates <= 5  # never more than the global cap...
    assert fake.peak_in_flight_creates == 5  # ...and the cap is actually used


async def test_a_killed_workers_slot_returns_after_its_lease(redis_url: str, redis: Any) -> None:
    async with asyncio.timeout(30), FakeHeyGen(step_seconds=None) as fake:
        holder = await _worker(fake, redis_url, 0, 1, "hold")  # lease_seconds=1.0
        assert holder.stdout is not None
        assert (await holder.stdout.readline()).strip() == b"holding"
        holder.kill()
        await holder.wait()
    [(dead_token, dead_expiry)] = await redis.zrange("test:slots", 0, -1, withscores=True)
    assert dead_expiry - await _redis_ms(redis) <= 1000  # a lease is 1 s at most

    limiter = RedisLimiter(redis_url, namespace="test", max_concurrent_creates=1, lease_seconds=5)
    try:
        async with asyncio.timeout(10):
            assert await limiter.acquire() == 0.0
            [(token, expiry)] = await redis.zrange("test:slots", 0, -1, withscores=True)
            await limiter.release()
    finally:
        await limiter.aclose()
    assert token != dead_token  # the dead worker's slot was reclaimed, not shared
    # Redis scored the new slot (taken at + 5 s lease): it was taken once the dead lease ran out.
    assert expiry - 5000 >= dead_expiry
    assert await redis.zcard("test:slots") == 0


async def test_a_429_seen_by_one_worker_holds_back_the_others(redis_url: str) -> None:
    first = RedisLimiter(redis_url, namespace="cool", max_concurrent_creates=4)
    second = RedisLimiter(redis_url, namespace="cool", max_concurrent_creates=4)
    told_to_wait: list[tuple[float, int]] = []  # (seconds, b's creates the server had seen)

    def creates_by_b(fake: FakeHeyGen) -> int:
        return sum(1 for r in fake.creates() if (r.json or {}).get("prompt") == "b")

    try:
        async with (
            asyncio.timeout(30),
            FakeHeyGen(step_seconds=None) as fake,
        ):

            async def sleep(seconds: float) -> None:
                told_to_wait.append((seconds, creates_by_b(fake)))
                await asyncio.sleep(seconds)

            fake.fail("/v3/video-agents$", method="POST", status=429, retry_after=1)
            async with (
                fake.client(limiter=first) as a,
                fake.client(limiter=second, sleep=sleep) as b,
            ):
                meets_429 = asyncio.create_task(a.video_agents.create(prompt="a"))
                # b's limiter sees the cool-down of a's 429 (polling Redis: no event to wait on)
                while await second.cooldown_remaining() == 0.0:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                await b.video_agents.create(prompt="b")
                await meets_429
    finally:
        await first.aclose()
        await second.aclose()
    assert told_to_wait, "b started a create during the shared cool-down"
    seconds, seen = told_to_wait[0]
    assert 0 < seconds <= 1.0  # what was left of a's Retry-After: 1
    assert seen == 0  # b had sent nothing before it was told to wait
    assert [r.status for r in fake.creates()].count(429) == 1
    assert creates_by_b(fake) == 1
    assert len([r for r in fake.creates() if r.status == 200]) == 2


async def test_cool_down_state_is_shared_and_never_shortened(redis_url: str, redis: Any) -> None:
    limiter = RedisLimiter(redis_url, namespace="state")
    other = RedisLimiter(redis_url, namespace="state")
    try:
        async with asyncio.timeout(10):
            assert await limiter.cooldown_remaining() == 0.0
            await limiter.start_cooldown(5)
            await limiter.start_cooldown(1)  # shorter: ignored
            assert 4000 < await redis.pttl("state:cooldown") <= 5000
            assert 4.0 <= await other.cooldown_remaining() <= 5.0  # another worker sees it
            assert await other.acquire() > 4.0  # the gate is closed: no slot taken
            assert other.in_flight == 0
            assert await redis.zcard("state:slots") == 0
    finally:
        await limiter.aclose()
        await other.aclose()


async def test_requests_per_interval_rate(redis_url: str, redis: Any) -> None:
    limiter = RedisLimiter(redis_url, namespace="rate", max_concurrent_creates=10, rate=(3, 0.5))
    started: list[float] = []  # when Redis admitted each start (ms, its own clock)
    try:
        async with asyncio.timeout(10):
            for _ in range(7):
                assert await limiter.acquire() == 0.0
                [(_, at)] = await redis.zrange("rate:rate", -1, -1, withscores=True)
                started.append(at)
                await limiter.release()
    finally:
        await limiter.aclose()
    assert started == sorted(started)
    # Never a 4th start within 0.5 s of the 1st: each start waited for the window to pass.
    assert all(later - earlier >= 500 for earlier, later in zip(started, started[3:], strict=False))


async def test_leases_are_renewed_while_held(redis_url: str, redis: Any) -> None:
    holder = RedisLimiter(redis_url, namespace="renew", max_concurrent_creates=1, lease_seconds=1)
    other = RedisLimiter(redis_url, namespace="renew", max_concurrent_creates=1, lease_seconds=1)
    waiting: asyncio.Task[float] | None = None
    try:
        async with asyncio.timeout(15):
            await holder.acquire()
            [(token, first_expiry)] = await redis.zrange("renew:slots", 0, -1, withscores=True)
            waiting = asyncio.create_task(other.acquire())
            # Two leases pass by Redis's clock: unrenewed, the slot would have expired.
            while (now := await _redis_ms(redis)) < first_expiry + 1000:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            [(still, expiry)] = await redis.zrange("renew:slots", 0, -1, withscores=True)
            assert still == token
            assert expiry > now  # renewed: still leased
            assert not waiting.done()  # and the other worker still waits for it
            await holder.release()
            assert await waiting == 0.0  # released: the waiter gets the slot
            await other.release()
    finally:
        if waiting is not None and not waiting.done():
            waiting.cancel()
        await holder.aclose()
        await other.aclose()


def test_redis_limiter_survives_asyncio_run_per_task() -> None:
    """A limiter reused by one asyncio.run per task: each loop gets the full cap, and each
    loop's Redis connection is closed with it."""
    with redis_server() as url:
        limiter = RedisLimiter(url, namespace="runs", max_concurrent_creates=2)

        async def once() -> list[float | int]:
            async with asyncio.timeout(10):
                # Both slots: a slot leaked by an earlier loop would make this hang (and time out).
                taken = [await limiter.acquire(), await limiter.acquire()]
                held = limiter.in_flight
                await limiter.release()
                await limiter.release()
                return [*taken, held, limiter.in_flight]

        results = [asyncio.run(once()) for _ in range(5)]

        async def leftovers() -> tuple[int, int]:
            from redis.asyncio import Redis

            async with asyncio.timeout(10):
                checker = Redis.from_url(url)
                try:
                    # Redis drops a closed connection from its list on its next event-loop tick.
                    while (clients := await _client_count(checker)) > 1:  # noqa: ASYNC110
                        await asyncio.sleep(0.02)
                    return await checker.zcard("runs:slots"), clients
                finally:
                    await checker.aclose()

        slots, clients = asyncio.run(leftovers())
    assert results == [[0.0, 0.0, 2, 0]] * 5
    assert slots == 0
    assert clients == 1  # only the checker: every loop's connection was closed


def test_bad_options_are_configuration_errors() -> None:
    with pytest.raises(hg.ConfigurationError):
        RedisLimiter("redis://127.0.0.1:1", max_concurrent_creates=0)
    with pytest.raises(hg.ConfigurationError):
        RedisLimiter("redis://127.0.0.1:1", lease_seconds=0)
    with pytest.raises(hg.ConfigurationError):
        RedisLimiter("redis://127.0.0.1:1", rate=(0, 1.0))


# --- Redis trouble: absent, paused, killed and restarted ------------------------------------
# Each fault as it was found in production. The promise checked every time: a batch never
# raises, every item ends ok or with a typed HeyGenError, and HeyGen made at most one session
# per item (each Idempotency-Key sent once, each prompt created once).

# Short socket timeouts so a paused Redis fails a command in 0.3-0.5 s, not the default 2 s.
_FAST = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
_ITEMS = [f"item {i}" for i in range(24)]
# Enough retries that even full jitter's shortest waits outlast a 2.5 s pause (each attempt
# during a pause costs a 0.5 s socket timeout) or a 1 s restart.
_PATIENT = hg.RetryPolicy(max_retries=10, backoff_base=0.2, backoff_max=2)


def _assert_at_most_one_session_per_item(fake: FakeHeyGen, results: list[hg.BatchResult]) -> None:
    assert [r.request for r in results] == _ITEMS
    for result in results:
        assert result.ok or isinstance(result.error, hg.HeyGenError), result.error
    sent = Counter(r.idempotency_key for r in fake.creates())
    assert set(sent.values()) <= {1}  # no create was sent twice
    made = Counter(session.prompt for session in fake.sessions.values())
    assert set(made) <= set(_ITEMS)
    assert set(made.values()) <= {1}  # never two sessions for one item
    for result in results:
        if result.ok:
            assert result.session is not None
            assert fake.sessions[result.session.session_id].prompt == result.request


def _limiter_errors_retried(caplog: pytest.LogCaptureFixture) -> int:
    return sum(
        1 for r in caplog.records if r.msg.startswith("retrying") and "LimiterError" in r.message
    )


async def _batch_through(
    server: RedisServer, outage: Callable[[], Awaitable[None]]
) -> tuple[FakeHeyGen, list[hg.BatchResult]]:
    """24 creates, 4 at a time, with `outage` done to Redis once 6 creates reached HeyGen."""
    limiter = RedisLimiter(
        server.url, namespace="outage", max_concurrent_creates=4, lease_seconds=30, **_FAST
    )
    try:
        async with (
            asyncio.timeout(60),
            FakeHeyGen(step_seconds=None, create_latency=0.05) as fake,
            fake.client(limiter=limiter, retry=_PATIENT) as client,
        ):
            batch = asyncio.create_task(
                client.video_agents.create_many(_ITEMS, return_exceptions=True)
            )
            while len(fake.creates()) < 6 and not batch.done():  # noqa: ASYNC110
                await asyncio.sleep(0.005)
            await outage()
            results = await batch
    finally:
        await limiter.aclose()
    return fake, results


async def _slots_left(server: RedisServer, namespace: str) -> int:
    from redis.asyncio import Redis

    async with asyncio.timeout(10):
        checker = Redis.from_url(server.url)
        try:
            return int(await checker.zcard(f"{namespace}:slots"))
        finally:
            await checker.aclose()


async def test_without_redis_creates_fail_with_limiter_error_and_nothing_is_sent() -> None:
    # A port nothing listens on; the password must never show in a message.
    limiter = RedisLimiter(f"redis://:hunter2@127.0.0.1:{free_port()}/0", **_FAST)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    retry = hg.RetryPolicy(max_retries=2, backoff_max=0.01)
    try:
        async with (
            asyncio.timeout(30),
            FakeHeyGen(step_seconds=None) as fake,
            fake.client(limiter=limiter, retry=retry, sleep=sleep) as client,
        ):
            with pytest.raises(hg.LimiterError) as caught:
                await client.video_agents.create(prompt="never sent")
            retried = len(waits)
            results = await client.video_agents.create_many(["a", "b", "c"], return_exceptions=True)
    finally:
        await limiter.aclose()
    assert isinstance(caught.value, hg.HeyGenError)
    assert isinstance(caught.value.__cause__, redis_errors.ConnectionError)
    assert retried == 2  # retried like a dropped connection, then raised
    assert "Redis at redis://***@127.0.0.1" in str(caught.value)
    assert "hunter2" not in str(caught.value) + repr(limiter)
    assert [type(r.error) for r in results] == [hg.LimiterError] * 3  # per item, not raised
    assert fake.requests == []  # nothing reached HeyGen


async def test_every_limiter_call_fails_typed_without_redis() -> None:
    limiter = RedisLimiter(f"redis://127.0.0.1:{free_port()}/0", **_FAST)
    async with asyncio.timeout(10):
        for call in (
            limiter.acquire,
            limiter.cooldown_remaining,
            lambda: limiter.start_cooldown(1),
        ):
            with pytest.raises(hg.LimiterError, match="RedisLimiter could not"):
                await call()
        await limiter.aclose()
    assert limiter.in_flight == 0


async def test_a_paused_redis_fails_a_call_instead_of_hanging_it(server: RedisServer) -> None:
    limiter = RedisLimiter(
        server.url, namespace="pause", max_concurrent_creates=1, lease_seconds=30, **_FAST
    )
    try:
        async with asyncio.timeout(15):
            assert await limiter.acquire() == 0.0  # Redis now knows the script (no NOSCRIPT)
            await limiter.release()
            server.pause()
            try:
                for call in (limiter.acquire, limiter.cooldown_remaining):
                    with pytest.raises(hg.LimiterError) as caught:
                        await call()
                    assert isinstance(caught.value.__cause__, redis_errors.TimeoutError)
            finally:
                server.resume()
            # Redis ran the timed-out acquire when it woke up: the only slot was taken for a
            # caller that had given up. It is handed back at once, not after its 30 s lease.
            assert await limiter.acquire() == 0.0
            await limiter.release()
    finally:
        await limiter.aclose()
    assert await _slots_left(server, "pause") == 0


async def test_a_batch_survives_a_paused_redis(
    server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="heygen_async")

    async def pause() -> None:
        server.pause()
        try:
            await asyncio.sleep(2.5)
        finally:
            server.resume()

    fake, results = await _batch_through(server, pause)
    _assert_at_most_one_session_per_item(fake, results)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert Counter(s.prompt for s in fake.sessions.values()) == Counter(_ITEMS)
    assert _limiter_errors_retried(caplog) > 0  # the pause was felt, and retried
    assert fake.peak_in_flight_creates <= 4  # the cap held through it
    assert await _slots_left(server, "outage") == 0  # no slot left behind


async def test_a_batch_survives_redis_killed_and_restarted(
    server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="heygen_async")

    async def restart() -> None:
        server.kill()
        await asyncio.sleep(1.0)
        server.start()  # same port, empty: no keys, no loaded scripts (NOSCRIPT)

    fake, results = await _batch_through(server, restart)
    _assert_at_most_one_session_per_item(fake, results)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert Counter(s.prompt for s in fake.sessions.values()) == Counter(_ITEMS)
    assert _limiter_errors_retried(caplog) > 0
    assert await _slots_left(server, "outage") == 0


@pytest.mark.parametrize("fault", ["pause", "kill"])
async def test_a_create_heygen_accepted_returns_its_session_when_the_release_fails(
    server: RedisServer, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="heygen_async")
    limiter = RedisLimiter(server.url, namespace="release", lease_seconds=30, **_FAST)
    try:
        async with (
            asyncio.timeout(30),
            FakeHeyGen(step_seconds=None, create_latency=0.3) as fake,
            fake.client(limiter=limiter, retry=hg.RetryPolicy(max_retries=0)) as client,
        ):
            create = asyncio.create_task(client.video_agents.create(prompt="paid for"))
            while not fake.in_flight_creates:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
            # HeyGen is making the session; Redis goes away before the slot can be given back.
            server.pause() if fault == "pause" else server.kill()
            try:
                session = await create
            finally:
                server.resume() if fault == "pause" else server.start()
            # Redis is back: the same limiter works again (reconnected, scripts reloaded).
            assert await limiter.acquire() == 0.0
            await limiter.release()
    finally:
        await limiter.aclose()
    assert [s.session_id for s in fake.sessions.values()] == [session.session_id]
    assert len(fake.creates()) == 1
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "could not give back a create slot" in warning.getMessage()
    assert "its lease will expire" in warning.getMessage()
    assert await _slots_left(server, "release") == 0


async def test_leases_are_renewed_after_an_outage(
    server: RedisServer, redis: Any, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RedisLimiter(
        server.url, namespace="outage", lease_seconds=0.9, socket_timeout=0.2
    )  # renewed every 0.3 s
    try:
        async with asyncio.timeout(20):
            await limiter.acquire()
            server.pause()
            try:
                await asyncio.sleep(1.2)  # renewals time out: logged, tried again
            finally:
                server.resume()
            resumed = await _redis_ms(redis)
            # Renewals Redis held while paused ran when it woke: only a renewal made after
            # the outage can keep the slot leased 2 s later.
            while (now := await _redis_ms(redis)) < resumed + 2000:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            [(_, expiry)] = await redis.zrange("outage:slots", 0, -1, withscores=True)
            assert expiry > now
            await limiter.release()
    finally:
        await limiter.aclose()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings
    assert all("could not renew its leases" in w for w in warnings)


async def test_scripts_lost_by_redis_are_loaded_again(redis_url: str, redis: Any) -> None:
    limiter = RedisLimiter(redis_url, namespace="flush", max_concurrent_creates=2)
    try:
        async with asyncio.timeout(10):
            assert await limiter.acquire() == 0.0
            await redis.script_flush()  # as a restart would
            assert await limiter.acquire() == 0.0
            assert await redis.zcard("flush:slots") == 2
            await limiter.release()
            await limiter.release()
    finally:
        await limiter.aclose()


async def test_a_script_error_is_a_limiter_error(redis_url: str, redis: Any) -> None:
    await redis.set("broken:slots", "not a sorted set")
    limiter = RedisLimiter(redis_url, namespace="broken")
    try:
        async with asyncio.timeout(10):
            with pytest.raises(hg.LimiterError, match="WRONGTYPE") as caught:
                await limiter.acquire()
    finally:
        await limiter.aclose()
    assert isinstance(caught.value.__cause__, redis_errors.ResponseError)
    assert limiter.in_flight == 0
