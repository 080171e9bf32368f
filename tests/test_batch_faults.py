"""Never pay twice, never lose a success: batches through faults, counted at the server.

`Heygen` below stands in for HeyGen's side of the Idempotency-Key contract: the first request
with a key creates one session; every later one with that key replays it (or answers 409 while
the first is still running). A test counts sessions per item there: exactly one, always.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.testing import MockRequest, MockResponse, MockTransport

from .conftest import VirtualTime


class Heygen:
    def __init__(self) -> None:
        self.by_key: dict[str, str] = {}  # Idempotency-Key -> session id
        self.sessions: dict[str, str] = {}  # session id -> prompt
        self.attempts: list[MockRequest] = []
        self.fault: Callable[[MockRequest, int], MockResponse | None] = lambda r, n: None

    def __call__(self, request: MockRequest) -> MockResponse:
        self.attempts.append(request)
        key = request.headers["Idempotency-Key"]
        if key not in self.by_key:  # HeyGen acts on the first request with a key...
            session_id = f"s{len(self.sessions) + 1}"
            self.by_key[key] = session_id
            self.sessions[session_id] = request.json()["prompt"]
        damaged = self.fault(request, len(self.attempts))  # ...whatever the client then sees
        if damaged is not None:
            return damaged
        data = {"session_id": self.by_key[key], "status": "thinking", "created_at": 1}
        return MockResponse(200, json={"data": data})

    def sessions_per_prompt(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for prompt in self.sessions.values():
            counts[prompt] = counts.get(prompt, 0) + 1
        return counts


def _client(heygen: Heygen, vtime: VirtualTime, **options: Any) -> hg.AsyncHeyGen:
    return hg.AsyncHeyGen(
        "k",
        base_url="https://api.test",
        transport=MockTransport(heygen),
        sleep=vtime.sleep,
        clock=vtime.clock,
        **options,
    )


def _reset(request: MockRequest, attempt: int) -> MockResponse:
    raise ConnectionResetError("connection reset by peer")


IN_PROGRESS = MockResponse(
    409, json={"error": {"code": "request_in_progress", "message": "still running"}}
)


async def test_a_transient_failure_is_put_back_and_finishes_in_the_same_run(
    vtime: VirtualTime,
) -> None:
    heygen = Heygen()
    # Every attempt of the first call is reset after HeyGen acted (4 attempts: 3 retries).
    heygen.fault = lambda request, n: _reset(request, n) if n <= 4 else None
    client = _client(heygen, vtime)
    results = await client.video_agents.create_many(["a"])
    assert results[0].ok and results[0].session is not None
    assert heygen.sessions_per_prompt() == {"a": 1}
    assert len({r.headers["Idempotency-Key"] for r in heygen.attempts}) == 1
    assert len(heygen.attempts) == 5
    assert 5.0 in vtime.sleeps  # the cool-down before it was tried again


async def test_put_back_items_give_up_after_max_requeues(vtime: VirtualTime) -> None:
    heygen = Heygen()
    heygen.fault = _reset
    client = _client(heygen, vtime, retry=hg.RetryPolicy(max_retries=1))
    results = await client.video_agents.create_many(["a"], max_requeues=2, requeue_delay=1.0)
    assert isinstance(results[0].error, hg.APIConnectionError)
    assert len(heygen.attempts) == 2 * 3  # (1 + 1 retry) x (1 + 2 requeues)
    assert [s for s in vtime.sleeps if s >= 1.0] == [1.0, 2.0]  # doubled each time
    assert heygen.sessions_per_prompt() == {"a": 1}


async def test_clean_rejections_are_not_put_back(vtime: VirtualTime) -> None:
    heygen = Heygen()
    heygen.fault = lambda request, n: MockResponse(
        402, json={"error": {"code": "insufficient_credit", "message": "top up"}}
    )
    results = await _client(heygen, vtime).video_agents.create_many(["a"])
    assert isinstance(results[0].error, hg.InsufficientCreditError)
    assert len(heygen.attempts) == 1


async def test_an_outage_finishes_every_item_once_and_pulls_no_input_ahead(
    vtime: VirtualTime,
) -> None:
    heygen = Heygen()
    outage = (1000.0, 1300.0)  # 5 minutes of virtual time with every connection reset
    heygen.fault = lambda request, n: (
        _reset(request, n) if outage[0] <= vtime.now < outage[1] else None
    )
    pulled = 0

    def prompts() -> Any:
        nonlocal pulled
        for i in range(40):
            pulled += 1
            yield f"p{i}"

    client = _client(heygen, vtime, max_concurrent_creates=2)
    ahead = finished = 0
    async for result in client.video_agents.iter_create_many(prompts(), max_requeues=8):
        assert result.ok, result.error
        finished += 1
        ahead = max(ahead, pulled - finished)
    assert heygen.sessions_per_prompt() == {f"p{i}": 1 for i in range(40)}
    # In flight, put back (at most one more than the workers) and queued results: never the
    # whole input, however long the outage.
    assert ahead <= 2 + 3 + 2


async def test_a_409_on_the_last_attempt_is_resumed_with_the_same_key(
    vtime: VirtualTime, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    heygen = Heygen()
    heygen.fault = lambda request, n: IN_PROGRESS  # the first attempt "still running"
    client = _client(heygen, vtime)
    first = await client.video_agents.create_many(["a"], journal=journal, max_requeues=0)
    assert isinstance(first[0].error, hg.ConflictError)
    last = [json.loads(line) for line in journal.read_text().splitlines()][-1]
    assert last["status"] == "failed" and last["in_doubt"] is True

    heygen.fault = lambda request, n: None  # HeyGen has finished: the key now replays
    second = await client.video_agents.create_many(["a"], journal=journal)
    assert second[0].ok
    assert heygen.sessions_per_prompt() == {"a": 1}
    assert len({r.headers["Idempotency-Key"] for r in heygen.attempts}) == 1


async def test_a_reply_cut_in_half_is_resumed_with_the_same_key(
    vtime: VirtualTime, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    heygen = Heygen()
    whole = json.dumps({"data": {"session_id": "s1", "status": "thinking", "created_at": 1}})
    heygen.fault = lambda request, n: MockResponse(200, content=whole[: len(whole) // 2].encode())
    client = _client(heygen, vtime)
    first = await client.video_agents.create_many(["a"], journal=journal, max_requeues=0)
    assert isinstance(first[0].error, hg.APIResponseValidationError)

    heygen.fault = lambda request, n: None
    second = await client.video_agents.create_many(["a"], journal=journal)
    assert second[0].ok and second[0].session is not None
    assert second[0].session.session_id == "s1"
    assert heygen.sessions_per_prompt() == {"a": 1}


async def test_a_journal_that_lost_its_last_records_still_replays(
    vtime: VirtualTime, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    heygen = Heygen()
    client = _client(heygen, vtime)
    await client.video_agents.create_many(["a", "b"], journal=journal)
    # A power cut: only what was fsynced (the journal's identity) survived.
    journal.write_text(journal.read_text().splitlines()[0] + "\n")
    again = await client.video_agents.create_many(["a", "b"], journal=journal)
    assert all(r.ok for r in again)
    assert heygen.sessions_per_prompt() == {"a": 1, "b": 1}  # replayed, not created again


async def test_a_clean_failure_moves_the_next_run_to_a_new_key(
    vtime: VirtualTime, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    heygen = Heygen()
    heygen.fault = lambda request, n: MockResponse(
        400, json={"error": {"code": "invalid_parameter", "message": "no", "param": "prompt"}}
    )
    client = _client(heygen, vtime)
    await client.video_agents.create_many(["a"], journal=journal)
    heygen.fault = lambda request, n: None
    await client.video_agents.create_many(["a"], journal=journal)
    keys = [r.headers["Idempotency-Key"] for r in heygen.attempts]
    assert len(keys) == 2 and keys[0] != keys[1] and keys[1].endswith("-1")


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_max_requeues_is_checked(vtime: VirtualTime, bad: Any) -> None:
    client = _client(Heygen(), vtime)
    with pytest.raises(hg.ValidationError, match="max_requeues"):
        client.video_agents.iter_create_many(["a"], max_requeues=bad)
