"""max_concurrent_creates and the shared 429 cool-down, over real loopback HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses

import heygen_async as hg
from heygen_async.limits import InProcessLimiter, Limiter, RedisLimiter
from heygen_async.testing import FakeHeyGen

from .conftest import VirtualTime

URL = "https://api.test/v3/video-agents/sessions"


async def test_max_concurrent_creates_bounds_what_the_server_sees() -> None:
    async with (
        FakeHeyGen(step_seconds=None, create_latency=0.02) as fake,
        fake.client(max_concurrent_creates=3) as c,
    ):
        results = await asyncio.gather(*(c.sessions.create(prompt=f"p{i}") for i in range(30)))
    assert len({s.session_id for s in results}) == 30
    assert fake.peak_in_flight_creates == 3  # never more, and the bound is actually reached
    assert len(fake.creates()) == 30


async def test_reads_are_not_bounded_by_the_create_limit() -> None:
    async with (
        FakeHeyGen(step_seconds=None) as fake,
        fake.client(max_concurrent_creates=1) as client,
    ):
        created = await client.sessions.create(prompt="x")
        # The only create slot is taken and the create gate is closed: reads must not care.
        await client.limiter.acquire()
        await client.limiter.start_cooldown(30)
        gets = [client.sessions.get(created.session_id) for _ in range(5)]
        sessions = await asyncio.wait_for(asyncio.gather(*gets), timeout=5)
        assert {s.session_id for s in sessions} == {created.session_id}
        await client.limiter.release()


async def test_slot_is_released_while_a_call_sleeps_between_attempts(
    vtime: VirtualTime, make_client: Any
) -> None:
    seen_in_flight: list[int] = []

    async def sleep(seconds: float) -> None:
        seen_in_flight.append(client.limiter.in_flight)
        await vtime.sleep(seconds)

    client = make_client(max_concurrent_creates=1, sleep=sleep)
    with aioresponses() as mocked:
        mocked.post(URL, status=503, payload={"error": {"code": "x", "message": "y"}})
        mocked.post(URL, payload={"data": {"session_id": "s", "created_at": 1}})
        await client.sessions.create(prompt="x")
    assert seen_in_flight == [0]


async def test_a_429_holds_back_every_create_until_retry_after_has_passed(
    vtime: VirtualTime, make_client: Any
) -> None:
    client = make_client(max_concurrent_creates=8)
    attempts: list[float] = []
    first = True

    def reply(url: Any, **kwargs: Any) -> CallbackResult:
        nonlocal first
        attempts.append(vtime.now)
        if first:
            first = False
            return CallbackResult(
                status=429,
                payload={"error": {"code": "rate_limit_exceeded", "message": "slow down"}},
                headers={"Retry-After": "2"},
            )
        return CallbackResult(payload={"data": {"session_id": "s", "created_at": 1}})

    with aioresponses() as mocked:
        mocked.post(URL, callback=reply, repeat=True)
        await client.sessions.create(prompt="first")  # meets the 429, waits, succeeds
        start = attempts[0]
        # Close the gate again and start many creates at once: none may start before +2 s.
        vtime.now = start
        await client.limiter.start_cooldown(2.0)
        await asyncio.gather(*(client.sessions.create(prompt=f"p{i}") for i in range(5)))
    assert attempts[1] >= start + 2.0
    assert all(t >= start + 2.0 for t in attempts[2:])
    assert len(attempts) == 7


async def test_gate_wait_longer_than_max_retry_after_fails_fast(make_client: Any) -> None:
    client = make_client(retry=hg.RetryPolicy(max_retry_after=10))
    await client.limiter.start_cooldown(300)
    with aioresponses() as mocked:
        with pytest.raises(hg.RateLimitError) as caught:
            await client.sessions.create(prompt="x")
        assert not mocked.requests
    assert caught.value.retry_after == pytest.approx(300)


async def test_429_cool_down_is_shared_over_loopback() -> None:
    async with FakeHeyGen(step_seconds=None) as fake:
        fake.fail("/v3/video-agents/sessions$", method="POST", status=429, retry_after="0.3")
        # One slot: the other creates are queued (not yet sent) when the 429 arrives.
        async with fake.client(max_concurrent_creates=1) as client:
            await asyncio.gather(*(client.sessions.create(prompt=f"p{i}") for i in range(4)))
    creates = [r for r in fake.requests if r.method == "POST"]
    rejected = [r for r in creates if r.status == 429]
    assert len(rejected) == 1
    after = [r for r in creates if r.at > rejected[0].at]
    assert after, "the other creates ran after the 429"
    assert all(r.at - rejected[0].at >= 0.28 for r in after)
    assert len(fake.sessions) == 4


async def test_limiter_cancelled_waiters_do_not_leak_slots() -> None:
    limiter = InProcessLimiter(1)
    await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await limiter.release()
    assert limiter.in_flight == 0
    await asyncio.wait_for(limiter.acquire(), 1)
    assert limiter.in_flight == 1


async def test_deadline_also_bounds_waiting_for_a_slot(make_client: Any) -> None:
    client = make_client(max_concurrent_creates=1, retry=hg.RetryPolicy(deadline=0.05))
    await client.limiter.acquire()  # someone else holds the only slot
    with aioresponses() as mocked:
        with pytest.raises(hg.APITimeoutError, match="slot"):
            await client.sessions.create(prompt="x")
        assert not mocked.requests


# -- InProcessLimiter on its own -------------------------------------------------------------------


async def test_waiters_get_slots_in_the_order_they_asked() -> None:
    limiter = InProcessLimiter(1)
    granted: list[int] = []

    async def take(i: int) -> None:
        assert await limiter.acquire() == 0.0
        granted.append(i)

    assert await limiter.acquire() == 0.0
    async with asyncio.timeout(5):
        waiters = []
        for i in range(4):
            waiters.append(asyncio.create_task(take(i)))
            await asyncio.sleep(0)  # queued in this order
        for expected in range(4):
            await limiter.release()
            await waiters[expected]
            assert granted == list(range(expected + 1))
    assert limiter.in_flight == 1
    await limiter.release()
    assert limiter.in_flight == 0


async def test_a_newcomer_does_not_take_a_slot_handed_to_a_waiter() -> None:
    limiter = InProcessLimiter(1)
    await limiter.acquire()
    queued = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    await limiter.release()  # handed to `queued`, which has not run yet
    newcomer = asyncio.create_task(limiter.acquire())
    async with asyncio.timeout(5):
        assert await queued == 0.0
        await asyncio.sleep(0)
        assert not newcomer.done()  # waits behind it
        assert limiter.in_flight == 1
        await limiter.release()
        assert await newcomer == 0.0
    assert limiter.in_flight == 1


async def test_cool_down_on_an_injected_clock() -> None:
    now = 100.0
    limiter = InProcessLimiter(2, clock=lambda: now)
    assert await limiter.cooldown_remaining() == 0.0
    await limiter.start_cooldown(5)
    now = 103.0
    assert await limiter.cooldown_remaining() == 2.0
    await limiter.start_cooldown(1)  # ends sooner than the gate would: ignored
    assert await limiter.cooldown_remaining() == 2.0
    await limiter.start_cooldown(4)  # ends later: extends it
    assert await limiter.cooldown_remaining() == 4.0
    assert await limiter.acquire() == 4.0  # gate closed: the wait, and no slot taken
    assert limiter.in_flight == 0
    now = 107.0
    assert await limiter.cooldown_remaining() == 0.0
    assert await limiter.acquire() == 0.0
    assert limiter.in_flight == 1


async def test_a_waiter_whose_turn_comes_during_a_cool_down_takes_no_slot() -> None:
    now = 0.0
    limiter = InProcessLimiter(1, clock=lambda: now)
    await limiter.acquire()
    queued = asyncio.create_task(limiter.acquire())
    second = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    await limiter.start_cooldown(3)  # a 429 arrives while they wait
    async with asyncio.timeout(5):
        await limiter.release()
        assert await queued == 3.0  # told to wait out the gate...
        assert await second == 3.0  # ...and the slot went on down the queue, then back
    assert limiter.in_flight == 0
    now = 3.0
    assert [await limiter.acquire()] == [0.0]
    assert limiter.in_flight == 1


async def test_a_waiter_cancelled_just_after_its_turn_came_passes_the_slot_on() -> None:
    limiter = InProcessLimiter(1)
    await limiter.acquire()
    granted = asyncio.create_task(limiter.acquire())
    behind = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    await limiter.release()  # `granted` gets the slot...
    granted.cancel()  # ...and is cancelled before it could run
    async with asyncio.timeout(5):
        with pytest.raises(asyncio.CancelledError):
            await granted
        assert await behind == 0.0
    assert limiter.in_flight == 1


def test_a_waiter_left_on_a_closed_loop_does_not_keep_the_slot() -> None:
    """A loop closed without cancelling its tasks (run_until_complete, then close) leaves its
    waiter queued: the next loop's release must skip it, not hand it the slot."""
    limiter = InProcessLimiter(1)
    loop = asyncio.new_event_loop()
    stranded: list[asyncio.Task[float]] = []

    async def hold_and_queue() -> None:
        await limiter.acquire()
        stranded.append(asyncio.create_task(limiter.acquire()))
        await asyncio.sleep(0)

    loop.run_until_complete(hold_and_queue())
    # The stranded task is destroyed pending on purpose: not worth an asyncio error log.
    loop.set_exception_handler(lambda loop, context: None)
    loop.close()

    async def release_then_take() -> list[float | int]:
        async with asyncio.timeout(5):
            await limiter.release()
            taken = await limiter.acquire()
        return [taken, limiter.in_flight]

    assert asyncio.run(release_then_take()) == [0.0, 1]
    assert not stranded[0].done()  # the stranded waiter never got the slot
    # Finish it now, as the garbage collector would later: its cleanup must not raise (the
    # closed loop's waiter was dropped from the queue already).
    stranded.pop().get_coro().close()


@pytest.mark.parametrize("bad", [0, -1, True, 2.0, "4"])
def test_a_bad_slot_count_is_a_configuration_error(bad: object) -> None:
    with pytest.raises(hg.ConfigurationError, match="max_concurrent_creates"):
        InProcessLimiter(bad)  # type: ignore[arg-type]


def test_both_limiters_satisfy_the_limiter_protocol() -> None:
    assert isinstance(InProcessLimiter(1), Limiter)
    assert isinstance(RedisLimiter("redis://127.0.0.1:1"), Limiter)
