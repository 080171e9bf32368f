"""create_many / iter_create_many: order, failures, cancellation, laziness, the journal."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.testing import FakeHeyGen, MockRequest, MockResponse, MockTransport


def _client_tasks() -> set[asyncio.Task[Any]]:
    """Running tasks, less FakeHeyGen's own request handlers (it shares the test's loop)."""
    return {t for t in asyncio.all_tasks() if "RequestHandler" not in repr(t.get_coro())}


async def test_results_come_back_in_input_order() -> None:
    async with (
        FakeHeyGen(step_seconds=None) as fake,
        fake.client(max_concurrent_creates=8) as client,
    ):
        # Random latency so completion order differs from input order.
        fake.fail("/v3/video-agents$", status=0, latency=0.02, times=None, probability=0.5)
        prompts = [f"prompt number {i}" for i in range(40)]
        completed: list[int] = []
        async for result in client.video_agents.iter_create_many(prompts, concurrency=8):
            completed.append(result.index)
        results = await client.video_agents.create_many(prompts, concurrency=8)
    assert sorted(completed) == list(range(40))
    assert [r.index for r in results] == list(range(40))
    by_session = {s.session_id: s.prompt for s in fake.sessions.values()}
    assert [by_session[r.session.session_id] for r in results if r.session] == prompts


async def test_partial_failure_is_recorded_per_item() -> None:
    async with (
        FakeHeyGen(step_seconds=None) as fake,
        fake.client(retry=hg.RetryPolicy(max_retries=0)) as client,
    ):
        fake.fail(
            "/v3/video-agents/sessions$",
            method="POST",
            status=402,
            code="insufficient_credit",
            times=2,
        )
        items: list[Any] = [
            "ok one",
            hg.CreateSessionRequest("ok two", auto_proceed=True),
            {"prompt": "ok three"},
            {"prompt": ""},
            {"prompt": "x", "colour": "red"},
            12345,
        ]
        results = await client.sessions.create_many(items, concurrency=1)
    assert [r.ok for r in results] == [False, False, True, False, False, False]
    assert isinstance(results[0].error, hg.InsufficientCreditError)
    assert isinstance(results[3].error, hg.ValidationError)
    assert results[4].error is not None and "colour" in str(results[4].error)
    assert isinstance(results[5].error, hg.ValidationError)
    assert results[2].session is not None
    assert len(fake.sessions) == 1  # invalid items sent nothing


async def test_return_exceptions_false_raises_the_first_error_and_cancels_the_rest() -> None:
    async with FakeHeyGen(step_seconds=None, create_latency=0.05) as fake, fake.client() as client:
        before = _client_tasks()
        with pytest.raises(hg.ValidationError):
            await client.video_agents.create_many(
                [f"p{i}" for i in range(5)] + [{"prompt": ""}] + [f"q{i}" for i in range(50)],
                return_exceptions=False,
                concurrency=4,
            )
        await asyncio.sleep(0)
        assert _client_tasks() == before
    assert len(fake.sessions) < 56


async def test_cancelling_a_batch_leaves_no_task_running() -> None:
    async with FakeHeyGen(step_seconds=None, create_latency=0.05) as fake, fake.client() as client:
        before = _client_tasks()
        task = asyncio.create_task(client.video_agents.create_many(f"p{i}" for i in range(1000)))
        while fake.created_count < 3:  # noqa: ASYNC110 - polling the fake's counter
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)
        assert _client_tasks() == before
        assert client.limiter.in_flight == 0
    assert fake.created_count < 100


async def test_breaking_out_of_iter_create_many_with_aclosing() -> None:
    import contextlib

    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        before = _client_tasks()
        stream = client.video_agents.iter_create_many(f"p{i}" for i in range(100))
        async with contextlib.aclosing(stream):
            async for result in stream:
                assert result.ok
                break
        assert _client_tasks() == before
    assert fake.created_count < 20


async def test_async_iterables_are_consumed_lazily() -> None:
    pulled = 0

    async def source() -> AsyncIterator[str]:
        nonlocal pulled
        for i in range(30):
            pulled += 1
            yield f"p{i}"

    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        seen_ahead: list[int] = []
        stream = client.video_agents.iter_create_many(source(), concurrency=3)
        async for result in stream:
            seen_ahead.append(pulled - result.index)
    assert len(fake.sessions) == 30
    assert max(seen_ahead) <= 3 + 3 + 1  # never more than workers + queue ahead


async def test_a_100000_item_generator_keeps_tasks_and_requests_bounded() -> None:
    count_sent = 0

    def instant(request: MockRequest) -> MockResponse:
        nonlocal count_sent
        count_sent += 1
        data = {"session_id": f"s{count_sent}", "created_at": 1, "status": "thinking"}
        return MockResponse(200, json={"data": data})

    client = hg.AsyncHeyGen(
        "k",
        base_url="https://api.test",
        max_concurrent_creates=16,
        transport=MockTransport(instant),
    )
    pulled = 0

    def requests() -> Iterator[str]:
        nonlocal pulled
        for i in range(100_000):
            pulled += 1
            yield f"prompt {i}"

    peak_tasks = 0
    peak_ahead = 0
    count = 0
    async for result in client.video_agents.iter_create_many(requests()):
        count += 1
        peak_ahead = max(peak_ahead, pulled - count)
        if count % 997 == 0:
            peak_tasks = max(peak_tasks, len(asyncio.all_tasks()))
        assert result.ok
    assert count == count_sent == 100_000
    assert peak_tasks <= 16 + 2  # the workers, this test's task, nothing per item
    assert peak_ahead <= 16 * 2 + 1  # in flight + the bounded result queue


async def test_progress_reports_counts(tmp_path: Path) -> None:
    snapshots: list[hg.BatchProgress] = []

    async def on_progress(progress: hg.BatchProgress) -> None:
        snapshots.append(progress)

    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        fake.fail("/v3/video-agents$", method="POST", status=503, times=2)
        await client.video_agents.create_many(
            ["a", "b", "c", {"prompt": ""}], on_progress=on_progress, concurrency=1
        )
    last = snapshots[-1]
    assert (last.total, last.done, last.succeeded, last.failed, last.in_flight) == (4, 4, 3, 1, 0)
    assert last.retried == 2
    assert max(s.in_flight for s in snapshots) == 1


async def test_pipelined_mode_bounds_unfinished_sessions_and_downloads(tmp_path: Path) -> None:
    async with FakeHeyGen(step_seconds=0.02) as fake, fake.client() as client:
        peak = 0

        def on_progress(_: hg.BatchProgress) -> None:
            nonlocal peak
            peak = max(peak, fake.active_jobs())

        results = await client.video_agents.create_many(
            (f"video {i}" for i in range(12)),
            wait=True,
            max_active=3,
            download_dir=tmp_path,
            poll_interval=0.01,
            on_progress=on_progress,
        )
    assert all(r.ok for r in results)
    assert peak <= 3
    assert all(r.path is not None and r.path.stat().st_size == fake.video_size for r in results)
    assert all(r.session is not None and r.session.status == "completed" for r in results)
    assert len(list(tmp_path.glob("*.mp4"))) == 12


async def test_pipelined_interactive_sessions_that_pause_are_reported() -> None:
    async with FakeHeyGen(step_seconds=0.01) as fake, fake.client() as client:
        results = await client.sessions.create_many(
            ["needs review", hg.CreateSessionRequest("proceeds", auto_proceed=True)],
            wait=True,
            poll_interval=0.01,
        )
    assert isinstance(results[0].error, hg.SessionFailedError)
    assert "auto_proceed" in str(results[0].error)
    assert results[1].ok


async def test_bad_batch_options_are_refused(tmp_path: Path) -> None:
    client = hg.AsyncHeyGen("k", base_url="https://api.test")
    with pytest.raises(hg.ValidationError):
        await client.video_agents.create_many(["a"], concurrency=0)
    with pytest.raises(hg.ValidationError):
        await client.video_agents.create_many(["a"], download_dir=tmp_path)
    with pytest.raises(hg.ValidationError):
        await client.video_agents.create_many(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="concurency"):
        await client.video_agents.create_many(["a"], concurency=2)  # type: ignore[call-arg]


# -- the journal ---------------------------------------------------------------------------------


def _journal(path: Path) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r for r in records if "key" in r]  # the items' records, not the journal's identity


async def test_rerun_with_journal_skips_finished_items(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    prompts = [f"item {i}" for i in range(6)] + ["item 0"]  # a deliberate duplicate
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        first = await client.video_agents.create_many(prompts, journal=journal)
        second = await client.video_agents.create_many(prompts, journal=journal)
    assert all(r.ok and not r.resumed for r in first)
    assert all(r.resumed for r in second)
    assert [r.session.session_id for r in first if r.session] == [
        r.session.session_id for r in second if r.session
    ]
    assert len(fake.sessions) == 7  # the duplicate prompt is its own item, created once
    records = _journal(journal)
    assert {r["status"] for r in records} == {"creating", "created"}


async def test_rerun_repolls_created_items_instead_of_creating(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        await client.video_agents.create_many(["a", "b"], journal=journal)
        for sid in list(fake.sessions):
            fake.advance(sid, to="completed")
        results = await client.video_agents.create_many(
            ["a", "b"], journal=journal, wait=True, poll_interval=0.01
        )
    assert all(r.ok and r.session and r.session.status == "completed" for r in results)
    assert len(fake.sessions) == 2
    assert fake.created_count == 2


async def test_rerun_downloads_from_the_video_when_the_session_is_gone(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    videos = tmp_path / "videos"

    async def quick(seconds: float) -> None:
        await asyncio.sleep(min(seconds, 0.01))

    async with FakeHeyGen(step_seconds=0.01) as fake, fake.client(sleep=quick) as client:
        fake.fail("/files/", status=500, times=None)  # the first run cannot download
        first = await client.video_agents.create_many(
            ["clip"], journal=journal, wait=True, download_dir=videos, poll_interval=0.01
        )
        assert isinstance(first[0].error, hg.InternalServerError)
        fake.clear_faults()
        for sid in list(fake.sessions):
            fake.forget_session(sid)  # the session endpoint 404s now; the video is still there
        second = await client.video_agents.create_many(
            ["clip"], journal=journal, wait=True, download_dir=videos, poll_interval=0.01
        )
    assert second[0].ok and second[0].path is not None and second[0].path.is_file()
    assert fake.created_count == 1


async def test_in_doubt_create_is_resent_with_the_same_key(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    async with (
        FakeHeyGen(step_seconds=None) as fake,
        fake.client(retry=hg.RetryPolicy(max_retries=0)) as client,
    ):
        fake.fail("/v3/video-agents$", method="POST", status=503)
        first = await client.video_agents.create_many(["only"], journal=journal, max_requeues=0)
        assert isinstance(first[0].error, hg.InternalServerError)
        second = await client.video_agents.create_many(["only"], journal=journal)
        assert second[0].ok
    keys = [r.idempotency_key for r in fake.creates()]
    assert len(keys) == 2 and keys[0] == keys[1]


async def test_definite_rejection_gets_a_fresh_key_on_rerun(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        fake.fail("/v3/video-agents$", method="POST", status=402, code="insufficient_credit")
        await client.video_agents.create_many(["only"], journal=journal)
        await client.video_agents.create_many(["only"], journal=journal)
    keys = [r.idempotency_key for r in fake.creates()]
    assert len(keys) == 2 and keys[0] != keys[1]


async def test_a_journal_cut_mid_line_still_resumes(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        await client.video_agents.create_many(["a", "b"], journal=journal)
        with journal.open("a") as f:
            f.write('{"key":"abc","status":"crea')  # a kill -9 in the middle of a write
        results = await client.video_agents.create_many(["a", "b", "c"], journal=journal)
    assert [r.resumed for r in results] == [True, True, False]
    assert len(fake.sessions) == 3
    lines = journal.read_text().splitlines()
    assert lines.count('{"key":"abc","status":"crea') == 1  # left as it was, on its own line
    records = [json.loads(line) for line in lines if line != '{"key":"abc","status":"crea']
    assert "journal" in records[0]  # the identity, then the items' records
    assert all(record["key"] for record in records[1:])


async def test_a_journal_in_use_is_refused(tmp_path: Path) -> None:
    from heygen_async._journal import Journal

    journal = Journal(tmp_path / "j.jsonl").open()
    try:
        async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
            with pytest.raises(hg.ConfigurationError, match="in use"):
                await client.video_agents.create_many(["a"], journal=tmp_path / "j.jsonl")
            assert fake.requests == []
    finally:
        journal.close()


def test_not_a_journal_is_refused(tmp_path: Path) -> None:
    from heygen_async._journal import Journal

    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    with pytest.raises(hg.ConfigurationError, match="not a heygen-async journal"):
        Journal(path).open()


def test_shuffled_input_keeps_item_identity(tmp_path: Path) -> None:
    """Item keys come from content, so a reordered input still resumes item by item."""

    async def run() -> tuple[int, list[bool]]:
        journal = tmp_path / "j.jsonl"
        prompts = [f"p{i}" for i in range(10)]
        async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
            await client.video_agents.create_many(prompts[:5], journal=journal)
            random.Random(7).shuffle(prompts)
            results = await client.video_agents.create_many(prompts, journal=journal)
        return len(fake.sessions), [r.resumed for r in results]

    sessions, resumed = asyncio.run(run())
    assert sessions == 10
    assert sum(resumed) == 5
