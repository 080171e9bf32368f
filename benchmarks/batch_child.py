"""One batch-scaling measurement in a fresh process (peak RSS is per process)."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time

import heygen_async as hg

from ._common import API_KEY, PAYLOAD


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(url: str, n: int, concurrency: int, mode: str) -> dict[str, float]:
    prompt = PAYLOAD["prompt"]
    requests = (f"{prompt} #{i}" for i in range(n))
    async with hg.AsyncHeyGen(API_KEY, base_url=url, max_concurrent_creates=concurrency) as client:
        await client.sessions.create(prompt=prompt)  # warm the pool
        before = _rss_mib()
        start = time.perf_counter()
        if mode == "create_many":
            results = await client.sessions.create_many(requests, concurrency=concurrency)
            ok = sum(r.ok for r in results)
        else:
            ok = 0
            async for result in client.sessions.iter_create_many(requests, concurrency=concurrency):
                ok += result.ok
        wall = time.perf_counter() - start
    return {"n": n, "ok": ok, "wall_s": wall, "rss_before_mib": before, "peak_rss_mib": _rss_mib()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--mode", choices=("create_many", "iter_create_many"), default="create_many"
    )
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.url, args.n, args.concurrency, args.mode))))


if __name__ == "__main__":
    main()
