"""The batch journal file: records, reading back, torn lines, in-doubt creates, the lock.

Batch behaviour on top of it (skipping, polling, resending with the same key) is in
test_batch.py; these tests hold the file format and its guarantees.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

import heygen_async as hg
from heygen_async import _journal as J
from heygen_async._journal import Journal

REPO = Path(__file__).resolve().parents[1]


def _lines(path: Path) -> list[str]:
    """The items' lines: every line but the journal's identity."""
    return [line for line in _all_lines(path) if not line.startswith('{"journal"')]


def _all_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_records_are_json_lines_read_back_as_each_items_latest_state(tmp_path: Path) -> None:
    path = tmp_path / "runs" / "today" / "journal.jsonl"  # missing directories are made
    journal = Journal(path).open()
    try:
        journal.record("a", index=0, status=J.CREATING, idempotency_key="k-a")
        journal.record("b", index=1, status=J.CREATING, idempotency_key="k-b")
        journal.record("a", status=J.CREATED, session_id="sess_1")
        journal.record("b", status=J.FAILED, error="402 insufficient_credit", in_doubt=False)
    finally:
        journal.close()
    assert [json.loads(line) for line in _lines(path)] == [
        {"key": "a", "index": 0, "status": "creating", "idempotency_key": "k-a"},
        {"key": "b", "index": 1, "status": "creating", "idempotency_key": "k-b"},
        {"key": "a", "status": "created", "session_id": "sess_1"},
        {"key": "b", "status": "failed", "error": "402 insufficient_credit", "in_doubt": False},
    ]

    reread = Journal(path).open()
    try:
        # Later records update earlier ones field by field: nothing recorded is lost.
        assert reread.get("a") == {
            "key": "a",
            "index": 0,
            "status": "created",
            "idempotency_key": "k-a",
            "session_id": "sess_1",
        }
        assert reread.get("b") == {
            "key": "b",
            "index": 1,
            "status": "failed",
            "idempotency_key": "k-b",
            "error": "402 insufficient_credit",
            "in_doubt": False,
        }
        assert reread.get("never seen") is None
    finally:
        reread.close()


def test_a_rerun_appends_to_what_the_last_run_wrote(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    first = Journal(path).open()
    first.record("a", status=J.CREATED, session_id="sess_1")
    first.close()
    second = Journal(path).open()
    second.record("a", status=J.COMPLETED, video_url="https://cdn.test/v.mp4")
    second.record("é", status=J.CREATING, prompt="café ☕")
    second.close()
    third = Journal(path).open()
    try:
        assert third.get("a") == {
            "key": "a",
            "status": "completed",
            "session_id": "sess_1",
            "video_url": "https://cdn.test/v.mp4",
        }
        assert third.get("é") == {"key": "é", "status": "creating", "prompt": "café ☕"}
    finally:
        third.close()
    assert len(_lines(path)) == 3


def test_blank_lines_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text('\n{"key":"a","status":"created"}\n\n   \n{"key":"b","status":"failed"}\n')
    journal = Journal(path).open()
    journal.close()
    assert journal.items == {
        "a": {"key": "a", "status": "created"},
        "b": {"key": "b", "status": "failed"},
    }


def test_a_torn_last_line_is_skipped_and_the_next_record_starts_a_new_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.jsonl"
    torn = '{"key":"b","status":"crea'  # a kill -9 in the middle of a write
    path.write_text('{"key":"a","status":"created","session_id":"sess_1"}\n' + torn)
    journal = Journal(path).open()
    try:
        assert journal.get("a") == {"key": "a", "status": "created", "session_id": "sess_1"}
        assert journal.get("b") is None  # what was cut short never happened
        journal.record("b", status=J.CREATING, idempotency_key="k-b")
    finally:
        journal.close()
    assert _lines(path) == [
        '{"key":"a","status":"created","session_id":"sess_1"}',
        torn,  # left as it was, finished with a newline
        '{"key":"b","status":"creating","idempotency_key":"k-b"}',
    ]
    # The torn line is now in the middle of the file: still tolerated on the run after.
    again = Journal(path).open()
    again.close()
    assert again.get("b") == {"key": "b", "status": "creating", "idempotency_key": "k-b"}
    assert set(again.items) == {"a", "b"}


def test_opening_a_journal_adds_only_its_identity_once(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    content = '{"key":"a","status":"created"}\n'  # written before journals had an identity
    path.write_text(content)
    first = Journal(path).open()
    first.close()
    with_identity = path.read_text()
    assert with_identity.startswith(content)
    assert json.loads(with_identity[len(content) :]) == {"journal": first.identity, "version": 2}
    again = Journal(path).open()
    again.close()
    assert again.identity == first.identity
    assert path.read_text() == with_identity  # nothing more


def test_keys_derive_from_the_identity_and_move_on_only_after_a_clean_failure(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path).open()
    try:
        assert journal.generation("a") == 0
        first = journal.idempotency_key("a", 0)
        assert first == f"hgj-{journal.identity}-a-0"
        assert hg._requests.idempotency_key(first) == first  # a key HeyGen accepts
        journal.record("a", status=J.CREATING, generation=0)
        journal.record("a", status=J.FAILED, in_doubt=True)
        assert journal.generation("a") == 0  # in doubt: the same key again, HeyGen replays
        journal.record("a", status=J.FAILED, in_doubt=False)
        assert journal.generation("a") == 1  # a clean 4xx: nothing was created, a new key
    finally:
        journal.close()
    # A copy of the journal that lost every item record still derives the same first key.
    path.write_text(_all_lines(path)[0] + "\n")
    lost = Journal(path).open()
    lost.close()
    assert lost.idempotency_key("a", lost.generation("a")) == first


@pytest.mark.parametrize(
    ("content", "line"),
    [("hello\n", 1), ('{"key":"a","status":"created"}\n\nkey,status\n', 3)],
)
def test_a_file_that_is_not_a_journal_is_refused_with_its_line(
    tmp_path: Path, content: str, line: int
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(content)
    with pytest.raises(hg.ConfigurationError, match=rf"notes\.txt:{line} is not a heygen-async"):
        Journal(path).open()
    assert path.read_text() == content  # refused before anything was written
    Journal(tmp_path / "fine.jsonl").open().close()  # and the refusal held no lock or file


@pytest.mark.parametrize(
    "error",
    [
        hg.APIConnectionError("connection reset by peer"),
        hg.APITimeoutError("read timed out"),
        hg.InternalServerError(502, "bad_gateway", "upstream failed"),
        hg.InternalServerError(503, "service_unavailable", "try again"),
        hg.RateLimitError(429, "rate_limit_exceeded", "slow down", retry_after=2.0),
        hg.ConflictError(409, "request_in_progress", "the first attempt is still running"),
        hg.APIResponseValidationError(200, "invalid_response", "the reply was cut in half"),
        hg.LimiterError("redis is down"),
    ],
    ids=type,
)
def test_creates_that_may_have_reached_heygen_are_in_doubt(error: BaseException) -> None:
    assert J.in_doubt(error)


@pytest.mark.parametrize(
    "error",
    [
        hg.BadRequestError(400, "invalid_parameter", "prompt is required"),
        hg.AuthenticationError(401, "unauthorized", "bad key"),
        hg.InsufficientCreditError(402, "insufficient_credit", "top up"),
        hg.UnprocessableEntityError(422, "unprocessable", "no"),
        hg.ValidationError("prompt", "must not be empty"),
        ValueError("a bug in the caller's input"),
    ],
    ids=type,
)
def test_definite_rejections_are_not_in_doubt(error: BaseException) -> None:
    assert not J.in_doubt(error)


def test_a_journal_open_in_this_process_is_refused_until_closed(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    first = Journal(path).open()
    first.record("a", status=J.CREATING)
    try:
        second = Journal(path)
        with pytest.raises(hg.ConfigurationError, match="in use by another running batch"):
            second.open()
        assert second.items == {}
    finally:
        first.close()
    third = Journal(path).open()  # the lock went with the close
    third.close()
    assert third.get("a") == {"key": "a", "status": "creating"}


_HOLDER = """
import sys, time
from heygen_async._journal import Journal
journal = Journal(sys.argv[1]).open()
journal.record("held", status="creating", idempotency_key="k-held")
print("open", flush=True)
time.sleep(3600)
"""


async def test_a_journal_open_in_another_process_is_refused_and_freed_by_its_death(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.jsonl"
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _HOLDER, str(path), cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(30):
            assert holder.stdout is not None
            assert (await holder.stdout.readline()).strip() == b"open"
            with pytest.raises(hg.ConfigurationError, match="in use by another running batch"):
                Journal(path).open()
            holder.kill()  # kill -9: no close, no cleanup
            await holder.wait()
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
    journal = Journal(path).open()  # the OS dropped the dead process's lock
    journal.close()
    # Each record was flushed as it was written: the killed run's record is all there.
    assert journal.get("held") == {"key": "held", "status": "creating", "idempotency_key": "k-held"}
