"""Bad input raises ValidationError naming the field, and nothing is sent."""

from __future__ import annotations

import base64
import inspect
from pathlib import Path
from typing import Any

import pytest
from aioresponses import aioresponses

import heygen_async as hg
from heygen_async import _json
from heygen_async._convert import unstructure
from heygen_async._requests import build_model
from heygen_async.models import SendVideoAgentMessageRequest

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n0000").decode()

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("prompt missing", {}, "prompt"),
    ("prompt empty", {"prompt": ""}, "prompt"),
    ("prompt too long", {"prompt": "x" * 10_001}, "prompt"),
    ("prompt not a str", {"prompt": 42}, "prompt"),
    ("prompt bytes", {"prompt": b"hello"}, "prompt"),
    ("orientation", {"prompt": "p", "orientation": "square"}, "orientation"),
    ("too many files", {"prompt": "p", "files": [hg.AssetId("a")] * 21}, "files"),
    (
        "file of no type",
        {"prompt": "p", "files": [{"type": "link", "url": "https://x"}]},
        "files[0].type",
    ),
    (
        "file JSON not https",
        {"prompt": "p", "files": [{"type": "url", "url": "http://x"}]},
        "files[0].url",
    ),
    ("file JSON extra", {"prompt": "p", "files": [{"type": "asset_id", "id": "a"}]}, "files[0].id"),
    ("file is a str", {"prompt": "p", "files": ["https://x/y.png"]}, "files[0]"),
    ("files not a list", {"prompt": "p", "files": 5}, "files"),
    (
        "callback_url scheme",
        {"prompt": "p", "callback_url": "ftp://x.example/hook"},
        "callback_url",
    ),
    ("callback_url no host", {"prompt": "p", "callback_url": "https://"}, "callback_url"),
    ("callback_url not a str", {"prompt": "p", "callback_url": 5}, "callback_url"),
    ("auto_proceed not bool", {"prompt": "p", "auto_proceed": "yes"}, "auto_proceed"),
    ("incognito not bool", {"prompt": "p", "incognito_mode": 1}, "incognito_mode"),
    ("empty avatar", {"prompt": "p", "avatar_id": ""}, "avatar_id"),
    ("avatar not str", {"prompt": "p", "avatar_id": 7}, "avatar_id"),
    ("unknown field", {"prompt": "p", "mood": "happy"}, "mood"),
]


@pytest.mark.parametrize(("name", "fields", "field"), CASES, ids=[c[0] for c in CASES])
async def test_invalid_create_sends_nothing(
    make_client: Any, name: str, fields: dict[str, Any], field: str
) -> None:
    client = make_client()
    with aioresponses() as mocked:
        with pytest.raises(hg.ValidationError) as caught:
            await client.sessions.create(**fields)
        assert not mocked.requests
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: hg.AssetUrl("http://insecure.example/a.png"), "url"),
        (lambda: hg.AssetUrl("not a url"), "url"),
        (lambda: hg.AssetId(""), "asset_id"),
        (lambda: hg.AssetBase64(media_type="text/html", data=PNG), "media_type"),
        (lambda: hg.AssetBase64(media_type="image/png", data="not base64!!"), "data"),
        (lambda: hg.AssetBase64(media_type="image/png", data=""), "data"),
    ],
)
def test_invalid_files_are_refused_when_built(build: Any, field: str) -> None:
    with pytest.raises(hg.ValidationError) as caught:
        build()
    assert caught.value.field == field


def test_asset_base64_from_path(tmp_path: Path) -> None:
    png = tmp_path / "frame.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    asset = hg.AssetBase64.from_path(png)
    assert asset.media_type == "image/png"
    assert base64.b64decode(asset.data).startswith(b"\x89PNG")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(hg.ValidationError):
        hg.AssetBase64.from_path(text)


async def test_request_object_and_fields_together_are_refused(make_client: Any) -> None:
    client = make_client()
    with aioresponses() as mocked:
        with pytest.raises(hg.ValidationError):
            await client.sessions.create(hg.CreateSessionRequest("p"), prompt="q")
        with pytest.raises(hg.ValidationError):
            await client.sessions.create(hg.CreateVideoAgentRequest("p"))  # type: ignore[arg-type]
        with pytest.raises(hg.ValidationError):
            await client.video_agents.create(prompt="p", auto_proceed=True)
        with pytest.raises(hg.ValidationError, match="mode"):
            await client.video_agents.create(prompt="p", mode="batch")
        assert not mocked.requests


