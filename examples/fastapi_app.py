"""A FastAPI app: one shared AsyncHeyGen and one WebhookReceiver for the process, a route that
creates a video, one that answers when it is done (woken by HeyGen's webhook event, not by
polling), and the route that receives HeyGen's signed webhooks.

    HEYGEN_API_KEY=... HEYGEN_WEBHOOK_SECRET=... uvicorn examples.fastapi_app:app

HEYGEN_WEBHOOK_SECRET is the secret of a webhook endpoint registered for this app's public
`https://.../heygen/webhook` URL: `client.webhooks.endpoints.create(url=...)` shows it once.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from pydantic import BaseModel

import heygen_async as hg


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # One client and one receiver per process, made with the app and closed with it.
    async with hg.AsyncHeyGen(max_concurrent_creates=3) as client:
        app.state.heygen = client
        app.state.events = []

        def on_event(event: hg.webhooks.WebhookEvent) -> None:
            # Your own work, once per event (duplicates are dropped); HeyGen never waits for
            # it. A real app would mark the job done in its database.
            app.state.events.append(event)

        secret = os.environ["HEYGEN_WEBHOOK_SECRET"]
        app.state.webhooks = hg.webhooks.WebhookReceiver(secret, on_event=on_event)
        yield
        await app.state.webhooks.join()


app = FastAPI(lifespan=lifespan)


class VideoRequest(BaseModel):
    prompt: str
    callback_id: str | None = None


@app.post("/videos", status_code=202)
async def create_video(body: VideoRequest, request: Request) -> dict[str, Any]:
    client: hg.AsyncHeyGen = request.app.state.heygen
    try:
        session = await client.video_agents.create(prompt=body.prompt, callback_id=body.callback_id)
    except hg.ValidationError as exc:
        raise HTTPException(422, detail={"field": exc.field, "message": exc.message}) from None
    except hg.RateLimitError as exc:
        retry_after = str(int(exc.retry_after or 60))
        raise HTTPException(503, "HeyGen is busy", headers={"Retry-After": retry_after}) from None
    return {"session_id": session.session_id, "status": session.status}


@app.get("/videos/{session_id}/done")
async def wait_for_video(session_id: str, request: Request, timeout: float = 600) -> dict[str, Any]:
    """Answer once the video is done. The wait sleeps until HeyGen's event for the session
    arrives at /heygen/webhook (it reads the session at least every 30 min regardless), so a
    finished video costs about two requests, not a poll every few seconds."""
    client: hg.AsyncHeyGen = request.app.state.heygen
    try:
        session = await client.video_agents.wait(
            session_id, timeout=timeout, events=request.app.state.webhooks
        )
    except hg.WaitTimeoutError:
        raise HTTPException(504, "not done yet: ask again") from None
    except (hg.SessionFailedError, hg.VideoFailedError) as exc:
        return {"session_id": session_id, "status": "failed", "error": str(exc)}
    return {"session_id": session_id, "status": session.status, "video_id": session.video_id}


@app.post("/heygen/webhook")
async def heygen_webhook(request: Request) -> Response:
    # 401 for an unsigned or forged delivery, 200 for a good one (a duplicate too: HeyGen
    # retries until it gets a 2xx).
    receiver: hg.webhooks.WebhookReceiver = request.app.state.webhooks
    status = await receiver.handle(await request.body(), request.headers)
    return Response(status_code=status)
