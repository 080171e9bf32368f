"""`python -m heygen_async.testing --port N`: run FakeHeyGen until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from ._fake import FakeHeyGen


async def serve(
    port: int,
    api_key: str | None,
    step_seconds: float,
    max_active_jobs: int | None,
    *,
    host: str = "127.0.0.1",
    create_latency: float = 0.0,
) -> None:
    """Run a FakeHeyGen until cancelled (`heygen-async fake-server` calls this too)."""
    async with FakeHeyGen(
        host=host,
        port=port,
        api_key=api_key,
        step_seconds=step_seconds,
        create_latency=create_latency,
        max_active_jobs=max_active_jobs,
    ) as fake:
        accepted = "exactly the one given" if api_key else "any non-empty key"
        print(f"FakeHeyGen listening on {fake.url} (API key: {accepted})", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m heygen_async.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default=None, help="accept only this key (default: any)")
    parser.add_argument("--step-seconds", type=float, default=1.0, help="time per session state")
    parser.add_argument(
        "--create-latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="delay added to every create (default: 0)",
    )
    parser.add_argument("--max-active-jobs", type=int, default=None)
    args = parser.parse_args(argv)
    if args.create_latency < 0:
        parser.error("--create-latency must not be negative")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(
                args.port,
                args.api_key,
                args.step_seconds,
                args.max_active_jobs,
                host=args.host,
                create_latency=args.create_latency,
            )
        )


if __name__ == "__main__":
    main()
