"""An arq worker: AsyncHeyGen with the Redis limiter, so every worker process on every machine
shares one create cap and one 429 cool-down.

    REDIS_URL=redis://... HEYGEN_API_KEY=... arq examples.arq_worker.WorkerSettings
"""

from __future__ import annotations

import os
from typing import Any

from arq.connections import RedisSettings

import heygen_async as hg
from heygen_async.limits import RedisLimiter

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


async def startup(ctx: dict[str, Any]) -> None:
    limiter = RedisLimiter(REDIS_URL, namespace="heygen", max_concurrent_creates=3)
    ctx["heygen"] = hg.AsyncHeyGen(limiter=limiter)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["heygen"].aclose()


async def create_video(
    ctx: dict[str, Any], prompt: str, *, poll_interval: float = 30.0
) -> dict[str, Any]:
    client: hg.AsyncHeyGen = ctx["heygen"]
    # arq retries a job with the same id: make it the Idempotency-Key.
    key = f"arq-{ctx.get('job_id', 'local')}"
    session = await client.video_agents.create(prompt=prompt, idempotency_key=key)
    done = await client.video_agents.wait(session.session_id, poll_interval=poll_interval)
    return {"session_id": done.session_id, "video_id": done.video_id, "status": done.status}


class WorkerSettings:
    functions = [create_video]  # noqa: RUF012 - arq reads these class attributes
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(REDIS_URL)
    max_jobs = 10
