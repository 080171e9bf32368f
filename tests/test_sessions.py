"""sessions.create in both forms, and the exact JSON it sends."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL as Y

import heygen_async as hg
from heygen_async.testing import FakeHeyGen

from .openapi import OpenAPI

URL = "https://api.test/v3/video-agents/sessions"
OK = {"data": {"session_id": "sess_1", "created_at": 1711382400, "surprise": [1, 2]}}


def _body(mocked: aioresponses, url: str = URL) -> Any:
    call = mocked.requests[("POST", Y(url))][-1]
    return json.loads(call.kwargs["data"])


async def test_keyword_and_request_forms_send_the_same_json(make_client: Any) -> None:
    client = make_client()
    fields: dict[str, Any] = {
        "avatar_id": "av_1",
        "voice_id": "vo_1",
        "style_id": "style_01",
        "orientation": "portrait",
        "files": [
            hg.AssetUrl("https://cdn.example/a.png"),
            hg.AssetId("ast_1"),
            hg.AssetBase64(media_type="image/png", data="iVBORw0KGgo="),
        ],
        "auto_proceed": True,
        "callback_url": "https://hooks.example/heygen",
        "callback_id": "job-7",
        "incognito_mode": True,
    }
    with aioresponses() as mocked:
        mocked.post(URL, payload=OK, repeat=True)
        by_keywords = await client.sessions.create(prompt="A teaser", **fields)
        sent_keywords = _body(mocked)
        by_request = await client.sessions.create(hg.CreateSessionRequest("A teaser", **fields))
        sent_request = _body(mocked)
    assert by_keywords == by_request
    assert (
        sent_keywords
        == sent_request
        == {
            "prompt": "A teaser",
            "avatar_id": "av_1",
            "voice_id": "vo_1",
            "style_id": "style_01",
            "orientation": "portrait",
            "files": [
                {"type": "url", "url": "https://cdn.example/a.png"},
                {"type": "asset_id", "asset_id": "ast_1"},
                {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
            ],
            "auto_proceed": True,
            "callback_url": "https://hooks.example/heygen",
            "callback_id": "job-7",
            "incognito_mode": True,
        }
    )


async def test_none_fields_are_omitted(make_client: Any, openapi: OpenAPI) -> None:
    client = make_client()
    with aioresponses() as mocked:
        mocked.post(URL, payload=OK)
        session = await client.sessions.create(prompt="Just a prompt")
        sent = _body(mocked)
    assert sent == {"prompt": "Just a prompt", "auto_proceed": False, "incognito_mode": False}
    openapi.check_request("POST", "/v3/video-agents/sessions", sent)
    assert session.session_id == "sess_1"
    assert session.created_at is not None and session.created_at.utcoffset() is not None


async def test_create_headers(make_client: Any) -> None:
    client = make_client(default_headers={"X-Team": "video"})
    with aioresponses() as mocked:
        mocked.post(URL, payload=OK)
        await client.sessions.create(prompt="p")
        headers = mocked.requests[("POST", Y(URL))][0].kwargs["headers"]
    assert headers["x-api-key"] == "sk-test-secret"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Team"] == "video"
    assert headers["User-Agent"].startswith("heygen-async/")
    assert headers["X-Retry-Count"] == "0"


@pytest.mark.parametrize(
    "fields",
    [
        {"prompt": "p"},
        {"prompt": "p" * 10_000, "orientation": "landscape"},
        {"prompt": "p", "files": [hg.AssetUrl("https://x.example/a.mp4")] * 20},
        {"prompt": "p", "callback_url": "http://hooks.example/x", "callback_id": ""},
    ],
)
async def test_every_body_sent_validates_against_the_openapi_document(
    fields: dict[str, Any], openapi: OpenAPI
) -> None:
    async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
        await client.sessions.create(**fields)
        await client.video_agents.create(**fields, mode="chat", brand_kit_id="bk_1")
    assert len(fake.requests) == 2
    for recorded in fake.requests:
        assert recorded.status == 200
        openapi.check_exchange(recorded)


async def test_fake_refuses_unknown_fields_like_heygen(openapi: OpenAPI) -> None:
    # The SDK refuses this before sending, so send it by hand.
    async with FakeHeyGen(step_seconds=None) as fake, aiohttp.ClientSession() as http:
        response = await http.post(
            f"{fake.url}/v3/video-agents",
            data=b'{"prompt": "p", "auto_proceed": true}',
            headers={"x-api-key": "k", "Content-Type": "application/json"},
        )
        status, reply = response.status, await response.json()
    assert status == 400
    assert reply["error"]["param"] == "auto_proceed"
    assert response.headers["X-Request-Id"]
    openapi.check_exchange(fake.requests[0])
