"""webhooks.verify and aiohttp_handler, and FakeHeyGen's signed deliveries end to end."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import heygen_async as hg
from heygen_async import webhooks
from heygen_async.testing import FakeHeyGen

SECRET = "whsec_test"
NOW = 1_750_000_000.0


def _delivery(
    event_type: str = "video_agent.success", data: Any = None, *, secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    if data is None:
        data = {
            "session_id": "sess_1",
            "video_id": "vid_1",
            "callback_id": "job-7",
            "url": "https://files.example/vid_1.mp4",
        }
    body = json.dumps({"event_type": event_type, "event_data": data}).encode()
    headers = {
        "Heygen-Signature": webhooks.sign(body, secret),
        "Heygen-Timestamp": str(int(NOW)),
        "Heygen-Event-Id": "evt_1",
    }
    return body, headers


def test_a_valid_delivery_is_parsed() -> None:
    body, headers = _delivery()
    event = webhooks.verify(body, headers, SECRET, now=NOW + 10)
    assert event.event_type is webhooks.WebhookEventType.VIDEO_AGENT_SUCCESS
    assert event.event_type == "video_agent.success"
    assert (event.session_id, event.video_id, event.callback_id) == ("sess_1", "vid_1", "job-7")
    assert event.url == "https://files.example/vid_1.mp4"
    assert event.event_id == "evt_1"
    assert event.data["session_id"] == "sess_1"


def test_header_names_are_case_insensitive_and_unknown_events_kept() -> None:
    body, headers = _delivery("video_agent.reviewing", {"session_id": "s", "video_url": "u"})
    lowered = {k.lower(): v for k, v in headers.items()}
    event = webhooks.verify(body, lowered, SECRET, now=NOW)
    assert event.event_type == "video_agent.reviewing"
    assert not isinstance(event.event_type, webhooks.WebhookEventType)
    assert event.url == "u"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda b, h: (b + b" ", h), "signature"),
        (lambda b, h: (b, {**h, "Heygen-Signature": "00" * 32}), "signature"),
        (lambda b, h: (b, {k: v for k, v in h.items() if k != "Heygen-Signature"}), "signature"),
        (lambda b, h: (b, {**h, "Heygen-Signature": webhooks.sign(b, "other")}), "signature"),
        (lambda b, h: (b, {k: v for k, v in h.items() if k != "Heygen-Timestamp"}), "timestamp"),
        (lambda b, h: (b, {**h, "Heygen-Timestamp": "yesterday"}), "timestamp"),
        (lambda b, h: (b, {**h, "Heygen-Timestamp": str(int(NOW - 301))}), "timestamp"),
        (lambda b, h: (b, {**h, "Heygen-Timestamp": str(int(NOW + 301))}), "timestamp"),
    ],
)
def test_bad_deliveries_are_refused(mutate: Any, reason: str) -> None:
    body, headers = mutate(*_delivery())
    with pytest.raises(hg.WebhookVerificationError) as caught:
        webhooks.verify(body, headers, SECRET, now=NOW)
    assert caught.value.reason == reason
    assert isinstance(caught.value, hg.HeyGenError)


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"event_data": {}}', b'{"event_type": "x", "event_data": 5}']
)
def test_malformed_payloads_are_refused_even_when_signed(body: bytes) -> None:
    headers = {"Heygen-Signature": webhooks.sign(body, SECRET), "Heygen-Timestamp": str(NOW)}
    with pytest.raises(hg.WebhookVerificationError) as caught:
        webhooks.verify(body, headers, SECRET, now=NOW)
    assert caught.value.reason == "payload"


def test_tolerance_is_configurable() -> None:
    body, headers = _delivery()
    webhooks.verify(body, headers, SECRET, now=NOW + 3000, tolerance=3600)
    with pytest.raises(hg.WebhookVerificationError):
        webhooks.verify(body, headers, SECRET, now=NOW + 3000)


@asynccontextmanager
async def _receiver(handler: Any) -> AsyncIterator[str]:
    """Serve `handler` at POST /hook on 127.0.0.1; yield its URL."""
    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


async def test_aiohttp_handler_answers_and_calls_back() -> None:
    received: list[webhooks.WebhookEvent] = []

    async def on_event(event: webhooks.WebhookEvent) -> None:
        received.append(event)

    handler = webhooks.aiohttp_handler(SECRET, on_event, tolerance=10**10)
    async with _receiver(handler) as url:
        body, headers = _delivery()
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=body, headers=headers) as r:
                assert r.status == 200
            bad = {**headers, "Heygen-Signature": "0" * 64}
            async with http.post(url, data=body, headers=bad) as r:
                assert r.status == 401
                assert (await r.json())["reason"] == "signature"
            signed_junk = {**headers, "Heygen-Signature": webhooks.sign(b"junk", SECRET)}
            async with http.post(url, data=b"junk", headers=signed_junk) as r:
                assert r.status == 400
    assert [e.session_id for e in received] == ["sess_1"]


async def test_fake_heygen_sends_signed_webhooks_that_verify() -> None:
    received: list[webhooks.WebhookEvent] = []
    got = asyncio.Event()

    def on_event(event: webhooks.WebhookEvent) -> None:
        received.append(event)
        got.set()

    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        # HeyGen signs deliveries to registered endpoints only, with the endpoint's secret.
        secret: dict[str, str] = {}

        async def handler(request: web.Request) -> web.StreamResponse:
            return await webhooks.aiohttp_handler(secret["value"], on_event)(request)

        async with _receiver(handler) as url:
            endpoint = await client.webhooks.endpoints.create(url=url)
            assert endpoint.secret is not None
            secret["value"] = endpoint.secret
            session = await client.video_agents.create(prompt="p", callback_id="job-42")
            fake.advance(session.session_id, to="generating")
            fake.advance(session.session_id, to="completed")
            await asyncio.wait_for(got.wait(), 5)
            failing = await client.video_agents.create(prompt="q")
            got.clear()
            fake.fail_session(failing.session_id)
            await asyncio.wait_for(got.wait(), 5)
            await asyncio.wait_for(fake.deliveries_idle(), 5)
    success, failure = received
    assert success.event_type is webhooks.WebhookEventType.VIDEO_AGENT_SUCCESS
    assert success.session_id == session.session_id
    assert success.callback_id == "job-42"
    assert success.video_id is not None and success.url is not None
    assert failure.event_type is webhooks.WebhookEventType.VIDEO_AGENT_FAIL
    assert [(d.status, d.signed) for d in fake.deliveries] == [(200, True), (200, True)]


def test_the_package_keeps_the_names_of_the_former_module() -> None:
    assert (webhooks.SIGNATURE_HEADER, webhooks.TIMESTAMP_HEADER, webhooks.EVENT_ID_HEADER) == (
        "Heygen-Signature",
        "Heygen-Timestamp",
        "Heygen-Event-Id",
    )
    assert webhooks.DEFAULT_TOLERANCE == 300.0
    assert set(webhooks.__all__) >= {
        "WebhookEvent",
        "WebhookEventType",
        "WebhookReceiver",
        "aiohttp_handler",
        "sign",
        "verify",
    }
    assert hg.webhooks.WebhookReceiver is webhooks.WebhookReceiver