@pytest.mark.parametrize("bad_id", ["", "   ", None, 5, "a/b", "a?b"])
async def test_empty_or_unsafe_path_ids_send_nothing(make_client: Any, bad_id: Any) -> None:
    client = make_client()
    calls = [
        lambda: client.sessions.get(bad_id),
        lambda: client.sessions.send_message(bad_id, "hi"),
        lambda: client.sessions.stop(bad_id),
        lambda: client.sessions.wait(bad_id),
        lambda: client.video_agents.get(bad_id),
        lambda: client.video_agents.get_resource("s", bad_id),
        lambda: client.videos.get(bad_id),
        lambda: client.videos.wait(bad_id),
    ]
    with aioresponses() as mocked:
        for call in calls:
            with pytest.raises(hg.ValidationError):
                await call()
        with pytest.raises(hg.ValidationError):
            client.sessions.list_resources(bad_id)
        with pytest.raises(hg.ValidationError):
            client.video_agents.list_videos(bad_id)
        assert not mocked.requests


async def test_invalid_messages_send_nothing(make_client: Any) -> None:
    client = make_client()
    with aioresponses() as mocked:
        for message in ("", "x" * 10_001, None, 3):
            with pytest.raises(hg.ValidationError) as caught:
                await client.sessions.send_message("sess_1", message)
            assert caught.value.field == "message"
        with pytest.raises(hg.ValidationError):
            await client.sessions.send_message("sess_1", "ok", files=["nope"])
        with pytest.raises(hg.ValidationError):
            client.styles.list(page_size=0)
        assert not mocked.requests


def test_request_models_are_frozen_and_files_become_tuples() -> None:
    request = hg.CreateSessionRequest("p", files=[hg.AssetId("a")])
    assert request.files == (hg.AssetId("a"),)
    with pytest.raises(AttributeError):
        request.prompt = "changed"  # type: ignore[misc]


# -- the two families: one set of shared fields, each API's own fields, nothing else ---------

_DOCUMENTED_SIGNATURES = {
    hg.CreateSessionRequest: (
        "prompt, *, avatar_id=None, voice_id=None, style_id=None, orientation=None, files=None, "
        "auto_proceed=False, callback_url=None, callback_id=None, incognito_mode=False"
    ),
    hg.CreateVideoAgentRequest: (
        "prompt, *, mode='generate', avatar_id=None, voice_id=None, style_id=None, "
        "brand_kit_id=None, orientation=None, files=None, callback_url=None, callback_id=None, "
        "incognito_mode=False"
    ),
    hg.SendMessageRequest: (
        "message, *, avatar_id=None, voice_id=None, files=None, auto_proceed=None"
    ),
    SendVideoAgentMessageRequest: (
        "message, *, avatar_id=None, voice_id=None, brand_kit_id=None, files=None"
    ),
}


@pytest.mark.parametrize("cls", list(_DOCUMENTED_SIGNATURES), ids=lambda c: c.__name__)
def test_request_constructors_are_the_documented_ones(cls: type[Any]) -> None:
    parts = []
    for parameter in inspect.signature(cls).parameters.values():
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and "*" not in parts:
            parts.append("*")
        default = parameter.default
        parts.append(
            parameter.name
            if default is inspect.Parameter.empty
            else f"{parameter.name}={default!r}"
        )
    assert ", ".join(parts) == _DOCUMENTED_SIGNATURES[cls]


_FILES = [hg.AssetUrl("https://cdn.example/a.png"), hg.AssetId("ast_1")]
_FILES_JSON = (
    '[{"type":"url","url":"https://cdn.example/a.png"},{"type":"asset_id","asset_id":"ast_1"}]'
)


