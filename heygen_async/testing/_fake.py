"""FakeHeyGen: a loopback HeyGen that speaks both Video Agent APIs, for tests and demos."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import BodyPartReader, web
from multidict import CIMultiDict, CIMultiDictProxy

from .._constants import MULTIPART_UPLOAD_LIMIT
from .._convert import structure
from .._errors import ValidationError
from ..models import CreateSessionRequest, CreateVideoAgentRequest, SendMessageRequest
from ..models.files import sniff_media_type
from ._state import (
    CHAT_FLOW,
    GENERATE_FLOW,
    INTERACTIVE_AUTO_FLOW,
    INTERACTIVE_FLOW,
    PAUSES,
    FakeSession,
    FakeVideo,
    Fault,
    RecordedRequest,
    new_id,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STYLE_TAGS = ("cinematic", "retro-tech", "iconic-artist", "pop-culture", "handmade", "print")
STYLES = [
    {
        "style_id": f"style_{i:02d}",
        "name": f"{tag.replace('-', ' ').title()} {i}",
        "thumbnail_url": f"https://files.example/styles/{i}.png",
        "preview_video_url": f"https://files.example/styles/{i}.mp4",
        "tags": [tag],
        "aspect_ratio": ("16:9", "9:16", "1:1")[i % 3],
    }
    for i, tag in enumerate(STYLE_TAGS * 4)
]


class HTTPFailure(Exception):
    """Raised inside a handler to answer with HeyGen's error envelope."""

    def __init__(
        self, status: int, code: str, message: str, *, param: str | None = None, headers: Any = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.param = status, code, message, param
        self.headers = headers or {}


def _error_body(code: str, message: str, param: str | None = None) -> dict[str, Any]:
    slug = code.replace("_", "-")
    return {
        "error": {
            "code": code,
            "message": message,
            "param": param,
            "doc_url": f"https://developers.heygen.com/docs/error-codes#{slug}",
        }
    }


class FakeHeyGen:
    """A HeyGen stand-in on 127.0.0.1, started with `async with FakeHeyGen() as fake`.

    Sessions advance one state every `step_seconds` (default 0.1, so `wait()` just works;
    None: only when a test calls `advance`, for exact control). Requests need an `x-api-key`:
    any non-empty one, or exactly `api_key` when given (`fake.client()` sends the right one).
    `max_active_jobs` answers 429 to creates beyond that many unfinished sessions.
    `fake.requests` logs every request; `fake.fail(...)` injects faults.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        step_seconds: float | None = 0.1,
        create_latency: float = 0.0,
        max_active_jobs: int | None = None,
        busy_retry_after: float = 1.0,
        video_size: int = 256 * 1024,
        webhook_secret: str | None = None,
        record: bool = True,
    ) -> None:
        # None: any non-empty key is accepted (and `fake.client()` uses "test-key"); a key:
        # only that key is.
        self.api_key = api_key if api_key is not None else "test-key"
        self._exact_key = api_key is not None
        self.host = host
        self.port = port
        self.step_seconds = step_seconds
        self.create_latency = create_latency
        self.max_active_jobs = max_active_jobs
        self.busy_retry_after = busy_retry_after
        self.video_size = video_size
        self.webhook_secret = webhook_secret
        self.record = record
        self.sessions: dict[str, FakeSession] = {}
        self.videos: dict[str, FakeVideo] = {}
        self.assets: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.requests: list[RecordedRequest] = []
        self.webhooks_sent: list[dict[str, Any]] = []
        self.in_flight_creates = 0
        self.peak_in_flight_creates = 0
        self.created_count = 0
        self._idempotency: dict[tuple[str, str], Any] = {}
        self._request_ids = 0
        self._runner: web.AppRunner | None = None
        self._site_url = ""
        self._background: set[asyncio.Task[Any]] = set()
        self._truncations = 0
        self.app = self._build_app()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if not self._site_url:
            raise RuntimeError("FakeHeyGen is not started: use `async with FakeHeyGen() as fake`")
        return self._site_url

    async def start(self) -> FakeHeyGen:
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        server = site._server
        sockets = getattr(server, "sockets", None)
        if not sockets:
            raise RuntimeError("FakeHeyGen could not bind a socket")
        port = sockets[0].getsockname()[1]
        self.port = port
        self._site_url = f"http://{self.host}:{port}"
        return self

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeHeyGen:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def client(self, **options: Any) -> Any:
        """An AsyncHeyGen pointed at this fake (options as for AsyncHeyGen)."""
        from .._client import AsyncHeyGen

        options.setdefault("api_key", self.api_key)
        return AsyncHeyGen(base_url=self.url, **options)

    # -- test controls -----------------------------------------------------------------------

    def fail(
        self,
        path: str = ".*",
        *,
        method: str | None = None,
        status: int = 503,
        times: int | None = 1,
        retry_after: float | str | None = None,
        code: str | None = None,
        latency: float = 0.0,
        drop: bool = False,
        malformed: bool = False,
        body: str | None = None,
        probability: float = 1.0,
    ) -> Fault:
        """Answer requests whose path matches the regex `path` with a fault, `times` times.

        `drop` closes the connection without a reply; `malformed` sends a truncated JSON
        body with the status; `latency` delays the reply (alone, with status 0, it only
        delays the real reply). `probability` makes the fault random.
        """
        fault = Fault(
            method=method,
            path=re.compile(path),
            status=status,
            retry_after=retry_after,
            code=code,
            latency=latency,
            drop=drop,
            malformed=malformed,
            body=body,
            times=times,
            probability=probability,
        )
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def advance(self, session_id: str, *, to: str | None = None) -> FakeSession:
        """Move a session one step along its flow (or straight `to` a status)."""
        session = self.sessions[session_id]
        if to is None:
            self._step(session)
        else:
            self._enter(session, to)
        return session

    def fail_session(self, session_id: str, message: str = "Rendering failed.") -> FakeSession:
        session = self.sessions[session_id]
        session.say("model", message, "error")
        self._enter(session, "failed")
        return session

    def fail_video(self, video_id: str, code: str = "rendering_failed", message: str = "") -> None:
        video = self.videos[video_id]
        video.status, video.failure_code = "failed", code
        video.failure_message = message or "The renderer gave up."
        self._enter(self.sessions[video.session_id], "failed")

    def expire_video_urls(self) -> None:
        """Make every video link given so far answer 403, as an expired presigned URL does."""
        for video in self.videos.values():
            video.url_version += 1

    def truncate_downloads(self, times: int = 1) -> None:
        """Cut the next `times` video downloads off halfway (Content-Length promised more)."""
        self._truncations += times

    def forget_session(self, session_id: str) -> None:
        """Make GET of the session 404, as HeyGen's session endpoint may once the video exists."""
        self.sessions[session_id].api = "gone"

    def creates(self) -> list[RecordedRequest]:
        """Create requests that reached the API (not rejected by a fault)."""
        return [
            r
            for r in self.requests
            if r.method == "POST" and r.path in ("/v3/video-agents", "/v3/video-agents/sessions")
        ]

    def active_jobs(self) -> int:
        return sum(1 for s in self.sessions.values() if not s.terminal)

    # -- the state machine -------------------------------------------------------------------

    def _tick(self, session: FakeSession) -> None:
        """Advance by elapsed time, when the fake runs on a clock."""
        if self.step_seconds is None:
            return
        now = time.monotonic()
        while (
            not session.terminal
            and session.status not in PAUSES
            and now - session.entered_at >= self.step_seconds
        ):
            entered = session.entered_at
            self._step(session)
            session.entered_at = entered + self.step_seconds

    def _step(self, session: FakeSession) -> None:
        if session.terminal:
            return
        flow = session.flow
        index = flow.index(session.status) if session.status in flow else session.step
        if index + 1 < len(flow):
            self._enter(session, flow[index + 1])

    def _enter(self, session: FakeSession, status: str) -> None:
        session.status = status
        session.entered_at = time.monotonic()
        if status in session.flow:
            session.step = session.flow.index(status)
        if status == "reviewing":
            resource_id = new_id("res")
            session.resources.append(
                {
                    "resource_id": resource_id,
                    "resource_type": "draft",
                    "source_type": "generated",
                    "url": f"https://files.example/drafts/{resource_id}.json",
                    "thumbnail_url": None,
                    "preview_url": f"https://files.example/drafts/{resource_id}.png",
                    "created_at": int(time.time()),
                    "metadata": {"scenes": 5},
                }
            )
            session.say(
                "model",
                "Here is the storyboard. Reply to approve or ask for changes.",
                "resource",
                resource_ids=[resource_id],
            )
        elif status == "generating" and session.video_id is None:
            video = FakeVideo(new_id("vid"), session.session_id, size=self.video_size)
            self.videos[video.video_id] = video
            session.video_id = video.video_id
            session.title = f"Video for: {session.prompt[:40]}"
            session.say("model", "Rendering your video now.")
        elif status == "completed":
            if session.video_id is not None:
                video = self.videos[session.video_id]
                if video.status != "failed":
                    video.status, video.completed_at = "completed", int(time.time())
            session.say("model", "Your video is ready.")
            self._notify(session, "video_agent.success")
        elif status == "failed":
            self._notify(session, "video_agent.fail")

    def _notify(self, session: FakeSession, event_type: str) -> None:
        if session.callback_url is None or self.webhook_secret is None:
            return
        from ._webhook_sender import send_webhook

        video = self.videos.get(session.video_id or "")
        data = {
            "session_id": session.session_id,
            "video_id": session.video_id,
            "callback_id": session.callback_id,
            "url": video.as_json(self.url)["video_url"] if video else None,
        }
        task = asyncio.get_running_loop().create_task(
            send_webhook(self, session.callback_url, event_type, data)
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- the app -----------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[self._middleware], client_max_size=MULTIPART_UPLOAD_LIMIT + (1 << 20)
        )
        r = app.router
        r.add_post("/v3/video-agents/sessions", self._create_interactive)
        r.add_get("/v3/video-agents/sessions/{sid}", self._get_interactive)
        r.add_post("/v3/video-agents/sessions/{sid}/messages", self._message_interactive)
        r.add_post("/v3/video-agents/sessions/{sid}/stop", self._stop_interactive)
        r.add_get("/v3/video-agents/sessions/{sid}/resources", self._list_resources)
        r.add_get("/v3/video-agents/styles", self._styles)
        r.add_post("/v3/video-agents", self._create_agent)
        r.add_get("/v3/video-agents", self._list_agents)
        r.add_get("/v3/video-agents/{sid}", self._get_agent)
        r.add_post("/v3/video-agents/{sid}", self._message_agent)
        r.add_post("/v3/video-agents/{sid}/stop", self._stop_agent)
        r.add_get("/v3/video-agents/{sid}/videos", self._agent_videos)
        r.add_get("/v3/video-agents/{sid}/resources/{rid}", self._agent_resource)
        r.add_get("/v3/videos/{vid}", self._get_video)
        r.add_post("/v3/assets", self._upload_asset)
        r.add_post("/v3/assets/direct-uploads", self._direct_upload)
        r.add_put("/upload/{aid}", self._put_upload)
        r.add_post("/v3/assets/{aid}/complete", self._complete_upload)
        r.add_get("/v3/users/me", self._me)
        r.add_get("/files/{name}", self._file)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._request_ids += 1
        request_id = f"req_{self._request_ids:06d}"
        record = await self._record(request) if self.record else None
        headers = {"X-Request-Id": request_id}
        try:
            fault = self._take_fault(request.method, request.path)
            if fault is not None:
                response = await self._apply_fault(fault, request)
                if response is not None:
                    response.headers.update(headers)
                    if record is not None:
                        record.status = response.status
                    return response
            needs_key = not request.path.startswith(("/files/", "/upload/"))
            if needs_key and not self._authorized(request.headers.get("x-api-key")):
                raise HTTPFailure(401, "unauthorized", "Invalid or expired API key.")
            response = await handler(request)
        except HTTPFailure as failure:
            headers.update(failure.headers)
            response = web.json_response(
                _error_body(failure.code, failure.message, failure.param),
                status=failure.status,
            )
        except web.HTTPException as exc:
            code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status, "error")
            response = web.json_response(_error_body(code, exc.reason), status=exc.status)
        response.headers.update(headers)
        if record is not None:
            record.status = response.status
            if isinstance(response, web.Response) and response.content_type == "application/json":
                assert isinstance(response.body, bytes)
                record.response = json.loads(response.body)
        return response

    def _authorized(self, key: str | None) -> bool:
        if not key or not key.strip():
            return False
        return key == self.api_key if self._exact_key else True

    async def _record(self, request: web.Request) -> RecordedRequest:
        payload: Any = None
        raw = b""
        if request.content_type == "application/json" and request.can_read_body:
            raw = await request.read()
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = raw.decode(errors="replace")
        # The key itself is never recorded, only that one was sent.
        headers = CIMultiDict(
            (k, "<redacted>" if k.lower() == "x-api-key" else v) for k, v in request.headers.items()
        )
        entry = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=CIMultiDictProxy(headers),
            json=payload,
            at=time.monotonic(),
            body=raw,
        )
        self.requests.append(entry)
        return entry

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path) and (fault.times is None or fault.times > 0):
                if fault.probability < 1.0 and random.random() >= fault.probability:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    async def _apply_fault(self, fault: Fault, request: web.Request) -> web.StreamResponse | None:
        if fault.latency:
            await asyncio.sleep(fault.latency)
        if fault.drop:
            transport = request.transport
            if transport is not None:
                transport.close()
            raise asyncio.CancelledError  # aiohttp drops the connection without a reply
        if fault.status == 0:
            return None  # latency only
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if fault.malformed:
            return web.Response(
                status=fault.status,
                text='{"error": {"code": "internal_err',
                content_type="application/json",
                headers=headers,
            )
        if fault.body is not None:
            return web.Response(
                status=fault.status, text=fault.body, content_type="text/html", headers=headers
            )
        code = fault.code or {
            429: "rate_limit_exceeded",
            500: "internal_error",
            502: "bad_gateway",
            503: "service_unavailable",
            504: "gateway_timeout",
        }.get(fault.status, "error")
        return web.json_response(
            _error_body(code, f"Injected fault ({fault.status})."),
            status=fault.status,
            headers=headers,
        )

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        try:
            payload = await request.json()
        except (ValueError, UnicodeDecodeError):
            raise HTTPFailure(400, "invalid_parameter", "The body is not valid JSON.") from None
        if not isinstance(payload, dict):
            raise HTTPFailure(400, "invalid_parameter", "The body must be a JSON object.")
        return payload

    @staticmethod
    def _parse(payload: dict[str, Any], cls: type[Any]) -> Any:
        try:
            return structure(payload, cls)
        except ValidationError as exc:
            raise HTTPFailure(400, "invalid_parameter", exc.message, param=exc.field) from None
        except Exception as exc:
            extra = getattr(exc, "extra_fields", None)
            param = sorted(extra)[0] if extra else None
            raise HTTPFailure(
                400, "invalid_parameter", f"Invalid request: {exc}", param=param
            ) from None

    def _session(self, request: web.Request, api: str) -> FakeSession:
        session = self.sessions.get(request.match_info["sid"])
        if session is None or session.api != api:
            raise HTTPFailure(404, "not_found", "Session not found.")
        self._tick(session)
        return session

    async def _idempotent(
        self, request: web.Request, produce: Callable[[], Awaitable[tuple[int, dict[str, Any]]]]
    ) -> web.Response:
        key = request.headers.get("Idempotency-Key")
        if key is not None and not key.strip():
            raise HTTPFailure(400, "invalid_parameter", "Idempotency-Key must not be blank.")
        slot = (request.path, key) if key else None
        if slot is not None:
            seen = self._idempotency.get(slot)
            if seen == "in_flight":
                raise HTTPFailure(
                    409,
                    "request_in_progress",
                    "A request with this Idempotency-Key is in progress.",
                )
            if seen is not None:
                status, body = seen
                return web.json_response(
                    body, status=status, headers={"Idempotent-Replayed": "true"}
                )
            self._idempotency[slot] = "in_flight"
        try:
            status, body = await produce()
        except BaseException:
            if slot is not None:
                self._idempotency.pop(slot, None)
            raise
        if slot is not None:
            self._idempotency[slot] = (status, body)
        return web.json_response(body, status=status)

    async def _create(self, request: web.Request, api: str) -> web.Response:
        payload = await self._json(request)

        async def produce() -> tuple[int, dict[str, Any]]:
            self.in_flight_creates += 1
            self.peak_in_flight_creates = max(self.peak_in_flight_creates, self.in_flight_creates)
            try:
                if self.create_latency:
                    await asyncio.sleep(self.create_latency)
                return self._start_session(payload, api)
            finally:
                self.in_flight_creates -= 1

        return await self._idempotent(request, produce)

    def _start_session(self, payload: dict[str, Any], api: str) -> tuple[int, dict[str, Any]]:
        if api == "sessions":
            req = self._parse(payload, CreateSessionRequest)
            mode = "interactive"
            flow = INTERACTIVE_AUTO_FLOW if req.auto_proceed else INTERACTIVE_FLOW
        else:
            req = self._parse(payload, CreateVideoAgentRequest)
            mode = req.mode
            flow = GENERATE_FLOW if mode == "generate" else CHAT_FLOW
        if self.max_active_jobs is not None and self.active_jobs() >= self.max_active_jobs:
            raise HTTPFailure(
                429,
                "rate_limit_exceeded",
                f"Concurrent job limit of {self.max_active_jobs} reached.",
                headers={"Retry-After": f"{self.busy_retry_after:g}"},
            )
        session = FakeSession(
            session_id=new_id("sess"),
            api=api,
            mode=mode,
            prompt=req.prompt,
            flow=flow,
            callback_url=req.callback_url,
            callback_id=req.callback_id,
        )
        self.sessions[session.session_id] = session
        self.created_count += 1
        if api == "sessions":
            data = {"session_id": session.session_id, "created_at": session.created_at}
        else:
            data = {
                "session_id": session.session_id,
                "status": session.status,
                "created_at": session.created_at,
                "video_id": None,
            }
        return 200, {"data": data}

    async def _message(self, request: web.Request, api: str) -> web.Response:
        session = self._session(request, api)
        payload = await self._json(request)
        if api == "video_agents" and "auto_proceed" in payload:
            raise HTTPFailure(
                400, "invalid_parameter", "Unknown field auto_proceed.", param="auto_proceed"
            )
        message = self._parse(payload, SendMessageRequest)

        async def produce() -> tuple[int, dict[str, Any]]:
            if session.terminal:
                raise HTTPFailure(400, "invalid_parameter", f"Session is {session.status}.")
            if api == "video_agents" and session.mode == "generate":
                raise HTTPFailure(
                    400, "invalid_parameter", "Messages are only valid for sessions in chat mode."
                )
            session.say("user", message.message)
            if session.status in PAUSES:
                self._step(session)
            return 200, {
                "data": {
                    "session_id": session.session_id,
                    "run_id": new_id("run"),
                    "title": session.title,
                }
            }

        return await self._idempotent(request, produce)

    async def _stop(self, request: web.Request, api: str) -> web.Response:
        session = self._session(request, api)
        if not session.terminal:
            video = self.videos.get(session.video_id or "")
            self._enter(session, "completed" if video and video.status == "completed" else "failed")
            session.say("model", "Session stopped.")
        return web.json_response({"data": {"session_id": session.session_id}})

    # -- handlers: interactive sessions API -----------------------------------------------------

    async def _create_interactive(self, request: web.Request) -> web.Response:
        return await self._create(request, "sessions")

    async def _get_interactive(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self._session(request, "sessions").as_json()})

    async def _message_interactive(self, request: web.Request) -> web.Response:
        return await self._message(request, "sessions")

    async def _stop_interactive(self, request: web.Request) -> web.Response:
        return await self._stop(request, "sessions")

    async def _list_resources(self, request: web.Request) -> web.Response:
        session = self._session(request, "sessions")
        items = session.resources
        if "type" in request.query:
            items = [r for r in items if r["resource_type"] == request.query["type"]]
        if "resource_ids" in request.query:
            wanted = set(request.query["resource_ids"].split(","))
            items = [r for r in items if r["resource_id"] in wanted]
        page, nxt = _page(items, request, default_limit=8)
        return web.json_response({"data": {"resources": page, "next_cursor": nxt}})

    # -- handlers: current Video Agent API -----------------------------------------------------

    async def _create_agent(self, request: web.Request) -> web.Response:
        return await self._create(request, "video_agents")

    async def _get_agent(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self._session(request, "video_agents").as_json()})

    async def _message_agent(self, request: web.Request) -> web.Response:
        return await self._message(request, "video_agents")

    async def _stop_agent(self, request: web.Request) -> web.Response:
        return await self._stop(request, "video_agents")

    async def _list_agents(self, request: web.Request) -> web.Response:
        items = [
            {"session_id": s.session_id, "created_at": s.created_at, "title": s.title}
            for s in reversed(list(self.sessions.values()))
            if s.api == "video_agents"
        ]
        page, nxt = _page(items, request, default_limit=20)
        return web.json_response({"data": page, "has_more": nxt is not None, "next_token": nxt})

    async def _agent_videos(self, request: web.Request) -> web.Response:
        session = self._session(request, "video_agents")
        videos = [self.videos[session.video_id].as_json(self.url)] if session.video_id else []
        return web.json_response({"data": videos, "has_more": False, "next_token": None})

    async def _agent_resource(self, request: web.Request) -> web.Response:
        session = self._session(request, "video_agents")
        for resource in session.resources:
            if resource["resource_id"] == request.match_info["rid"]:
                return web.json_response({"data": resource})
        raise HTTPFailure(404, "not_found", "Resource not found.")

    async def _styles(self, request: web.Request) -> web.Response:
        tag = request.query.get("tag")
        items = [s for s in STYLES if tag is None or tag in s["tags"]]
        page, nxt = _page(items, request, default_limit=20)
        return web.json_response({"data": page, "has_more": nxt is not None, "next_token": nxt})

    # -- handlers: videos, files, assets, users ---------------------------------------------------

    async def _get_video(self, request: web.Request) -> web.Response:
        video = self.videos.get(request.match_info["vid"])
        if video is None:
            raise HTTPFailure(404, "not_found", "Video not found.")
        session = self.sessions.get(video.session_id)
        if session is not None:
            self._tick(session)
        return web.json_response({"data": video.as_json(self.url)})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        video = self.videos.get(name.rsplit(".", 1)[0])
        if video is None or video.status != "completed":
            raise HTTPFailure(404, "not_found", "No such file.")
        if request.query.get("v") != str(video.url_version):
            return web.Response(status=403, text="<Error><Code>AccessDenied</Code></Error>")
        content = video.content()
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        response.content_length = len(content)
        await response.prepare(request)
        cut = self._truncations > 0
        if cut:
            self._truncations -= 1
            content = content[: len(content) // 2]
        for start in range(0, len(content), 1 << 16):
            await response.write(content[start : start + (1 << 16)])
        if cut and request.transport is not None:
            request.transport.close()  # half the promised bytes, then the connection drops
            return response
        await response.write_eof()
        return response

    def _store_asset(self, data: bytes, filename: str, declared: str | None) -> dict[str, Any]:
        mime = sniff_media_type(data[:16]) or declared or "application/octet-stream"
        asset_id = new_id("ast")
        asset = {
            "asset_id": asset_id,
            "url": f"https://files.example/asset/{asset_id}",
            "mime_type": mime,
            "size_bytes": len(data),
        }
        self.assets[asset_id] = {**asset, "filename": filename}
        return asset

    async def _upload_asset(self, request: web.Request) -> web.Response:
        if not request.content_type.startswith("multipart/"):
            raise HTTPFailure(400, "invalid_parameter", "Expected multipart/form-data.")
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, BodyPartReader) and part.name == "file":
                data = bytes(await part.read())
                if len(data) > MULTIPART_UPLOAD_LIMIT:
                    raise HTTPFailure(
                        413, "payload_too_large", "Files over 32 MB need a direct upload."
                    )
                filename = part.filename or "upload"
                declared = part.headers.get("Content-Type")

                return await self._idempotent(
                    request, functools.partial(self._asset_reply, data, filename, declared)
                )
        raise HTTPFailure(400, "invalid_parameter", "Missing the file field.", param="file")

    async def _asset_reply(
        self, data: bytes, filename: str, declared: str | None
    ) -> tuple[int, dict[str, Any]]:
        return 200, {"data": self._store_asset(data, filename, declared)}

    async def _direct_upload(self, request: web.Request) -> web.Response:
        payload = await self._json(request)
        for field in ("filename", "content_type", "size_bytes"):
            if field not in payload:
                raise HTTPFailure(400, "invalid_parameter", f"{field} is required.", param=field)
        asset_id = new_id("ast")
        self.uploads[asset_id] = {**payload, "data": None}
        return web.json_response(
            {
                "data": {
                    "asset_id": asset_id,
                    "upload_url": f"{self.url}/upload/{asset_id}",
                    "upload_headers": {
                        "Content-Type": payload["content_type"],
                        "x-amz-acl": "private",
                    },
                    "expires_in_seconds": 900,
                    "max_bytes": payload["size_bytes"],
                    "status": "pending_upload",
                }
            }
        )

    async def _put_upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["aid"])
        if upload is None:
            return web.Response(status=404)
        if request.headers.get("x-amz-acl") != "private":
            return web.Response(status=403, text="signature mismatch")
        size = 0
        digest = hashlib.sha256()
        async for chunk in request.content.iter_chunked(1 << 16):
            size += len(chunk)
            digest.update(chunk)
        upload["received"], upload["sha256"] = size, digest.hexdigest()
        return web.Response(status=200)

    async def _complete_upload(self, request: web.Request) -> web.Response:
        asset_id = request.match_info["aid"]
        upload = self.uploads.get(asset_id)
        if upload is None:
            raise HTTPFailure(404, "asset_not_found", "Asset not found.")
        if upload.get("received") != upload["size_bytes"]:
            raise HTTPFailure(400, "invalid_parameter", "The upload is incomplete.")
        payload = await self._json(request)
        if payload.get("checksum_sha256") not in (None, upload["sha256"]):
            raise HTTPFailure(
                400, "invalid_parameter", "Checksum mismatch.", param="checksum_sha256"
            )
        asset = {
            "asset_id": asset_id,
            "url": f"https://files.example/asset/{asset_id}",
            "mime_type": upload["content_type"],
            "size_bytes": upload["size_bytes"],
            "status": "ready",
        }
        self.assets[asset_id] = asset
        return web.json_response({"data": asset})

    async def _me(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "data": {
                    "username": "fake-user",
                    "email": "fake@example.com",
                    "first_name": "Fake",
                    "last_name": "User",
                    "billing_type": "wallet",
                    "wallet": {
                        "currency": "usd",
                        "remaining_balance": 100.0,
                        "auto_reload": {
                            "enabled": False,
                            "amount_usd": None,
                            "threshold_usd": None,
                        },
                    },
                }
            }
        )


def _page(
    items: Iterable[dict[str, Any]], request: web.Request, *, default_limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    all_items = list(items)
    try:
        limit = int(request.query.get("limit", default_limit))
    except ValueError:
        raise HTTPFailure(
            400, "invalid_parameter", "limit must be an integer.", param="limit"
        ) from None
    if not 1 <= limit <= 100:
        raise HTTPFailure(400, "invalid_parameter", "limit must be 1-100.", param="limit")
    start = 0
    token = request.query.get("token")
    if token:
        try:
            start = json.loads(base64.urlsafe_b64decode(token))["offset"]
        except (ValueError, KeyError, TypeError):
            raise HTTPFailure(400, "invalid_parameter", "Invalid token.", param="token") from None
    page = all_items[start : start + limit]
    end = start + limit
    nxt = (
        base64.urlsafe_b64encode(json.dumps({"offset": end}).encode()).decode()
        if end < len(all_items)
        else None
    )
    return page, nxt


__all__ = ["FakeHeyGen"]
