"""The heygen-async command, end to end against FakeHeyGen, in subprocesses."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import io
import json
import os
import pty
import re
import signal
import socket
import struct
import sys
import termios
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest
from aiohttp import web

from heygen_async import cli, webhooks
from heygen_async.cli.listing import VOICES, TableWriter, fit_widths
from heygen_async.cli.progress import ProgressView
from heygen_async.cli.receiver import ENDPOINT_EVENTS
from heygen_async.models import VoiceSummary
from heygen_async.testing import FakeEvent, FakeHeyGen, MockRequest, MockResponse, MockTransport

ROOT = Path(__file__).resolve().parents[1]


async def _run(
    fake: FakeHeyGen | None,
    *args: str,
    key: str | None = "test-key",
    timeout: float = 60,
    stdin: bytes | None = None,
    module: str = "heygen_async",
    env: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    env = _env(fake, key, env)
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


def _env(
    fake: FakeHeyGen | None, key: str | None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of a run: the caller's without any HEYGEN_ variable, then these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEYGEN_")}
    if key is not None:
        env["HEYGEN_API_KEY"] = key
    if fake is not None:
        env["HEYGEN_BASE_URL"] = fake.url
    env.update(extra or {})
    return env


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


# batch --wait with a webhook receiver. The test plays HeyGen: it ends FakeHeyGen's sessions and
# delivers the events FakeHeyGen recorded, signed with the endpoint's secret.

WEBHOOK_SECRET = "whsec_cli_never_shown"


class _Background:
    """A command running in the background, its stderr read line by line as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.err: list[str] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.err.append(line.decode())

    async def line(self, pattern: str, timeout: float = 20) -> re.Match[str]:
        """The first match of `pattern` in a line of stderr, waiting for it if need be."""
        async with asyncio.timeout(timeout):
            while True:
                for text in self.err:
                    if found := re.search(pattern, text):
                        return found
                if self.reader.done():
                    raise AssertionError(f"no {pattern!r} in stderr: {''.join(self.err)}")
                await asyncio.sleep(0.01)

    async def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            out = await self.process.stdout.read()
            await self.reader
            code = await self.process.wait()
        return code, out.decode(), "".join(self.err)


@contextlib.asynccontextmanager
async def _background(
    fake: FakeHeyGen, *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[_Background]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "heygen_async",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(fake, "test-key", env),
    )
    running = _Background(process)
    try:
        yield running
    finally:
        if process.returncode is None:  # a failed test kills it instead of leaving it behind
            process.kill()
            await process.wait()
        with contextlib.suppress(Exception):
            await running.reader


async def _deliver(
    http: aiohttp.ClientSession, url: str, secret: str, events: list[FakeEvent]
) -> list[int]:
    """POST each event as HeyGen delivers to a registered endpoint; the statuses answered."""
    statuses = []
    for event in events:
        body = json.dumps({"event_type": event.event_type, "event_data": event.event_data})
        headers = {
            "Heygen-Signature": webhooks.sign(body.encode(), secret),
            "Heygen-Timestamp": str(int(time.time())),
            "Heygen-Event-Id": event.event_id,
        }
        async with http.post(url, data=body.encode(), headers=headers) as reply:
            statuses.append(reply.status)
    return statuses


async def _end_sessions(fake: FakeHeyGen, count: int) -> None:
    """Once `count` sessions exist, and have had time to be polled if anything polled them,
    finish them all (each ending records its video_agent.success event)."""
    while fake.created_count < count:  # noqa: ASYNC110 - polling the fake's counter
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)  # a poll every 0.01 s would have read each session by now
    for session_id in list(fake.sessions):
        fake.advance(session_id, to="generating")
        fake.advance(session_id, to="completed")


def _job_reads(fake: FakeHeyGen) -> list[str]:
    """The sessions and videos read so far (what polling costs)."""
    prefixes = ("/v3/video-agents/", "/v3/videos/")
    return [r.path for r in fake.requests if r.method == "GET" and r.path.startswith(prefixes)]


