"""FakeHeyGen's aiohttp app: the middleware every request passes (request id, recording,
faults, API key, HeyGen's schema) and the routes of each API area."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from .._constants import MULTIPART_UPLOAD_LIMIT
from . import _media_jobs
from ._assets import AssetHandlers
from ._catalogue import CatalogueHandlers
from ._faults import Fault, Faults, apply_fault, damage_reply, drop_connection
from ._http import BODY_KEY, HTTPFailure, error_body, invalid
from ._resources import JobRoutes
from ._schema import SchemaError
from ._sessions import SessionHandlers
from ._spec import Spec
from ._styles import StyleHandlers
from ._translations import TranslationHandlers
from ._users import UserHandlers
from ._webhooks import WebhookHandlers

if TYPE_CHECKING:
    from ._fake import FakeHeyGen

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Presigned links (file downloads, upload PUTs) carry their own authority, not an API key.
_KEYLESS = ("/files/", "/upload/")


@attrs.define
class RecordedRequest:
    """A request as FakeHeyGen saw it, and the status and JSON it answered.

    `headers` is case-insensitive; an API key shows as "<redacted>", never its value. `json` is
    the decoded JSON body (None otherwise), `body` its raw bytes, `at` the time.monotonic()
    it arrived. `status` is the status the client was sent: 0 when it got none (a `drop`, an
    outage, a `lose_reply`, or a reply still being made). `fault` names the injected fault
    that met the request, if any ("outage", "drop", "cut_reply", "lose_reply",
    "create_latency", "latency", "malformed", "status_503", ...). `response` is the JSON the
    fake answered; for "cut_reply" and "lose_reply", the whole reply the client never got.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    json: Any
    at: float
    body: bytes = b""
    status: int = 0
    response: Any = None
    fault: str | None = None

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")

    @property
    def retry_count(self) -> int | None:
        value = self.headers.get("x-retry-count")
        return int(value) if value is not None and value.isdigit() else None


def build_app(fake: FakeHeyGen, *, spec: Spec, faults: Faults) -> web.Application:
    """Every route of every area; literal path segments win over {parameters}."""
    middleware = Middleware(fake, spec, faults)
    app = web.Application(
        middlewares=[middleware.handle], client_max_size=MULTIPART_UPLOAD_LIMIT + (1 << 20)
    )
    replies = fake.replies
    jobs = JobRoutes(fake, replies)
    translations = TranslationHandlers(fake, jobs)
    routes = [
        *StyleHandlers().routes(),
        *SessionHandlers(fake).routes(),
        *fake.video_handlers.routes(),
        *AssetHandlers(fake, jobs).routes(),
        *UserHandlers().routes(),
        *fake.avatar_handlers.routes(),
        *fake.voice_handlers.routes(),
        *translations.routes(),
        *CatalogueHandlers(fake, replies, fake.video_handlers).routes(),
        *WebhookHandlers(fake, replies).routes(),
    ]
    collections = [
        *_media_jobs.collections(fake),
        translations.collection(),
        fake.video_handlers.collection(),
    ]
    for collection in collections:
        routes += jobs.routes(collection)
    # aiohttp tries routes in order: /v3/videos/statuses before /v3/videos/{video_id}.
    routes.sort(key=lambda route: _specificity(getattr(route, "path", "")))
    app.add_routes(routes)
    return app


def _specificity(path: str) -> list[int]:
    return [1 if part.startswith("{") else 0 for part in path.split("/")]


class Middleware:
    """What happens to every request before (and after) its handler, in this order."""

    def __init__(self, fake: FakeHeyGen, spec: Spec, faults: Faults) -> None:
        self.fake = fake
        self.spec = spec
        self.faults = faults
        self._request_ids = 0

    @web.middleware
    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._request_ids += 1
        headers = {"X-Request-Id": f"req_{self._request_ids:06d}"}
        record = await self._record(request) if self.fake.record else None
        if self.faults.in_outage(self.fake.clock.now()):
            if record is not None:
                record.fault = "outage"
            drop_connection(request)
        fault = self.faults.take(request.method, request.path)
        if record is not None and fault is not None:
            record.fault = fault.kind
        response = await self._respond(request, handler, fault)
        response.headers.update(headers)
        if record is not None:
            if fault is None or not fault.lose_reply:
                record.status = response.status
            if isinstance(response, web.Response) and response.content_type == "application/json":
                try:
                    record.response = json.loads(response.body)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    record.response = None  # a malformed-body fault
        if fault is not None and (fault.cut_reply or fault.lose_reply):
            await damage_reply(fault, request, response)
        return response

    async def _respond(
        self, request: web.Request, handler: Handler, fault: Fault | None
    ) -> web.StreamResponse:
        """The fault's reply, or the handler's (HTTP errors as HeyGen's envelope)."""
        try:
            response = await apply_fault(fault, request) if fault is not None else None
            if response is None:
                self._authorize(request)
                await self._check(request)
                response = await handler(request)
        except HTTPFailure as failure:
            body = error_body(failure.code, failure.message, failure.param)
            return web.json_response(body, status=failure.status, headers=failure.headers)
        except web.HTTPException as exc:
            code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
            body = error_body(code.get(exc.status, "error"), exc.reason)
            return web.json_response(body, status=exc.status)
        return response

    def _authorize(self, request: web.Request) -> None:
        if request.path.startswith(_KEYLESS):
            return
        key = request.headers.get("x-api-key")
        if not self.fake.accepts_key(key):
            raise HTTPFailure(401, "unauthorized", "Invalid or expired API key.")

    async def _check(self, request: web.Request) -> None:
        """Check the query and JSON body against HeyGen's schema; keep the decoded body."""
        operation = self.spec.operation(request.method, request.path)
        if operation is None:
            return
        try:
            operation.check_query(request.query)
            if operation.body_schema is not None:
                body = await _json(request)
                if body is None:
                    raise invalid("The body must be a JSON object, not null.")
                operation.check_body(body)
                request[BODY_KEY] = body
        except SchemaError as exc:
            raise invalid(exc.message, exc.param) from None
        except RecursionError:
            raise invalid("The body is nested too deeply.") from None

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
        self.fake.requests.append(entry)
        return entry


async def _json(request: web.Request) -> Any:
    """The request's JSON body; an empty body counts as {} (the SDK's stop sends "{}")."""
    raw = await request.read()
    if not raw.strip():
        return {}
    if request.content_type != "application/json":
        raise invalid("The body must be application/json.")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise invalid("The body is not valid JSON.") from None
