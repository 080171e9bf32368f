"""RedisLimiter against a real redis-server: a global cap, leases, a shared cool-down, a rate."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator

import pytest

import heygen_async as hg
from heygen_async.limits import RedisLimiter
from heygen_async.testing import FakeHeyGen

from .redis_server import redis_server


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    with redis_server() as url:
        yield url


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


async def test_a_killed_workers_slot_returns_after_its_lease(redis_url: str) -> None:
    async with FakeHeyGen(step_seconds=None) as fake:
        holder = await _worker(fake, redis_url, 0, 1, "hold")
        assert holder.stdout is not None
        assert (await asyncio.wait_for(holder.stdout.readline(), 30)).strip() == b"holding"
        holder.kill()
        await holder.wait()
        limiter = RedisLimiter(redis_url, namespace="test", max_concurrent_creates=1)
        started = time.monotonic()
        try:
            assert await asyncio.wait_for(limiter.acquire(), 10) == 0.0
            waited = time.monotonic() - started
            await limiter.release()
        finally:
            await limiter.aclose()
    assert 0.5 <= waited <= 5  # the dead worker's 1 s lease had to run out first


async def test_a_429_seen_by_one_worker_holds_back_the_others(redis_url: str) -> None:
    first = RedisLimiter(redis_url, namespace="cool", max_concurrent_creates=4)
    second = RedisLimiter(redis_url, namespace="cool", max_concurrent_creates=4)
    try:
        async with FakeHeyGen(step_seconds=None) as fake:
            fake.fail("/v3/video-agents$", method="POST", status=429, retry_after=1)
            async with fake.client(limiter=first) as a, fake.client(limiter=second) as b:
                await a.video_agents.create(prompt="meets the 429")
                rejected_at = next(r.at for r in fake.requests if r.status == 429)
                await b.video_agents.create(prompt="must wait for the shared cool-down")
            accepted = [r for r in fake.requests if r.status == 200]
    finally:
        await first.aclose()
        await second.aclose()
    assert len(accepted) == 2
    assert all(r.at - rejected_at >= 0.9 for r in accepted)


async def test_cool_down_state_and_never_shortened(redis_url: str) -> None:
    limiter = RedisLimiter(redis_url, namespace="state")
    try:
        assert await limiter.cooldown_remaining() == 0.0
        await limiter.start_cooldown(5)
        await limiter.start_cooldown(1)  # shorter: ignored
        assert 4.0 <= await limiter.cooldown_remaining() <= 5.0
        assert await limiter.acquire() > 4.0  # the gate is closed: no slot taken
        assert limiter.in_flight == 0
    finally:
        await limiter.aclose()


async def test_requests_per_interval_rate(redis_url: str) -> None:
    limiter = RedisLimiter(redis_url, namespace="rate", max_concurrent_creates=10, rate=(3, 0.5))
    try:
        started = time.monotonic()
        for _ in range(6):
            await limiter.acquire()
            await limiter.release()
        elapsed = time.monotonic() - started
    finally:
        await limiter.aclose()
    assert elapsed >= 0.45  # the 4th start waited for the first window to pass


async def test_leases_are_renewed_while_held(redis_url: str) -> None:
    holder = RedisLimiter(redis_url, namespace="renew", max_concurrent_creates=1, lease_seconds=0.9)
    other = RedisLimiter(redis_url, namespace="renew", max_concurrent_creates=1, lease_seconds=0.9)
    try:
        await holder.acquire()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(other.acquire(), 2.5)  # nearly 3 leases long, still held
        await holder.release()
        assert await asyncio.wait_for(other.acquire(), 2) == 0.0
        await other.release()
    finally:
        await holder.aclose()
        await other.aclose()


def test_redis_limiter_survives_asyncio_run_per_task() -> None:
    import warnings

    with redis_server() as url:
        limiter = RedisLimiter(url, namespace="runs", max_concurrent_creates=2)

        async def once() -> None:
            await limiter.acquire()
            await limiter.release()

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for _ in range(5):
                asyncio.run(once())


def test_bad_options_are_configuration_errors() -> None:
    with pytest.raises(hg.ConfigurationError):
        RedisLimiter("redis://127.0.0.1:1", max_concurrent_creates=0)
    with pytest.raises(hg.ConfigurationError):
        RedisLimiter("redis://127.0.0.1:1", lease_seconds=0)
    with pytest.raises(hg.ConfigurationError):
        RedisLimiter("redis://127.0.0.1:1", rate=(0, 1.0))
