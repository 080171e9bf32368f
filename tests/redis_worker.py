"""A worker process for the limiter tests: N creates through a shared RedisLimiter.

    python -m tests.redis_worker FAKE_URL REDIS_URL COUNT CAP [hold]

With `hold`, it takes one slot, prints "holding" and sleeps (the test kills it).
"""

from __future__ import annotations

import asyncio
import sys

import heygen_async as hg
from heygen_async.limits import RedisLimiter


async def main(fake_url: str, redis_url: str, count: int, cap: int, hold: bool) -> None:
    limiter = RedisLimiter(
        redis_url, namespace="test", max_concurrent_creates=cap, lease_seconds=1.0
    )
    if hold:
        await limiter.acquire()
        print("holding", flush=True)
        await asyncio.sleep(3600)
    async with hg.AsyncHeyGen("test-key", base_url=fake_url, limiter=limiter) as client:
        results = await client.video_agents.create_many(
            (f"worker job {i}" for i in range(count)), concurrency=cap
        )
    failed = [r for r in results if not r.ok]
    print(f"done {len(results) - len(failed)} ok {len(failed)} failed", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    fake, redis, count, cap = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    asyncio.run(main(fake, redis, count, cap, len(sys.argv) > 5 and sys.argv[5] == "hold"))