@pytest.mark.parametrize("secret_from", ["file", "env"])
async def test_batch_waits_on_webhook_events_instead_of_polling(
    tmp_path: Path, secret_from: str
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(f"clip {i}") for i in range(3)))
    out = tmp_path / "o.jsonl"
    options = ["--wait", "--poll-interval", "0.01", "--webhook-port", "0", "--json"]
    env = {}
    if secret_from == "file":
        (tmp_path / "secret").write_text(WEBHOOK_SECRET + "\n")
        options += ["--webhook-secret-file", str(tmp_path / "secret")]
    else:
        env["HEYGEN_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    async with (
        asyncio.timeout(60),
        FakeHeyGen(step_seconds=None) as fake,
        aiohttp.ClientSession() as http,
        _background(fake, "batch", str(source), "--out", str(out), *options, env=env) as batch,
    ):
        url = (await batch.line(r"receiving webhooks on (\S+):"))[1]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/heygen/webhook", url)
        # Unsigned (as a per-job callback_url delivery is) or signed with another secret: 401.
        body = json.dumps({"event_type": "video_agent.success", "event_data": {"id": "s"}})
        async with http.post(url, data=body) as reply:
            assert reply.status == 401
        forged = {
            "Heygen-Signature": webhooks.sign(body.encode(), "whsec_someone_else"),
            "Heygen-Timestamp": str(int(time.time())),
        }
        async with http.post(url, data=body, headers=forged) as reply:
            assert reply.status == 401

        await _end_sessions(fake, 3)
        read_before_the_events = _job_reads(fake)
        assert await _deliver(http, url, WEBHOOK_SECRET, fake.events) == [200] * 3
        code, stdout, stderr = await batch.finish()
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert (summary["created"], summary["failed"]) == (3, 0)
    assert [r["ok"] for r in _lines(out)] == [True] * 3
    # Each session was read once, when its event came, not polled every 0.01 s before it.
    assert read_before_the_events == []
    sessions = [p for p in _job_reads(fake) if p.startswith("/v3/video-agents/")]
    assert sorted(sessions) == sorted(f"/v3/video-agents/{s}" for s in fake.sessions)
    assert stderr.count("receiving webhooks on") == 1 and "HeyGen must reach it" in stderr
    assert WEBHOOK_SECRET not in stdout + stderr


async def test_batch_registers_an_endpoint_for_the_run_and_never_shows_its_secret(
    tmp_path: Path,
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(f"clip {i}") for i in range(2)))
    with socket.socket() as probe:  # a free port, for the URL to register before it listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    public = f"http://127.0.0.1:{port}/heygen/webhook"  # loopback http: fine in development
    args = ["batch", str(source), "--out", str(tmp_path / "o.jsonl"), "--wait", "--json"]
    args += ["--webhook-port", str(port), "--register-endpoint", public]
    async with (
        asyncio.timeout(60),
        FakeHeyGen(step_seconds=None) as fake,
        aiohttp.ClientSession() as http,
        _background(fake, *args) as batch,
    ):
        endpoint_id = (await batch.line(r"registered webhook endpoint (\S+) for "))[1]
        assert (await batch.line(r"receiving webhooks on (\S+)$"))[1] == public
        endpoint = fake.webhook_endpoints[endpoint_id]
        assert endpoint["url"] == public
        assert sorted(endpoint["events"]) == sorted(ENDPOINT_EVENTS)
        secret = endpoint["secret"]
        async with http.post(public, data=b"{}") as reply:
            assert reply.status == 401
        await _end_sessions(fake, 2)
        # FakeHeyGen delivers each event to the endpoint, signed with its secret, as HeyGen does.
        code, stdout, stderr = await batch.finish()
    assert code == 0, stderr
    assert json.loads(stdout)["created"] == 2
    delivered = [d for d in fake.deliveries if d.endpoint_id == endpoint_id]
    assert len(delivered) == 2 and all(d.ok and d.signed for d in delivered)
    sessions = [p for p in _job_reads(fake) if p.startswith("/v3/video-agents/")]
    assert len(sessions) == 2  # each read once, on its event
    assert endpoint_id not in fake.webhook_endpoints  # deleted when the batch ended
    assert f"deleted webhook endpoint {endpoint_id}" in stderr
    assert secret not in stdout + stderr


