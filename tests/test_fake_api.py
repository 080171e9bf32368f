"""The SDK against a live FakeHeyGen over HeyGen's whole v3 API: every call of the registry
returns its typed model, every job kind's `wait` ends over loopback (or raises the typed
error a failed or consent-waiting job gives), webhook endpoints round-trip and the event
history records jobs that end."""

from __future__ import annotations

import asyncio
import importlib.resources
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import attrs
import pytest

import heygen_async as hg
from heygen_async.resources._gen_registry import CALLS
from heygen_async.testing import Clock, FakeHeyGen
from heygen_async.testing._examples import Examples

DOCUMENT: dict[str, Any] = json.loads(
    importlib.resources.files("heygen_async.testing")
    .joinpath("heygen-openapi.v3.json")
    .read_text("utf-8")
)
EXAMPLES = Examples(DOCUMENT)
URL = {"type": "url", "url": "https://files.example/in.mp4"}
# Query values that find something in the fake's catalogues.
QUERIES = {("/v3/audio/sounds", "query"): "calm", ("/v3/assets/search", "query"): "city"}
FAST = {"poll_interval": 0.01, "max_poll_interval": 0.02, "timeout": 5.0}


def _call(client: hg.AsyncHeyGen, name: str) -> Callable[..., Any]:
    target: Any = client
    for part in name.split(".")[1:]:
        target = getattr(target, part)
    return target  # type: ignore[no-any-return]


async def _put(url: str, headers: dict[str, str], data: bytes) -> None:
    async with aiohttp.ClientSession() as session, session.put(url, data=data, headers=headers):
        pass


async def _seed(fake: FakeHeyGen, client: hg.AsyncHeyGen) -> dict[tuple[str, str], str]:
    """One object of each kind, made through the SDK: the ids path parameters take."""
    clip = await client.ai_clipping.create(video=URL)
    asset = await client.assets.create(b"\x89PNG\r\n\x1a\n" + b"x" * 64, filename="a.png")
    ticket = await client.assets.direct_uploads.create(
        filename="b.bin", content_type="application/octet-stream", size_bytes=3
    )
    await _put(ticket.upload_url, dict(ticket.upload_headers), b"abc")
    files = [{"filename": "c.bin", "content_type": "application/octet-stream", "size_bytes": 2}]
    asset_batch = await client.assets.direct_uploads.batches.create(files=files)
    prompt_avatar = await client.avatars.create(type="prompt", name="P", prompt="A chef")
    twin = await client.avatars.create(type="digital_twin", name="T", file=URL)
    removal = await client.background_removals.create(video=URL)
    lipsync = await client.lipsyncs.create(video=URL, audio=URL)
    lip_batch = await client.lipsyncs.batches.create(lipsyncs=[{"video": URL, "audio": URL}])
    session = await client.sessions.create(prompt="An interactive teaser")
    fake.advance(session.session_id)  # processing -> reviewing: a storyboard resource
    agent = await client.video_agents.create(prompt="A chat teaser", mode="chat")
    fake.advance(agent.session_id)  # thinking -> reviewing: a storyboard resource
    resource_id = fake.sessions[agent.session_id].resources[0]["resource_id"]
    translation = await client.video_translations.create(video=URL, output_languages=["French"])
    vt_batch = await client.video_translations.batches.create(
        video_translations=[{"video": URL, "output_languages": ["German"]}]
    )
    proofread = await client.video_translations.proofreads.create(
        video=URL, output_languages=["Spanish"], title="Proof"
    )
    fake.advance_job(proofread.proofread_ids[0], to="completed")
    video = await client.videos.create(type="avatar", avatar_id="anna_look_0", script="Hi")
    video_batch = await client.videos.batches.create(
        videos=[{"type": "avatar", "avatar_id": "anna_look_0", "script": "Hi"}]
    )
    clone = await client.voices.clone.create(audio=URL, voice_name="Me")
    endpoint = await client.webhooks.endpoints.create(url="https://hooks.example/heygen")
    return {
        ("ai-clipping", "job_id"): clip["id"],
        ("assets", "asset_id"): asset.asset_id,
        ("asset-upload", "asset_id"): ticket.asset_id,
        ("assets", "batch_id"): asset_batch.batch_id,
        ("avatars", "look_id"): prompt_avatar.avatar_item.id,
        ("avatars", "group_id"): twin.avatar_group.id,
        ("background-removals", "job_id"): removal.id,
        ("lipsyncs", "lipsync_id"): lipsync.lipsync_id,
        ("lipsyncs", "batch_id"): lip_batch["batch_id"],
        ("templates", "template_id"): "tpl_0",
        ("sessions", "session_id"): session.session_id,
        ("video-agents", "session_id"): agent.session_id,
        ("video-agents", "resource_id"): resource_id,
        ("video-translations", "video_translation_id"): translation.video_translation_ids[0],
        ("video-translations", "batch_id"): vt_batch["batch_id"],
        ("video-translations", "proofread_id"): proofread.proofread_ids[0],
        ("videos", "video_id"): video.video_id,
        ("videos", "batch_id"): video_batch["batch_id"],
        ("voices", "voice_id"): clone.voice_clone_id,
        ("webhooks", "endpoint_id"): endpoint.endpoint_id,
    }


