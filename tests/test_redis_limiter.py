"""RedisLimiter against a real redis-server: a global cap, leases, a shared cool-down, a rate.

Waits are judged by Redis's own clock and records (slot lease expiries, rate start times,
cool-down TTLs), never by this process's wall clock; every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.limits import RedisLimiter
from heygen_async.testing import FakeHeyGen

from .redis_server import redis_server


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    with redis_server() as url:
        yield url


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