def test_batch_webhook_options_fail_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HEYGEN_API_KEY", "k")
    monkeypatch.delenv("HEYGEN_WEBHOOK_SECRET", raising=False)
    source = tmp_path / "in.jsonl"
    source.write_text('{"prompt": "x"}\n')
    (tmp_path / "empty").write_text("\n")
    sent: list[MockRequest] = []

    def handler(request: MockRequest) -> MockResponse:
        sent.append(request)
        return MockResponse(500)

    def run(*options: str) -> str:
        argv = ["batch", str(source), "--out", str(tmp_path / "o.jsonl"), *options]
        assert cli.main(argv, transport=MockTransport(handler)) == 2
        return capsys.readouterr().err

    err = run("--wait", "--webhook-port", "0")
    assert "HEYGEN_WEBHOOK_SECRET" in err and "--webhook-secret-file" in err
    assert "empty" in run(
        "--wait", "--webhook-port", "0", "--webhook-secret-file", str(tmp_path / "empty")
    )
    assert "cannot read" in run(
        "--wait", "--webhook-port", "0", "--webhook-secret-file", str(tmp_path / "nope")
    )
    assert "needs --wait" in run("--webhook-port", "0")
    assert "needs --webhook-port" in run("--wait", "--register-endpoint", "https://x.example/h")
    assert "secret of its own" in run(
        "--wait",
        "--webhook-port",
        "0",
        "--register-endpoint",
        "https://x.example/h",
        "--webhook-secret-file",
        str(tmp_path / "empty"),
    )
    assert "must start with '/'" in run(
        "--wait",
        "--webhook-port",
        "0",
        "--webhook-path",
        "hook",
        "--register-endpoint",
        "https://x.example/h",
    )
    # The secret is never an argument: no such option, nor an abbreviation of one.
    for option in ("--webhook-secret", "--webhook-secret-fil"):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["batch", str(source), "--out", "o", "--wait", option, WEBHOOK_SECRET])
        assert exit_info.value.code == 2
        assert "unrecognized arguments" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["batch", str(source), "--out", "o", "--wait", "--webhook-port", "70000"])
    assert "0 to 65535" in capsys.readouterr().err
    monkeypatch.setenv("HEYGEN_WEBHOOK_SECRET", WEBHOOK_SECRET)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        err = run("--wait", "--webhook-port", str(taken.getsockname()[1]))
    assert "cannot receive webhooks on 127.0.0.1:" in err and WEBHOOK_SECRET not in err
    assert sent == []


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


# The list commands (avatars, voices, brand-kits, styles) against a catalogue of schema-valid
# items, served by a MockTransport in-process or by a loopback server to a subprocess.

KEY = "sk-cli-listing-secret"


def _looks(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"look_{i:03d}",
            "name": f"Presenter {i} in a blue suit",
            "avatar_type": "studio_avatar",
            "gender": "female",
            "group_id": "grp_1",
            "default_voice_id": f"voice_{i:03d}",
            "preview_image_url": f"https://files.example/looks/{i}.png",
        }
        for i in range(count)
    ]


def _voices(count: int) -> list[dict[str, Any]]:
    return [
        {
            "voice_id": f"voice_{i:03d}",
            "name": f"Voice {i}",
            "language": "English",
            "gender": "female",
            "type": "private",
            "support_locale": False,
            "support_pause": True,
            "preview_audio_url": f"https://files.example/voices/{i}.mp3",
        }
        for i in range(count)
    ]


CATALOGUE: dict[str, list[dict[str, Any]]] = {
    "/v3/avatars/looks": _looks(5),
    "/v3/avatars": [
        {"id": "grp_1", "name": "Presenter", "looks_count": 5, "created_at": 1704067200},
    ],
    "/v3/voices": _voices(5),
    "/v3/brand-kits": [
        {"brand_kit_id": "bk_1", "name": "Acme", "colors": ["#112233", "#ffffff"]},
        {"brand_kit_id": "bk_2", "name": "Acme dark", "logo_url": "https://files.example/l.png"},
    ],
    "/v3/video-agents/styles": [
        {"style_id": "style_01", "name": "Noir", "tags": ["cinematic"], "aspect_ratio": "16:9"},
    ],
}


