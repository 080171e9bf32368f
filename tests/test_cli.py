"""The heygen-async command, end to end against FakeHeyGen, in subprocesses."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from heygen_async import cli
from heygen_async.cli.progress import ProgressView
from heygen_async.testing import FakeHeyGen

ROOT = Path(__file__).resolve().parents[1]


async def _run(
    fake: FakeHeyGen | None,
    *args: str,
    key: str | None = "test-key",
    timeout: float = 60,
    stdin: bytes | None = None,
    module: str = "heygen_async",
) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEYGEN_")}
    if key is not None:
        env["HEYGEN_API_KEY"] = key
    if fake is not None:
        env["HEYGEN_BASE_URL"] = fake.url
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else None,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin), timeout)
    except TimeoutError:
        process.kill()  # a hung command fails its test instead of outliving it
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def _feed_fifo(path: Path, data: bytes, timeout: float = 20) -> None:
    """Write `data` into the FIFO once, when its reader opens it, then close it (end of input)."""
    assert len(data) <= 4096  # at most PIPE_BUF: one non-blocking write takes it all
    async with asyncio.timeout(timeout):
        while True:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: no reader has opened it yet
                    raise
                await asyncio.sleep(0.01)
    try:
        assert os.write(fd, data) == len(data)
    finally:
        os.close(fd)


def _piped_input(count: int) -> bytes:
    """`count` prompts as JSON lines, with a bad line as line 3."""
    lines = [json.dumps({"prompt": f"piped {i}"}) for i in range(count)]
    lines.insert(2, "not json")
    return ("\n".join(lines) + "\n").encode()


async def test_batch_jsonl_end_to_end(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(json.dumps({"prompt": f"video {i}", "orientation": "portrait"}) for i in range(8))
    )
    out = tmp_path / "results.jsonl"
    async with FakeHeyGen(step_seconds=None) as fake:
        fake.fail("/v3/video-agents$", method="POST", status=429, retry_after=0.1)
        code, stdout, stderr = await _run(
            fake, "batch", str(source), "--out", str(out), "--concurrency", "3", "--json"
        )
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["created"] == 8 and summary["failed"] == 0 and summary["retried"] == 1
    results = _lines(out)
    assert sorted(r["line"] for r in results) == list(range(1, 9))
    assert all(r["ok"] and r["session"]["session_id"] for r in results)
    assert "8/8" in stderr  # plain progress lines when stderr is not a terminal
    assert fake.peak_in_flight_creates <= 3


async def test_batch_csv_with_bad_lines_skipped(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "prompt,orientation,incognito_mode\n"
        "First video,landscape,false\n"
        ",landscape,false\n"
        "Third video,sideways,false\n"
        "Fourth video,,maybe\n"
        "Fifth video,portrait,true\n"
    )
    out = tmp_path / "results.jsonl"
    async with FakeHeyGen(step_seconds=None) as fake:
        code, stdout, stderr = await _run(fake, "batch", str(source), "--out", str(out), "--json")
    assert code == 1  # some items failed
    summary = json.loads(stdout)
    assert (summary["created"], summary["failed"], summary["bad_lines"]) == (2, 3, 3)
    for line in (3, 4, 5):
        assert f"in.csv:{line}: skipped" in stderr
    results = {r["line"]: r for r in _lines(out)}
    assert [n for n, r in sorted(results.items()) if r["ok"]] == [2, 6]
    assert not results[3]["ok"] and "prompt" in results[3]["error"]["message"]
    assert len(fake.sessions) == 2
    assert {s.prompt for s in fake.sessions.values()} == {"First video", "Fifth video"}


async def test_batch_bad_lines_fatal_sends_nothing(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"prompt": "fine"}\nnot json\n{"prompt": "x", "mood": 1}\n[1, 2]\n')
    async with FakeHeyGen(step_seconds=None) as fake:
        code, _, stderr = await _run(
            fake, "batch", str(source), "--out", str(tmp_path / "o.jsonl"), "--on-bad-line", "fail"
        )
    assert code == 2
    assert "in.jsonl:2: not valid JSON" in stderr
    assert "in.jsonl:3: mood" in stderr
    assert "in.jsonl:4:" in stderr
    assert "nothing was sent" in stderr
    assert fake.requests == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
async def test_batch_reads_a_fifo_input_once(tmp_path: Path) -> None:
    # A FIFO gives its content to one reader only: opening it a second time (to count, then
    # to send) would block for ever, and the timeout fails the test.
    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)
    out = tmp_path / "results.jsonl"
    async with FakeHeyGen(step_seconds=None) as fake:
        feeding = asyncio.create_task(_feed_fifo(fifo, _piped_input(6)))
        code, stdout, stderr = await _run(
            fake, "batch", str(fifo), "--out", str(out), "--json", timeout=20
        )
        await feeding
    assert code == 1, stderr  # the bad line counts as a failure
    summary = json.loads(stdout)
    assert (summary["items"], summary["created"], summary["bad_lines"]) == (7, 6, 1)
    assert "6/6" in stderr  # the total is known although the input was read only once
    assert f"{fifo}:3: skipped: not valid JSON" in stderr
    assert sorted(r["line"] for r in _lines(out)) == list(range(1, 8))
    assert sorted(s.prompt for s in fake.sessions.values()) == [f"piped {i}" for i in range(6)]


async def test_batch_reads_stdin_given_as_dash(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    async with FakeHeyGen(step_seconds=None) as fake:
        code, stdout, stderr = await _run(
            fake, "batch", "-", "--out", str(out), "--json", stdin=_piped_input(5), timeout=20
        )
    assert code == 1, stderr
    summary = json.loads(stdout)
    assert (summary["items"], summary["created"], summary["bad_lines"]) == (6, 5, 1)
    assert "<stdin>:3: skipped: not valid JSON" in stderr
    assert "5/5" in stderr
    assert sorted(s.prompt for s in fake.sessions.values()) == [f"piped {i}" for i in range(5)]


async def test_batch_wait_and_download(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(f"clip {i}") for i in range(4)))
    videos = tmp_path / "videos"
    async with FakeHeyGen(step_seconds=0.02) as fake:
        code, stdout, stderr = await _run(
            fake,
            "batch",
            str(source),
            "--out",
            str(tmp_path / "o.jsonl"),
            "--download-dir",
            str(videos),
            "--max-active",
            "2",
            "--poll-interval",
            "0.02",
        )
    assert code == 0, stderr
    assert len(list(videos.glob("*.mp4"))) == 4
    assert "4 created" in stdout


async def test_kill_9_mid_batch_then_rerun_loses_nothing_and_creates_nothing_twice(
    tmp_path: Path,
) -> None:
    source = tmp_path / "in.jsonl"
    count = 60
    source.write_text("\n".join(json.dumps({"prompt": f"paid job {i}"}) for i in range(count)))
    journal = tmp_path / "journal.jsonl"
    args = ["batch", str(source), "--out", str(tmp_path / "o.jsonl"), "--journal", str(journal)]
    async with FakeHeyGen(step_seconds=None, create_latency=0.05) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEYGEN_")}
        env.update(HEYGEN_API_KEY=fake.api_key, HEYGEN_BASE_URL=fake.url)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "heygen_async",
            *args,
            "--quiet",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        # Let it get well into the batch, with creates in flight.
        while fake.created_count < 10:  # noqa: ASYNC110 - polling the fake's counter
            await asyncio.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        killed_at = fake.created_count
        assert killed_at < count
        code, stdout, stderr = await _run(fake, *args, "--json")
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["resumed"] + summary["created"] == count
    assert summary["resumed"] >= 1
    prompts = [s.prompt for s in fake.sessions.values()]
    assert sorted(prompts) == sorted(f"paid job {i}" for i in range(count))  # each exactly once
    # Whatever was in flight at the kill was sent again with its own key and replayed.
    keys_by_prompt: dict[str, set[str]] = {}
    for request in fake.creates():
        keys_by_prompt.setdefault(request.json["prompt"], set()).add(request.idempotency_key or "")
    assert all(len(keys) == 1 for keys in keys_by_prompt.values())


async def test_create_get_wait_styles_commands(tmp_path: Path) -> None:
    async with FakeHeyGen(step_seconds=0.02) as fake:
        code, stdout, stderr = await _run(
            fake, "create", "A short teaser", "--orientation", "portrait", "--json"
        )
        assert code == 0, stderr
        session = json.loads(stdout)
        sid = session["session_id"]
        code, stdout, _ = await _run(fake, "get", sid, "--json")
        assert code == 0 and json.loads(stdout)["session_id"] == sid
        code, stdout, _ = await _run(
            fake, "wait", sid, "--poll-interval", "0.02", "--download-dir", str(tmp_path)
        )
        assert code == 0 and "status: completed" in stdout
        assert len(list(tmp_path.glob("*.mp4"))) == 1
        code, stdout, _ = await _run(fake, "styles", "--tag", "print")
        assert code == 0 and stdout.count("\n") == 4
        code, _, stderr = await _run(fake, "get", "sess_nope")
        assert code == 1 and "NotFoundError" in stderr
        code, stdout, _ = await _run(fake, "create", "interactive", "--api", "sessions", "--json")
        assert code == 0 and json.loads(stdout)["session_id"] in fake.sessions


async def test_runs_as_python_dash_m_heygen_async_cli() -> None:
    async with FakeHeyGen(step_seconds=None) as fake:
        code, stdout, stderr = await _run(fake, "styles", "--json", module="heygen_async.cli")
    assert code == 0, stderr
    assert all(json.loads(line)["style_id"] for line in stdout.splitlines())
    assert stdout.strip()


async def test_key_comes_from_env_or_file_never_an_argument(tmp_path: Path) -> None:
    async with FakeHeyGen(step_seconds=None) as fake:
        code, _, stderr = await _run(fake, "styles", key=None)
        assert code == 2 and "HEYGEN_API_KEY" in stderr
        key_file = tmp_path / "key"
        key_file.write_text("test-key\n")
        code, _, _ = await _run(fake, "styles", "--api-key-file", str(key_file), key=None)
        assert code == 0
        code, _, stderr = await _run(fake, "styles", "--api-key", "test-key", key=None)
        assert code == 2 and "unrecognized arguments" in stderr


async def test_demo_runs_the_bundled_prompts(tmp_path: Path) -> None:
    code, stdout, stderr = await _run(None, "demo", "--out", str(tmp_path), "--json", key=None)
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["items"] == 50 and summary["created"] == 50 and summary["failed"] == 0
    assert len(list((tmp_path / "videos").glob("*.mp4"))) == 50
    assert len(_lines(tmp_path / "results.jsonl")) == 50


def test_progress_line_format() -> None:
    from heygen_async.batch import BatchProgress

    progress = BatchProgress(
        total=100,
        started=60,
        done=50,
        succeeded=47,
        failed=3,
        resumed=0,
        in_flight=10,
        retried=4,
        elapsed=10.0,
    )
    line = ProgressView.line(progress, bar=True)
    assert line.startswith("[############............] 50/100")
    assert "3 failed" in line and "4 retried" in line and "10 in flight" in line
    assert "5.0/s" in line and "ETA 10s" in line


def test_missing_input_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEYGEN_API_KEY", "k")
    code = cli.main(["batch", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")])
    assert code == 2


def test_unwritable_output_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HEYGEN_API_KEY", "k")
    monkeypatch.setenv("HEYGEN_BASE_URL", "http://127.0.0.1:9")
    source = tmp_path / "in.jsonl"
    source.write_text('{"prompt": "x"}\n')
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code = cli.main(["batch", str(source), "--out", str(blocker / "results.jsonl")])
    assert code == 2
    assert "heygen-async:" in capsys.readouterr().err