@pytest.mark.parametrize(
    ("request_model", "sent"),
    [
        (
            hg.CreateSessionRequest("p"),
            '{"prompt":"p","auto_proceed":false,"incognito_mode":false}',
        ),
        (
            hg.CreateSessionRequest(
                "p",
                avatar_id="a",
                voice_id="v",
                style_id="s",
                orientation="portrait",
                files=_FILES,
                auto_proceed=True,
                callback_url="https://h.example/x",
                callback_id="c",
                incognito_mode=True,
            ),
            '{"prompt":"p","auto_proceed":true,"incognito_mode":true,"avatar_id":"a",'
            '"voice_id":"v","style_id":"s","orientation":"portrait","files":' + _FILES_JSON + ","
            '"callback_url":"https://h.example/x","callback_id":"c"}',
        ),
        (
            hg.CreateVideoAgentRequest("p"),
            '{"prompt":"p","mode":"generate","incognito_mode":false}',
        ),
        (
            hg.CreateVideoAgentRequest(
                "p",
                mode="chat",
                avatar_id="a",
                voice_id="v",
                style_id="s",
                brand_kit_id="b",
                orientation="landscape",
                files=_FILES,
                callback_url="https://h.example/x",
                callback_id="",
                incognito_mode=True,
            ),
            '{"prompt":"p","mode":"chat","incognito_mode":true,"avatar_id":"a","voice_id":"v",'
            '"style_id":"s","brand_kit_id":"b","orientation":"landscape","files":'
            + _FILES_JSON
            + ',"callback_url":"https://h.example/x","callback_id":""}',
        ),
        (hg.SendMessageRequest("m"), '{"message":"m"}'),
        (
            hg.SendMessageRequest(
                "m", avatar_id="a", voice_id="v", files=_FILES, auto_proceed=False
            ),
            '{"message":"m","avatar_id":"a","voice_id":"v","files":'
            + _FILES_JSON
            + ',"auto_proceed":false}',
        ),
        (
            SendVideoAgentMessageRequest(
                "m", avatar_id="a", voice_id="v", brand_kit_id="b", files=_FILES
            ),
            '{"message":"m","avatar_id":"a","voice_id":"v","brand_kit_id":"b","files":'
            + _FILES_JSON
            + "}",
        ),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else "",
)
def test_bodies_are_byte_for_byte_what_was_sent_before(request_model: Any, sent: str) -> None:
    assert _json.dumps(unstructure(request_model)) == sent.encode()


@pytest.mark.parametrize(
    ("cls", "field"),
    [
        (hg.CreateSessionRequest, "mode"),
        (hg.CreateSessionRequest, "brand_kit_id"),
        (hg.CreateVideoAgentRequest, "auto_proceed"),
        (hg.SendMessageRequest, "brand_kit_id"),
        (SendVideoAgentMessageRequest, "auto_proceed"),
    ],
)
def test_the_other_familys_field_is_refused_by_name(cls: type[Any], field: str) -> None:
    first = "prompt" if "prompt" in inspect.signature(cls).parameters else "message"
    with pytest.raises(hg.ValidationError) as caught:
        build_model(cls, None, {first: "p", field: "x"}, "request")
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("cls", "fields", "field"),
    [
        (hg.SendMessageRequest, {"auto_proceed": "yes"}, "auto_proceed"),
        (hg.SendMessageRequest, {"voice_id": ""}, "voice_id"),
        (hg.SendMessageRequest, {"files": [hg.AssetId("a")] * 21}, "files"),
        (SendVideoAgentMessageRequest, {"brand_kit_id": ""}, "brand_kit_id"),
        (SendVideoAgentMessageRequest, {"avatar_id": 3}, "avatar_id"),
        (SendVideoAgentMessageRequest, {"files": ["nope"]}, "files[0]"),
        (SendVideoAgentMessageRequest, {"message": ""}, "message"),
    ],
)
def test_message_fields_are_validated_in_both_families(
    cls: type[Any], fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(hg.ValidationError) as caught:
        cls(**{"message": "m", **fields})
    assert caught.value.field == field


async def test_sessions_send_message_refuses_brand_kit_id_before_io(make_client: Any) -> None:
    client = make_client()
    with aioresponses() as mocked:
        with pytest.raises(hg.ValidationError) as caught:
            await client.sessions.send_message("sess_1", "ok", brand_kit_id="bk_1")
        assert not mocked.requests
    assert caught.value.field == "brand_kit_id"


async def test_video_agents_send_message_refuses_auto_proceed_before_io(make_client: Any) -> None:
    client = make_client()
    with aioresponses() as mocked:
        with pytest.raises(hg.ValidationError) as caught:
            await client.video_agents.send_message("sess_1", "ok", auto_proceed=True)
        assert not mocked.requests
    assert caught.value.field == "auto_proceed"


def test_files_may_be_given_as_the_json_the_api_documents() -> None:
    request = hg.CreateVideoAgentRequest(
        "p",
        files=[
            {"type": "url", "url": "https://cdn.example/a.png"},
            {"type": "asset_id", "asset_id": "ast_1"},
            hg.AssetBase64("image/png", "iVBORw0KGgo="),
        ],
    )
    assert request.files == (
        hg.AssetUrl("https://cdn.example/a.png"),
        hg.AssetId("ast_1"),
        hg.AssetBase64("image/png", "iVBORw0KGgo="),
    )
