"""The `heygen-async` command: create, get, wait, styles, batch, fake-server, demo.

The API key comes from HEYGEN_API_KEY or `--api-key-file`, never from a plain argument
(arguments show up in `ps` and shell history).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, TextIO

import attrs

from . import _constants as C
from ._client import AsyncHeyGen
from ._convert import structure, unstructure
from ._errors import ConfigurationError, HeyGenError, ValidationError
from ._requests import build_model
from ._retry import RetryPolicy
from .batch import BatchProgress, BatchResult, describe_error
from .models import AssetBase64, AssetId, AssetUrl, CreateSessionRequest, CreateVideoAgentRequest
from .resources.sessions import AgentSessions, Sessions
from .resources.video_agents import VideoAgents

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_BOOLEAN_FIELDS = ("auto_proceed", "incognito_mode")


class UsageError(Exception):
    """Bad input or configuration: reported on stderr, exit code 2."""


# -- input files ---------------------------------------------------------------------------------


@attrs.frozen
class InputLine:
    """One item of a batch input: its line number, and a request or the reason it has none."""

    number: int
    request: Any = None
    error: str | None = None


def read_input(path: Path, api: str) -> Iterator[InputLine]:
    """Parse a JSON-lines file (a request object a line) or a CSV file with a prompt column."""
    cls = CreateSessionRequest if api == "sessions" else CreateVideoAgentRequest
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        if path.suffix.lower() == ".csv":
            yield from _read_csv(handle, path, cls)
        else:
            yield from _read_jsonl(handle, cls)


def _read_jsonl(handle: TextIO, cls: type[Any]) -> Iterator[InputLine]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputLine(number, error=f"not valid JSON ({exc.msg})")
            continue
        if isinstance(fields, str):
            fields = {"prompt": fields}
        if not isinstance(fields, dict):
            yield InputLine(number, error="a line must be a JSON object of request fields")
            continue
        yield _build(number, fields, cls)


def _read_csv(handle: TextIO, path: Path, cls: type[Any]) -> Iterator[InputLine]:
    reader = csv.DictReader(handle)
    if reader.fieldnames is None or "prompt" not in reader.fieldnames:
        raise UsageError(f"{path}: a CSV input needs a 'prompt' column")
    for row in reader:
        number = reader.line_num
        fields: dict[str, Any] = {}
        for name, value in row.items():
            if name is None:
                yield InputLine(number, error="more cells than columns")
                break
            if value is None or value == "":
                continue
            if name in _BOOLEAN_FIELDS:
                lowered = value.strip().lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no"):
                    yield InputLine(number, error=f"{name}: expected true or false, not {value!r}")
                    break
                fields[name] = lowered in ("true", "1", "yes")
            elif name == "files":
                fields[name] = [{"type": "url", "url": u} for u in value.split()]
            else:
                fields[name] = value
        else:
            yield _build(number, fields, cls)


def _build(number: int, fields: dict[str, Any], cls: type[Any]) -> InputLine:
    try:
        if isinstance(fields.get("files"), list):
            fields = {**fields, "files": [_file(f) for f in fields["files"]]}
        return InputLine(number, request=build_model(cls, None, fields, "request"))
    except ValidationError as exc:
        return InputLine(number, error=str(exc))


def _file(value: Any) -> Any:
    if isinstance(value, str):
        return AssetUrl(value)
    try:
        return structure(value, AssetUrl | AssetId | AssetBase64)  # type: ignore[arg-type]
    except ValidationError:
        raise
    except Exception as exc:
        raise ValidationError("files", f"not a file object ({exc})") from None


# -- progress ------------------------------------------------------------------------------------


class ProgressView:
    """A live bar on a terminal; a plain line every few seconds anywhere else."""

    def __init__(self, stream: IO[str], *, live: bool, quiet: bool = False) -> None:
        self.stream = stream
        self.live = live
        self.quiet = quiet
        self._last = 0.0
        self._drawn = False

    def update(self, p: BatchProgress, *, force: bool = False) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if not force and now - self._last < (0.1 if self.live else 2.0):
            return
        self._last = now
        if self.live:
            self.stream.write("\r\x1b[2K" + self.line(p, bar=True))
            self._drawn = True
        else:
            self.stream.write(self.line(p, bar=False) + "\n")
        self.stream.flush()

    def finish(self, p: BatchProgress) -> None:
        self.update(p, force=True)
        if self.live and self._drawn and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()

    @staticmethod
    def line(p: BatchProgress, *, bar: bool) -> str:
        total = p.total
        count = f"{p.done}/{total}" if total is not None else f"{p.done}"
        parts = [
            count,
            f"{p.succeeded} ok",
            f"{p.failed} failed",
            f"{p.retried} retried",
            f"{p.in_flight} in flight",
            f"{p.rate:.1f}/s",
        ]
        if p.resumed:
            parts.insert(2, f"{p.resumed} resumed")
        eta = p.eta
        if eta is not None and p.done < (total or 0):
            parts.append(f"ETA {_duration(eta)}")
        text = " | ".join(parts)
        if bar and total:
            width = 24
            filled = int(width * p.done / total)
            text = f"[{'#' * filled}{'.' * (width - filled)}] " + text
        return text


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


# -- the batch command ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BatchOptions:
    input: Path
    out: Path
    api: str = "video-agents"
    concurrency: int | None = None
    wait: bool = False
    max_active: int | None = None
    download_dir: Path | None = None
    journal: Path | None = None
    on_bad_line: str = "skip"
    poll_interval: float = C.DEFAULT_POLL_INTERVAL
    wait_timeout: float | None = C.DEFAULT_WAIT_TIMEOUT


async def run_batch(
    client: AsyncHeyGen, options: BatchOptions, view: ProgressView
) -> dict[str, Any]:
    """Run a batch from an input file; returns the summary (see `heygen-async batch --help`)."""
    api = "sessions" if options.api == "sessions" else "video_agents"
    resource: AgentSessions = client.sessions if api == "sessions" else client.video_agents
    total = 0
    bad: list[InputLine] = []
    for line in read_input(options.input, api):
        total += 1
        if line.error is not None:
            bad.append(line)
    if bad and options.on_bad_line == "fail":
        for line in bad:
            print(f"{options.input}:{line.number}: {line.error}", file=sys.stderr)
        raise UsageError(f"{len(bad)} bad line(s) in {options.input}; nothing was sent")

    line_of: list[int] = []
    started = time.monotonic()
    options.out.parent.mkdir(parents=True, exist_ok=True)
    with options.out.open("w", encoding="utf-8") as out:

        def write(record: dict[str, Any]) -> None:
            out.write(json.dumps(record, default=str) + "\n")
            out.flush()

        def good_requests() -> Iterator[Any]:
            for line in read_input(options.input, api):
                if line.error is None:
                    line_of.append(line.number)
                    yield line.request
                else:
                    print(f"{options.input}:{line.number}: skipped: {line.error}", file=sys.stderr)
                    write({"line": line.number, "ok": False, "error": {"message": line.error}})

        last: list[BatchProgress] = []

        def on_progress(progress: BatchProgress) -> None:
            last[:] = [progress]
            view.update(progress)

        stream = resource.iter_create_many(
            good_requests(),
            on_progress=on_progress,
            journal=options.journal,
            concurrency=options.concurrency,
            wait=options.wait,
            max_active=options.max_active,
            download_dir=options.download_dir,
            poll_interval=options.poll_interval,
            wait_timeout=options.wait_timeout,
            total=total - len(bad),
        )
        counts = {"created": 0, "resumed": 0, "failed": 0}
        errors: list[str] = [f"line {line.number}: {line.error}" for line in bad[:5]]
        async with contextlib.aclosing(stream):
            async for result in stream:
                line_number = line_of[result.index]
                write(_result_record(result, line_number))
                key = "resumed" if result.resumed else ("created" if result.ok else "failed")
                counts[key] += 1
                if result.error is not None and len(errors) < 5:
                    errors.append(
                        f"line {line_number}: {type(result.error).__name__}: {result.error}"
                    )
        if last:
            view.finish(last[0])
    return {
        "input": str(options.input),
        "items": total,
        "created": counts["created"],
        "resumed": counts["resumed"],
        "failed": counts["failed"] + len(bad),
        "bad_lines": len(bad),
        "retried": last[0].retried if last else 0,
        "wall_seconds": round(time.monotonic() - started, 3),
        "results": str(options.out),
        "journal": str(options.journal) if options.journal else None,
        "videos": str(options.download_dir) if options.download_dir else None,
        "first_errors": errors,
    }


def _result_record(result: BatchResult, line: int) -> dict[str, Any]:
    record: dict[str, Any] = {"line": line, "ok": result.ok}
    if result.resumed:
        record["resumed"] = True
    if result.session is not None:
        record["session"] = unstructure(result.session)
    if result.video is not None:
        record["video"] = unstructure(result.video)
    if result.path is not None:
        record["path"] = str(result.path)
    if result.error is not None:
        record["error"] = describe_error(result.error)
    return record


def _print_summary(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary))
        return
    print(
        f"{summary['items']} items: {summary['created']} created, {summary['resumed']} resumed "
        f"from the journal, {summary['failed']} failed ({summary['bad_lines']} bad lines), "
        f"{summary['retried']} retries, in {summary['wall_seconds']:.1f}s"
    )
    for error in summary["first_errors"]:
        print(f"  failed: {error}")
    print(f"results: {summary['results']}")
    if summary.get("videos"):
        print(f"videos:  {summary['videos']}")
    if summary.get("journal"):
        print(f"journal: {summary['journal']}")


# -- the other commands --------------------------------------------------------------------------


def _api_key(args: argparse.Namespace) -> str:
    if args.api_key_file is not None:
        try:
            key = Path(args.api_key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read --api-key-file: {exc.strerror}") from None
        if not key:
            raise UsageError("--api-key-file is empty")
        return key
    key = os.environ.get(C.API_KEY_ENV, "").strip()
    if not key:
        raise UsageError(f"set {C.API_KEY_ENV} or pass --api-key-file")
    return key


def _client(args: argparse.Namespace, **options: Any) -> AsyncHeyGen:
    return AsyncHeyGen(_api_key(args), base_url=args.base_url, **options)


def _resource(client: AsyncHeyGen, api: str) -> Sessions | VideoAgents:
    return client.sessions if api == "sessions" else client.video_agents


def _emit(value: Any, as_json: bool) -> None:
    data = unstructure(value)
    if as_json:
        print(json.dumps(data))
    else:
        for key, item in data.items():
            if item not in (None, [], ()):
                print(f"{key}: {item}")


async def _cmd_create(args: argparse.Namespace) -> int:
    fields = {
        name: getattr(args, name)
        for name in (
            "avatar_id",
            "voice_id",
            "style_id",
            "orientation",
            "callback_url",
            "callback_id",
        )
        if getattr(args, name) is not None
    }
    if args.incognito:
        fields["incognito_mode"] = True
    if args.api == "sessions":
        if args.auto_proceed:
            fields["auto_proceed"] = True
    else:
        fields["mode"] = args.mode
    async with _client(args) as client:
        resource = _resource(client, args.api)
        session = await resource.create(
            idempotency_key=args.idempotency_key, prompt=args.prompt, **fields
        )
        if args.wait:
            session = await resource.wait(session.session_id, timeout=args.timeout)
    _emit(session, args.json)
    return EXIT_OK


async def _cmd_get(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        session = await _resource(client, args.api).get(args.session_id)
    _emit(session, args.json)
    return EXIT_OK


async def _cmd_wait(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        resource = _resource(client, args.api)
        session = await resource.wait(
            args.session_id, timeout=args.timeout, poll_interval=args.poll_interval
        )
        _emit(session, args.json)
        if args.download_dir is not None and session.video_id is not None:
            path = await client.videos.download(session.video_id, args.download_dir)
            print(f"downloaded: {path}", file=sys.stderr)
    return EXIT_OK


async def _cmd_styles(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        async for style in client.styles.list(tag=args.tag):
            if args.json:
                print(json.dumps(unstructure(style)))
            else:
                print(f"{style.style_id}\t{style.name}\t{','.join(style.tags)}")
    return EXIT_OK


async def _cmd_batch(args: argparse.Namespace) -> int:
    options = BatchOptions(
        input=Path(args.input),
        out=Path(args.out),
        api=args.api,
        concurrency=args.concurrency,
        wait=args.wait or args.download_dir is not None,
        max_active=args.max_active,
        download_dir=Path(args.download_dir) if args.download_dir else None,
        journal=Path(args.journal) if args.journal else None,
        on_bad_line=args.on_bad_line,
        poll_interval=args.poll_interval,
        wait_timeout=args.timeout,
    )
    view = ProgressView(sys.stderr, live=sys.stderr.isatty(), quiet=args.quiet)
    client_options: dict[str, Any] = {}
    if args.concurrency is not None:
        client_options["max_concurrent_creates"] = args.concurrency
    async with _client(args, **client_options) as client:
        summary = await run_batch(client, options, view)
    _print_summary(summary, args.json)
    return EXIT_FAILED if summary["failed"] else EXIT_OK


async def _cmd_fake_server(args: argparse.Namespace) -> int:
    from .testing.__main__ import serve

    await serve(args.port, args.fake_api_key, args.step_seconds, args.max_active_jobs)
    return EXIT_OK


async def _cmd_demo(args: argparse.Namespace) -> int:
    from .testing import FakeHeyGen

    prompts = _demo_prompts()
    out_dir = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="heygen-demo-"))
    async with FakeHeyGen(step_seconds=0.15, create_latency=0.02, video_size=64 * 1024) as fake:
        # Realistic trouble: some 429s with Retry-After, some 503s, slow polls.
        creates = "^/v3/video-agents$"
        fake.fail(creates, method="POST", status=429, retry_after=0.5, times=None, probability=0.06)
        fake.fail(creates, method="POST", status=503, times=None, probability=0.04)
        fake.fail("^/v3/videos/", method="GET", status=0, latency=0.05, times=None, probability=0.3)
        print(f"FakeHeyGen at {fake.url}; running {prompts.name} through a batch", file=sys.stderr)
        options = BatchOptions(
            input=prompts,
            out=out_dir / "results.jsonl",
            wait=True,
            max_active=10,
            download_dir=out_dir / "videos",
            journal=out_dir / "journal.jsonl",
            poll_interval=0.1,
            wait_timeout=120.0,
        )
        view = ProgressView(sys.stderr, live=sys.stderr.isatty(), quiet=args.quiet)
        async with AsyncHeyGen(
            fake.api_key,
            base_url=fake.url,
            max_concurrent_creates=4,
            retry=RetryPolicy(max_retries=5),
        ) as client:
            summary = await run_batch(client, options, view)
    _print_summary(summary, args.json)
    return EXIT_FAILED if summary["failed"] else EXIT_OK


def _demo_prompts() -> Path:
    packaged = Path(__file__).parent / "_data" / "prompts.jsonl"
    if packaged.is_file():
        return packaged
    in_repo = Path(__file__).resolve().parents[1] / "examples" / "prompts.jsonl"
    if in_repo.is_file():
        return in_repo
    raise UsageError("the bundled examples/prompts.jsonl is missing")


# -- arguments -----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    # No abbreviations: `--api-key SECRET` must not be taken for `--api-key-file SECRET`.
    parser = argparse.ArgumentParser(
        prog="heygen-async",
        allow_abbrev=False,
        description="HeyGen Video Agent from the command line. The API key comes from "
        f"{C.API_KEY_ENV} or --api-key-file.",
    )
    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    common.add_argument("--api-key-file", help="read the API key from this file")
    common.add_argument("--base-url", default=None, help=f"default: {C.BASE_URL_ENV} or the API")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    common.add_argument(
        "--api",
        choices=("video-agents", "sessions"),
        default="video-agents",
        help="video-agents: POST /v3/video-agents (default); sessions: the interactive API",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def add(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return commands.add_parser(name, allow_abbrev=False, **kwargs)

    create = add("create", parents=[common], help="create one session")
    create.add_argument("prompt")
    create.add_argument("--mode", choices=("generate", "chat"), default="generate")
    for name in ("avatar-id", "voice-id", "style-id", "callback-url", "callback-id"):
        create.add_argument(f"--{name}")
    create.add_argument("--orientation", choices=("landscape", "portrait"))
    create.add_argument("--auto-proceed", action="store_true", help="sessions API only")
    create.add_argument("--incognito", action="store_true")
    create.add_argument("--idempotency-key")
    create.add_argument("--wait", action="store_true", help="wait until it finishes")
    create.add_argument("--timeout", type=float, default=C.DEFAULT_WAIT_TIMEOUT)

    get = add("get", parents=[common], help="show a session")
    get.add_argument("session_id")

    wait = add("wait", parents=[common], help="wait for a session to finish")
    wait.add_argument("session_id")
    wait.add_argument("--timeout", type=float, default=C.DEFAULT_WAIT_TIMEOUT)
    wait.add_argument("--poll-interval", type=float, default=C.DEFAULT_POLL_INTERVAL)
    wait.add_argument("--download-dir")

    styles = add("styles", parents=[common], help="list the curated styles")
    styles.add_argument("--tag")

    batch = add("batch", parents=[common], help="create a session per line of a JSONL or CSV file")
    batch.add_argument("input", help="JSON lines (a request object a line) or CSV with 'prompt'")
    batch.add_argument("--out", required=True, help="results, one JSON line per item")
    batch.add_argument("--concurrency", type=int, help="creates in flight at once (default 4)")
    batch.add_argument("--wait", action="store_true", help="also wait for every video")
    batch.add_argument("--max-active", type=int, help="unfinished sessions at once with --wait")
    batch.add_argument("--download-dir", help="download every video here (implies --wait)")
    batch.add_argument("--journal", help="resume file: a re-run skips what is done")
    batch.add_argument(
        "--on-bad-line",
        choices=("skip", "fail"),
        default="skip",
        help="skip: report bad lines and go on; fail: report them and send nothing",
    )
    batch.add_argument("--poll-interval", type=float, default=C.DEFAULT_POLL_INTERVAL)
    batch.add_argument("--timeout", type=float, default=C.DEFAULT_WAIT_TIMEOUT)
    batch.add_argument("--quiet", action="store_true", help="no progress output")

    fake = add("fake-server", help="run FakeHeyGen on 127.0.0.1")
    fake.add_argument("--port", type=int, default=8765)
    fake.add_argument(
        "--api-key", dest="fake_api_key", default=None, help="accept only this key (default: any)"
    )
    fake.add_argument("--step-seconds", type=float, default=1.0)
    fake.add_argument("--max-active-jobs", type=int)

    demo = add("demo", help="a batch against an in-process FakeHeyGen")
    demo.add_argument("--out", help="where results and videos go (default: a temp folder)")
    demo.add_argument("--json", action="store_true")
    demo.add_argument("--quiet", action="store_true")
    return parser


_COMMANDS = {
    "create": _cmd_create,
    "get": _cmd_get,
    "wait": _cmd_wait,
    "styles": _cmd_styles,
    "batch": _cmd_batch,
    "fake-server": _cmd_fake_server,
    "demo": _cmd_demo,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_COMMANDS[args.command](args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (UsageError, ConfigurationError) as exc:
        print(f"heygen-async: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValidationError as exc:
        print(f"heygen-async: invalid input: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # an unwritable --out, --journal or --download-dir
        print(f"heygen-async: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return EXIT_USAGE
    except HeyGenError as exc:
        print(f"heygen-async: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
