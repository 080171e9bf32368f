"""Webhook endpoints (registered URLs with a secret), the event types HeyGen's schema lists,
and the history of events FakeHeyGen recorded as jobs ended (GET /v3/webhooks/events)."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import web

from ._http import HTTPFailure, json_body
from ._idempotency import Reply
from ._resources import Replies
from ._state import new_id

if TYPE_CHECKING:
    from ._fake import FakeHeyGen

NOT_FOUND = "webhook_not_found"
_OUTCOMES = {"success": "succeeded", "fail": "failed", "finished": "finished"}


def event_types(document: Mapping[str, Any]) -> list[str]:
    """The event types of HeyGen's schema (the enum of an endpoint's `events`)."""
    operation = document["paths"]["/v3/webhooks/endpoints"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    return list(schema["properties"]["events"]["items"]["enum"])


def describe(event_type: str) -> str:
    """'avatar_video.success' -> 'Avatar video succeeded.'"""
    subject, _, outcome = event_type.partition(".")
    words = subject.replace("_", " ").capitalize()
    if not outcome:
        return f"{words}."
    return f"{words} {_OUTCOMES.get(outcome, outcome.replace('.', ' ').replace('_', ' '))}."


def iso_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@attrs.define
class FakeEvent:
    """An event FakeHeyGen recorded: what GET /v3/webhooks/events lists, newest first.

    `event_data` carries the job's id under its natural key (`video_id`, `session_id`, ...),
    under `id` too, and the create's `callback_id` when it had one.
    """

    event_id: str
    event_type: str
    event_data: dict[str, Any]
    created_at: str = attrs.field(factory=iso_now)

    def as_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "event_data": self.event_data,
            "created_at": self.created_at,
        }

    def ids(self) -> set[str]:
        """Every id the event carries (`id` and each `*_id`), as a receiver finds them."""
        return {
            value
            for key, value in self.event_data.items()
            if (key == "id" or key.endswith("_id")) and isinstance(value, str)
        }


class WebhookHandlers:
    def __init__(self, fake: FakeHeyGen, replies: Replies) -> None:
        self.fake = fake
        self.replies = replies
        self.types = event_types(replies.spec.document)

    def routes(self) -> list[web.RouteDef]:
        base = "/v3/webhooks"
        return [
            web.post(f"{base}/endpoints", self.create),
            web.get(f"{base}/endpoints", self.list_endpoints),
            web.patch(f"{base}/endpoints/{{endpoint_id}}", self.update),
            web.delete(f"{base}/endpoints/{{endpoint_id}}", self.delete),
            web.post(f"{base}/endpoints/{{endpoint_id}}/rotate-secret", self.rotate),
            web.get(f"{base}/event-types", self.list_types),
            web.get(f"{base}/events", self.list_events),
        ]

    def _endpoint(self, request: web.Request) -> dict[str, Any]:
        endpoint = self.fake.webhook_endpoints.get(request.match_info["endpoint_id"])
        if endpoint is None:
            raise HTTPFailure(404, NOT_FOUND, "Webhook endpoint not found.")
        return endpoint

    @staticmethod
    def _shown(endpoint: dict[str, Any]) -> dict[str, Any]:
        """An endpoint without its secret (shown only on create and rotate-secret)."""
        return {k: v for k, v in endpoint.items() if k != "secret"}

    async def create(self, request: web.Request) -> web.Response:
        payload = json_body(request)

        async def produce() -> Reply:
            endpoint = {
                "endpoint_id": new_id("wh"),
                "url": payload["url"],
                "events": list(payload.get("events") or self.types),
                "entity_id": payload.get("entity_id"),
                "status": "enabled",
                "created_at": iso_now(),
                "secret": f"whsec_{secrets.token_hex(16)}",
            }
            self.fake.webhook_endpoints[endpoint["endpoint_id"]] = endpoint
            return 200, self.replies.shape(request, {"data": endpoint})

        return await self.fake.idempotency.run(request, produce)

    async def list_endpoints(self, request: web.Request) -> web.Response:
        items = [self._shown(e) for e in reversed(list(self.fake.webhook_endpoints.values()))]
        return self.replies.page(request, items)

    async def update(self, request: web.Request) -> web.Response:
        """`events` replaces the list (as HeyGen's PATCH does); `url` moves the endpoint."""
        endpoint = self._endpoint(request)
        payload = json_body(request)
        if payload.get("url") is not None:
            endpoint["url"] = payload["url"]
        if payload.get("events") is not None:
            endpoint["events"] = list(payload["events"])
        return self.replies.data(request, self._shown(endpoint))

    async def delete(self, request: web.Request) -> web.Response:
        endpoint = self._endpoint(request)
        del self.fake.webhook_endpoints[endpoint["endpoint_id"]]
        return web.json_response(self.replies.shape(request, {"data": {}, "error": None}))

    async def rotate(self, request: web.Request) -> web.Response:
        endpoint = self._endpoint(request)

        async def produce() -> Reply:
            endpoint["secret"] = f"whsec_{secrets.token_hex(16)}"
            data = {"endpoint_id": endpoint["endpoint_id"], "secret": endpoint["secret"]}
            return 200, self.replies.shape(request, {"data": data})

        return await self.fake.idempotency.run(request, produce)

    async def list_types(self, request: web.Request) -> web.Response:
        items = [{"event_type": t, "description": describe(t)} for t in self.types]
        return self.replies.page(request, items, default_limit=100)

    async def list_events(self, request: web.Request) -> web.Response:
        """The history, newest first; `event_type` and `entity_id` (any id it carries) filter."""
        self.fake.job_machine.tick_all()
        self.fake.machine.tick_all()
        kind = request.query.get("event_type")
        entity = request.query.get("entity_id")
        items = [
            event.as_json()
            for event in reversed(self.fake.events)
            if (kind is None or event.event_type == kind)
            and (entity is None or entity in event.ids())
        ]
        return self.replies.page(request, items)