def _operation(method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = DOCUMENT["paths"][path][method.lower()]
    return operation


def _arguments(
    method: str, path: str, ids: dict[tuple[str, str], str]
) -> tuple[list[Any], dict[str, Any]]:
    """Path ids from the seeded objects; required query and body fields from the schema."""
    operation = _operation(method, path)
    area = "sessions" if "/sessions/" in path else path.split("/")[2]
    if path == "/v3/assets/{asset_id}/complete":
        area = "asset-upload"  # a direct upload whose bytes arrived
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in operation.get("parameters", ()):
        name = parameter["name"]
        if parameter["in"] == "path":
            args.append(ids[(area, name)])
        elif parameter["in"] == "query" and parameter.get("required"):
            value = EXAMPLES.example(parameter["schema"], name)
            kwargs[name] = QUERIES.get((path, name), value)
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = EXAMPLES.example(content["application/json"]["schema"], minimal=True)
        kwargs |= body
    return args, kwargs


def _special(method: str, path: str, ids: dict[tuple[str, str], str]) -> dict[str, Any] | None:
    """Arguments where the example alone does not make a call the fake accepts."""
    if (method, path) == ("POST", "/v3/assets"):
        return {"file": b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, "content_type": "image/png"}
    if (method, path) == ("POST", "/v3/assets/complete/batches"):
        return {"batch_id": ids[("assets", "batch_id")]}
    if (method, path) == ("POST", "/v3/voices/speech"):
        return {"voice_id": "aria_public", "text": "Hello there"}
    if path.endswith("/messages") or (method, path) == ("POST", "/v3/video-agents/{session_id}"):
        return {"message": "Looks good"}
    if (method, path) in (("POST", "/v3/video-agents"), ("POST", "/v3/video-agents/sessions")):
        return {"prompt": "Another teaser"}
    return None


async def _run(
    client: hg.AsyncHeyGen, method: str, path: str, ids: dict[tuple[str, str], str]
) -> Any:
    call = _call(client, CALLS[(method, path)])
    args, kwargs = _arguments(method, path, ids)
    special = _special(method, path, ids)
    if special is not None:
        kwargs = special
    if "message" in kwargs:
        args.append(kwargs.pop("message"))
    if (method, path) == ("POST", "/v3/assets"):
        args.append(kwargs.pop("file"))
    returns = str(inspect.signature(call).return_annotation)
    result = call(*args, **kwargs)
    if returns.startswith("AsyncIterator"):
        return returns, [item async for item in result]
    return returns, await result


def _order(key: tuple[str, str]) -> int:
    """Deletes and stops last: the other calls need what they remove."""
    method, path = key
    return 1 if method == "DELETE" or path.endswith("/stop") else 0


async def test_every_sdk_call_returns_its_typed_model() -> None:
    async with asyncio.timeout(60):
        async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
            ids = await _seed(fake, client)
            assert len(CALLS) == 90
            empty = []
            for method, path in sorted(CALLS, key=_order):
                returns, result = await _run(client, method, path, ids)
                where = f"{method} {path} -> {CALLS[(method, path)]}"
                if returns.startswith("AsyncIterator"):
                    assert isinstance(result, list), where
                    assert all(attrs.has(type(item)) for item in result), where
                    if not result:
                        empty.append(path)
                elif returns == "None":
                    assert result is None, where
                elif returns.startswith("dict"):
                    assert isinstance(result, dict) and result, where
                else:
                    assert attrs.has(type(result)), where
            # Lists of what the fake holds are never empty after the seeding.
            assert empty == [], empty
            assert not [r for r in fake.requests if r.status >= 500]


async def test_a_missing_object_is_heygens_404() -> None:
    async with asyncio.timeout(10):
        async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
            with pytest.raises(hg.NotFoundError) as avatar:
                await client.avatars.get("avg_missing")
            with pytest.raises(hg.NotFoundError) as lipsync:
                await client.lipsyncs.get("lip_missing")
            with pytest.raises(hg.NotFoundError) as voice:
                await client.voices.get("nobody")
    assert avatar.value.code == "avatar_not_found"
    assert lipsync.value.code == "not_found"
    assert voice.value.code == "voice_not_found"


async def test_lists_page_over_stored_objects() -> None:
    async with asyncio.timeout(10):
        async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
            made = [
                (await client.lipsyncs.create(video=URL, audio=URL)).lipsync_id for _ in range(5)
            ]
            listed = [item.id async for item in client.lipsyncs.list(page_size=2)]
            pages = [r for r in fake.requests if r.path == "/v3/lipsyncs" and r.method == "GET"]
    assert sorted(listed) == sorted(made)
    assert len(pages) == 3  # 2 + 2 + 1


async def test_update_changes_and_delete_removes() -> None:
    async with asyncio.timeout(10):
        async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
            lipsync_id = (await client.lipsyncs.create(video=URL, audio=URL)).lipsync_id
            updated = await client.lipsyncs.update(lipsync_id, title="Renamed")
            assert (await client.lipsyncs.get(lipsync_id)).title == "Renamed"
            await client.lipsyncs.delete(lipsync_id)
            with pytest.raises(hg.NotFoundError):
                await client.lipsyncs.get(lipsync_id)
            assert lipsync_id not in fake.jobs
    assert updated.title == "Renamed"


# -- every job kind's wait ------------------------------------------------------------------

Make = Callable[[hg.AsyncHeyGen, FakeHeyGen], Awaitable[tuple[Callable[..., Any], str]]]


async def _clip(c: hg.AsyncHeyGen, f: FakeHeyGen) -> tuple[Callable[..., Any], str]:
    return c.ai_clipping.wait, (await c.ai_clipping.create(video=URL))["id"]


async def _asset_batch(c: hg.AsyncHeyGen, f: FakeHeyGen) -> tuple[Callable[..., Any], str]:
    files = [{"filename": "a.bin", "content_type": "application/octet-stream", "size_bytes": 2}]
    batch = await c.assets.direct_uploads.batches.create(files=files)
    ticket = batch.items[0]
    await _put(ticket.upload_url, dict(ticket.upload_headers), b"ok")
    await c.assets.complete.batches.create(batch_id=batch.batch_id)
    return c.assets.batches.wait, batch.batch_id


async def _avatar(c: hg.AsyncHeyGen, f: FakeHeyGen) -> tuple[Callable[..., Any], str]:
    made = await c.avatars.create(type="prompt", name="Chef", prompt="A chef")
    return c.avatars.wait, made.avatar_group.id


async def _look(c: hg.AsyncHeyGen, f: FakeHeyGen) -> tuple[Callable[..., Any], str]:
    made = await c.avatars.create(type="photo", name="Me", file=URL)
    return c.avatars.looks.wait, made.avatar_item.id


async def _removal(c: hg.AsyncHeyGen, f: FakeHeyGen) -> tuple[Callable[..., Any], str]:
    return c.background_removals.wait, (await c.background_removals.create(video=URL)).id


async def _lipsync(c: hg.AsyncHeyGen, f: FakeHeyGen) -> tuple[Callable[..., Any], str]:
    return c.lipsyncs.wait, (await c.lipsyncs.create(video=URL, audio=URL)).lipsync_id


async def _lipsync_batch(c: hg.AsyncHeyGen, f: FakeHeyGen) -> tuple[Callable[..., Any], str]:
    made = await c.lipsyncs.batches.create(lipsyncs=[{"video": URL, "audio": URL}] * 2)
    return c.lipsyncs.batches.wait, made["batch_id"]


async def _translation(c: hg.AsyncHeyGen, f: FakeHeyGen) -> tuple[Callable[..., Any], str]:
    made = await c.video_translations.create(video=URL, output_languages=["French"])
    return c.video_translations.wait, made.video_translation_ids[0]


async def _translation_batch(c: hg.AsyncHeyGen, f: FakeHeyGen) -> tuple[Callable[..., Any], str]:
    items = [{"video": URL, "output_languages": ["French", "German"]}]
    made = await c.video_translations.batches.create(video_translations=items)
    return c.video_translations.batches.wait, made["batch_id"]


async def _proofread(c: hg.AsyncHeyGen, f: FakeHeyGen) -> tuple[Callable[..., Any], str]:
    made = await c.video_translations.proofreads.create(
        video=URL, output_languages=["Italian"], title="T"
    )
    return c.video_translations.proofreads.wait, made.proofread_ids[0]


async def _video(c: hg.AsyncHeyGen, f: FakeHeyGen) -> tuple[Callable[..., Any], str]:
    made = await c.videos.create(type="avatar", avatar_id="anna_look_0", script="Hello")
    return c.videos.wait, made.video_id


async def _video_batch(c: hg.AsyncHeyGen, f: FakeHeyGen) -> tuple[Callable[..., Any], str]:
    made = await c.videos.batches.create(
        videos=[{"type": "avatar", "avatar_id": "anna_look_0", "script": "Hi"}]
    )
    return c.videos.batches.wait, made["batch_id"]


async def _voice(c: hg.AsyncHeyGen, f: FakeHeyGen) -> tuple[Callable[..., Any], str]:
    return c.voices.wait, (await c.voices.clone.create(audio=URL, voice_name="Me")).voice_clone_id


JOBS: dict[str, Make] = {
    "ai_clipping": _clip,
    "asset_batch": _asset_batch,
    "avatar": _avatar,
    "avatar_look": _look,
    "background_removal": _removal,
    "lipsync": _lipsync,
    "lipsync_batch": _lipsync_batch,
    "video_translation": _translation,
    "video_translation_batch": _translation_batch,
    "proofread": _proofread,
    "video": _video,
    "video_batch": _video_batch,
    "voice_clone": _voice,
}


@pytest.mark.parametrize("kind", list(JOBS))
async def test_wait_ends_for_every_job_kind(kind: str) -> None:
    async with asyncio.timeout(10):
        async with FakeHeyGen(step_seconds=0.02) as fake, fake.client() as client:
            wait, job_id = await JOBS[kind](client, fake)
            job = await wait(job_id, **FAST)
    assert job.status in ("completed", "complete")


@pytest.mark.parametrize("kind", list(JOBS))
async def test_a_failed_job_makes_wait_raise_with_its_last_state(kind: str) -> None:
    async with asyncio.timeout(10):
        async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
            wait, job_id = await JOBS[kind](client, fake)
            fake.fail_job(job_id, code="render_failed", message="The renderer gave up.")
            with pytest.raises(hg.JobFailedError) as failed:
                await wait(job_id, **FAST)
    assert failed.value.job.status == "failed"


async def test_wait_on_a_clock_the_test_moves() -> None:
    clock = Clock()
    async with asyncio.timeout(10):
        async with FakeHeyGen(step_seconds=30.0, clock=clock) as fake, fake.client() as client:
            lipsync_id = (await client.lipsyncs.create(video=URL, audio=URL)).lipsync_id
            assert (await client.lipsyncs.get(lipsync_id)).status == "pending"
            clock.advance(30.0)
            assert (await client.lipsyncs.get(lipsync_id)).status == "running"
            clock.advance(30.0)
            done = await client.lipsyncs.wait(lipsync_id, **FAST)
    assert done.status == "completed"


async def test_footage_waits_for_consent_then_proceeds() -> None:
    async with asyncio.timeout(10):
        async with FakeHeyGen(step_seconds=0.02) as fake, fake.client() as client:
            made = await client.avatars.create(type="digital_twin", name="Me", file=URL)
            group_id = made.avatar_group.id
            await asyncio.sleep(0.1)  # time passes: consent is not something time gives
            with pytest.raises(hg.ActionRequiredError) as waiting:
                await client.avatars.wait(group_id, **FAST)
            assert waiting.value.job.status == "pending_consent"
            await client.avatars.consent.create(group_id)
            done = await client.avatars.wait(group_id, **FAST)
            look = await client.avatars.looks.wait(made.avatar_item.id, **FAST)
    assert done.status == "completed"
    assert look.status == "completed"


async def test_a_batch_adds_up_its_items() -> None:
    async with asyncio.timeout(10):
        async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
            made = await client.lipsyncs.batches.create(lipsyncs=[{"video": URL, "audio": URL}] * 3)
            batch_id = made["batch_id"]
            first, second, third = fake.jobs[batch_id].items
            fake.advance_job(first, to="completed")
            fake.fail_job(second)
            assert (await client.lipsyncs.batches.get(batch_id)).status == "processing"
            fake.advance_job(third, to="completed")
            batch = await client.lipsyncs.batches.get(batch_id)
            statuses = [s.status async for s in client.lipsyncs.statuses.list(batch_ids=batch_id)]
    assert batch.status == "completed"
    assert batch.counts_by_status == {"completed": 2, "failed": 1}
    assert sorted(statuses) == ["completed", "completed", "failed"]


# -- webhooks -----------------------------------------------------------------------------


async def test_webhook_endpoints_round_trip() -> None:
    async with asyncio.timeout(10):
        async with FakeHeyGen() as fake, fake.client() as client:
            made = await client.webhooks.endpoints.create(
                url="https://hooks.example/a", events=["avatar_video.success"]
            )
            listed = [e async for e in client.webhooks.endpoints.list()]
            updated = await client.webhooks.endpoints.update(
                made.endpoint_id, events=["video_agent.success", "video_agent.fail"]
            )
            rotated = await client.webhooks.endpoints.rotate_secret(made.endpoint_id)
            await client.webhooks.endpoints.delete(made.endpoint_id)
            after = [e async for e in client.webhooks.endpoints.list()]
            types = [t.event_type async for t in client.webhooks.event_types.list()]
    assert made.secret and made.status == "enabled"
    assert [e.endpoint_id for e in listed] == [made.endpoint_id]
    assert listed[0].secret is None  # shown only on create and rotate-secret
    assert updated.events == ("video_agent.success", "video_agent.fail")
    assert updated.secret is None
    assert rotated.secret and rotated.secret != made.secret
    assert after == []
    assert "batch.finished" in types and "video_agent.success" in types


async def test_the_event_history_records_finished_jobs_and_filters_by_entity() -> None:
    async with asyncio.timeout(10):
        async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
            one = await client.videos.create(
                type="avatar", avatar_id="anna_look_0", script="Hi", callback_id="mine-1"
            )
            two = await client.videos.create(type="avatar", avatar_id="anna_look_0", script="Yo")
            fake.advance_job(one.video_id, to="completed")
            fake.fail_job(two.video_id, message="No.")
            everything = [e async for e in client.webhooks.events.list()]
            mine = [e async for e in client.webhooks.events.list(entity_id=one.video_id)]
            failures = [
                e async for e in client.webhooks.events.list(event_type="avatar_video.fail")
            ]
    assert {e.event_type for e in everything} == {"avatar_video.success", "avatar_video.fail"}
    assert [e.event_type for e in mine] == ["avatar_video.success"]
    assert mine[0].event_data["video_id"] == one.video_id
    assert mine[0].event_data["callback_id"] == "mine-1"
    assert [e.event_data["video_id"] for e in failures] == [two.video_id]
    assert len(fake.events) == 2


async def test_a_session_that_ends_records_a_video_agent_event() -> None:
    async with asyncio.timeout(10):
        async with FakeHeyGen(step_seconds=None) as fake, fake.client() as client:
            session = await client.video_agents.create(prompt="A teaser")
            fake.advance(session.session_id, to="completed")
            events = [e async for e in client.webhooks.events.list(entity_id=session.session_id)]
    assert [e.event_type for e in events] == ["video_agent.success"]
