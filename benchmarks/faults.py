"""Never pay twice, never lose a success: a batch of creates through real faults.

    python -m benchmarks.faults [--n 2000] [--out benchmarks/results/faults.json]

N creates with `client.video_agents.create_many(prompts, journal=...)` against an in-process
FakeHeyGen that, on the way:

- drops every request for OUTAGE_S seconds once half the items are done (an outage);
- makes SLOW_FRACTION of creates take SLOW_CREATE_S at the fake, longer than the client's
  TIMEOUT_S: the first attempt times out while the fake is still creating, and the retries
  with the same Idempotency-Key get 409 request_in_progress until it is done;
- cuts CUT_FRACTION of create replies in half and loses LOST_FRACTION of them outright, after
  the fake created the session and stored the key's reply.

The client keeps the SDK's default RetryPolicy. When items failed, a resume (the same prompts
and journal) runs as a second pass once the trouble is over: the fake has no create left in
flight, and no faults. With batch requeueing in the SDK (`BatchOptions.max_requeues`), the whole
thing runs twice: requeue off, and requeue on. Prints a JSON document and a markdown table;
writes the JSON to --out. Duplicates (sessions beyond one per item) must be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

import heygen_async as hg
from heygen_async.testing import FakeHeyGen

from ._common import PAYLOAD

CREATE = "/v3/video-agents$"
CONCURRENCY = 64
TIMEOUT_S = 1.0
OUTAGE_S = 3.0
SLOW_FRACTION = 0.02
SLOW_CREATE_S = 3.0
CUT_FRACTION = 0.05
LOST_FRACTION = 0.05
SEED = 20240521
REQUEUE_ON: dict[str, Any] = {"max_requeues": 3, "requeue_delay": 5.0}
REQUEUE_OFF: dict[str, Any] = {"max_requeues": 0}


def has_requeue() -> bool:
    return "max_requeues" in hg.BatchOptions.__annotations__


async def one_pass(
    fake: FakeHeyGen, prompts: list[str], journal: Path, options: dict[str, Any], *, outage: bool
) -> tuple[list[hg.BatchResult], float, int]:
    """One create_many over every prompt: (results, wall seconds, SDK retries made).

    With `outage`, the fake drops every request for OUTAGE_S once half the items are done.
    """
    halfway = len(prompts) // 2
    last: list[hg.BatchProgress] = []

    def on_progress(progress: hg.BatchProgress) -> None:
        if outage and not last and progress.done >= halfway:
            fake.outage(OUTAGE_S)
        if progress.done >= halfway:
            last[:] = [progress]

    async with fake.client(
        timeout=TIMEOUT_S, max_concurrent_creates=CONCURRENCY, retry=hg.RetryPolicy()
    ) as client:
        started = time.perf_counter()
        results = await client.video_agents.create_many(
            prompts, journal=journal, concurrency=CONCURRENCY, on_progress=on_progress, **options
        )
        wall = time.perf_counter() - started
    return results, wall, last[-1].retried if last else 0


def census(fake: FakeHeyGen, prompts: list[str]) -> dict[str, Any]:
    """What the fake saw: sessions per item, and its requests by what happened to them."""
    by_prompt = fake.sessions_by_prompt()
    counts = [len(by_prompt.get(p, [])) for p in prompts]
    creates = fake.creates()
    faults = collections.Counter(r.fault for r in creates if r.fault is not None)
    return {
        "sessions": len(fake.sessions),
        "sessions_per_item_min": min(counts),
        "sessions_per_item_max": max(counts),
        "items_without_session": counts.count(0),
        "duplicates": sum(c - 1 for c in counts if c > 1),
        "requests": len(fake.requests),
        "dropped_in_outage": faults["outage"],
        "answered_409": sum(r.status == 409 for r in creates),
        "slow_creates": faults["create_latency"],
        "cut_replies": faults["cut_reply"],
        "lost_replies": faults["lose_reply"],
    }


def requeues(journal: Path) -> dict[str, int]:
    """How often the batch put an item back (the journal notes each time), and the most for one."""
    counts: collections.Counter[str] = collections.Counter()
    with journal.open() as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("requeued"):
                counts[record["key"]] += 1
    return {
        "requeues": sum(counts.values()),
        "most_requeues_of_an_item": max(counts.values(), default=0),
    }


async def scenario(
    n: int, label: str, batch_options: dict[str, Any], workdir: Path
) -> dict[str, Any]:
    random.seed(SEED)  # the same faults on the same requests, as far as timing allows
    prompts = [f"{PAYLOAD['prompt']} #{i}" for i in range(n)]
    journal = workdir / f"{label}.jsonl"
    async with FakeHeyGen(step_seconds=None) as fake:
        fake.fail(
            CREATE,
            method="POST",
            create_latency=SLOW_CREATE_S,
            times=None,
            probability=SLOW_FRACTION,
        )
        fake.fail(CREATE, method="POST", cut_reply=True, times=None, probability=CUT_FRACTION)
        fake.fail(CREATE, method="POST", lose_reply=True, times=None, probability=LOST_FRACTION)
        results, wall, retried = await one_pass(fake, prompts, journal, batch_options, outage=True)
        row: dict[str, Any] = {
            "run": label,
            "n": n,
            "ok_after_run": sum(r.ok for r in results),
            "wall_s": round(wall, 2),
            "sdk_retries": retried,
            "errors_after_run": dict(
                collections.Counter(type(r.error).__name__ for r in results if not r.ok)
            ),
        }
        resume_wall = 0.0
        if row["ok_after_run"] < n:
            async with asyncio.timeout(60):  # "later": the fake finished what it was doing
                while fake.in_flight_creates:  # noqa: ASYNC110 - polling the fake's counter
                    await asyncio.sleep(0.05)
            fake.clear_faults()
            results, resume_wall, _ = await one_pass(
                fake, prompts, journal, batch_options, outage=False
            )
            row["ok_after_resume"] = sum(r.ok for r in results)
            row["resumed_as_done"] = sum(r.resumed for r in results)
        else:
            row["ok_after_resume"] = None  # no resume needed
        row["resume_wall_s"] = round(resume_wall, 2)
        row |= requeues(journal) | census(fake, prompts)
    print(f"  {label}: {row}", file=sys.stderr)
    return row


async def run_all(n: int) -> list[dict[str, Any]]:
    variants = (
        [("requeue off", REQUEUE_OFF), ("requeue on", REQUEUE_ON)]
        if has_requeue()
        else [("no requeue (not in this SDK)", {})]
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="heygen-faults-") as workdir:
        for label, options in variants:
            rows.append(await scenario(n, label, options, Path(workdir)))
    return rows


def markdown(report: dict[str, Any]) -> str:
    s = report["settings"]
    lines = [
        f"{report['n']:,} creates at concurrency {s['concurrency']}, client timeout "
        f"{s['timeout_s']} s, default RetryPolicy; an outage of {s['outage_s']} s at half way, "
        f"{s['slow_fraction']:.0%} of creates taking {s['slow_create_s']} s at the fake (409 "
        f"request_in_progress to the retries), {s['cut_fraction']:.0%} replies cut, "
        f"{s['lost_fraction']:.0%} lost.",
        "",
        "| run | ok after run | ok after resume | sessions/item min-max | duplicates "
        "| requests | dropped (outage) | 409s | cut | lost | wall s (run + resume) |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["runs"]:
        after = r["ok_after_resume"]
        resumed = "no resume needed" if after is None else f"{after:,}"
        lines.append(
            f"| {r['run']} | {r['ok_after_run']:,} | {resumed} "
            f"| {r['sessions_per_item_min']}-{r['sessions_per_item_max']} | {r['duplicates']} "
            f"| {r['requests']:,} | {r['dropped_in_outage']} | {r['answered_409']} "
            f"| {r['cut_replies']} | {r['lost_replies']} | {r['wall_s']} + {r['resume_wall_s']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faults", description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="creates per run")
    parser.add_argument("--out", default="benchmarks/results/faults.json")
    args = parser.parse_args()
    started = time.perf_counter()
    runs = asyncio.run(run_all(args.n))
    report = {
        "command": "python -m benchmarks.faults" + (f" --n {args.n}" if args.n != 2000 else ""),
        "machine": f"{platform.machine()}, {platform.system()}",
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "date": time.strftime("%Y-%m-%d"),
        "n": args.n,
        "settings": {
            "concurrency": CONCURRENCY,
            "timeout_s": TIMEOUT_S,
            "outage_s": OUTAGE_S,
            "slow_fraction": SLOW_FRACTION,
            "slow_create_s": SLOW_CREATE_S,
            "cut_fraction": CUT_FRACTION,
            "lost_fraction": LOST_FRACTION,
            "requeue": REQUEUE_ON if has_requeue() else None,
            "seed": SEED,
        },
        "runs": runs,
        "total_wall_s": round(time.perf_counter() - started, 1),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))
    print()
    print(markdown(report))
    if any(r["duplicates"] for r in runs):
        sys.exit("duplicates: some item was created more than once")


if __name__ == "__main__":
    main()
