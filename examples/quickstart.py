"""Quickstart: create a Video Agent session, wait for the video, download it.

Runs against FakeHeyGen (a loopback HeyGen started in-process): no API key, no network.
Point `AsyncHeyGen()` at the real API by setting HEYGEN_API_KEY and dropping the fake.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import heygen_async as hg
from heygen_async.testing import FakeHeyGen


async def main() -> None:
    async with (
        FakeHeyGen(step_seconds=0.3) as fake,
        hg.AsyncHeyGen(api_key=fake.api_key, base_url=fake.url) as client,
    ):
        session = await client.video_agents.create(
            prompt="A 30-second teaser for our new espresso machine, upbeat and warm",
            orientation="landscape",
        )
        print(f"created {session.session_id} ({session.status})")

        def progress(state: hg.Session | hg.Video) -> None:
            print(f"  ... {type(state).__name__.lower()} is {state.status}")

        done = await client.video_agents.wait(
            session.session_id, poll_interval=0.2, on_progress=progress
        )
        assert done.video_id is not None
        with tempfile.TemporaryDirectory() as folder:
            path = await client.videos.download(done.video_id, Path(folder))
            print(f"downloaded {path.name}: {path.stat().st_size} bytes")
    print("done")


if __name__ == "__main__":
    asyncio.run(main())
