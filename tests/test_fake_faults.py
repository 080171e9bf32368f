"""FakeHeyGen's faults that reproduce real failures: an outage window, a reply cut in half or
lost after the create happened, and a create still running when the client gives up. Each
ends with exactly one session per item."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.testing import Clock, FakeHeyGen

CREATE = "/v3/video-agents$"
NO_RETRY = hg.RetryPolicy(max_retries=0)
# Enough quick retries to outlast the short faults below.
PATIENT = hg.RetryPolicy(max_retries=20, backoff_base=0.02, backoff_max=0.1)
# Batches here must not put failed items back for a later try: the test resumes them itself.
NO_REQUEUE: dict[str, Any] = (
    {"max_requeues": 0} if "max_requeues" in hg.BatchOptions.__annotations__ else {}
)


async def raw_create(fake: FakeHeyGen, key: str) -> bytes:
    """POST a create over a bare socket and return every byte the fake sent back."""
    body = json.dumps({"prompt": "raw"}).encode()
    head = (
        "POST /v3/video-agents HTTP/1.1\r\nHost: fake\r\nConnection: close\r\n"
        f"x-api-key: k\r\nContent-Type: application/json\r\nIdempotency-Key: {key}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection(fake.host, fake.port)
    try:
        writer.write(head.encode() + body)
        return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


# -- outage ------------------------------------------------------------------------------------


async def test_outage_drops_every_request_in_its_window_of_the_fakes_clock() -> None:
    async with (
        asyncio.timeout(10),
        FakeHeyGen(step_seconds=None, clock=Clock()) as fake,
        fake.client(retry=NO_RETRY) as client,
    ):
        fake.outage(5.0, start_in=1.0)
        await client.video_agents.create(prompt="before")
        fake.clock.advance(1.0)
        with pytest.raises(hg.APIConnectionError):
            await client.video_agents.create(prompt="during")
        with pytest.raises(hg.APIConnectionError):
            await client.sessions.create(prompt="during, other path")
        fake.clock.advance(5.0)
        await client.video_agents.create(prompt="after")
    assert sorted(s.prompt for s in fake.sessions.values()) == ["after", "before"]
    seen = [(r.json["prompt"], r.status, r.fault) for r in fake.creates()]
    assert seen == [
        ("before", 200, None),
        ("during", 0, "outage"),
        ("during, other path", 0, "outage"),
        ("after", 200, None),
    ]


async def test_a_client_with_retries_rides_out_a_real_time_outage() -> None:
    async with (
        asyncio.timeout(10),
        FakeHeyGen(step_seconds=None) as fake,
        fake.client(retry=PATIENT) as client,
    ):
        fake.outage(0.3)
        session = await client.video_agents.create(prompt="p")
    statuses = [r.status for r in fake.creates()]
    assert statuses[-1] == 200 and set(statuses[:-1]) == {0}
    assert len(statuses) > 1
    assert [s.session_id for s in fake.sessions.values()] == [session.session_id]


async def test_outage_rejects_negative_durations() -> None:
    fake = FakeHeyGen()
    with pytest.raises(ValueError, match="must be >= 0"):
        fake.outage(-1.0)
    with pytest.raises(ValueError, match="must be >= 0"):
        fake.outage(1.0, start_in=-1.0)


# -- replies cut or lost after the create happened -------------------------------------------


async def test_cut_reply_announces_the_full_length_and_sends_half() -> None:
    async with asyncio.timeout(10), FakeHeyGen(step_seconds=None) as fake:
        fake.fail(CREATE, method="POST", cut_reply=True)
        raw = await raw_create(fake, "cut-1")
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    length = int(dict(line.split(": ", 1) for line in lines)["Content-Length"])
    whole = json.dumps(fake.creates()[0].response).encode()  # what the handler answered
    assert status_line.startswith("HTTP/1.1 200 ")
    assert length == len(whole)
    assert body == whole[: length // 2]
    [session] = fake.sessions.values()
    assert fake.creates()[0].response["data"]["session_id"] == session.session_id
    assert (fake.creates()[0].status, fake.creates()[0].fault) == (200, "cut_reply")


async def test_lose_reply_sends_nothing_but_the_session_exists() -> None:
    async with asyncio.timeout(10), FakeHeyGen(step_seconds=None) as fake:
        fake.fail(CREATE, method="POST", lose_reply=True)
        assert await raw_create(fake, "lost-1") == b""
    [session] = fake.sessions.values()
    [record] = fake.creates()
    assert (record.status, record.fault) == (0, "lose_reply")
    assert record.response["data"]["session_id"] == session.session_id


@pytest.mark.parametrize("damage", ["cut_reply", "lose_reply"])
async def test_after_a_damaged_reply_the_same_key_replays_the_one_session(damage: str) -> None:
    async with asyncio.timeout(10), FakeHeyGen(step_seconds=None) as fake:
        fake.fail(CREATE, method="POST", **{damage: True})  # type: ignore[arg-type]
        async with fake.client(retry=NO_RETRY) as client:
            with pytest.raises(hg.APIConnectionError):
                await client.video_agents.create(prompt="p", idempotency_key="item-1")
            resumed = await client.video_agents.create(prompt="p", idempotency_key="item-1")
    [session] = fake.sessions.values()
    assert resumed.session_id == session.session_id
    assert session.idempotency_key == "item-1"
    assert [r.fault for r in fake.creates()] == [damage, None]


@pytest.mark.parametrize("damage", ["cut_reply", "lose_reply"])
async def test_the_sdks_retry_gets_the_session_a_damaged_reply_carried(damage: str) -> None:
    async with (
        asyncio.timeout(10),
        FakeHeyGen(step_seconds=None) as fake,
        fake.client(retry=PATIENT) as client,
    ):
        fake.fail(CREATE, method="POST", times=2, **{damage: True})  # type: ignore[arg-type]
        session = await client.video_agents.create(prompt="p")
    assert [s.session_id for s in fake.sessions.values()] == [session.session_id]
    records = fake.creates()
    assert [r.fault for r in records] == [damage, damage, None]
    assert {r.response["data"]["session_id"] for r in records} == {session.session_id}
    assert len({r.idempotency_key for r in records}) == 1


async def test_damage_faults_follow_probability_and_times() -> None:
    prompts = [f"item {i}" for i in range(40)]
    async with (
        asyncio.timeout(20),
        FakeHeyGen(step_seconds=None) as fake,
        fake.client(retry=PATIENT, max_concurrent_creates=8) as client,
    ):
        fake.fail(CREATE, method="POST", cut_reply=True, times=None, probability=0.3)
        lost = fake.fail(CREATE, method="POST", lose_reply=True, times=5, probability=0.5)
        results = await client.video_agents.create_many(prompts, concurrency=8)
    assert all(r.ok for r in results)
    faults = [r.fault for r in fake.creates()]
    assert faults.count("lose_reply") == 5 and lost.times == 0
    assert 0 < faults.count("cut_reply") < len(faults)
    by_prompt = fake.sessions_by_prompt()
    assert sorted(by_prompt) == sorted(prompts)
    assert all(len(sessions) == 1 for sessions in by_prompt.values())


def test_a_fault_is_one_kind_of_broken_connection_at_most() -> None:
    fake = FakeHeyGen()
    with pytest.raises(ValueError, match="at most one of"):
        fake.fail(CREATE, drop=True, cut_reply=True)
    with pytest.raises(ValueError, match="at most one of"):
        fake.fail(CREATE, cut_reply=True, lose_reply=True)


# -- a create still running when the client gives up: 409, then replay ------------------------


async def wait_for_sessions(fake: FakeHeyGen, count: int) -> None:
    while len(fake.sessions) < count:  # noqa: ASYNC110 - polling the fake's state
        await asyncio.sleep(0.02)


async def test_timed_out_create_gets_409s_then_a_later_resume_replays_it() -> None:
    async with asyncio.timeout(10), FakeHeyGen(step_seconds=None, create_latency=1.0) as fake:
        retry = hg.RetryPolicy(max_retries=2, backoff_max=0.2)
        async with fake.client(timeout=0.3, retry=retry) as client:
            with pytest.raises(hg.ConflictError) as caught:
                await client.video_agents.create(prompt="p", idempotency_key="item-1")
            assert caught.value.code == "request_in_progress"
            await wait_for_sessions(fake, 1)  # the first attempt finishes at the fake
            resumed = await client.video_agents.create(prompt="p", idempotency_key="item-1")
    [session] = fake.sessions.values()
    assert resumed.session_id == session.session_id
    statuses = [r.status for r in fake.creates()]
    # The timed-out first attempt (answered to a closed connection), two 409s, the replay.
    assert sorted(statuses) == [200, 200, 409, 409]
    assert {r.idempotency_key for r in fake.creates()} == {"item-1"}


async def test_a_batch_resumed_from_its_journal_replays_the_create_it_gave_up_on(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "batch.jsonl"
    async with asyncio.timeout(10), FakeHeyGen(step_seconds=None) as fake:
        fake.fail(CREATE, method="POST", create_latency=1.0)  # only the first create is slow
        retry = hg.RetryPolicy(max_retries=2, backoff_max=0.2)
        async with fake.client(timeout=0.3, retry=retry) as client:
            first = await client.video_agents.create_many(
                ["slow", "quick"], journal=journal, **NO_REQUEUE
            )
            assert [r.ok for r in first] == [False, True]
            assert isinstance(first[0].error, hg.ConflictError)
            await wait_for_sessions(fake, 2)
            second = await client.video_agents.create_many(
                ["slow", "quick"], journal=journal, **NO_REQUEUE
            )
    assert [r.ok for r in second] == [True, True]
    assert second[1].resumed
    by_prompt = fake.sessions_by_prompt()
    assert {p: len(s) for p, s in by_prompt.items()} == {"slow": 1, "quick": 1}
    assert second[0].session is not None
    assert second[0].session.session_id == by_prompt["slow"][0].session_id
    assert 409 in [r.status for r in fake.creates()]


# -- counting sessions per item ---------------------------------------------------------------


async def test_sessions_by_key_and_by_prompt_count_what_was_created() -> None:
    async with (
        asyncio.timeout(10),
        FakeHeyGen(step_seconds=None) as fake,
        fake.client() as client,
    ):
        a = await client.video_agents.create(prompt="a", idempotency_key="key-a")
        await client.video_agents.create(prompt="a", idempotency_key="key-a")  # a replay
        b = await client.video_agents.create(prompt="a", idempotency_key="key-b")  # a duplicate
    by_key = fake.sessions_by_key()
    assert {k: [s.session_id for s in v] for k, v in by_key.items()} == {
        "key-a": [a.session_id],
        "key-b": [b.session_id],
    }
    assert [s.session_id for s in fake.sessions_by_prompt()["a"]] == [a.session_id, b.session_id]


async def test_a_batch_through_an_outage_and_damaged_replies_makes_one_session_per_item(
    tmp_path: Path,
) -> None:
    prompts = [f"item {i}" for i in range(80)]
    journal = tmp_path / "batch.jsonl"
    async with (
        asyncio.timeout(30),
        FakeHeyGen(step_seconds=None) as fake,
        fake.client(retry=PATIENT, max_concurrent_creates=8) as client,
    ):
        fake.fail(CREATE, method="POST", cut_reply=True, times=None, probability=0.2)
        fake.fail(CREATE, method="POST", lose_reply=True, times=None, probability=0.2)

        outages: list[object] = []

        def outage_halfway(progress: hg.BatchProgress) -> None:
            if progress.done >= len(prompts) // 2 and not outages:
                outages.append(fake.outage(0.3))

        results = await client.video_agents.create_many(
            prompts, journal=journal, concurrency=8, on_progress=outage_halfway
        )
    assert all(r.ok for r in results)
    assert {r.fault for r in fake.creates()} >= {"cut_reply", "lose_reply", "outage"}
    by_prompt = fake.sessions_by_prompt()
    assert sorted(by_prompt) == sorted(prompts)
    assert all(len(sessions) == 1 for sessions in by_prompt.values())
    ids = [r.session.session_id for r in results if r.session is not None]
    assert sorted(ids) == sorted(fake.sessions)
