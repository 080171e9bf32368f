"""One coroutine per command, and `main`: parse, run, turn errors into exit codes."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import attrs

from .. import _constants as C
from .._client import AsyncHeyGen
from .._convert import unstructure
from .._errors import ConfigurationError, HeyGenError, ValidationError
from .._retry import RetryPolicy
from .._transport import Transport
from ..models import CreateSessionRequest, CreateVideoAgentRequest
from ..resources.sessions import AgentSessions
from . import listing
from .arguments import build_parser
from .exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError
from .input_files import build_request
from .progress import ProgressView, print_summary
from .receiver import receiver_options, run_receiver
from .runner import BatchJob, exit_code, run_batch

_PACKAGE = Path(__file__).resolve().parents[1]
_CREATE_OPTIONS = (
    "avatar_id",
    "voice_id",
    "style_id",
    "brand_kit_id",
    "orientation",
    "callback_url",
    "callback_id",
)


def main(argv: list[str] | None = None, *, transport: Transport | None = None) -> int:
    """Run `heygen-async` with `argv` (default: sys.argv); returns the exit code.

    0 done; 1 an API call or a batch item failed; 2 bad arguments, input or configuration;
    130 interrupted. `transport` replaces the network (a `testing.MockTransport` in tests).
    """
    args = build_parser().parse_args(argv)
    args.transport = transport
    try:
        return asyncio.run(COMMANDS[args.command](args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (UsageError, ConfigurationError) as exc:
        _fail(exc)
        return EXIT_USAGE
    except ValidationError as exc:
        _fail(f"invalid input: {exc}")
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader stopped reading (`heygen-async voices | head`): that ends the command,
        # as --limit would. Stdout goes to /dev/null so the exit's flush does not fail too.
        _discard_stdout()
        return EXIT_OK
    except OSError as exc:  # an unwritable --out, --journal or --download-dir
        _fail(f"{exc.strerror or exc}: {exc.filename or ''}")
        return EXIT_USAGE
    except HeyGenError as exc:
        _fail(f"{type(exc).__name__}: {exc}")
        return EXIT_FAILED


async def create(args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {"prompt": args.prompt}
    fields.update(
        (name, getattr(args, name)) for name in _CREATE_OPTIONS if getattr(args, name) is not None
    )
    if args.incognito:
        fields["incognito_mode"] = True
    async with _client(args) as client:
        if args.api == "sessions":
            if args.auto_proceed:
                fields["auto_proceed"] = True
            session = await client.sessions.create(
                build_request(CreateSessionRequest, fields), idempotency_key=args.idempotency_key
            )
        else:
            fields["mode"] = args.mode
            session = await client.video_agents.create(
                build_request(CreateVideoAgentRequest, fields),
                idempotency_key=args.idempotency_key,
            )
        if args.wait:
            session = await _resource(client, args.api).wait(
                session.session_id, timeout=args.timeout
            )
    _emit(session, as_json=args.json)
    return EXIT_OK


async def get(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        session = await _resource(client, args.api).get(args.session_id)
    _emit(session, as_json=args.json)
    return EXIT_OK


async def wait(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        session = await _resource(client, args.api).wait(
            args.session_id, timeout=args.timeout, poll_interval=args.poll_interval
        )
        _emit(session, as_json=args.json)
        if args.download_dir is not None and session.video_id is not None:
            path = await client.videos.download(session.video_id, args.download_dir)
            print(f"downloaded: {path}", file=sys.stderr)
    return EXIT_OK


async def avatars(args: argparse.Namespace) -> int:
    if args.groups and (args.avatar_type or args.group):
        raise UsageError("--type and --group filter looks; they do not go with --groups")
    async with _client(args) as client:
        items: AsyncIterator[Any]
        if args.groups:
            items = client.avatars.list(ownership=args.ownership, page_size=_page_size(args, 50))
            columns = listing.AVATAR_GROUPS
        else:
            items = client.avatars.looks.list(
                group_id=args.group,
                avatar_type=args.avatar_type,
                ownership=args.ownership,
                page_size=_page_size(args, 50),
            )
            columns = listing.AVATAR_LOOKS
        await listing.print_listing(items, columns, as_json=args.json, limit=args.limit)
    return EXIT_OK


async def voices(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        items = client.voices.list(
            type=args.voice_type,
            language=args.language,
            gender=args.gender,
            engine=args.engine,
            page_size=_page_size(args, 100),
        )
        await listing.print_listing(items, listing.VOICES, as_json=args.json, limit=args.limit)
    return EXIT_OK


async def brand_kits(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        items = client.brand.kits.list(page_size=_page_size(args, 100))
        await listing.print_listing(items, listing.BRAND_KITS, as_json=args.json, limit=args.limit)
    return EXIT_OK


async def styles(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        items = client.styles.list(tag=args.tag, page_size=_page_size(args, 100))
        await listing.print_listing(items, listing.STYLES, as_json=args.json, limit=args.limit)
    return EXIT_OK


async def batch(args: argparse.Namespace) -> int:
    waits = args.wait or args.download_dir is not None
    webhook = receiver_options(args, waits=waits)  # the secret is read before anything is sent
    job = BatchJob(
        input=Path(args.input),
        out=Path(args.out),
        api=args.api,
        concurrency=args.concurrency,
        wait=waits,
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
        if webhook is None:
            summary = await run_batch(client, job, view)
        else:
            async with run_receiver(client, webhook) as receiver:
                summary = await run_batch(client, attrs.evolve(job, events=receiver), view)
    print_summary(summary, as_json=args.json)
    return exit_code(summary)


async def fake_server(args: argparse.Namespace) -> int:
    from ..testing.__main__ import serve

    await serve(args.port, args.fake_api_key, args.step_seconds, args.max_active_jobs)
    return EXIT_OK


async def demo(args: argparse.Namespace) -> int:
    """The bundled prompts through a batch against an in-process FakeHeyGen that misbehaves."""
    from ..testing import FakeHeyGen

    prompts = _demo_prompts()
    out_dir = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="heygen-demo-"))
    async with FakeHeyGen(step_seconds=0.15, create_latency=0.02, video_size=64 * 1024) as fake:
        # Realistic trouble: some 429s with Retry-After, some 503s, slow polls.
        creates = "^/v3/video-agents$"
        fake.fail(creates, method="POST", status=429, retry_after=0.5, times=None, probability=0.06)
        fake.fail(creates, method="POST", status=503, times=None, probability=0.04)
        fake.fail("^/v3/videos/", method="GET", status=0, latency=0.05, times=None, probability=0.3)
        print(f"FakeHeyGen at {fake.url}; running {prompts.name} through a batch", file=sys.stderr)
        job = BatchJob(
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
            summary = await run_batch(client, job, view)
    print_summary(summary, as_json=args.json)
    return exit_code(summary)


COMMANDS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "create": create,
    "get": get,
    "wait": wait,
    "avatars": avatars,
    "voices": voices,
    "brand-kits": brand_kits,
    "styles": styles,
    "batch": batch,
    "fake-server": fake_server,
    "demo": demo,
}


def _demo_prompts() -> Path:
    # An installed wheel carries them as _data/prompts.jsonl (pyproject's force-include).
    packaged = _PACKAGE / "_data" / "prompts.jsonl"
    if packaged.is_file():
        return packaged
    in_repo = _PACKAGE.parent / "examples" / "prompts.jsonl"
    if in_repo.is_file():
        return in_repo
    raise UsageError("the bundled examples/prompts.jsonl is missing")


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
    return AsyncHeyGen(_api_key(args), base_url=args.base_url, transport=args.transport, **options)


def _page_size(args: argparse.Namespace, maximum: int) -> int:
    """The largest page the API allows (fewest round trips), or no more than --limit needs."""
    return min(args.limit, maximum) if args.limit is not None else maximum


def _fail(message: object) -> None:
    """The error on one line of stderr (an API message may hold newlines)."""
    print(f"heygen-async: {' '.join(str(message).split())}", file=sys.stderr)


def _discard_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout has no file descriptor (captured): nothing to do
        pass


def _resource(client: AsyncHeyGen, api: str) -> AgentSessions:
    return client.sessions if api == "sessions" else client.video_agents


def _emit(value: Any, *, as_json: bool) -> None:
    data = unstructure(value)
    if as_json:
        print(json.dumps(data))
    else:
        for key, item in data.items():
            if item not in (None, [], ()):
                print(f"{key}: {item}")
