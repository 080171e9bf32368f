"""Requests per finished video: polling against waiting on webhook events.

    python -m benchmarks.events [--n 60] [--out benchmarks/results/events.json]

A pipelined batch, `client.video_agents.create_many(prompts, wait=True, max_active=20)`,
against an in-process FakeHeyGen whose Video Agent jobs take 20-45 minutes, as HeyGen's do,
with time scaled down: a HeyGen minute lasts MINUTE_S seconds here. Everything the SDK waits
is scaled by the same factor: the client's sleep (so its default poll schedule, 2 s growing
x1.5 up to 30 s, runs at scale) and the receiver's `fallback` (the SDK's default 1800 s). The
fake delivers each job's event as HeyGen does (to the registered endpoint, signed, retried
with backoff: DELIVERY, in real seconds).

Four runs: polling; events; events with 20% of deliveries lost; events with the receiver's
server down for DOWN_MINUTES (deliveries refused and retried; those whose retries ran out are
recovered from the delivery history at the waits' fallback). Per run, from the fake's request
log: requests per finished video beyond its create, items ok, the longest a job waited past
its completion (must stay under the fallback), and wall time. Prints a JSON document and a
markdown table; writes the JSON to --out. Exits non-zero if an event run misses a target:
at most 3 requests per finished video beyond its create, no wait past the fallback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

import heygen_async as hg
from heygen_async._constants import DEFAULT_EVENTS_FALLBACK
from heygen_async.testing import DeliveryPolicy, FakeHeyGen
from heygen_async.webhooks import WebhookReceiver

from ._common import PAYLOAD

MINUTE_S = 0.2  # one HeyGen minute, in seconds here
SCALE = MINUTE_S / 60.0
JOB_MINUTES = (20.0, 45.0)  # Video Agent jobs, start to finish
MAX_ACTIVE = 20
LOST_FRACTION = 0.2
DOWN_AFTER_MINUTES = 25.0  # the receiver's server stops this long into the run...
DOWN_MINUTES = 30.0  # ...for this long
FALLBACK_S = DEFAULT_EVENTS_FALLBACK * SCALE
# HeyGen's schedule is not published (exponential, up to 24 h); here, in real seconds:
# 1, 2, 4, 8 minutes (scaled) between 5 attempts, so a 30-minute stretch outlasts some.
DELIVERY = DeliveryPolicy(base=60 * SCALE, factor=2.0, max_delay=480 * SCALE, attempts=5)
TARGET_PER_VIDEO = 3.0
SEED = 20240611
CREATE = "/v3/video-agents"


async def scaled_sleep(seconds: float) -> None:
    """The client's sleep: the SDK's waits, in HeyGen seconds, pass at the benchmark's scale."""
    await asyncio.sleep(seconds * SCALE)


@asynccontextmanager
async def receiver_up(receiver: WebhookReceiver, port: int, down: bool) -> AsyncIterator[None]:
    """Serve `receiver` on `port`; with `down`, stop the server DOWN_AFTER_MINUTES in, and
    serve it again (a new server on the same port) DOWN_MINUTES later."""

    async def serve() -> None:
        if down:
            async with receiver.serve(port=port):
                await asyncio.sleep(DOWN_AFTER_MINUTES * MINUTE_S)
            await asyncio.sleep(DOWN_MINUTES * MINUTE_S)
        async with receiver.serve(port=port):
            await asyncio.Event().wait()

    task = asyncio.create_task(serve())
    try:
        await asyncio.sleep(0.05)  # bound and listening
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def run(
    label: str, n: int, *, events: bool, lose: float = 0.0, down: bool = False
) -> dict[str, Any]:
    rng = random.Random(SEED)
    low, high = JOB_MINUTES
    prompts = [f"{PAYLOAD['prompt']} #{i}" for i in range(n)]
    async with (
        FakeHeyGen(
            job_duration=lambda: rng.uniform(low, high) * MINUTE_S, delivery=DELIVERY
        ) as fake,
        fake.client(sleep=scaled_sleep) as client,
    ):
        options: dict[str, Any] = {"wait": True, "max_active": MAX_ACTIVE}
        setup = 0
        started = time.perf_counter()
        if not events:
            results = await client.video_agents.create_many(prompts, **options)
        else:
            port = free_port()
            endpoint = await client.webhooks.endpoints.create(
                url=f"http://127.0.0.1:{port}/heygen",
                events=["video_agent.success", "video_agent.fail"],
            )
            setup = 1
            assert endpoint.secret is not None
            receiver = WebhookReceiver(endpoint.secret, fallback=FALLBACK_S)
            fake.webhook_faults(lose=lose, seed=SEED)
            async with receiver_up(receiver, port, down):
                results = await client.video_agents.create_many(prompts, events=receiver, **options)
        wall = time.perf_counter() - started
        row = census(fake, results, setup)
    row = {"run": label, "n": n, **row, "wall_s": round(wall, 1)}
    print(f"  {label}: {row}", file=sys.stderr)
    return row


