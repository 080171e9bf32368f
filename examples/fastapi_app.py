"""A FastAPI app: one shared AsyncHeyGen for the process, a route that creates a video, and a
route that receives HeyGen's signed webhooks.

    HEYGEN_API_KEY=... HEYGEN_WEBHOOK_SECRET=... uvicorn examples.fastapi_app:app
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

import heygen_async as hg


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # One client per process, opened with the app and closed with it.
    async with hg.AsyncHeyGen(max_concurrent_creates=3) as client:
        app.state.heygen = client
        app.state.events = []
        yield


app = FastAPI(lifespan=lifespan)


class VideoRequest(BaseModel):
    prompt: str
    callback_id: str | None = None


@app.post("/videos", status_code=202)
async def create_video(body: VideoRequest, request: Request) -> dict[str, Any]:
    client: hg.AsyncHeyGen = request.app.state.heygen
    callback = os.environ.get("PUBLIC_WEBHOOK_URL")
    try:
        session = await client.video_agents.create(
            prompt=body.prompt, callback_url=callback, callback_id=body.callback_id
        )
    except hg.ValidationError as exc:
        raise HTTPException(422, detail={"field": exc.field, "message": exc.message}) from None
    except hg.RateLimitError as exc:
        retry_after = str(int(exc.retry_after or 60))
        raise HTTPException(503, "HeyGen is busy", headers={"Retry-After": retry_after}) from None
    return {"session_id": session.session_id, "status": session.status}


@app.post("/heygen/webhook")
async def heygen_webhook(request: Request) -> dict[str, bool]:
    secret = os.environ["HEYGEN_WEBHOOK_SECRET"]
    try:
        event = hg.webhooks.verify(await request.body(), request.headers, secret)
    except hg.WebhookVerificationError as exc:
        raise HTTPException(400, exc.reason) from None
    # Deliveries are retried: de-duplicate by event id before acting on them.
    if event.event_id not in {e.event_id for e in request.app.state.events}:
        request.app.state.events.append(event)
    return {"ok": True}
