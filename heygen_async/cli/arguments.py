"""The command line: every command of `heygen-async` and its options."""

from __future__ import annotations

import argparse
from typing import Any

from .. import _constants as C


def build_parser() -> argparse.ArgumentParser:
    """The `heygen-async` parser; `command` names the chosen command."""
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
    batch.add_argument(
        "input",
        help="JSON lines (a request object a line) or CSV with 'prompt'; '-' reads JSON lines "
        "from stdin. Read once, so a pipe works too",
    )
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