def census(fake: FakeHeyGen, results: list[hg.BatchResult], setup: int) -> dict[str, Any]:
    """Requests per finished video, and how long each job waited past its completion."""
    requests = [r for r in fake.requests if r.status]
    creates = sum(r.method == "POST" and r.path == CREATE for r in requests)
    history = sum(r.path == "/v3/webhooks/events" for r in requests)
    ok = sum(r.ok for r in results)
    beyond = len(requests) - creates - setup
    late = []
    running_reads = repeat_reads = 0
    for session in fake.sessions.values():
        ids = (session.session_id, str(session.video_id))
        reads = [r for r in requests if r.method == "GET" and r.path.endswith(ids)]
        if session.ended_at is not None and reads:
            late.append(max(r.at for r in reads) - session.ended_at)
        statuses = [(r.path, status_of(r.response)) for r in reads]
        running_reads += sum(status not in ("completed", "failed") for _, status in statuses)
        finished = [path for path, status in statuses if status in ("completed", "failed")]
        repeat_reads += len(finished) - len(set(finished))
    deliveries = fake.deliveries
    return {
        "ok": ok,
        "requests": len(requests),
        "creates": creates,
        "requests_per_video_beyond_create": round(beyond / max(ok, 1), 2),
        "job_reads_per_video": round((beyond - history) / max(ok, 1), 2),
        "history_sweeps": history,
        # Reads that found the job still running (the fallback's, for jobs longer than it),
        # and reads of a finished job already read (the batch reads the video once more).
        "running_reads_per_video": round(running_reads / max(ok, 1), 2),
        "repeat_reads_per_video": round(repeat_reads / max(ok, 1), 2),
        "longest_wait_past_completion_s": round(max(late, default=0.0), 2),
        "longest_wait_past_completion_heygen_min": round(max(late, default=0.0) / MINUTE_S, 1),
        "mean_wait_past_completion_heygen_min": round(sum(late) / max(len(late), 1) / MINUTE_S, 2),
        "events": len(fake.events),
        "delivery_attempts": sum(d.attempt > 0 for d in deliveries),
        "deliveries_ok": sum(d.ok for d in deliveries),
        "deliveries_lost": sum(d.error == "lost" for d in deliveries),
        "deliveries_failed": sum(d.attempt > 0 and not d.ok for d in deliveries),
    }


def status_of(reply: Any) -> str | None:
    data = reply.get("data") if isinstance(reply, dict) else None
    return data.get("status") if isinstance(data, dict) else None


async def run_all(n: int) -> list[dict[str, Any]]:
    return [
        await run("polling", n, events=False),
        await run("events", n, events=True),
        await run(
            f"events, {LOST_FRACTION:.0%} of deliveries lost", n, events=True, lose=LOST_FRACTION
        ),
        await run(f"events, receiver down {DOWN_MINUTES:g} min", n, events=True, down=True),
    ]


def markdown(report: dict[str, Any]) -> str:
    s = report["settings"]
    lines = [
        f"{report['n']} Video Agent jobs of {s['job_minutes'][0]:g}-{s['job_minutes'][1]:g} "
        f"min, `create_many(wait=True, max_active={s['max_active']})`; time scaled: a HeyGen "
        f"minute is {s['minute_s']} s, the receiver's fallback {s['fallback_s']:g} s "
        f"(1800 s scaled). Waits past completion in HeyGen minutes (fallback: 30).",
        "",
        "| run | ok | requests / video beyond create | job reads / video (running, repeat) "
        "| history sweeps | longest wait past completion (min) | mean (min) "
        "| deliveries ok / lost / failed | wall s |",
        "|---|---:|---:|---|---:|---:|---:|---|---:|",
    ]
    for r in report["runs"]:
        lines.append(
            f"| {r['run']} | {r['ok']}/{r['n']} | {r['requests_per_video_beyond_create']} "
            f"| {r['job_reads_per_video']} ({r['running_reads_per_video']}, "
            f"{r['repeat_reads_per_video']}) | {r['history_sweeps']} "
            f"| {r['longest_wait_past_completion_heygen_min']} "
            f"| {r['mean_wait_past_completion_heygen_min']} "
            f"| {r['deliveries_ok']} / {r['deliveries_lost']} / {r['deliveries_failed']} "
            f"| {r['wall_s']} |"
        )
    return "\n".join(lines)


def misses(runs: list[dict[str, Any]]) -> list[str]:
    found = []
    for r in runs:
        if r["ok"] != r["n"]:
            found.append(f"{r['run']}: {r['n'] - r['ok']} items not ok")
        if r["run"].startswith("events"):
            if r["requests_per_video_beyond_create"] > TARGET_PER_VIDEO:
                found.append(
                    f"{r['run']}: {r['requests_per_video_beyond_create']} requests per video "
                    f"beyond its create (target <= {TARGET_PER_VIDEO:g})"
                )
            if r["longest_wait_past_completion_s"] > FALLBACK_S:
                found.append(f"{r['run']}: a job waited past the fallback")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.events", description=__doc__)
    parser.add_argument("--n", type=int, default=60, help="jobs per run")
    parser.add_argument("--out", default="benchmarks/results/events.json")
    args = parser.parse_args()
    started = time.perf_counter()
    runs = asyncio.run(run_all(args.n))
    report = {
        "command": "python -m benchmarks.events" + (f" --n {args.n}" if args.n != 60 else ""),
        "machine": f"{platform.machine()}, {platform.system()}",
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "date": time.strftime("%Y-%m-%d"),
        "n": args.n,
        "settings": {
            "minute_s": MINUTE_S,
            "job_minutes": list(JOB_MINUTES),
            "max_active": MAX_ACTIVE,
            "fallback_s": FALLBACK_S,
            "poll": "SDK default (2 s, x1.5, up to 30 s), scaled",
            "delivery": {
                "base_s": DELIVERY.base,
                "factor": DELIVERY.factor,
                "max_delay_s": DELIVERY.max_delay,
                "attempts": DELIVERY.attempts,
            },
            "lost_fraction": LOST_FRACTION,
            "down_after_minutes": DOWN_AFTER_MINUTES,
            "down_minutes": DOWN_MINUTES,
            "seed": SEED,
        },
        "runs": runs,
        "misses": misses(runs),
        "total_wall_s": round(time.perf_counter() - started, 1),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))
    print()
    print(markdown(report))
    if report["misses"]:
        sys.exit("missed: " + "; ".join(report["misses"]))


if __name__ == "__main__":
    main()