class Catalogue:
    """List endpoints over fixed items, `page_size` a page whatever `limit` asks (the cursor
    is what pages), recording each request's path and query; `fail` maps a request's number
    (from 1) to an error status."""

    def __init__(
        self,
        items: dict[str, list[dict[str, Any]]] | None = None,
        *,
        page_size: int = 2,
        fail: dict[int, int] | None = None,
    ) -> None:
        self.items = items if items is not None else CATALOGUE
        self.page_size = page_size
        self.fail = fail or {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.keys: set[str | None] = set()

    def reply(self, path: str, query: dict[str, str], key: str | None) -> tuple[int, Any]:
        self.requests.append((path, query))
        self.keys.add(key)
        status = self.fail.get(len(self.requests))
        if status is not None:
            return status, {"error": {"code": "refused", "message": "no\nway"}}
        if path not in self.items:
            return 404, {"error": {"code": "not_found", "message": path}}
        start = int(query.get("token", "0"))
        end = start + self.page_size
        more = end < len(self.items[path])
        page = self.items[path][start:end]
        return 200, {"data": page, "has_more": more, "next_token": str(end) if more else None}

    def transport(self) -> MockTransport:
        def handler(request: MockRequest) -> MockResponse:
            url = urlsplit(request.url)
            key = request.headers.get("x-api-key")
            status, body = self.reply(url.path, dict(parse_qsl(url.query)), key)
            return MockResponse(status, json=body)

        return MockTransport(handler)

    @contextlib.asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        """The catalogue on a loopback port; yields its base URL."""

        async def handle(request: web.Request) -> web.Response:
            key = request.headers.get("x-api-key")
            status, body = self.reply(request.path, dict(request.query), key)
            return web.json_response(body, status=status)

        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            port = runner.addresses[0][1]
            yield f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


def _list(
    catalogue: Catalogue,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
) -> tuple[int, list[dict[str, Any]], str]:
    """Run a command in-process on `catalogue`; its exit code, JSON lines and stderr."""
    monkeypatch.setenv("HEYGEN_API_KEY", KEY)
    monkeypatch.delenv("HEYGEN_BASE_URL", raising=False)
    code = cli.main(list(args), transport=catalogue.transport())
    out, err = capsys.readouterr()
    assert KEY not in out and KEY not in err
    return code, [json.loads(line) for line in out.splitlines()], err


def test_voices_json_lines_every_page_with_filters_as_query(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = Catalogue()
    code, items, err = _list(
        catalogue,
        capsys,
        monkeypatch,
        "voices",
        "--language",
        "English",
        "--gender",
        "female",
        "--type",
        "private",
        "--engine",
        "starfish",
    )
    assert code == 0, err
    assert [v["voice_id"] for v in items] == [f"voice_{i:03d}" for i in range(5)]
    # Every line carries every field of the model, in the same order: jq can rely on them.
    assert all(list(v) == list(items[0]) for v in items)
    assert {"voice_id", "name", "language", "gender", "type", "preview_audio_url"} <= set(items[0])
    paths = [path for path, _ in catalogue.requests]
    assert paths == ["/v3/voices"] * 3  # 5 items, 2 a page
    first = catalogue.requests[0][1]
    assert first == {
        "type": "private",
        "language": "English",
        "gender": "female",
        "engine": "starfish",
        "limit": "100",
    }
    assert [q.get("token") for _, q in catalogue.requests] == [None, "2", "4"]
    assert catalogue.keys == {KEY}


def test_json_is_the_default_when_stdout_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # capsys' stdout is no terminal: the same lines with or without --json.
    plain = _list(Catalogue(), capsys, monkeypatch, "brand-kits")
    forced = _list(Catalogue(), capsys, monkeypatch, "brand-kits", "--json")
    assert plain == forced
    code, items, _ = plain
    assert code == 0
    assert [(k["brand_kit_id"], k["colors"], k["logo_url"]) for k in items] == [
        ("bk_1", ["#112233", "#ffffff"], None),
        ("bk_2", [], "https://files.example/l.png"),
    ]


def test_avatars_list_looks_whose_id_is_the_avatar_id(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = Catalogue()
    code, items, err = _list(
        catalogue,
        capsys,
        monkeypatch,
        "avatars",
        "--ownership",
        "private",
        "--type",
        "digital_twin",
        "--group",
        "grp_1",
    )
    assert code == 0, err
    assert [a["id"] for a in items] == [f"look_{i:03d}" for i in range(5)]
    assert catalogue.requests[0] == (
        "/v3/avatars/looks",
        {"group_id": "grp_1", "avatar_type": "digital_twin", "ownership": "private", "limit": "50"},
    )

    groups = Catalogue()
    code, items, _ = _list(groups, capsys, monkeypatch, "avatars", "--groups")
    assert code == 0
    assert [(g["id"], g["looks_count"]) for g in items] == [("grp_1", 5)]
    assert groups.requests == [("/v3/avatars", {"limit": "50"})]

    with pytest.raises(SystemExit):
        cli.main(["avatars", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "A look's id is the avatar_id a create takes (--avatar-id)" in help_text
    assert "a group id is not an avatar_id" in help_text


def test_avatars_groups_refuses_look_filters_before_sending(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = Catalogue()
    for look_filter in (["--type", "digital_twin"], ["--group", "grp_1"]):
        code, _, err = _list(catalogue, capsys, monkeypatch, "avatars", "--groups", *look_filter)
        assert code == 2 and "--groups" in err and err.count("\n") == 1
    assert catalogue.requests == []


def test_styles_tag_and_limit_stop_fetching(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = Catalogue()
    code, items, _ = _list(catalogue, capsys, monkeypatch, "styles", "--tag", "cinematic")
    assert code == 0 and [s["style_id"] for s in items] == ["style_01"]
    assert catalogue.requests == [("/v3/video-agents/styles", {"tag": "cinematic", "limit": "100"})]

    looks = Catalogue({"/v3/avatars/looks": _looks(40)})
    code, items, _ = _list(looks, capsys, monkeypatch, "avatars", "--limit", "5")
    assert code == 0
    assert [a["id"] for a in items] == [f"look_{i:03d}" for i in range(5)]
    # 2 an answer: 3 pages hold 5 items, and no 4th page is asked for.
    assert len(looks.requests) == 3
    assert looks.requests[0][1]["limit"] == "5"  # no bigger page than --limit needs


def test_limit_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("0", "-1", "many"):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["voices", "--limit", bad], transport=Catalogue().transport())
        assert exit_info.value.code == 2
    assert "--limit" in capsys.readouterr().err


def test_api_failure_is_exit_1_with_one_line_after_the_pages_before_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, items, err = _list(Catalogue(fail={1: 401}), capsys, monkeypatch, "voices")
    assert code == 1 and items == []
    assert err.startswith("heygen-async: AuthenticationError: 401 refused: no way")
    assert err.count("\n") == 1 and "Traceback" not in err

    code, items, err = _list(Catalogue(fail={2: 404}), capsys, monkeypatch, "voices")
    assert code == 1
    assert [v["voice_id"] for v in items] == ["voice_000", "voice_001"]  # the first page
    assert "NotFoundError" in err and err.count("\n") == 1


def test_key_missing_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HEYGEN_API_KEY", raising=False)
    catalogue = Catalogue()
    assert cli.main(["brand-kits"], transport=catalogue.transport()) == 2
    assert "HEYGEN_API_KEY" in capsys.readouterr().err
    assert catalogue.requests == []


def test_create_sends_the_brand_kit_id(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[Any] = []

    def handler(request: MockRequest) -> MockResponse:
        sent.append(request.json())
        return MockResponse(400, json={"error": {"code": "invalid_parameter", "message": "x"}})

    monkeypatch.setenv("HEYGEN_API_KEY", KEY)
    argv = ["create", "A teaser", "--brand-kit-id", "bk_1", "--avatar-id", "look_000"]
    assert cli.main(argv, transport=MockTransport(handler)) == 1
    assert sent[0]["brand_kit_id"] == "bk_1" and sent[0]["avatar_id"] == "look_000"
    assert cli.main([*argv, "--api", "sessions"], transport=MockTransport(handler)) == 2
    assert len(sent) == 1  # the sessions API has no brand kits: refused before sending
    assert "brand_kit_id" in capsys.readouterr().err


def test_table_aligns_truncates_and_keeps_ids_whole() -> None:
    out = io.StringIO()
    table = TableWriter(out, VOICES, width=80, batch=2)
    for i, name in enumerate(["Ann", "A very long voice name that will not fit\x1b[31m", "翻訳者"]):
        table.write(
            VoiceSummary(
                voice_id=f"voice_with_a_rather_long_id_{i}",
                name=name,
                language="English",
                gender="female",
                type="public",
                support_locale=False,
                support_pause=True,
                preview_audio_url="https://files.example/voices/a-long-path/preview.mp3",
            )
        )
    table.close()
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["voice_id", "name", "language", "gender", "type", "preview"]
    assert "\x1b" not in out.getvalue()  # a control character from the API never reaches a tty
    for i, line in enumerate(lines[1:]):
        assert line.startswith(f"voice_with_a_rather_long_id_{i}  ")  # ids are never cut
    name_at = lines[0].index("name")
    assert lines[1][name_at:].startswith("Ann ")
    assert lines[2][name_at:].split("  ")[0].endswith("…")
    assert lines[3][name_at:].startswith("翻訳者")  # printed after the widths were set
    assert all(len(line) <= 80 for line in lines[:3])


def test_fit_widths_cuts_the_widest_columns_first() -> None:
    assert fit_widths([10, 5, 30], 100) == [10, 5, 30]
    assert fit_widths([10, 5, 30], 40) == [10, 5, 21]
    assert fit_widths([40, 20, 20], 50) == [40, 8, 8]  # never below 8, never the id


async def _run_on_a_terminal(base_url: str, *args: str, columns: int) -> tuple[int, str]:
    """Run `heygen-async` with its stdout on a pseudo-terminal `columns` wide."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEYGEN_")}
    env.pop("COLUMNS", None)
    env.update(HEYGEN_API_KEY=KEY, HEYGEN_BASE_URL=base_url)
    main_fd, terminal_fd = pty.openpty()
    fcntl.ioctl(terminal_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "heygen_async", *args, stdout=terminal_fd, env=env
        )
    finally:
        os.close(terminal_fd)
    loop = asyncio.get_running_loop()
    chunks: list[bytes] = []

    def read_all() -> None:
        while True:
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:  # EIO: the command closed the terminal
                return
            if not chunk:
                return
            chunks.append(chunk)

    try:
        async with asyncio.timeout(30):
            await loop.run_in_executor(None, read_all)
            code = await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    finally:
        os.close(main_fd)
    return code, b"".join(chunks).decode().replace("\r\n", "\n")


async def test_avatars_on_a_terminal_is_a_table_across_pages() -> None:
    catalogue = Catalogue()
    async with catalogue.serve() as url:
        code, text = await _run_on_a_terminal(url, "avatars", columns=100)
    assert code == 0, text
    lines = text.splitlines()
    header = lines[0].split()
    assert header[:3] == ["avatar_id", "name", "type"] and header[-1] == "preview"
    assert [line.split()[0] for line in lines[1:]] == [f"look_{i:03d}" for i in range(5)]
    name_at = lines[0].index("name")
    assert all(line[name_at:].startswith("Presenter ") for line in lines[1:])
    assert all(len(line) <= 100 for line in lines)
    assert any("…" in line for line in lines[1:])  # 100 columns do not hold the long cells
    assert len(catalogue.requests) == 3 and KEY not in text


async def test_json_flag_on_a_terminal_still_prints_json_lines() -> None:
    async with Catalogue().serve() as url:
        code, text = await _run_on_a_terminal(url, "styles", "--json", columns=100)
    assert code == 0, text
    assert [json.loads(line)["style_id"] for line in text.splitlines()] == ["style_01"]


async def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    # `heygen-async voices | head -1`: once the pipe is closed, a write fails with EPIPE.
    catalogue = Catalogue({"/v3/voices": _voices(2000)}, page_size=100)  # more than a pipe holds
    read_fd, write_fd = os.pipe()
    async with catalogue.serve() as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEYGEN_")}
        env.update(HEYGEN_API_KEY=KEY, HEYGEN_BASE_URL=url)
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "heygen_async",
                "voices",
                stdout=write_fd,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
        finally:
            os.close(write_fd)
        try:
            async with asyncio.timeout(30):
                with os.fdopen(read_fd, "rb") as reader:
                    first = await asyncio.to_thread(reader.readline)
                _, err = await process.communicate()
                code = process.returncode
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
    assert json.loads(first)["voice_id"] == "voice_000"
    assert code == 0 and err == b""
    assert len(catalogue.requests) < 20  # it stopped rather than fetching every page
