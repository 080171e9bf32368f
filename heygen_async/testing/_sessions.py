"""Handlers for sessions: the interactive API (/v3/video-agents/sessions) and the current
Video Agent API (/v3/video-agents). Bodies arrive already checked against HeyGen's schema."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._faults import CREATE_LATENCY_KEY
from ._http import HTTPFailure, invalid, json_body, page
from ._idempotency import Reply
from ._state import (
    CHAT_FLOW,
    GENERATE_FLOW,
    INTERACTIVE_AUTO_FLOW,
    INTERACTIVE_FLOW,
    PAUSES,
    FakeSession,
    new_id,
)

if TYPE_CHECKING:
    from ._fake import FakeHeyGen

INTERACTIVE = "sessions"
VIDEO_AGENTS = "video_agents"


class SessionHandlers:
    def __init__(self, fake: FakeHeyGen) -> None:
        self.fake = fake

    def routes(self) -> list[web.RouteDef]:
        # Literal paths before /{sid}: aiohttp tries routes in this order.
        return [
            web.post("/v3/video-agents/sessions", self.create_interactive),
            web.get("/v3/video-agents/sessions/{sid}", self.get_interactive),
            web.post("/v3/video-agents/sessions/{sid}/messages", self.message_interactive),
            web.post("/v3/video-agents/sessions/{sid}/stop", self.stop_interactive),
            web.get("/v3/video-agents/sessions/{sid}/resources", self.list_resources),
            web.post("/v3/video-agents", self.create_agent),
            web.get("/v3/video-agents", self.list_agents),
            web.get("/v3/video-agents/{sid}", self.get_agent),
            web.post("/v3/video-agents/{sid}", self.message_agent),
            web.post("/v3/video-agents/{sid}/stop", self.stop_agent),
            web.get("/v3/video-agents/{sid}/videos", self.agent_videos),
            web.get("/v3/video-agents/{sid}/resources/{rid}", self.agent_resource),
        ]

    # -- shared by both APIs ---------------------------------------------------------------

    def _session(self, request: web.Request, api: str) -> FakeSession:
        session = self.fake.sessions.get(request.match_info["sid"])
        if session is None or session.api != api:
            raise HTTPFailure(404, "not_found", "Session not found.")
        self.fake.machine.tick(session)
        return session

    async def _create(self, request: web.Request, api: str) -> web.Response:
        payload = json_body(request)
        fake = self.fake
        latency = fake.create_latency + request.get(CREATE_LATENCY_KEY, 0.0)
        key = request.headers.get("Idempotency-Key")

        async def produce() -> Reply:
            fake.in_flight_creates += 1
            fake.peak_in_flight_creates = max(fake.peak_in_flight_creates, fake.in_flight_creates)
            try:
                if latency:
                    await asyncio.sleep(latency)
                return self._start(payload, api, key)
            finally:
                fake.in_flight_creates -= 1

        return await fake.idempotency.run(request, produce)

    def _start(self, payload: dict[str, Any], api: str, key: str | None) -> Reply:
        fake = self.fake
        if api == INTERACTIVE:
            mode = "interactive"
            flow = INTERACTIVE_AUTO_FLOW if payload.get("auto_proceed") else INTERACTIVE_FLOW
        else:
            mode = payload.get("mode", "generate")
            flow = GENERATE_FLOW if mode == "generate" else CHAT_FLOW
        if fake.max_active_jobs is not None and fake.active_jobs() >= fake.max_active_jobs:
            raise HTTPFailure(
                429,
                "rate_limit_exceeded",
                f"Concurrent job limit of {fake.max_active_jobs} reached.",
                headers={"Retry-After": f"{fake.busy_retry_after:g}"},
            )
        session = fake.machine.start(
            api=api,
            mode=mode,
            prompt=payload["prompt"],
            flow=flow,
            callback_url=payload.get("callback_url"),
            callback_id=payload.get("callback_id"),
            idempotency_key=key,
        )
        fake.created_count += 1
        data: dict[str, Any] = {"session_id": session.session_id, "created_at": session.created_at}
        if api == VIDEO_AGENTS:
            data |= {"status": session.status, "video_id": None}
        return 200, {"data": data}

    async def _message(self, request: web.Request, api: str) -> web.Response:
        session = self._session(request, api)
        text = json_body(request)["message"]
        machine = self.fake.machine

        async def produce() -> Reply:
            if session.terminal:
                raise invalid(f"Session is {session.status}.")
            if api == VIDEO_AGENTS and session.mode == "generate":
                raise invalid("Messages are only valid for sessions in chat mode.")
            session.say("user", text)
            if session.status in PAUSES:
                machine.step(session)
            data = {"session_id": session.session_id, "run_id": new_id("run")}
            return 200, {"data": data | {"title": session.title}}

        return await self.fake.idempotency.run(request, produce)

    async def _stop(self, request: web.Request, api: str) -> web.Response:
        session = self._session(request, api)
        self.fake.machine.stop(session)
        return web.json_response({"data": {"session_id": session.session_id}})

    # -- interactive sessions API ----------------------------------------------------------

    async def create_interactive(self, request: web.Request) -> web.Response:
        return await self._create(request, INTERACTIVE)

    async def get_interactive(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self._session(request, INTERACTIVE).as_json()})

    async def message_interactive(self, request: web.Request) -> web.Response:
        return await self._message(request, INTERACTIVE)

    async def stop_interactive(self, request: web.Request) -> web.Response:
        return await self._stop(request, INTERACTIVE)

    async def list_resources(self, request: web.Request) -> web.Response:
        session = self._session(request, INTERACTIVE)
        items = session.resources
        if "type" in request.query:
            items = [r for r in items if r["resource_type"] == request.query["type"]]
        if "source" in request.query:
            items = [r for r in items if r["source_type"] == request.query["source"]]
        if "resource_ids" in request.query:
            wanted = set(request.query["resource_ids"].split(","))
            items = [r for r in items if r["resource_id"] in wanted]
        items, nxt = page(items, request, default_limit=8)
        return web.json_response({"data": {"resources": items, "next_cursor": nxt}})

    # -- current Video Agent API -----------------------------------------------------------

    async def create_agent(self, request: web.Request) -> web.Response:
        return await self._create(request, VIDEO_AGENTS)

    async def get_agent(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self._session(request, VIDEO_AGENTS).as_json()})

    async def message_agent(self, request: web.Request) -> web.Response:
        return await self._message(request, VIDEO_AGENTS)

    async def stop_agent(self, request: web.Request) -> web.Response:
        return await self._stop(request, VIDEO_AGENTS)

    async def list_agents(self, request: web.Request) -> web.Response:
        items = [
            {"session_id": s.session_id, "created_at": s.created_at, "title": s.title}
            for s in reversed(list(self.fake.sessions.values()))
            if s.api == VIDEO_AGENTS
        ]
        items, nxt = page(items, request, default_limit=20)
        return web.json_response({"data": items, "has_more": nxt is not None, "next_token": nxt})

    async def agent_videos(self, request: web.Request) -> web.Response:
        session = self._session(request, VIDEO_AGENTS)
        videos = self.fake.videos
        items = [videos[session.video_id].as_json(self.fake.url)] if session.video_id else []
        return web.json_response({"data": items, "has_more": False, "next_token": None})

    async def agent_resource(self, request: web.Request) -> web.Response:
        session = self._session(request, VIDEO_AGENTS)
        for resource in session.resources:
            if resource["resource_id"] == request.match_info["rid"]:
                return web.json_response({"data": resource})
        raise HTTPFailure(404, "not_found", "Resource not found.")
