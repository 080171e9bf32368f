"""A Celery task using the blocking facade: make a video, wait for it, download it.

    celery -A examples.celery_tasks worker --concurrency 4     (prefork: forks after import)

The client is module-level and built on first use in each worker process; after a fork the
child starts its own event-loop thread and pool. The Celery task id is the Idempotency-Key,
so a retried task never pays for a second video.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from celery import Celery

import heygen_async as hg

app = Celery("videos", broker=os.environ.get("CELERY_BROKER_URL", "memory://"))


@functools.cache
def heygen() -> hg.HeyGen:
    return hg.HeyGen(max_concurrent_creates=2)


@app.task(
    bind=True,
    autoretry_for=(hg.RateLimitError, hg.APIConnectionError),
    retry_backoff=True,
    max_retries=5,
)
def make_video(
    self: Any, prompt: str, download_dir: str, poll_interval: float = 30.0
) -> dict[str, Any]:
    client = heygen()
    session = client.video_agents.create(prompt=prompt, idempotency_key=f"celery-{self.request.id}")
    done = client.video_agents.wait(session.session_id, poll_interval=poll_interval)
    path = client.videos.download(done.video_id, download_dir)
    return {"session_id": done.session_id, "video_id": done.video_id, "path": str(path)}
