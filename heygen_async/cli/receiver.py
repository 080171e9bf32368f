"""The batch command's webhook receiver: its secret, its optional endpoint, and its server.

With `--webhook-port`, `batch --wait` reads each session when HeyGen's event for it arrives
instead of polling it. The secret comes from `--webhook-secret-file` or HEYGEN_WEBHOOK_SECRET
(never an argument: arguments show up in `ps` and shell history), or from the endpoint that
`--register-endpoint URL` creates for the run; it is never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

import attrs

from .._client import AsyncHeyGen
from .._errors import HeyGenError
from ..webhooks import WebhookReceiver
from .exits import UsageError

WEBHOOK_SECRET_ENV = "HEYGEN_WEBHOOK_SECRET"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PATH = "/heygen/webhook"
# What a batch waits on: the session's end, then its video's.
EndpointEvent = Literal[
    "video_agent.success", "video_agent.fail", "avatar_video.success", "avatar_video.fail"
]
ENDPOINT_EVENTS: tuple[EndpointEvent, ...] = (
    "video_agent.success",
    "video_agent.fail",
    "avatar_video.success",
    "avatar_video.fail",
)


@attrs.frozen(kw_only=True)
class ReceiverOptions:
    """Where the receiver listens, and where its secret comes from."""

    port: int
    host: str = DEFAULT_HOST
    path: str = DEFAULT_PATH
    # Read before anything is sent; None when --register-endpoint supplies it.
    secret: str | None = attrs.field(default=None, repr=False)
    register_url: str | None = None


def receiver_options(args: argparse.Namespace, *, waits: bool) -> ReceiverOptions | None:
    """The batch's webhook options, checked and with the secret read (None without a port).

    Raises UsageError, before anything is sent, for a missing or unreadable secret, a
    webhook option without --webhook-port, or --webhook-port without waiting.
    """
    if args.webhook_port is None:
        given = [
            flag
            for flag, value in (
                ("--webhook-secret-file", args.webhook_secret_file),
                ("--register-endpoint", args.register_endpoint),
                ("--webhook-host", args.webhook_host),
                ("--webhook-path", args.webhook_path),
            )
            if value is not None
        ]
        if given:
            raise UsageError(f"{given[0]} needs --webhook-port")
        return None
    if not waits:
        raise UsageError("--webhook-port needs --wait (or --download-dir): it waits on events")
    path = args.webhook_path or DEFAULT_PATH
    if not path.startswith("/"):
        raise UsageError(f"--webhook-path must start with '/', not {path!r}")
    options = ReceiverOptions(
        port=args.webhook_port,
        host=args.webhook_host or DEFAULT_HOST,
        path=path,
        register_url=args.register_endpoint,
    )
    if args.register_endpoint is not None:
        if args.webhook_secret_file is not None:
            raise UsageError(
                "--register-endpoint creates an endpoint with a secret of its own; "
                "leave out --webhook-secret-file"
            )
        return options
    return attrs.evolve(options, secret=_read_secret(args.webhook_secret_file))


def _read_secret(secret_file: str | None) -> str:
    if secret_file is not None:
        try:
            secret = Path(secret_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read --webhook-secret-file: {exc.strerror}") from None
        if not secret:
            raise UsageError("--webhook-secret-file is empty")
        return secret
    secret = os.environ.get(WEBHOOK_SECRET_ENV, "").strip()
    if not secret:
        raise UsageError(
            f"--webhook-port needs the endpoint's signing secret: set {WEBHOOK_SECRET_ENV}, "
            "pass --webhook-secret-file, or let --register-endpoint URL create an endpoint"
        )
    return secret


@asynccontextmanager
async def run_receiver(
    client: AsyncHeyGen, options: ReceiverOptions
) -> AsyncIterator[WebhookReceiver]:
    """A WebhookReceiver serving on `options.host:port` for as long as the `async with`.

    With `register_url`, an endpoint for that URL is created first (its secret is the
    receiver's) and deleted at the end: nobody else knows its secret, so it is of no use
    after the run.
    """
    secret = options.secret
    endpoint_id: str | None = None
    if options.register_url is not None:
        endpoint = await client.webhooks.endpoints.create(
            url=options.register_url, events=ENDPOINT_EVENTS
        )
        endpoint_id = endpoint.endpoint_id
        secret = endpoint.secret
        _say(
            f"registered webhook endpoint {endpoint_id} for {endpoint.url} "
            "(deleted when the batch ends)"
        )
    try:
        if not secret:
            raise UsageError("the new webhook endpoint came back without its secret")
        receiver = WebhookReceiver(secret)
        async with contextlib.AsyncExitStack() as stack:
            try:
                server = await stack.enter_async_context(
                    receiver.serve(options.host, options.port, path=options.path)
                )
            except OSError as exc:  # the port is taken, or the host is not this machine's
                raise UsageError(
                    f"cannot receive webhooks on {options.host}:{options.port}: "
                    f"{exc.strerror or exc}"
                ) from None
            if options.register_url == server.url:
                _say(f"receiving webhooks on {server.url}")
            elif options.register_url is not None:
                _say(
                    f"receiving webhooks on {server.url}: {options.register_url} must forward "
                    "here (a tunnel or a reverse proxy)"
                )
            else:
                _say(
                    f"receiving webhooks on {server.url}: HeyGen must reach it, so register a "
                    "public https URL that forwards here as a webhook endpoint (a tunnel "
                    "during development), or pass --register-endpoint URL"
                )
            yield receiver
    finally:
        if endpoint_id is not None:
            await _delete_endpoint(client, endpoint_id)


async def _delete_endpoint(client: AsyncHeyGen, endpoint_id: str) -> None:
    try:
        await client.webhooks.endpoints.delete(endpoint_id)
    except HeyGenError as exc:
        _say(f"could not delete webhook endpoint {endpoint_id} ({type(exc).__name__}: {exc})")
    else:
        _say(f"deleted webhook endpoint {endpoint_id}")


def _say(message: str) -> None:
    print(f"heygen-async: {message}", file=sys.stderr)
