"""The command line: every command of `heygen-async` and its options."""

from __future__ import annotations

import argparse
from typing import Any

from .. import _constants as C
from .receiver import DEFAULT_HOST, DEFAULT_PATH, WEBHOOK_SECRET_ENV


def build_parser() -> argparse.ArgumentParser:
    """The `heygen-async` parser; `command` names the chosen command."""
    # No abbreviations: `--api-key SECRET` must not be taken for `--api-key-file SECRET`.
    parser = argparse.ArgumentParser(
        prog="heygen-async",
        allow_abbrev=False,
        description="HeyGen Video Agent from the command line. The API key comes from "
        f"{C.API_KEY_ENV} or --api-key-file.",
    )
    connection = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    connection.add_argument("--api-key-file", help="read the API key from this file")
    connection.add_argument(
        "--base-url", default=None, help=f"default: {C.BASE_URL_ENV} or the API"
    )
    connection.add_argument("--json", action="store_true", help="machine-readable output")
    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False, parents=[connection])
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
    create.add_argument("--brand-kit-id", help="video-agents API only")
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

    # The list commands: the ids a create call takes. A table on a terminal, else JSON lines.
    listing = argparse.ArgumentParser(add_help=False, allow_abbrev=False, parents=[connection])
    listing.add_argument(
        "--limit", type=_positive_int, metavar="N", help="stop after N items (default: all)"
    )

    def add_listing(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return add(
            name,
            parents=[listing],
            help=summary,
            description=f"{description} An aligned table on a terminal; JSON lines (every "
            "field, one item a line) with --json or when the output is not a terminal.",
        )

    avatars = add_listing(
        "avatars",
        "list avatar looks: the first column is a create's --avatar-id",
        "List avatar looks (GET /v3/avatars/looks). A look's id is the avatar_id a create "
        "takes (--avatar-id); default_voice_id is the voice that goes with it. With --groups, "
        "list the avatar groups (characters) instead: a group id is not an avatar_id, pass it "
        "to --group to list that group's looks.",
    )
    avatars.add_argument("--ownership", choices=("public", "private"), help="default: both")
    avatars.add_argument(
        "--type",
        dest="avatar_type",
        choices=("studio_avatar", "digital_twin", "photo_avatar"),
        help="looks of this avatar type only",
    )
    avatars.add_argument("--group", metavar="GROUP_ID", help="the looks of this avatar group")
    avatars.add_argument("--groups", action="store_true", help="list avatar groups, not looks")

    voices = add_listing(
        "voices",
        "list voices: the first column is a create's --voice-id",
        "List voices (GET /v3/voices). voice_id is what a create takes (--voice-id).",
    )
    voices.add_argument(
        "--type",
        dest="voice_type",
        choices=("public", "private"),
        help="public: the shared library (the API's default); private: your cloned voices",
    )
    voices.add_argument("--language", help="e.g. English")
    voices.add_argument("--gender", help="male or female")
    voices.add_argument("--engine", help="voices compatible with this engine, e.g. starfish")

    add_listing(
        "brand-kits",
        "list brand kits: the first column is a create's --brand-kit-id",
        "List your workspace's brand kits (GET /v3/brand-kits). brand_kit_id is what a "
        "Video Agent create takes (--brand-kit-id).",
    )

    styles = add_listing(
        "styles",
        "list the curated styles: the first column is a create's --style-id",
        "List the Video Agent's curated styles (GET /v3/video-agents/styles). style_id is "
        "what a create takes (--style-id).",
    )
    styles.add_argument("--tag", help="e.g. cinematic, retro-tech, print")

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
    # The secret never on the command line: arguments show up in `ps` and shell history.
    hooks = batch.add_argument_group(
        "webhooks",
        "With --wait, read each session when HeyGen's event for it arrives instead of polling "
        "it (and at least every "
        f"{C.DEFAULT_EVENTS_FALLBACK / 60:g} min). The endpoint's signing secret comes from "
        f"{WEBHOOK_SECRET_ENV} or --webhook-secret-file, or from the endpoint "
        "--register-endpoint creates.",
    )
    hooks.add_argument(
        "--webhook-port",
        type=_port,
        metavar="PORT",
        help="receive HeyGen's webhooks on this port (0: any free port)",
    )
    hooks.add_argument("--webhook-host", metavar="HOST", help=f"default: {DEFAULT_HOST}")
    hooks.add_argument("--webhook-path", metavar="PATH", help=f"default: {DEFAULT_PATH}")
    hooks.add_argument(
        "--webhook-secret-file",
        metavar="FILE",
        help="read the endpoint's signing secret from this file",
    )
    hooks.add_argument(
        "--register-endpoint",
        metavar="URL",
        help="create a webhook endpoint for this public https URL (which forwards to the "
        "receiver) for the run, use its secret, and delete it at the end",
    )

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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, not {value}")
    return value
