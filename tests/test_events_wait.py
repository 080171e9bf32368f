"""Waiting on webhook events instead of polling: a job is read when its event arrives, at
least every `receiver.fallback` seconds, and missed deliveries come back from the history."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import heygen_async as hg
from heygen_async.testing import MockRequest, MockResponse, MockTransport
from heygen_async.webhooks import WebhookEvent, WebhookReceiver

SECRET = "whsec_test"


class Server:
    """A HeyGen stand-in: jobs by id, the delivery history, and every request seen."""

    def __init__(self) -> None:
        self.videos: dict[str, str] = {}  # id -> status
        self.sessions: dict[str, dict[str, Any]] = {}
        self.history: list[dict[str, Any]] = []
        self.requests: list[str] = []

    def __call__(self, request: MockRequest) -> MockResponse:
        path = request.url.split("https://api.test", 1)[1].split("?", 1)[0]
        self.requests.append(f"{request.method} {path}")
        if path == "/v3/webhooks/events":
            page = {"data": self.history, "has_more": False, "next_token": None}
            return MockResponse(200, json=page)
        if path.startswith("/v3/videos/"):
            video_id = path.rsplit("/", 1)[1]
            status = self.videos[video_id]
            data: dict[str, Any] = {"id": video_id, "status": status}
            if status == "completed":
                data["video_url"] = f"https://cdn.test/{video_id}.mp4"
            return MockResponse(200, json={"data": data})
        if path.startswith("/v3/video-agents/"):
            session_id = path.rsplit("/", 1)[1]
            return MockResponse(200, json={"data": self.sessions[session_id]})
        return MockResponse(404, json={"error": {"code": "not_found", "message": path}})

    def gets(self, prefix: str) -> int:
        return sum(r.startswith(f"GET {prefix}") for r in self.requests)


def _client(server: Server) -> hg.AsyncHeyGen:
    return hg.AsyncHeyGen("k", base_url="https://api.test", transport=MockTransport(server))


def _event(event_id: str, event_type: str, **data: Any) -> WebhookEvent:
    return WebhookEvent.from_payload(event_type, data, event_id=event_id)


async def test_a_video_is_read_once_its_event_arrives() -> None:
    server = Server()
    server.videos["v1"] = "processing"
    receiver = WebhookReceiver(SECRET, fallback=60.0)
    client = _client(server)

    async def finish_later() -> None:
        await asyncio.sleep(0.05)
        server.videos["v1"] = "completed"
        receiver.feed(_event("evt_1", "avatar_video.success", video_id="v1"))

    async with asyncio.timeout(5):
        finisher = asyncio.create_task(finish_later())
        video = await client.videos.wait("v1", events=receiver)
        await finisher
    assert video.status == "completed"
    # One sweep of the history (what the receiver missed), then one read: no polling.
    assert server.requests == ["GET /v3/webhooks/events", "GET /v3/videos/v1"]


async def test_a_lost_event_costs_at_most_the_fallback() -> None:
    server = Server()
    server.videos["v1"] = "completed"  # finished, but its delivery never came
    receiver = WebhookReceiver(SECRET, fallback=0.2)
    client = _client(server)
    async with asyncio.timeout(5):
        video = await client.videos.wait("v1", events=receiver)
    assert video.status == "completed"
    assert server.gets("/v3/videos/v1") == 1  # read once, after the fallback


async def test_a_delivery_missed_while_down_is_recovered_from_the_history() -> None:
    server = Server()
    server.videos["v1"] = "completed"
    server.history.append(
        {
            "event_id": "evt_9",
            "event_type": "avatar_video.success",
            "event_data": {"video_id": "v1"},
            "created_at": "2026-12-02T08:00:00Z",
        }
    )
    receiver = WebhookReceiver(SECRET, fallback=60.0)  # a fresh receiver: just restarted
    client = _client(server)
    async with asyncio.timeout(5):
        video = await client.videos.wait("v1", events=receiver)
    assert video.status == "completed"
    assert server.requests == ["GET /v3/webhooks/events", "GET /v3/videos/v1"]
    assert not receiver.feed(_event("evt_9", "avatar_video.success", video_id="v1"))  # seen


async def test_a_session_costs_two_reads_after_its_event() -> None:
    server = Server()
    server.sessions["s1"] = {"session_id": "s1", "status": "thinking", "created_at": 1}
    server.videos["v1"] = "completed"
    receiver = WebhookReceiver(SECRET, fallback=60.0)
    client = _client(server)

    async def finish_later() -> None:
        await asyncio.sleep(0.05)
        server.sessions["s1"] = {
            "session_id": "s1",
            "status": "completed",
            "video_id": "v1",
            "created_at": 1,
        }
        receiver.feed(_event("evt_1", "video_agent.success", session_id="s1", video_id="v1"))

    async with asyncio.timeout(5):
        finisher = asyncio.create_task(finish_later())
        session = await client.video_agents.wait("s1", events=receiver)
        await finisher
    assert (session.status, session.video_id) == ("completed", "v1")
    assert server.requests == [
        "GET /v3/webhooks/events",
        "GET /v3/video-agents/s1",
        "GET /v3/videos/v1",
    ]


async def test_the_history_is_swept_once_for_many_waits() -> None:
    server = Server()
    for i in range(5):
        server.videos[f"v{i}"] = "completed"
        server.history.append(
            {
                "event_id": f"evt_{i}",
                "event_type": "avatar_video.success",
                "event_data": {"video_id": f"v{i}"},
                "created_at": "2026-12-02T08:00:00Z",
            }
        )
    receiver = WebhookReceiver(SECRET, fallback=60.0)
    client = _client(server)
    async with asyncio.timeout(5):
        videos = await asyncio.gather(
            *(client.videos.wait(f"v{i}", events=receiver) for i in range(5))
        )
    assert [v.status for v in videos] == ["completed"] * 5
    assert server.gets("/v3/webhooks/events") == 1
    assert server.gets("/v3/videos/") == 5


async def test_a_failed_job_event_raises_with_the_last_state() -> None:
    server = Server()
    server.videos["v1"] = "processing"
    receiver = WebhookReceiver(SECRET, fallback=60.0)
    client = _client(server)

    async def fail_later() -> None:
        await asyncio.sleep(0.05)
        server.videos["v1"] = "failed"
        receiver.feed(_event("evt_1", "avatar_video.fail", video_id="v1"))

    async with asyncio.timeout(5):
        failer = asyncio.create_task(fail_later())
        with pytest.raises(hg.VideoFailedError) as caught:
            await client.videos.wait("v1", events=receiver)
        await failer
    assert caught.value.video.status == "failed"


async def test_events_must_be_a_receiver_and_need_wait_in_batches() -> None:
    client = _client(Server())
    with pytest.raises(hg.ValidationError, match="events"):
        await client.videos.wait("v1", events="not a receiver")  # type: ignore[arg-type]
    receiver = WebhookReceiver(SECRET)
    with pytest.raises(hg.ValidationError, match="events"):
        client.video_agents.iter_create_many(["a"], events=receiver)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.example.com/heygen", True),
        ("http://127.0.0.1:8080/heygen", True),
        ("http://localhost:8080/heygen", True),
        ("http://hooks.example.com/heygen", False),
        ("ftp://hooks.example.com/heygen", False),
    ],
)
async def test_an_endpoint_url_must_be_https_or_loopback(url: str, ok: bool) -> None:
    sent: list[MockRequest] = []

    def handler(request: MockRequest) -> MockResponse:
        sent.append(request)
        endpoint = {
            "endpoint_id": "ep_1",
            "url": url,
            "status": "enabled",
            "created_at": "2026-12-02T08:00:00Z",
            "secret": "whsec_new",
        }
        return MockResponse(200, json={"data": endpoint})

    client = hg.AsyncHeyGen("k", base_url="https://api.test", transport=MockTransport(handler))
    if ok:
        endpoint = await client.webhooks.endpoints.create(url=url)
        assert endpoint.secret == "whsec_new"
    else:
        with pytest.raises(hg.ValidationError, match="url"):
            await client.webhooks.endpoints.create(url=url)
        assert sent == []


async def test_an_endpoint_secret_is_never_in_a_repr_and_update_checks_the_url() -> None:
    def handler(request: MockRequest) -> MockResponse:
        endpoint = {
            "endpoint_id": "ep_1",
            "url": "https://hooks.example.com/h",
            "status": "enabled",
            "created_at": "2026-12-02T08:00:00Z",
            "secret": "whsec_SECRET",
        }
        return MockResponse(200, json={"data": endpoint})

    client = hg.AsyncHeyGen("k", base_url="https://api.test", transport=MockTransport(handler))
    endpoint = await client.webhooks.endpoints.create(url="https://hooks.example.com/h")
    assert endpoint.secret == "whsec_SECRET"
    assert "whsec_SECRET" not in repr(endpoint)
    with pytest.raises(hg.ValidationError, match="url"):
        await client.webhooks.endpoints.update("ep_1", url="http://hooks.example.com/h")
